"""Domain events: stored with the change, delivered after commit, redelivered after a crash."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from kaizen.core import events, tasks
from kaizen.core.models import OutboxDelivery, OutboxMessage

calls: list[tuple[str, dict]] = []
fail_next = {"flag": False}


@dataclasses.dataclass(frozen=True)
class ThingHappened(events.DomainEvent):
    topic = "test.thing_happened"
    thing_id: int
    when: dt.date


@events.handler("test.thing_happened")
def first_handler(payload: dict) -> None:
    calls.append(("first", payload))


@events.handler("test.thing_happened")
def flaky_handler(payload: dict) -> None:
    if fail_next["flag"]:
        fail_next["flag"] = False
        raise RuntimeError("mail server down")
    calls.append(("flaky", payload))


@pytest.fixture(autouse=True)
def _reset():
    calls.clear()
    fail_next["flag"] = False


@pytest.mark.django_db
def test_event_is_delivered_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        events.emit(ThingHappened(thing_id=1, when=dt.date(2026, 4, 1)))
    assert calls == []
    assert OutboxMessage.objects.filter(delivered_at__isnull=True).count() == 1
    for callback in callbacks:
        callback()
    assert [name for name, _ in calls] == ["first", "flaky"]
    message_id = OutboxMessage.objects.get().pk
    assert calls[0][1] == {
        "thing_id": 1,
        "when": "2026-04-01",
        "_topic": "test.thing_happened",
        "_message_id": message_id,
    }
    assert OutboxMessage.objects.get().delivered_at is not None


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_emits_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        events.emit(ThingHappened(thing_id=2, when=dt.date(2026, 4, 1)))
        raise RuntimeError("boom")
    assert not OutboxMessage.objects.exists()
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_committed_event_is_delivered_by_the_job():
    with transaction.atomic():
        events.emit(ThingHappened(thing_id=3, when=dt.date(2026, 4, 1)))
    # huey runs immediately in tests: the on-commit hook queued and ran the delivery job.
    assert [name for name, _ in calls] == ["first", "flaky"]


@pytest.mark.django_db
def test_failed_handler_is_retried_by_the_sweep_without_repeating_the_others():
    fail_next["flag"] = True
    with transaction.atomic():
        message = events.emit(ThingHappened(thing_id=4, when=dt.date(2026, 4, 1)))
    assert events.deliver(message.pk) is False
    message.refresh_from_db()
    assert message.delivered_at is None and "mail server down" in message.last_error
    assert [name for name, _ in calls] == ["first"]
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        assert tasks.sweep_outbox.call_local() == 1
    assert [name for name, _ in calls] == ["first", "flaky"]
    message.refresh_from_db()
    assert message.delivered_at is not None and message.attempts == 2


@pytest.mark.django_db
def test_worker_crash_before_delivery_is_recovered_by_the_sweep():
    """The message exists but its job never ran (crash or broker outage)."""
    with transaction.atomic():
        message = events.emit(ThingHappened(thing_id=5, when=dt.date(2026, 4, 1)))
    assert tasks.sweep_outbox.call_local() == 0  # too young: its own job may still be running
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert tasks.sweep_outbox.call_local() == 1
    assert len(calls) == 2
    assert OutboxMessage.objects.get(pk=message.pk).delivered_at is not None


@pytest.mark.django_db
def test_redelivery_runs_no_handler_twice():
    with transaction.atomic():
        message = events.emit(ThingHappened(thing_id=6, when=dt.date(2026, 4, 1)))
    assert events.deliver(message.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(delivered_at=None)  # as if the last step was lost
    assert events.deliver(message.pk)
    assert len(calls) == 2
    assert (
        OutboxDelivery.objects.filter(message=message, handler__startswith="kaizen.core.tests").count() == 2
    )


def test_event_without_topic_is_refused():
    @dataclasses.dataclass(frozen=True)
    class Nameless(events.DomainEvent):
        x: int

    with pytest.raises(ValueError):
        events.emit(Nameless(x=1))
