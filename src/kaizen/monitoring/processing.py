"""Turn stored deliveries into events and alerts: parse, de-duplicate with an atomic upsert, correlate.

Deliveries are claimed in batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers
share the work); each delivery is processed inside a savepoint, so a broken one is marked failed
alone. One open alert per key is guaranteed by the partial unique constraint: a new alert is
inserted with ``ON CONFLICT DO NOTHING`` and, when another worker won the race, its row is locked
and updated instead.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from kaizen.core import bulk

from . import correlation, policies
from .choices import AlertStatus, DeliveryState, EventKind, Severity, Trend
from .models import Alert, Delivery, Event, Integration
from .sources import PayloadError, parse
from .sources.base import OK, RESOLVED, Signal

log = logging.getLogger("kaizen.monitoring")

BATCH = 200
"""Deliveries claimed per transaction."""
LINGER = 0.25
"""Seconds the drain job waits after a small batch (see :func:`drain`)."""
CHUNK = 500
"""Rows per multi-row INSERT or key lookup."""
MAX_DEPTH = 64


@dataclass
class Outcome:
    """What one delivery changed: the alerts to correlate and the events to append."""

    touched: dict[int, Alert] = field(default_factory=dict)
    """Alerts changed by the delivery, by id (for correlation and incident updates)."""
    changes: dict[int, list[str]] = field(default_factory=dict)
    """Alert id -> the kinds of change (opened, severity, resolved, ...)."""


def claim(limit: int = BATCH) -> list[Delivery]:
    """Lock and return up to ``limit`` waiting deliveries, oldest first (call inside a transaction).

    On PostgreSQL the joined integration row is locked too, ``FOR NO KEY UPDATE``: that keeps one
    batch per integration at a time (a second drain skips its deliveries instead of fighting over
    the same alert rows) without blocking the intake, whose INSERT checks the delivery's foreign
    key with ``FOR KEY SHARE`` on that row; a plain ``FOR UPDATE`` would hold every request of the
    integration until the batch commits.
    """
    qs = Delivery.objects.filter(state=DeliveryState.PENDING).order_by("id").only(*CLAIMED)
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(skip_locked=True, no_key=True).select_related("integration")
        qs = qs.only(*CLAIMED, "integration__id")  # the join locks the row; its columns are read once below
    batch = list(qs[:limit])
    integrations = Integration.objects.in_bulk({d.integration_id for d in batch})
    for delivery in batch:  # one instance per integration, not one (and its timestamps parsed) per row
        delivery.integration = integrations[delivery.integration_id]
    return batch


CLAIMED = ("id", "integration_id", "received_at", "body", "state")
"""The columns of a delivery that its processing reads (the rest stays in the database)."""


def drain(*, now: dt.datetime | None = None, limit: int | None = None, linger: float = 0.0) -> int:
    """Process waiting deliveries until none is left (or ``limit`` were done); return how many.

    ``linger``: after a batch smaller than :data:`BATCH`, wait this long before looking again, so
    that under a steady stream of single-alert requests the work is done in batches (one upsert,
    one correlation, one note per incident for many deliveries) instead of one by one.
    """
    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            batch = claim(BATCH if limit is None else min(BATCH, limit - done))
            if not batch:
                break
            process_batch(batch, now=now)
            _note_received(batch)
        done += len(batch)
        if linger and len(batch) < BATCH:
            time.sleep(linger)
    return done


def _note_received(batch: Sequence[Delivery]) -> None:
    """Record each integration's last delivery time once per batch (not per request: no hot row)."""
    latest: dict[int, dt.datetime] = {}
    for d in batch:
        latest[d.integration_id] = max(latest.get(d.integration_id, d.received_at), d.received_at)
    for integration_id, at in latest.items():
        Integration.objects.filter(pk=integration_id).update(last_received_at=at)


