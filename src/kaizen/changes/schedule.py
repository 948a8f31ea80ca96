"""The change schedule: conflicts, freeze/blackout/maintenance windows, the calendar, the CAB agenda.

Two changes conflict when their planned windows overlap and one touches a CI that the other's CIs
depend on, or that depends on them, within :data:`CONFLICT_DEPTH` steps of the CMDB (the same CI
included). The walk uses the in-process graph index (``portfolio.impact``), so a check costs two
short walks and one query for every change planned in the same window, however large the CMDB.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kaizen.portfolio import impact
from kaizen.tickets.choices import Kind, StateCategory
from kaizen.tickets.models import Ticket

from . import policies
from .choices import BoardKind, ChangeType, WindowKind
from .models import Change, ChangeBoard, ChangeWindow

CONFLICT_DEPTH = 2
"""Steps of dependency (either way) within which two changes' CIs count as dependent."""
MAX_WALKED_CIS = 50
LIVE_CATEGORIES = (StateCategory.NEW, StateCategory.OPEN, StateCategory.APPROVAL)
"""Changes that can still be carried out (drafts, assessed, waiting, scheduled, implementing)."""


@dataclass(frozen=True)
class ScheduleWarning:
    """Something the scheduler should know before a change goes ahead in its window."""

    kind: str
    """``conflict``, or a :class:`~kaizen.changes.choices.WindowKind` (``freeze``, ``blackout``,
    ``maintenance`` for a change outside every maintenance window of its services)."""
    message: str
    ref: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    ticket_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "ref": self.ref,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            **({"ticket": self.ticket_id} if self.ticket_id else {}),
        }


def board_for(change_type: str) -> ChangeBoard | None:
    """Return the active board deciding changes of ``change_type`` (none for standard changes)."""
    kind = {ChangeType.NORMAL: BoardKind.CAB, ChangeType.EMERGENCY: BoardKind.ECAB}.get(
        ChangeType(change_type)
    )
    if kind is None:
        return None
    return ChangeBoard.objects.filter(kind=kind, is_active=True).first()


class Reach:
    """The CMDB reach of a set of CIs, walked once per CI however many changes name it."""

    def __init__(self, ci_ids: Iterable[int]) -> None:
        self.cis = sorted(set(ci_ids))
        self._starts: list[impact.NodeKey] = [("ci", pk) for pk in self.cis]

    @cached_property
    def near(self) -> dict[int, set[int]]:
        """CI -> the CIs within :data:`CONFLICT_DEPTH` steps either way (walked when first needed)."""
        up = impact.reached_many(self._starts, direction="up", max_depth=CONFLICT_DEPTH)
        down = impact.reached_many(self._starts, direction="down", max_depth=CONFLICT_DEPTH)
        return {pk: {n for kind, n in up[("ci", pk)] | down[("ci", pk)] if kind == "ci"} for pk in self.cis}

    @cached_property
    def services(self) -> dict[int, set[int]]:
        """CI -> the services that depend on it (walked when first needed)."""
        affected = impact.reached_many(self._starts, direction="up", max_depth=impact.DEFAULT_DEPTH)
        return {pk: {n for kind, n in affected[("ci", pk)] if kind == "service"} for pk in self.cis}

    def near_of(self, ci_ids: Iterable[int]) -> set[int]:
        """CIs within :data:`CONFLICT_DEPTH` steps of ``ci_ids`` either way, themselves included."""
        out: set[int] = set()
        for pk in sorted(set(ci_ids))[:MAX_WALKED_CIS]:
            out |= self.near.get(pk, {pk})
        return out

    def services_of(self, ci_ids: Iterable[int], service_id: int | None) -> set[int]:
        """The services a change touches: its own and those its CIs support."""
        out = {service_id} if service_id else set()
        for pk in sorted(set(ci_ids))[:MAX_WALKED_CIS]:
            out |= self.services.get(pk, set())
        return out


def service_reach(ci_ids: Iterable[int], service_id: int | None) -> set[int]:
    """Return the services a change touches: its own and those its CIs support."""
    ids = sorted(set(ci_ids))[:MAX_WALKED_CIS]
    return Reach(ids).services_of(ids, service_id)


@dataclass(frozen=True)
class Impact:
    """What a change's CIs reach in the CMDB, as far as one user may see it."""

    cis: list[int]
    services: list[Any]
    customers: list[Any]
    hidden: int
    """Services reached that the user may not see."""


