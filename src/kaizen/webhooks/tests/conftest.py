"""Fixtures of the webhook tests: administrators, running receivers, outbox delivery in-process."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import transaction

from kaizen.accounts.tests.factories import user_with_role
from kaizen.core import events
from kaizen.core.access import Role

from . import receiver as receiver_module


@pytest.fixture
def admin(db: Any) -> Any:
    """A global administrator (the only role that may manage webhooks)."""
    return user_with_role(Role.ADMIN, None)


@pytest.fixture
def receiver() -> Iterator[receiver_module.Receiver]:
    """A real HTTP server on 127.0.0.1 (its ``secret`` is set by the test)."""
    with receiver_module.running() as running:
        yield running


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a block like a committed transaction: its on-commit jobs (and theirs) run after it."""

    @contextmanager
    def block() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            yield

    return block


@pytest.fixture
def emit(run_jobs: Callable[..., Any]) -> Callable[[events.DomainEvent], Any]:
    """Emit a domain event and deliver it through the outbox, in-process."""

    def _emit(event: events.DomainEvent) -> Any:
        with run_jobs():
            return events.emit(event)

    return _emit


class FakeDNS:
    """Answers for some names (``answers[name] = [addresses]``) and the look-ups made per name."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.later: dict[str, list[str]] = {}
        """Answers from the second look-up on (a name rebound to another address)."""
        self.calls: dict[str, int] = {}


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """Answer getaddrinfo for the names the test sets (other names resolve normally)."""
    real = socket.getaddrinfo
    dns = FakeDNS()

    def fake(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not (isinstance(host, str) and host in dns.answers):
            return real(host, port, *args, **kwargs)
        dns.calls[host] = dns.calls.get(host, 0) + 1
        out: list[Any] = []
        addresses = dns.later[host] if host in dns.later and dns.calls[host] > 1 else dns.answers[host]
        for address in addresses:
            if ":" in address:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, int(port), 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port))))
        return out

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return dns
