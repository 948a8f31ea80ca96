"""Reference data every installation needs (built-in CI types, relationship types, ...).

Each domain registers an idempotent loader; ``kaizen init``, ``kaizen up`` and ``kaizen demo`` run
them after migrating, so a fresh installation is usable without demo data. Loaders write through
their domain's services, so the reference data is audited like any other write.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from kaizen.core import context

_loaders: dict[str, tuple[int, Callable[[], None]]] = {}


def register(name: str, order: int) -> Callable[[Callable[[], None]], Callable[[], None]]:
    """Register ``fn()`` as the reference data loader of a domain."""

    def deco(fn: Callable[[], None]) -> Callable[[], None]:
        _loaders[name] = (order, fn)
        return fn

    return deco


def load_all() -> None:
    """Run every loader (each in its own transaction); loaders skip what exists."""
    with context.acting(channel=context.Channel.SYSTEM, label="kaizen defaults"):
        for _, fn in sorted(_loaders.values(), key=lambda item: item[0]):
            with transaction.atomic():
                fn()