def process_batch(batch: Sequence[Delivery], *, now: dt.datetime | None = None) -> None:
    """Process locked deliveries together: one upsert and one correlation per integration.

    A delivery that does not parse is marked alone. When the shared work fails, each delivery is
    processed again on its own (:func:`process`), so one bad delivery never holds back the others.
    """
    now = now or timezone.now()
    parsed: list[tuple[Delivery, list[Signal]]] = []
    for delivery in batch:
        try:
            parsed.append((delivery, _signals(delivery)))
        except PayloadError as exc:
            _fail(delivery, DeliveryState.REJECTED, str(exc), now)
        except Exception as exc:  # a parser bug: this delivery only
            log.exception("monitoring delivery %s failed", delivery.pk)
            _fail(delivery, DeliveryState.FAILED, f"{type(exc).__name__}: {exc}"[:2000], now)
    if not parsed:
        return
    groups: dict[int, list[tuple[Delivery, list[Signal]]]] = {}
    for item in parsed:
        groups.setdefault(item[0].integration_id, []).append(item)
    try:
        with transaction.atomic():
            for items in groups.values():
                integration = items[0][0].integration
                signals = [s for _d, found in items for s in found]
                sources = [d for d, found in items for _s in found]
                outcome = apply(integration, signals, delivery=None, deliveries=sources, now=now)
                correlation.correlate(integration, outcome, now=now)
            _finish_many([(d, len(found)) for d, found in parsed])
    except Exception:
        log.warning(
            "monitoring batch of %d deliveries failed; processing them one by one", len(parsed), exc_info=True
        )
        for delivery, signals in parsed:
            process(delivery, now=now, signals=signals)


def process(
    delivery: Delivery, *, now: dt.datetime | None = None, signals: list[Signal] | None = None
) -> None:
    """Process one locked delivery: parse it, apply its signals, correlate; never raise."""
    now = now or timezone.now()
    integration = delivery.integration
    try:
        with transaction.atomic():
            found = signals if signals is not None else _signals(delivery)
            outcome = apply(integration, found, delivery=delivery, now=now)
            correlation.correlate(integration, outcome, now=now)
            _finish(delivery, DeliveryState.PROCESSED, signals=len(found))
    except PayloadError as exc:
        _fail(delivery, DeliveryState.REJECTED, str(exc), now)
    except Exception as exc:  # a bug or a database error must not stop the other deliveries
        log.exception("monitoring delivery %s failed", delivery.pk)
        _fail(delivery, DeliveryState.FAILED, f"{type(exc).__name__}: {exc}"[:2000], now)


def _finish_many(done: Sequence[tuple[Delivery, int]]) -> None:
    """Mark processed deliveries: one statement for the whole batch on PostgreSQL."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS d SET state = %s, processed_at = %s, signals = v.signals, error = '' "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, signals) WHERE d.id = v.id",
                [DeliveryState.PROCESSED.value, at, [d.pk for d, _n in done], [n for _d, n in done]],
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET state = %s, processed_at = %s, signals = %s, error = '' WHERE id = %s",  # noqa: S608
                [(DeliveryState.PROCESSED.value, at, count, d.pk) for d, count in done],
            )
    for d, _count in done:
        d.state = DeliveryState.PROCESSED


def _signals(delivery: Delivery) -> list[Signal]:
    raw = bytes(delivery.body)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise PayloadError(f"the body is not JSON: {exc}") from None
    _check_depth(body)
    integration = delivery.integration
    if integration.source == "cloudwatch":
        _check_sns(integration, body, delivery.received_at)
    return parse(integration.source, body, received_at=delivery.received_at)


def _check_sns(integration: Integration, body: Any, received_at: dt.datetime) -> None:
    """Verify an SNS message's signature; confirm a subscription to an allowed topic.

    A subscription confirmation yields no alert: once confirmed (or refused) there is nothing more.
    """
    from . import sns
    from .sources import cloudwatch

    kind = cloudwatch.envelope_type(body)
    try:
        if kind == sns.SUBSCRIPTION_CONFIRMATION:
            sns.confirm_subscription(body, topic_arns=list(integration.sns_topics or []), now=received_at)
            log.info(
                "integration %s confirmed the SNS subscription to %s", integration.pk, body.get("TopicArn")
            )
            return
        sns.verify(body, now=received_at)
    except (sns.SignatureError, ValueError) as exc:
        raise PayloadError(f"Amazon SNS: {exc}") from None


def _check_depth(value: Any) -> None:
    """Refuse absurdly nested JSON before any parser walks it."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PayloadError(f"the body is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def _finish(delivery: Delivery, state: str, *, signals: int = 0, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        state=state, processed_at=timezone.now(), signals=signals, error=error
    )
    delivery.state, delivery.error = state, error


def _fail(delivery: Delivery, state: str, message: str, now: dt.datetime) -> None:
    _finish(delivery, state, error=message)
    Integration.objects.filter(pk=delivery.integration_id).update(
        last_error=message[:2000], last_error_at=now
    )


# -- applying signals -------------------------------------------------------------------------


