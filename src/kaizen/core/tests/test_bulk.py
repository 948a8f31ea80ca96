"""Bulk inserts of new rows (COPY on PostgreSQL, bulk_create elsewhere): the stored values are the
ones the ORM would store, ids are given when asked, and an error leaves nothing behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, IntegrityError, connection, transaction

from kaizen.core import audit, bulk, context
from kaizen.core.models import AuditEntry, OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def _message(i: int, **payload: object) -> OutboxMessage:
    return OutboxMessage(topic=f"test.bulk.{i}", payload={"i": i, **payload})


def test_rows_with_ids_store_json_text_and_auto_now_as_the_orm_does():
    hostile = {
        "quote": 'it\'s "quoted"',
        "tab": "a\tb\nc\\d",
        "ja": "障害　対応",
        "nul_like": "\\N",
        "n": None,
    }
    messages = [_message(i, **hostile) for i in range(3)]
    with transaction.atomic():
        bulk.insert(OutboxMessage, messages, ids=True)
    ids = [m.pk for m in messages]
    assert all(isinstance(pk, int) for pk in ids) and ids == sorted(ids) and len(set(ids)) == 3
    stored = {m.pk: m for m in OutboxMessage.objects.filter(pk__in=ids)}
    for message in messages:
        row = stored[message.pk]
        assert row.topic == message.topic and row.payload == {"i": int(message.topic[-1]), **hostile}
        assert abs(row.created_at - dt.datetime.now(dt.UTC)).total_seconds() < 60
        assert row.delivered_at is None and row.attempts == 0 and row.last_error == ""
    # The ORM's own inserts continue after the ids taken.
    later = OutboxMessage.objects.create(topic="test.bulk.after", payload={})
    assert later.pk > max(ids)


def test_rows_without_ids_are_stored():
    with transaction.atomic():
        bulk.insert(OutboxMessage, [_message(i) for i in range(5)])
    assert OutboxMessage.objects.filter(topic__startswith="test.bulk.").count() == 5


def test_nothing_to_insert_writes_nothing():
    bulk.insert(OutboxMessage, [])
    assert not OutboxMessage.objects.filter(topic__startswith="test.bulk.").exists()


def test_a_bad_row_fails_the_whole_insert_and_leaves_nothing():
    for bad in (OutboxMessage(topic=None, payload={}), OutboxMessage(topic="x" * 101, payload={})):
        rows = [_message(0), bad, _message(2)]
        if bad.topic and connection.vendor == "sqlite":
            continue  # SQLite does not enforce lengths
        with pytest.raises((DataError, IntegrityError)), transaction.atomic():
            bulk.insert(OutboxMessage, rows, ids=bool(bad.topic))
        assert not OutboxMessage.objects.filter(topic__startswith="test.bulk.").exists()


def test_audit_rows_written_in_bulk_keep_the_chain_verifiable():
    org_like = OutboxMessage.objects.create(topic="test.bulk.record", payload={})
    acting = context.acting(channel=context.Channel.CLI, label="bulk test")
    with acting, transaction.atomic(), audit.batched():
        for i in range(20):
            audit.record(
                org_like,
                action="update",
                changes={"note": [None, f"変更 {i}\t'\"\\"], "at": [None, dt.datetime.now(dt.UTC)]},
                meta={"version": i},
            )
    rows = AuditEntry.objects.filter(record_type="core.outboxmessage", record_id=str(org_like.pk))
    assert rows.count() == 20
    assert audit.verify().ok
