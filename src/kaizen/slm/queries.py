"""Reads of service level management: agreements, calendars as timelines, and tickets' clocks in batch.

:func:`ticket_clocks` computes the clocks of many tickets with a fixed number of queries (tickets,
their current agreements, their state history, the desk's last public replies, the calendars'
revisions), whatever the number of tickets: the periodic check runs it over every open ticket.
Callers pass ticket ids they may see (views start from ``Ticket.objects.visible_to``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import F, Max, Model, Q, QuerySet

from kaizen.core import memo
from kaizen.core.lib.business_time import Schedule, Timeline, zone
from kaizen.tickets.choices import Visibility
from kaizen.tickets.models import Comment, StateLog, Ticket, WorkflowState

from . import calendars, clocks
from .choices import AgreementKind, ClockState, Metric
from .models import Agreement, BusinessCalendar, CalendarRevision, ServiceTier, TicketAgreement

M = TypeVar("M", bound=Model)

_schedules: dict[int, Schedule] = {}
"""Schedules by revision id: revisions never change, so this cache is never stale."""


@dataclass(frozen=True)
class TicketClock:
    """One clock of one ticket under one agreement."""

    kind: str
    agreement_id: int
    agreement_name: str
    clock: clocks.Clock
    zone: zoneinfo.ZoneInfo
    warn_at: tuple[int, ...]

    @property
    def level(self) -> int:
        """The highest warning threshold reached (100: breached)."""
        return self.clock.level(self.warn_at)

    @property
    def metric_label(self) -> str:
        """The translated name of the clock (response, resolution, update interval)."""
        return str(Metric(self.clock.metric).label)

    @property
    def state_label(self) -> str:
        """The translated state of the clock (running, paused, met, breached, cancelled)."""
        return str(ClockState(self.clock.state).label)


@dataclass(frozen=True)
class Config:
    """Agreements (with tiers and pause states) and workflow state flags, as of ``stamp``."""

    stamp: tuple[Any, ...]
    agreements: dict[int, Agreement]
    active: list[Agreement]
    states: dict[int, tuple[bool, bool, str]]


_config: Config | None = None


def _stamp() -> tuple[Any, ...]:
    tables = [Agreement._meta.db_table, ServiceTier._meta.db_table, WorkflowState._meta.db_table]
    parts = ", ".join(
        f"(SELECT COUNT(*) FROM {t}), (SELECT MAX(id) FROM {t}), (SELECT MAX(updated_at) FROM {t})"  # noqa: S608
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {parts}")
        row = cursor.fetchone()
    return tuple(row or ())


def config() -> Config:
    """Return the service level configuration, reloaded when any agreement, tier or state changed.

    One small query checks the counts and latest changes of the three tables on every call, so
    every worker process sees a change at its next ticket write.
    """
    global _config
    stamp = memo.remembered("slm.config-stamp", _stamp)
    if _config is None or _config.stamp != stamp:
        rows = list(
            Agreement.objects.select_related("tier")
            .prefetch_related("pause_states", "supplier_states")
            .order_by("order", "pk")
        )
        _config = Config(stamp, {a.pk: a for a in rows}, [a for a in rows if a.is_active], state_flags())
    return _config


def reset() -> None:
    """Forget the cached configuration (tests that reuse ids and frozen times call it)."""
    global _config
    _config = None


def active_agreements() -> list[Agreement]:
    """Return the active agreements with what matching and clocks need."""
    return config().active


def timelines(calendar_ids: Iterable[int]) -> dict[int, tuple[Timeline, zoneinfo.ZoneInfo]]:
    """Return each calendar's revisions as a timeline, with the time zone of its latest revision."""
    rows = list(
        CalendarRevision.objects.filter(calendar_id__in=set(calendar_ids))
        .order_by("calendar_id", "valid_from", "pk")
        .values_list("pk", "calendar_id", "valid_from")
    )
    missing = [pk for pk, _c, _v in rows if pk not in _schedules]
    if missing:
        for pk, definition in CalendarRevision.objects.filter(pk__in=missing).values_list("pk", "definition"):
            _schedules[pk] = calendars.schedule(definition)
    pieces: dict[int, list[tuple[dt.datetime | None, Schedule]]] = defaultdict(list)
    for pk, calendar_id, valid_from in rows:
        pieces[calendar_id].append((valid_from if pieces[calendar_id] else None, _schedules[pk]))
    return {cid: (Timeline(p), p[-1][1].zone) for cid, p in pieces.items()}


def timeline(calendar_id: int) -> tuple[Timeline, zoneinfo.ZoneInfo]:
    """Return one calendar's timeline and zone.

    Raises:
        BusinessCalendar.DoesNotExist: no such calendar (or it has no revision).
    """
    found = timelines([calendar_id]).get(calendar_id)
    if found is None:
        raise BusinessCalendar.DoesNotExist
    return found


def _minutes(value: int | None) -> dt.timedelta | None:
    return dt.timedelta(minutes=value) if value else None


def terms_for(agreement: Agreement, priority: int, states: dict[int, tuple[bool, bool, str]]) -> clocks.Terms:
    """Return what ``agreement`` asks at ``priority`` (``states``: id -> responds, pauses, code)."""
    pauses = frozenset(s.pk for s in agreement.pause_states.all()) or frozenset(
        pk for pk, (_r, pausing, _c) in states.items() if pausing
    )
    supplier = frozenset(s.pk for s in agreement.supplier_states.all()) or frozenset(
        pk for pk, (_r, _p, code) in states.items() if code == "pending_supplier"
    )
    scope = {AgreementKind.OLA: clocks.SCOPE_TEAM, AgreementKind.UC: clocks.SCOPE_SUPPLIER}.get(
        AgreementKind(agreement.kind), clocks.SCOPE_TICKET
    )
    return clocks.Terms(
        response=_minutes(agreement.target(priority, "response")),
        resolution=_minutes(agreement.target(priority, "resolution")),
        update=_minutes(agreement.target(priority, "update")),
        pause_states=pauses,
        responding_states=frozenset(pk for pk, (responds, _p, _c) in states.items() if responds),
        scope=scope,
        team_id=agreement.team_id,
        supplier_states=supplier,
        warn_at=tuple(agreement.warn_at or (75, 90)),
    )


