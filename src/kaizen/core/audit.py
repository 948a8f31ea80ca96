"""The tamper-evident audit trail.

Every audited write calls :func:`record` (or :func:`record_bulk`) inside the writing transaction.
Rows form a hash chain: ``hash = sha256(prev_hash + "\\n" + canonical(row))`` where the canonical
form is JSON with sorted keys, UTC timestamps in one fixed format and no dependence on the
session time zone or database. The chain head row is locked while appending, which serialises
appends; :func:`verify` walks the chain and names the first row that does not match.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import functools
import hashlib
import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from kaizen.core import bulk, context
from kaizen.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
Changes = Mapping[str, Sequence[Any]]

_purge = threading.local()
Prepared = dict[str, Any]
"""An audit row's fields, except its place in the chain (sequence, time, hashes)."""
_batch: contextvars.ContextVar[list[Prepared] | None] = contextvars.ContextVar(
    "kaizen_audit_batch", default=None
)


def purge_allowed_flag() -> int:
    """Return 1 while :func:`allow_purge` is active in this thread (read by the SQLite trigger)."""
    return 1 if getattr(_purge, "on", False) else 0


@contextlib.contextmanager
def allow_purge() -> Iterator[None]:
    """Permit DELETE/TRUNCATE of audit rows inside this block (retention and test flushes).

    UPDATE stays forbidden. On PostgreSQL a session setting tells the trigger; on SQLite a
    connection function does. Outside Kaizen (psql, sqlite3 shell) the triggers always refuse.
    """
    _purge.on = True
    vendor = connection.vendor
    if vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET kaizen.audit_purge = 'on'")
    try:
        yield
    finally:
        _purge.on = False
        if vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("RESET kaizen.audit_purge")


_JSON_SCALARS = frozenset({bool, int, str})