def apply(
    integration: Integration,
    signals: Sequence[Signal],
    *,
    delivery: Delivery | None,
    now: dt.datetime,
    deliveries: Sequence[Delivery] | None = None,
) -> Outcome:
    """Apply ``signals`` in order to the integration's alerts and append one event per signal.

    ``deliveries`` (parallel to ``signals``) names each signal's delivery when a batch of several
    is applied at once; otherwise every event belongs to ``delivery``.
    """
    outcome = Outcome()
    origin = list(deliveries) if deliveries is not None else [delivery] * len(signals)
    pending = list(zip(signals, origin, strict=True))
    for _attempt in range(3):  # a second pass only for keys another worker opened meanwhile
        if not pending:
            break
        keys = sorted({s.dedup_key for s, _d in pending})
        open_alerts = _lock_open(integration, keys)
        created: list[Alert] = []
        events: list[tuple[Alert, Signal, str, Delivery | None]] = []
        for signal, source in pending:
            alert = open_alerts.get(signal.dedup_key)
            kind, alert = _step(integration, alert, signal, now)
            if alert is not None:
                if alert.pk is None and all(a is not alert for a in created):
                    created.append(alert)
                if alert.is_open:
                    open_alerts[signal.dedup_key] = alert
                else:
                    open_alerts.pop(signal.dedup_key, None)
            events.append((alert, signal, kind, source))  # type: ignore[arg-type]
        correlation.map_cis(integration, created)  # before the insert: no second write of ci/service
        lost = {id(a) for a in _insert(created)}
        kept = [e for e in events if e[0] is None or id(e[0]) not in lost]
        new_ids = {a.pk for a in created if id(a) not in lost}
        _save_changed(kept, outcome, created=new_ids)
        _append_events(integration, kept, now)
        pending = [(s, d) for a, s, _k, d in events if a is not None and id(a) in lost]
    return outcome


def _lock_open(integration: Integration, keys: Sequence[str]) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    for start in range(0, len(keys), CHUNK):
        qs = Alert.objects.filter(
            integration=integration, is_open=True, dedup_key__in=keys[start : start + CHUNK]
        )
        for alert in qs.select_for_update():
            _remember(alert)
            found[alert.dedup_key] = alert
    return found


_LOADED = "_monitoring_loaded"
"""Instance attribute: the stored values of :data:`UPDATE_FIELDS` (:func:`_write` writes only changes)."""


def _remember(alert: Alert) -> None:
    """Note the values ``alert`` was just read with (:func:`_write` then updates the note)."""
    alert.__dict__[_LOADED] = {
        n: dict(v) if isinstance(v, dict) else v for n in UPDATE_FIELDS for v in (getattr(alert, n),)
    }


def _step(
    integration: Integration, alert: Alert | None, signal: Signal, now: dt.datetime
) -> tuple[str, Alert | None]:
    """Apply one signal to the open alert of its key (or open one); return the event kind and alert."""
    severity, status = signal.severity, signal.status
    if integration.thresholds and signal.metric and signal.value is not None:
        computed = policies.threshold_severity(
            integration.thresholds,
            metric=signal.metric,
            value=signal.value,
            previous=alert.severity if alert is not None else OK,
        )
        if computed is not None:
            severity = computed
            status = RESOLVED if computed == OK else status
    if status == RESOLVED:
        if alert is None:
            return EventKind.IGNORED, None
        _close(alert, AlertStatus.RESOLVED, now)
        _refresh(alert, signal, now)
        return EventKind.RESOLVED, alert
    if alert is None:
        return EventKind.OPENED, _new(integration, signal, severity, now)
    _refresh(alert, signal, now)
    alert.events += 1
    if alert.status == AlertStatus.PENDING and now - alert.first_seen_at >= dt.timedelta(
        seconds=integration.min_duration
    ):
        alert.status, alert.changed_at = AlertStatus.FIRING, now
    if severity != alert.severity:
        alert.previous_severity, alert.severity = alert.severity, severity
        alert.trend = policies.trend(alert.previous_severity, severity) or Trend.NONE
        alert.changed_at = now
        return EventKind.SEVERITY, alert
    alert.duplicates += 1
    return EventKind.DUPLICATE, alert


def _new(integration: Integration, signal: Signal, severity: str, now: dt.datetime) -> Alert:
    counts = integration.min_duration == 0
    alert = Alert(
        integration=integration,
        organisation_id=integration.organisation_id,
        dedup_key=signal.dedup_key,
        status=AlertStatus.FIRING if counts else AlertStatus.PENDING,
        is_open=True,
        severity=severity if severity != OK else Severity.INFO,
        first_seen_at=now,
        last_seen_at=now,
        changed_at=now,
        started_at=signal.occurred_at,
    )
    _refresh(alert, signal, now)
    return alert