def state_flags() -> dict[int, tuple[bool, bool, str]]:
    """Return workflow state id -> (counts as the response, pauses clocks, code)."""
    return {
        pk: (responds, pauses, code)
        for pk, responds, pauses, code in WorkflowState.objects.values_list(
            "pk", "responds", "pauses_clock", "code"
        )
    }


def _among(qs: QuerySet[M], column: str, ids: Sequence[int]) -> QuerySet[M]:
    """Filter ``column`` to ``ids``: one array parameter on PostgreSQL instead of one per id."""
    if connection.vendor == "postgresql":
        table = qs.model._meta.db_table
        return qs.extra(where=[f'"{table}"."{column}" = ANY(%s)'], params=[list(ids)])  # noqa: S610 - names from the model
    return qs.filter(**{f"{column}__in": list(ids)})


def _held(ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """(ticket, current agreement, priority, first response) of ``ids`` (first response in microseconds
    since the epoch on PostgreSQL)."""
    if connection.vendor == "postgresql":
        held, tickets = TicketAgreement._meta.db_table, Ticket._meta.db_table
        sql = (
            "SELECT ta.ticket_id, ta.agreement_id, t.priority, "  # noqa: S608 - model tables
            "(EXTRACT(EPOCH FROM t.first_response_at) * 1000000)::bigint "
            f"FROM {held} ta JOIN {tickets} t ON t.id = ta.ticket_id "
            "WHERE ta.until IS NULL AND ta.ticket_id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(ids)])
            return list(cursor.fetchall())
    return list(
        TicketAgreement.objects.filter(until__isnull=True, ticket_id__in=list(ids)).values_list(
            "ticket_id", "agreement_id", "ticket__priority", "ticket__first_response_at"
        )
    )


def _history_rows(ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The state history rows of ``ids`` in order, with one array parameter on PostgreSQL.

    Thousands of ``IN (%s, ...)`` placeholders cost more to send and parse than the rows
    themselves; the open-ticket check reads every open ticket's history at once.
    """
    table = StateLog._meta.db_table
    columns = "ticket_id, at, state_id, category, priority, team_id, assignee_id"
    if connection.vendor == "postgresql":
        # Microseconds since the epoch: parsing 40,000 timestamps took longer than the clocks.
        columns = columns.replace(" at,", " (EXTRACT(EPOCH FROM at) * 1000000)::bigint,")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE ticket_id = ANY(%s) ORDER BY ticket_id, at, id",  # noqa: S608
                [list(ids)],
            )
            return list(cursor.fetchall())
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 900):
        rows += list(
            StateLog.objects.filter(ticket_id__in=ids[start : start + 900])
            .order_by("ticket_id", "at", "pk")
            .values_list("ticket_id", "at", "state_id", "category", "priority", "team_id", "assignee_id")
        )
    return rows


def ticket_clocks(ticket_ids: Sequence[int], *, now: dt.datetime) -> dict[int, list[TicketClock]]:
    """Return the clocks of each ticket under its current agreements at ``now``."""
    if not ticket_ids:
        return {}
    held = _held(ticket_ids)
    if not held:
        return {}
    ids = sorted({row[0] for row in held})
    settings_ = config()
    agreements = {row[1]: settings_.agreements[row[1]] for row in held}
    history: dict[int, list[clocks.Entry]] = defaultdict(list)
    for tid, at, state_id, category, priority, team_id, assignee_id in _history_rows(ids):
        history[tid].append(clocks.Entry(at, state_id, category, priority, team_id, assignee_id))
    updates: dict[int, dt.datetime] = {}
    if any(a.target(p, "update") for a in agreements.values() for p in (1, 2, 3, 4)):
        updates = dict(
            _among(Comment.objects.filter(visibility=Visibility.PUBLIC), "ticket_id", ids)
            .exclude(Q(author__isnull=True) | Q(author_id=F("ticket__requester_id")))
            .values("ticket_id")
            .annotate(last=Max("created_at"))
            .values_list("ticket_id", "last")
        )
    calendars_ = timelines({a.calendar_id for a in agreements.values()})
    states = settings_.states
    terms_cache: dict[tuple[int, int], clocks.Terms] = {}
    labels = {aid: a.label() for aid, a in agreements.items()}
    out: dict[int, list[TicketClock]] = defaultdict(list)
    for tid, aid, priority, first_response_at in held:
        agreement = agreements[aid]
        timeline_, tz = calendars_[agreement.calendar_id]
        terms = terms_cache.get((aid, priority))
        if terms is None:
            terms = terms_cache[aid, priority] = terms_for(agreement, priority, states)
        for clock in clocks.compute(
            history.get(tid, []),
            terms=terms,
            calendar=timeline_,
            now=now,
            first_response_at=first_response_at,
            last_update_at=updates.get(tid),
        ):
            out[tid].append(TicketClock(agreement.kind, aid, labels[aid], clock, tz, terms.warn_at))
    return out


def default_zone() -> zoneinfo.ZoneInfo:
    """Return the zone of the default calendar (Asia/Tokyo when there is none)."""
    found = BusinessCalendar.objects.filter(is_default=True).values_list("definition", flat=True).first()
    return zone((found or {}).get("time_zone", "Asia/Tokyo"))
