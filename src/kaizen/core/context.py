"""Who is acting and through which channel, for the audit trail.

Set once per request (middleware), per job (task wrapper) or per command (CLI); services read it
when they write audit rows. Context variables keep it correct across threads.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    """How a write reached Kaizen."""

    WEB = "web", _("Web")
    API = "api", _("API")
    EMAIL = "email", _("Email")
    MONITORING = "monitoring", _("Monitoring")
    JOB = "job", _("Job")
    CLI = "cli", _("Command line")
    SYSTEM = "system", _("System")


@dataclass(frozen=True)
class ActingContext:
    """The actor (a user, or None for a job/integration) and the channel of the current work."""

    user: Any = None
    channel: str = Channel.SYSTEM
    label: str = ""


_current: ContextVar[ActingContext] = ContextVar("kaizen_acting", default=ActingContext())  # noqa: B039


def current() -> ActingContext:
    """Return the acting context of the current request, job or command."""
    return _current.get()


@contextlib.contextmanager
def acting(*, user: Any = None, channel: str = Channel.SYSTEM, label: str = "") -> Iterator[ActingContext]:
    """Run a block on behalf of ``user`` through ``channel``."""
    ctx = ActingContext(user=user, channel=channel, label=label)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def bind(*, user: Any = None, channel: str = Channel.SYSTEM, label: str = "") -> None:
    """Set the acting context for the rest of the current request (the enclosing
    :func:`acting` block restores the previous one)."""
    _current.set(ActingContext(user=user, channel=channel, label=label))