def impact_of(ticket: Ticket, actor: Any) -> Impact:
    """Return the services and customers a change's CIs reach (only those ``actor`` may see)."""
    from kaizen.accounts.models import Organisation
    from kaizen.portfolio.models import Service

    ci_ids = list(ticket.cis.values_list("pk", flat=True))
    service_ids = sorted(service_reach(ci_ids, ticket.service_id))
    visible = list(Service.objects.visible_to(actor).filter(pk__in=service_ids).order_by("name"))
    customers = impact.customers_as_of(service_ids, None)
    org_ids = sorted({o for ids in customers.values() for o in ids})
    orgs = list(Organisation.objects.visible_to(actor).filter(pk__in=org_ids).order_by("name"))
    return Impact(ci_ids, visible, orgs, len(service_ids) - len(visible))


@dataclass
class Planned:
    """A change as the scheduler sees it."""

    ticket_id: int
    number: str
    title: str
    start: dt.datetime
    end: dt.datetime
    service_id: int | None
    change_type: str
    state: str = ""
    cis: set[int] = field(default_factory=set)


def _planned(rows: Any) -> list[Planned]:
    out = [
        Planned(
            ticket_id=r["ticket_id"],
            number=r["ticket__number"],
            title=r["ticket__title"],
            start=r["planned_start"],
            end=r["planned_end"],
            service_id=r["ticket__service_id"],
            change_type=r["change_type"],
            state=r["ticket__state__code"],
        )
        for r in rows
    ]
    by_id = {p.ticket_id: p for p in out}
    if by_id:
        through = Ticket.cis.through
        for ticket_id, ci_id in through.objects.filter(ticket_id__in=list(by_id)).values_list(
            "ticket_id", "configurationitem_id"
        ):
            by_id[ticket_id].cis.add(ci_id)
    return out


PLANNED_COLUMNS = (
    "ticket_id",
    "ticket__number",
    "ticket__title",
    "planned_start",
    "planned_end",
    "ticket__service_id",
    "change_type",
    "ticket__state__code",
)


def planned_between(
    start: dt.datetime, end: dt.datetime, *, base: Any = None, on_cis: Iterable[int] | None = None
) -> list[Planned]:
    """Return the live changes whose planned window overlaps [start, end), with their CIs.

    ``on_cis``: only changes that name at least one of these CIs (the candidates of a conflict).
    """
    rows = (base if base is not None else Change.objects.all()).filter(
        planned_start__lt=end, planned_end__gt=start, ticket__state_category__in=LIVE_CATEGORIES
    )
    if on_cis is not None:
        ids = sorted(set(on_cis))
        if not ids:
            return []
        through = Ticket.cis.through.objects.filter(configurationitem_id__in=ids).values("ticket_id")
        rows = rows.filter(ticket_id__in=through)
    return _planned(rows.values(*PLANNED_COLUMNS).order_by("planned_start", "ticket_id"))


def windows_between(start: dt.datetime, end: dt.datetime) -> list[tuple[ChangeWindow, set[int]]]:
    """Return the active windows overlapping [start, end) with their service ids (empty: all)."""
    windows = list(ChangeWindow.objects.filter(is_active=True, starts_at__lt=end, ends_at__gt=start))
    services: dict[int, set[int]] = defaultdict(set)
    if windows:
        through = ChangeWindow.services.through
        for window_id, service_id in through.objects.filter(
            changewindow_id__in=[w.pk for w in windows]
        ).values_list("changewindow_id", "service_id"):
            services[window_id].add(service_id)
    return [(w, services.get(w.pk, set())) for w in windows]


