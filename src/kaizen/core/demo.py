"""Demo data registry: each domain registers a loader; ``kaizen demo`` runs them in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

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


def load_all(*, password: str, only: tuple[str, ...] | None = None) -> None:
    """Run every loader (or those named in ``only``) in one transaction each; loaders are idempotent.

    The events the demo history raises (mail, webhooks) are marked delivered without being sent:
    they describe the past, nobody is waiting for them.
    """
    from kaizen.core.models import OutboxMessage

    last = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with context.acting(channel=context.Channel.CLI, label="kaizen demo"):
        for loader in sorted(_loaders.values(), key=lambda item: item.order):
            if only is not None and loader.name not in only:
                continue
            with transaction.atomic():
                loader.load(password=password)
    OutboxMessage.objects.filter(id__gt=last, delivered_at__isnull=True).update(
        delivered_at=timezone.now(), last_error="demo history: not delivered"
    )