_LIMITS = {
    name: int(getattr(Alert._meta.get_field(name), "max_length", None) or 255)
    for name in ("host", "address", "service_name", "resource", "environment", "metric", "url", "external_id")
}
"""Column lengths of the alert's text fields, looked up once (not per signal)."""


def _refresh(alert: Alert, signal: Signal, now: dt.datetime) -> None:
    """Copy what the source says now (text, labels, value) onto the alert."""
    alert.title = signal.title[:300] or alert.title or signal.dedup_key[:300]
    alert.description = signal.description or alert.description
    alert.labels = dict(signal.labels) or alert.labels
    alert.annotations = dict(signal.annotations) or alert.annotations
    for name, value in (
        ("host", signal.host),
        ("address", signal.address),
        ("service_name", signal.service),
        ("resource", signal.resource),
        ("environment", signal.environment),
        ("metric", signal.metric),
        ("url", signal.url),
        ("external_id", signal.external_id),
    ):
        if value:
            setattr(alert, name, value[: _LIMITS[name]])
    if signal.value is not None:
        alert.value = signal.value
    alert.last_seen_at = now


def _close(alert: Alert, status: str, now: dt.datetime) -> None:
    alert.status, alert.is_open, alert.closed_at, alert.changed_at = status, False, now, now
    alert.events += 1


def _insert(alerts: list[Alert]) -> list[Alert]:
    """Insert new alerts; return those whose key another worker opened first (not inserted)."""
    if not alerts:
        return []
    if connection.vendor != "postgresql":
        # SQLite holds the database write lock for the whole transaction: no concurrent insert.
        Alert.objects.bulk_create(alerts)
        return []
    fields = [f for f in Alert._meta.concrete_fields if not f.primary_key]
    table = connection.ops.quote_name(Alert._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    lost: list[Alert] = []
    with connection.cursor() as cursor:
        for start in range(0, len(alerts), CHUNK):
            chunk = alerts[start : start + CHUNK]
            params = [[f.get_db_prep_save(f.pre_save(a, True), connection) for a in chunk] for f in fields]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({_arrays(fields)}) "  # noqa: S608 - model names
                "ON CONFLICT DO NOTHING RETURNING id, dedup_key, is_open",
                params,
            )
            returned = cursor.fetchall()
            i = 0
            for alert in chunk:  # rows come back in the arrays' order; conflicting ones are missing
                if i < len(returned) and (returned[i][1], returned[i][2]) == (alert.dedup_key, alert.is_open):
                    alert.pk = returned[i][0]
                    alert._state.adding = False
                    i += 1
                else:
                    lost.append(alert)
    return lost


def _save_changed(
    kept: Iterable[tuple[Alert | None, Signal, str, Delivery | None]], outcome: Outcome, *, created: set[int]
) -> None:
    changed: dict[int, Alert] = {}
    for alert, _signal, kind, _d in kept:
        if alert is None or alert.pk is None:
            continue
        changed[alert.pk] = alert
        outcome.changes.setdefault(alert.pk, []).append(kind)
    _write(
        [a for pk, a in changed.items() if pk not in created], UPDATE_FIELDS
    )  # inserted ones hold their final state
    outcome.touched.update(changed)


def _write(alerts: Sequence[Alert], names: Sequence[str]) -> None:
    """Write ``names`` of ``alerts``: one :func:`_update_rows` per set of changed columns.

    An alert read by :func:`_lock_open` remembers its stored values; only the columns that differ
    are written (a repeat changes its counters and last-seen time, not its labels or texts).
    """
    groups: dict[tuple[str, ...], list[Alert]] = {}
    for alert in alerts:
        loaded = alert.__dict__.get(_LOADED)
        if loaded is None:
            changed = tuple(names)
        else:
            changed = tuple(n for n in names if n not in loaded or getattr(alert, n) != loaded[n])
            loaded.update({n: getattr(alert, n) for n in changed if n in loaded})
        if changed:
            groups.setdefault(changed, []).append(alert)
    for changed, rows in groups.items():
        attnames = [Alert._meta.get_field(n).attname for n in changed]  # type: ignore[union-attr]
        _update_rows(Alert, changed, [(a.pk, [getattr(a, n) for n in attnames]) for a in rows])


def _arrays(fields: Sequence[Any]) -> str:
    """Placeholders for one array parameter per field, cast to the column's type (for ``unnest``)."""
    return ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)


