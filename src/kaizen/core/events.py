"""Domain events and the transactional outbox.

A service calls :func:`emit` inside its transaction: the event is stored as an
:class:`~kaizen.core.models.OutboxMessage` in that same transaction, and a delivery job is queued
when (and only if) the transaction commits. Handlers (registered with :func:`handler`, usually
in a domain's ``receivers.py``) run in the job, each at most once per message; a periodic sweep
re-delivers messages a crashed worker left undelivered. Handlers with outside effects (mail,
webhooks) must tolerate a repeat after a crash between the effect and the bookkeeping.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from kaizen.core import bulk
from kaizen.core.audit import jsonable
from kaizen.core.models import OutboxDelivery, OutboxMessage

log = logging.getLogger("kaizen.events")


@dataclasses.dataclass(frozen=True)
class DomainEvent:
    """Base of every domain event: a frozen dataclass of ids and plain values."""

    topic: ClassVar[str] = ""


Handler = Callable[[dict[str, Any]], None]
_handlers: dict[str, list[tuple[str, Handler]]] = {}


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register a function to run (after commit, in a job) for every event of ``topic``.

    ``"*"`` registers for every topic (outbound webhooks). Handlers receive the event's fields plus
    ``_topic`` and ``_message_id`` (the outbox message, a stable key for idempotent effects).
    """

    def register(fn: Handler) -> Handler:
        name = f"{fn.__module__}.{fn.__qualname__}"
        entries = _handlers.setdefault(topic, [])
        if all(existing != name for existing, _ in entries):
            entries.append((name, fn))
        return fn

    return register


def handlers_for(topic: str) -> list[tuple[str, Handler]]:
    """Return the registered (name, function) pairs for ``topic`` (wildcard handlers last)."""
    return [*_handlers.get(topic, []), *(h for h in _handlers.get("*", []) if topic != "*")]


_batch: contextvars.ContextVar[list[OutboxMessage] | None] = contextvars.ContextVar(
    "kaizen_outbox_batch", default=None
)


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Write the events emitted inside the block to the outbox in one statement at its end.

    For services that emit several events in one transaction (a ticket created, assigned and
    moved); nothing is written when the block raises. Nested blocks join the outermost one.
    """
    if _batch.get() is not None:
        yield
        return
    messages: list[OutboxMessage] = []
    token = _batch.set(messages)
    try:
        yield
    finally:
        _batch.reset(token)
    if messages:
        bulk.insert(OutboxMessage, messages, ids=True)
        _after_commit([message.pk for message in messages])


def emit(event: DomainEvent) -> OutboxMessage:
    """Store ``event`` in the outbox and queue its delivery for after commit.

    Inside :func:`batched` the message is written when the block ends (it has no id before).
    """
    if not event.topic:
        raise ValueError(f"{type(event).__name__} has no topic")
    message = OutboxMessage(topic=event.topic, payload=jsonable(dataclasses.asdict(event)))
    pending = _batch.get()
    if pending is not None:
        pending.append(message)
        return message
    message.save(force_insert=True)
    _after_commit([message.pk])
    return message


def _after_commit(message_ids: list[int]) -> None:
    """Queue one delivery job for the messages of a transaction once it commits.

    One job per transaction, not per message: a broker write costs as much as the ticket write
    itself, and the messages are then delivered in the order they were emitted.
    """

    def _enqueue() -> None:
        from kaizen.core.tasks import deliver_outbox_messages

        try:
            deliver_outbox_messages(message_ids)
        except Exception:  # the broker may be down; the sweep will deliver them later
            log.warning(
                "could not queue outbox messages %s; the sweep will retry", message_ids, exc_info=True
            )

    transaction.on_commit(_enqueue)


def deliver(message_id: int) -> bool:
    """Run every pending handler of one message; return True when it is fully delivered.

    Each handler runs in its own transaction together with its OutboxDelivery row, so a handler
    that succeeded is never run again and one that failed is retried by the sweep.
    """
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.delivered_at is not None:
        return True
    done = set(message.deliveries.values_list("handler", flat=True))
    failed = ""
    for name, fn in handlers_for(message.topic):
        if name in done:
            continue
        try:
            with transaction.atomic():
                OutboxDelivery.objects.create(message=message, handler=name)
                fn({**message.payload, "_topic": message.topic, "_message_id": message.pk})
        except IntegrityError:
            continue  # another worker delivered it concurrently
        except Exception as exc:
            log.exception("outbox handler %s failed for message %s", name, message_id)
            failed = f"{name}: {exc!r}"[:2000]
    with transaction.atomic():
        msg = OutboxMessage.objects.select_for_update().get(pk=message_id)
        msg.attempts += 1
        if failed:
            msg.last_error = failed
        else:
            msg.delivered_at = timezone.now()
        msg.save(update_fields=["attempts", "last_error", "delivered_at"])
    return not failed


def pending(older_than_seconds: int) -> list[int]:
    """Return ids of undelivered messages older than the given age (for the sweep)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    qs = OutboxMessage.objects.filter(delivered_at__isnull=True, created_at__lte=cutoff)
    return list(qs.order_by("id").values_list("id", flat=True)[:1000])
