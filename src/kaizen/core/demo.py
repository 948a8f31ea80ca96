"""Demo data registry: each domain registers a loader; ``kaizen demo`` runs them in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from kaizen.core import context


@dataclass(frozen=True)
class DemoLoader:
    """A domain's demo loader; ``order`` places it after the domains it builds on."""

    name: str
    order: int
    load: Callable[..., None]


_loaders: dict[str, DemoLoader] = {}


def register(name: str, order: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register ``fn(password=...)`` as the demo loader of a domain."""

    def deco(fn: Callable[..., None]) -> Callable[..., None]:
        _loaders[name] = DemoLoader(name, order, fn)
        return fn

    return deco


def load_all(*, password: str) -> None:
    """Run every loader in one transaction each; loaders are idempotent."""
    with context.acting(channel=context.Channel.CLI, label="kaizen demo"):
        for loader in sorted(_loaders.values(), key=lambda item: item.order):
            with transaction.atomic():
                loader.load(password=password)