def jsonable(value: Any) -> Any:
    """Convert a field value to a JSON value that survives a database round trip unchanged."""
    if value is None or type(value) in _JSON_SCALARS or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_time(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def format_time(value: dt.datetime) -> str:
    """Format an aware datetime in UTC with microseconds: the canonical time format."""
    if timezone.is_naive(value):
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def changes_since(obj: Any, version: int, *, limit: int = 50) -> list[dict[str, Any]]:
    """Return what happened to a record after ``version`` (the rows whose meta carries a later version).

    The answer of a conflict (409) lists them, so the second editor sees what changed.
    """
    rows = AuditEntry.objects.filter(
        record_type=obj._meta.label_lower, record_id=str(obj.pk), meta__version__gt=version
    ).order_by("seq")[:limit]
    return [
        {"at": format_time(r.at), "by": r.actor_label, "action": r.action, "changes": r.changes} for r in rows
    ]


def canonical(entry: AuditEntry) -> bytes:
    """Serialise the chained fields of an entry, independent of time zone and database."""
    body = {
        "seq": entry.seq,
        "at": format_time(entry.at),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "channel": entry.channel,
        "action": entry.action,
        "record_type": entry.record_type,
        "record_id": entry.record_id,
        "record_label": entry.record_label,
        "organisation_id": entry.organisation_id,
        "changes": entry.changes,
        "meta": entry.meta,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(entry: AuditEntry) -> str:
    """Return the hash an entry must carry given its content and ``prev_hash``."""
    return hashlib.sha256(entry.prev_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


@dataclass(frozen=True)
class Change:
    """One audited action on one record, before it is chained."""

    obj: models.Model
    action: str
    changes: Changes
    meta: Mapping[str, Any] | None = None


def _actor() -> tuple[int | None, str, str]:
    ctx = context.current()
    user = ctx.user
    if user is not None and getattr(user, "is_authenticated", False):
        label = ctx.label or user.get_username()
        return int(user.pk), label[:200], ctx.channel
    return None, (ctx.label or ctx.channel)[:200], ctx.channel


def _record_type(obj: models.Model) -> str:
    return obj._meta.label_lower


def _org_id(obj: models.Model) -> int | None:
    getter = getattr(obj, "organisation_id_for_audit", None)
    if callable(getter):
        value = getter()
        return int(value) if value is not None else None
    return None


def _lock_head() -> AuditHead:
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    return head


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """Collect the audit rows written inside the block and append them together at its end.

    Appending locks the chain head until the transaction commits, which serialises every writer;
    a service that writes several rows (a ticket, its rules, its assignment) wraps its work in
    this block so that the head is locked only for the last moments of the transaction. Each
    row's content (actor, record, changes) is taken when it is recorded; only its place in the
    chain is given at the end. Nested blocks join the outermost one; nothing is appended when
    the block raises.
    """
    if _batch.get() is not None:
        yield
        return
    rows: list[Prepared] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    _append(rows, read_back=False)


def _prepare(item: Change) -> Prepared:
    actor_id, actor_label, channel = _actor()
    return {
        "actor_id": actor_id,
        "actor_label": actor_label,
        "channel": channel,
        "action": item.action[:60],
        "record_type": _record_type(item.obj),
        "record_id": str(item.obj.pk),
        "record_label": str(item.obj)[:300],
        "organisation_id": _org_id(item.obj),
        "changes": jsonable(dict(item.changes)),
        "meta": jsonable(dict(item.meta or {})),
    }


def record_bulk(items: Iterable[Change]) -> list[AuditEntry]:
    """Append one chained audit row per item, in one statement, inside the current transaction.

    Inside :func:`batched` the rows are appended when the block ends (and nothing is returned).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the writing transaction")
    rows = [_prepare(item) for item in items]
    pending = _batch.get()
    if pending is not None:
        pending.extend(rows)
        return []
    return _append(rows)


def _append(rows: list[Prepared], *, read_back: bool = True) -> list[AuditEntry]:
    """Chain and insert ``rows``; without ``read_back`` the entries' ids are not set (a faster insert)."""
    if not rows:
        return []
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the writing transaction")
    now = timezone.now()
    head = _lock_head()
    entries = []
    prev, seq = head.hash, head.seq
    for row in rows:
        seq += 1
        entry = AuditEntry(seq=seq, at=now, prev_hash=prev, **row)
        entry.hash = chain_hash(entry)
        prev = entry.hash
        entries.append(entry)
    if read_back:
        AuditEntry.objects.bulk_create(entries, batch_size=500)
    else:
        bulk.insert(AuditEntry, entries)
    head.seq, head.hash = seq, prev
    head.save(update_fields=["seq", "hash"])
    return entries


def record(
    obj: models.Model, *, action: str, changes: Changes | None = None, meta: Mapping[str, Any] | None = None
) -> AuditEntry | None:
    """Append one audit row for ``action`` on ``obj`` (changes: field -> [old, new]).

    Returns the row, or None inside :func:`batched` (the row is appended at the block's end).
    """
    rows = record_bulk([Change(obj=obj, action=action, changes=changes or {}, meta=meta)])
    return rows[0] if rows else None


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    """Return the audit rows of one record, newest first."""
    return AuditEntry.objects.filter(record_type=_record_type(obj), record_id=str(obj.pk)).order_by("-seq")


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`: ``ok`` or the first broken row and why."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def verify(*, batch: int = 2000) -> VerifyResult:
    """Recompute the chain from the first row and return the first row that does not match.

    Runs in one transaction with the PostgreSQL session time zone forced to UTC: Django decodes
    timestamps assuming a UTC session, so a session set to another zone would otherwise shift
    every time and make an intact chain look broken.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET LOCAL TIME ZONE 'UTC'")
        return _verify(batch)


def _verify(batch: int) -> VerifyResult:
    prev = GENESIS
    expected_seq = None
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            break
        for entry in rows:
            last_id = entry.id
            if expected_seq is not None and entry.seq != expected_seq:
                return VerifyResult(
                    False, checked, entry.seq, entry.id, f"sequence gap: expected {expected_seq}"
                )
            if entry.prev_hash != prev:
                return VerifyResult(False, checked, entry.seq, entry.id, "previous hash does not match")
            if chain_hash(entry) != entry.hash:
                return VerifyResult(False, checked, entry.seq, entry.id, "content does not match its hash")
            prev = entry.hash
            expected_seq = entry.seq + 1
            checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    last_seq = (expected_seq or 1) - 1
    if head_seq != last_seq or head_hash != prev:
        return VerifyResult(
            False, checked, head_seq, None, f"chain head #{head_seq} does not match the last row #{last_seq}"
        )
    return VerifyResult(True, checked)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Return field -> [old, new] for the fields whose JSON form differs."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is new or (type(old) is type(new) and old == new):
            continue  # equal values have equal JSON forms; most fields did not change
        old, new = jsonable(old), jsonable(new)
        if old != new:
            out[key] = [old, new]
    return out


_IMMUTABLE = frozenset({type(None), bool, int, str, float, decimal.Decimal, uuid.UUID, dt.datetime, dt.date})
"""Types of field values a snapshot keeps as they are: no later change can alter them in place."""


@functools.cache
def _snapshot_fields(model: type[models.Model], exclude: frozenset[str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f.name, f.attname)
        for f in model._meta.concrete_fields
        if f.name not in exclude and f.name != "password"
    )


def snapshot(obj: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """Return the concrete field values of ``obj`` keyed by field name (FKs by id), for :func:`diff`.

    Plain values are kept as they are (their JSON form is made when a row is recorded); lists
    and mappings are copied in their JSON form, so changing them in place later shows in a diff.
    """
    return {
        name: value if type(value) in _IMMUTABLE else jsonable(value)
        for name, attname in _snapshot_fields(type(obj), frozenset(exclude))
        for value in (getattr(obj, attname),)
    }