def _update_rows(model: type[Any], names: Sequence[str], rows: Sequence[tuple[int, Sequence[Any]]]) -> None:
    """Set the fields ``names`` of each ``(id, values)`` row of ``model`` (values in ``names`` order).

    On PostgreSQL one UPDATE for all rows: each column's new values as one array, joined on the
    ids. On SQLite, which has no round trip to save and no array parameters, an ``executemany``.
    """
    if not rows:
        return
    fields = [model._meta.get_field(n) for n in names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [connection.ops.quote_name(str(f.column)) for f in fields]
    prepared = [
        [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
        for _pk, values in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assignments = ", ".join(f"{c} = v.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM unnest(%s::bigint[], {_arrays(fields)}) "  # noqa: S608
                f"AS v(id, {', '.join(columns)}) WHERE t.id = v.id",
                [[pk for pk, _values in rows], *(list(column) for column in zip(*prepared, strict=True))],
            )
        else:
            assignments = ", ".join(f"{c} = %s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - model names
                [[*values, pk] for (pk, _v), values in zip(rows, prepared, strict=True)],
            )


UPDATE_FIELDS = [
    "status",
    "is_open",
    "severity",
    "previous_severity",
    "trend",
    "title",
    "description",
    "labels",
    "annotations",
    "host",
    "address",
    "service_name",
    "resource",
    "environment",
    "metric",
    "value",
    "url",
    "external_id",
    "last_seen_at",
    "changed_at",
    "closed_at",
    "duplicates",
    "events",
]


def _append_events(
    integration: Integration,
    kept: Iterable[tuple[Alert | None, Signal, str, Delivery | None]],
    now: dt.datetime,
) -> None:
    rows = [
        Event(
            delivery=source,
            integration=integration,
            alert_id=alert.pk if alert is not None else None,
            dedup_key=signal.dedup_key,
            received_at=source.received_at if source is not None else now,
            occurred_at=signal.occurred_at,
            status=signal.status,
            severity=signal.severity if signal.severity in Severity.values else Severity.INFO,
            kind=kind,
            title=signal.title[:300],
            value=signal.value,
        )
        for alert, signal, kind, source in kept
    ]
    bulk.insert(Event, rows)  # COPY on PostgreSQL: nothing reads the events' ids here


# -- periodic ---------------------------------------------------------------------------------


def expire(*, now: dt.datetime | None = None) -> int:
    """Close open alerts not repeated within their integration's expiry time; return how many."""
    now = now or timezone.now()
    closed = 0
    for integration in Integration.objects.filter(alerts__is_open=True).distinct():
        limit = now - dt.timedelta(minutes=integration.expire_after)
        with transaction.atomic():
            stale = list(
                Alert.objects.select_for_update(skip_locked=connection.vendor == "postgresql").filter(
                    integration=integration, is_open=True, last_seen_at__lt=limit
                )[:1000]
            )
            if not stale:
                continue
            outcome = Outcome()
            for alert in stale:
                _close(alert, AlertStatus.EXPIRED, now)
                outcome.touched[alert.pk] = alert
                outcome.changes[alert.pk] = [EventKind.EXPIRED]
            _write(stale, UPDATE_FIELDS)
            Event.objects.bulk_create(
                [
                    Event(
                        delivery=None,
                        integration=integration,
                        alert=a,
                        dedup_key=a.dedup_key,
                        received_at=now,
                        status="expired",
                        severity=a.severity,
                        kind=EventKind.EXPIRED,
                        title=a.title,
                    )
                    for a in stale
                ]
            )
            correlation.correlate(integration, outcome, now=now)
            closed += len(stale)
    return closed


def promote(*, now: dt.datetime | None = None) -> int:
    """Count pending alerts that have lasted their integration's minimum duration; return how many."""
    now = now or timezone.now()
    promoted = 0
    for integration in Integration.objects.filter(alerts__status=AlertStatus.PENDING).distinct():
        since = now - dt.timedelta(seconds=integration.min_duration)
        with transaction.atomic():
            ready = list(
                Alert.objects.select_for_update().filter(
                    integration=integration, status=AlertStatus.PENDING, first_seen_at__lte=since
                )[:1000]
            )
            if not ready:
                continue
            outcome = Outcome()
            for alert in ready:
                alert.status, alert.changed_at = AlertStatus.FIRING, now
                outcome.touched[alert.pk] = alert
                outcome.changes[alert.pk] = [EventKind.COUNTED]
            _write(ready, ["status", "changed_at"])
            correlation.correlate(integration, outcome, now=now)
            promoted += len(ready)
    return promoted