def _when(value: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


Conflict = tuple[Planned, bool]
"""Another change overlapping in time on a CI near this one, and whether it names one of this one's CIs."""

CONFLICTS_SQL = """
WITH me AS (
    SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) AS m(me, starts, ends)
), near AS (
    SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::boolean[]) AS n(me, ci, own)
)
SELECT me.me, o.ticket_id, t.number, t.title, o.planned_start, o.planned_end, t.service_id,
       o.change_type, s.code, bool_or(near.own)
  FROM near
  JOIN me ON me.me = near.me
  JOIN tickets_ticket_cis tc ON tc.configurationitem_id = near.ci
  JOIN changes_change o
    ON o.ticket_id = tc.ticket_id AND o.planned_start < me.ends AND o.planned_end > me.starts
  JOIN tickets_ticket t ON t.id = o.ticket_id
  JOIN tickets_workflowstate s ON s.id = t.state_id
 WHERE o.ticket_id <> me.me AND t.state_category = ANY(%s)
 GROUP BY me.me, o.ticket_id, t.number, t.title, o.planned_start, o.planned_end, t.service_id,
          o.change_type, s.code
"""


def _array(values: Iterable[Any]) -> str:
    """Return a PostgreSQL array literal of numbers, booleans or ISO times (cast in the query).

    Much cheaper than adapting a long Python list element by element.
    """
    return (
        "{" + ",".join(v.isoformat() if isinstance(v, dt.datetime) else str(v).lower() for v in values) + "}"
    )


def conflicts(changes: Sequence[Planned], walked: Reach) -> dict[int, list[Conflict]]:
    """Return, per change, the live changes overlapping its window on a CI near its CIs.

    On PostgreSQL one set-based query joins every (change, nearby CI, window) with the changes on
    that CI; elsewhere the candidates are read with one query and compared in Python.
    """
    out: dict[int, list[Conflict]] = {c.ticket_id: [] for c in changes}
    pairs = [(c, ci) for c in changes for ci in sorted(walked.near_of(c.cis))]
    if not pairs:
        return out
    if connection.vendor == "postgresql":
        params: list[Any] = [
            _array(c.ticket_id for c in changes),
            _array(c.start for c in changes),
            _array(c.end for c in changes),
            _array(c.ticket_id for c, _ci in pairs),
            _array(ci for _c, ci in pairs),
            _array(ci in c.cis for c, ci in pairs),
            list(LIVE_CATEGORIES),
        ]
        with connection.cursor() as cursor:
            cursor.execute(CONFLICTS_SQL, params)
            rows = cursor.fetchall()
        for me, pk, number, title, start, end, service, kind, state, same in rows:
            out[me].append((Planned(pk, number, title, start, end, service, kind, state), bool(same)))
    else:
        start, end = min(c.start for c in changes), max(c.end for c in changes)
        candidates = planned_between(start, end, on_cis={ci for _c, ci in pairs})
        by_ci: dict[int, list[Planned]] = defaultdict(list)
        for row in candidates:
            for ci in row.cis:
                by_ci[ci].append(row)
        for change in changes:
            seen: dict[int, Planned] = {}
            for ci in walked.near_of(change.cis):
                for other in by_ci.get(ci, ()):
                    if other.ticket_id != change.ticket_id and policies.overlaps(
                        change.start, change.end, other.start, other.end
                    ):
                        seen[other.ticket_id] = other
            out[change.ticket_id] = [(o, bool(change.cis & o.cis)) for o in seen.values()]
    for found in out.values():
        found.sort(key=lambda pair: (pair[0].start, pair[0].ticket_id))
    return out


def _check(
    change: Planned,
    found: Sequence[Conflict],
    windows: Sequence[tuple[ChangeWindow, set[int]]],
    maintenance: Sequence[tuple[ChangeWindow, set[int]]],
    walked: Reach,
) -> list[ScheduleWarning]:
    out: list[ScheduleWarning] = []
    for other, same in found:
        message = (
            _("%(number)s changes the same CI in an overlapping window (%(start)s – %(end)s).")
            if same
            else _("%(number)s changes a dependent CI in an overlapping window (%(start)s – %(end)s).")
        ) % {"number": other.number, "start": _when(other.start), "end": _when(other.end)}
        out.append(
            ScheduleWarning("conflict", message, other.number, other.start, other.end, other.ticket_id)
        )
    services = walked.services_of(change.cis, change.service_id)
    for window, scope in windows:
        if window.kind == WindowKind.MAINTENANCE:
            continue
        if not policies.overlaps(change.start, change.end, window.starts_at, window.ends_at):
            continue
        if scope and not (scope & services):
            continue
        template = (
            _("Blackout window %(name)s (%(start)s – %(end)s): no changes at all.")
            if window.kind == WindowKind.BLACKOUT
            else _("Freeze window %(name)s (%(start)s – %(end)s).")
        )
        message = template % {
            "name": window.label(),
            "start": _when(window.starts_at),
            "end": _when(window.ends_at),
        }
        if window.reason:
            message = f"{message} {window.reason[:200]}"
        out.append(ScheduleWarning(window.kind, message, window.label(), window.starts_at, window.ends_at))
    relevant = [(w, s) for w, s in maintenance if not s or s & services]
    if relevant and not any(w.starts_at <= change.start and change.end <= w.ends_at for w, _s in relevant):
        first = min(relevant, key=lambda pair: abs((pair[0].starts_at - change.start).total_seconds()))[0]
        out.append(
            ScheduleWarning(
                WindowKind.MAINTENANCE,
                _("Outside the maintenance windows of its services (nearest: %(name)s, %(start)s – %(end)s).")
                % {"name": first.label(), "start": _when(first.starts_at), "end": _when(first.ends_at)},
                first.label(),
                first.starts_at,
                first.ends_at,
            )
        )
    return out


MAINTENANCE_HORIZON = dt.timedelta(days=14)


def _maintenance_near(start: dt.datetime, end: dt.datetime) -> list[tuple[ChangeWindow, set[int]]]:
    return [
        pair
        for pair in windows_between(start - MAINTENANCE_HORIZON, end + MAINTENANCE_HORIZON)
        if pair[0].kind == WindowKind.MAINTENANCE
    ]


def warnings_for(change: Change) -> list[ScheduleWarning]:
    """Return the conflicts and window warnings of one change's planned window."""
    if change.planned_start is None or change.planned_end is None:
        return []
    ticket = change.ticket
    me = Planned(
        ticket_id=ticket.pk,
        number=ticket.number,
        title=ticket.title,
        start=change.planned_start,
        end=change.planned_end,
        service_id=ticket.service_id,
        change_type=change.change_type,
        cis=set(
            Ticket.cis.through.objects.filter(ticket_id=ticket.pk).values_list(
                "configurationitem_id", flat=True
            )
        ),
    )
    walked = Reach(me.cis)
    found = conflicts([me], walked)[me.ticket_id]
    windows = [p for p in windows_between(me.start, me.end) if p[0].kind != WindowKind.MAINTENANCE]
    return _check(me, found, windows, _maintenance_near(me.start, me.end), walked)


def warnings_many(
    changes: Sequence[Planned], walked: Reach | None = None
) -> dict[int, list[ScheduleWarning]]:
    """Return the warnings of many changes with one query per kind of data (the CAB agenda)."""
    dated = [c for c in changes if c.start and c.end]
    if not dated:
        return {}
    start, end = min(c.start for c in dated), max(c.end for c in dated)
    if walked is None:
        walked = Reach(ci for c in dated for ci in c.cis)
    found = conflicts(dated, walked)
    windows = windows_between(start, end)
    plain = [p for p in windows if p[0].kind != WindowKind.MAINTENANCE]
    maintenance = _maintenance_near(start, end)
    return {c.ticket_id: _check(c, found[c.ticket_id], plain, maintenance, walked) for c in dated}


# -- reads for pages and the API ------------------------------------------------------------------


def visible_changes(actor: Any) -> Any:
    """Return the change records of the change tickets ``actor`` may see."""
    tickets = Ticket.objects.visible_to(actor).filter(kind=Kind.CHANGE)
    return Change.objects.filter(ticket__in=tickets)


def calendar(actor: Any, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Return the changes and windows of [start, end) for the change calendar."""
    if end <= start:
        raise ValueError("end before start")
    changes = planned_between(start, end, base=visible_changes(actor))
    return {"changes": changes, "windows": [w for w, _s in windows_between(start, end)]}


AGENDA_FIELDS = (
    "ticket_id",
    "change_type",
    "risk_level",
    "risk_score",
    "planned_start",
    "planned_end",
    "reason",
    "schedule_warnings",
    "override_reason",
    "template_id",
    "ticket__number",
    "ticket__title",
    "ticket__kind",
    "ticket__organisation_id",
    "ticket__service_id",
    "ticket__requester",
    "ticket__organisation",
    "ticket__impact",
    "ticket__priority",
    "ticket__state_category",
    "ticket__state_changed_at",
    "ticket__version",
    "ticket__state__code",
    "ticket__state__name",
    "ticket__state__name_en",
    "ticket__state__category",
)
"""What the agenda shows of each change (a CAB agenda lists hundreds of them)."""


@dataclass
class AgendaItem:
    """A change for the CAB to decide or to know about, with what it needs to decide."""

    change: Change
    warnings: list[ScheduleWarning]
    services: list[str]
    customers: list[str]
    approvals: list[Any]


def redact(found: Sequence[ScheduleWarning], actor: Any) -> list[ScheduleWarning]:
    """Hide the number and title of conflicting changes ``actor`` may not see (another organisation's)."""
    ids = {w.ticket_id for w in found if w.ticket_id}
    if not ids:
        return list(found)
    seen = set(Ticket.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    out = []
    for w in found:
        if w.ticket_id and w.ticket_id not in seen:
            message = _(
                "A change you may not see touches a nearby CI in an overlapping window (%(start)s – %(end)s)."
            ) % {
                "start": _when(w.starts_at),
                "end": _when(w.ends_at),
            }
            w = ScheduleWarning(w.kind, message, "—", w.starts_at, w.ends_at, None)
        out.append(w)
    return out


def recorded_warnings(change: Change) -> list[ScheduleWarning]:
    """Return the warnings stored on a change when it was submitted or scheduled."""
    out = []
    for row in change.schedule_warnings or []:
        try:
            out.append(
                ScheduleWarning(
                    str(row["kind"]),
                    str(row["message"]),
                    str(row["ref"]),
                    dt.datetime.fromisoformat(row["starts_at"]),
                    dt.datetime.fromisoformat(row["ends_at"]),
                    row.get("ticket"),
                )
            )
        except (KeyError, TypeError, ValueError):  # written by an older version: skip it
            continue
    return out


def agenda(actor: Any, day: dt.date, *, ahead_days: int = 7) -> dict[str, list[AgendaItem]]:
    """Return the CAB agenda of ``day``: the normal changes waiting for approval and those scheduled soon.

    ``decide``: every normal change waiting for the CAB (oldest first), with its conflicts and
    windows checked now; ``upcoming``: changes scheduled to start within ``ahead_days`` of ``day``,
    with the warnings recorded when they were submitted or scheduled (and the reason given).
    """
    from kaizen.accounts.models import Organisation
    from kaizen.portfolio.models import Service

    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    soon = start + dt.timedelta(days=ahead_days)
    base = (
        visible_changes(actor)
        .select_related("ticket", "ticket__state", "ticket__requester", "ticket__organisation")
        .only(*AGENDA_FIELDS)
    )
    waiting = list(
        base.filter(ticket__state_category=StateCategory.APPROVAL, change_type=ChangeType.NORMAL).order_by(
            "ticket__state_changed_at", "ticket_id"
        )[:500]
    )
    upcoming = list(
        base.filter(
            Q(planned_start__gte=start, planned_start__lt=soon),
            ticket__state_category=StateCategory.OPEN,
            ticket__state__code__in=["scheduled", "implementing"],
        ).order_by("planned_start", "ticket_id")[:500]
    )
    every = waiting + upcoming
    planned = _planned(
        [
            {
                "ticket_id": c.ticket_id,
                "ticket__number": c.ticket.number,
                "ticket__title": c.ticket.title,
                "planned_start": c.planned_start,
                "planned_end": c.planned_end,
                "ticket__service_id": c.ticket.service_id,
                "change_type": c.change_type,
                "ticket__state__code": c.ticket.state.code,
            }
            for c in every
        ]
    )
    walked = Reach(ci for p in planned for ci in p.cis)
    deciding = {c.ticket_id for c in waiting}
    warnings = warnings_many([p for p in planned if p.start and p.end and p.ticket_id in deciding], walked)
    for change in upcoming:
        warnings[change.ticket_id] = recorded_warnings(change)
    cis = {p.ticket_id: p.cis for p in planned}
    reached = {
        c.ticket_id: walked.services_of(cis.get(c.ticket_id, set()), c.ticket.service_id) for c in every
    }
    all_services = sorted({s for ids in reached.values() for s in ids})
    names = {s.pk: str(s) for s in Service.objects.visible_to(actor).filter(pk__in=all_services)}
    customers = impact.customers_as_of(all_services, None)
    org_names = dict(
        Organisation.objects.visible_to(actor)
        .filter(pk__in={o for ids in customers.values() for o in ids})
        .values_list("pk", "name")
    )
    for change_id, found in warnings.items():
        warnings[change_id] = redact(found, actor)
    from kaizen.approvals.models import Approval

    approvals: dict[int, list[Any]] = defaultdict(list)
    for row in (
        Approval.objects.filter(ticket_id__in=[c.ticket_id for c in waiting], round__outcome="open")
        .select_related("approver")
        .order_by("order", "id")
    ):
        approvals[row.ticket_id].append(row)

    def item(change: Change) -> AgendaItem:
        ids = reached[change.ticket_id]
        orgs = sorted({org_names[o] for s in ids for o in customers.get(s, []) if o in org_names})
        return AgendaItem(
            change=change,
            warnings=warnings.get(change.ticket_id, []),
            services=sorted(names[s] for s in ids if s in names),
            customers=orgs,
            approvals=approvals.get(change.ticket_id, []),
        )

    return {"decide": [item(c) for c in waiting], "upcoming": [item(c) for c in upcoming]}
