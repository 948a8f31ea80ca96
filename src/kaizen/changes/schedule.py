"""The change schedule: conflicts, freeze/blackout/maintenance windows, the calendar, the CAB agenda.

Two changes conflict when their planned windows overlap and one touches a CI that the other's CIs
depend on, or that depends on them, within :data:`CONFLICT_DEPTH` steps of the CMDB (the same CI
included). The walk uses the in-process graph index (``portfolio.impact``), so a check costs two
short walks and one query for every change planned in the same window, however large the CMDB.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaizen.approvals.choices import ApprovalState, RoundOutcome
from kaizen.portfolio import impact
from kaizen.tickets.choices import Impact as TicketImpact
from kaizen.tickets.choices import Kind, StateCategory
from kaizen.tickets.models import Ticket, WorkflowState

from . import policies
from .choices import BoardKind, ChangeType, RiskLevel, WindowKind
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


CIS_SQL = "SELECT ticket_id, configurationitem_id FROM tickets_ticket_cis WHERE ticket_id = ANY(%s::bigint[])"


def cis_of(tickets: Any) -> dict[int, set[int]]:
    """Return ticket id -> its CI ids (one query), for a list of ticket ids or a query of them.

    Pass a query for thousands of tickets (the calendar): the database finds them itself instead of
    receiving a long list. On PostgreSQL a list goes as one array parameter, much cheaper to send
    than hundreds of placeholders (see :func:`_array`).
    """
    out: dict[int, set[int]] = defaultdict(set)
    if isinstance(tickets, list) and connection.vendor == "postgresql":
        if tickets:
            with connection.cursor() as cursor:
                cursor.execute(CIS_SQL, [_array(tickets)])
                rows: Iterable[tuple[int, int]] = cursor.fetchall()
        else:
            rows = []
    else:
        query = Ticket.cis.through.objects.filter(ticket_id__in=tickets).order_by()
        rows = query.values_list("ticket_id", "configurationitem_id")
    for ticket_id, ci_id in rows:
        out[ticket_id].add(ci_id)
    return out


def _planned(rows: Any, tickets: Any) -> list[Planned]:
    """Read changes as the scheduler sees them, with their CIs (``tickets``: the same changes' ids)."""
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
    if out:
        cis = cis_of(tickets)
        for p in out:
            p.cis = cis.get(p.ticket_id, set())
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
    return _planned(
        rows.values(*PLANNED_COLUMNS).order_by("planned_start", "ticket_id"), rows.values("ticket_id")
    )


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
    """Return ``value`` in the current time zone as ``Y-m-d H:i`` (built directly: an agenda formats
    hundreds of times and the date filter's machinery is the slow part)."""
    t = timezone.localtime(value)
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}"


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


Windows = list[tuple[ChangeWindow, set[int]]]


def _windows_near(start: dt.datetime, end: dt.datetime) -> tuple[Windows, Windows]:
    """Return the freeze and blackout windows overlapping [start, end), and the maintenance windows
    within :data:`MAINTENANCE_HORIZON` of it (one read for both)."""
    plain: Windows = []
    maintenance: Windows = []
    for pair in windows_between(start - MAINTENANCE_HORIZON, end + MAINTENANCE_HORIZON):
        window = pair[0]
        if window.kind == WindowKind.MAINTENANCE:
            maintenance.append(pair)
        elif window.starts_at < end and window.ends_at > start:
            plain.append(pair)
    return plain, maintenance


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
    return _check(me, found, *_windows_near(me.start, me.end), walked)


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
    plain, maintenance = _windows_near(start, end)
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


AGENDA_LIMIT = 500
"""At most this many changes in each part of the agenda."""
UPCOMING_STATES = ("scheduled", "implementing")
AGENDA_COLUMNS = (
    "ticket_id",
    "change_type",
    "risk_level",
    "risk_score",
    "planned_start",
    "planned_end",
    "reason",
    "override_reason",
    "ticket__number",
    "ticket__title",
    "ticket__service_id",
    "ticket__impact",
    "ticket__state_category",
    "ticket__state__code",
    "ticket__state__name",
    "ticket__state__name_en",
    "ticket__organisation__name",
    "ticket__requester__name",
)
"""What the agenda shows of each change, read as plain values in one query (it lists hundreds)."""
APPROVAL_COLUMNS = (
    "pk",
    "ticket_id",
    "approver_id",
    "approver__username",
    "approver__first_name",
    "approver__last_name",
    "on_behalf_of_id",
    "on_behalf_of__username",
    "on_behalf_of__first_name",
    "on_behalf_of__last_name",
    "state",
    "decided_at",
    "comment",
)


def _display(choices: Any, value: Any) -> str:
    """Return the label of ``value`` as ``get_FOO_display`` does (the value itself when unknown)."""
    return str(dict(choices.choices).get(value, value))


@dataclass(frozen=True)
class Login:
    """What the agenda shows of a login (an approver, or whom a delegate stands in for).

    It answers ``get_full_name``, ``get_username`` and ``str`` like the user model, so the shared
    approvals template shows it the same way.
    """

    pk: int
    username: str
    first_name: str = ""
    last_name: str = ""

    def get_username(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def __str__(self) -> str:
        return self.username


@dataclass(frozen=True)
class AgendaApproval:
    """One approver's decision in the open round of a change the CAB decides."""

    pk: int
    ticket_id: int
    approver_id: int
    approver: Login
    on_behalf_of: Login | None
    state: str
    decided_at: dt.datetime | None
    comment: str

    def get_state_display(self) -> str:
        return _display(ApprovalState, self.state)


@dataclass
class AgendaItem:
    """A change for the CAB to decide or to know about, with what it needs to decide.

    Plain values rather than model objects: an agenda lists hundreds of changes. It answers the
    names the shared change templates read (``change_type``, ``risk_level``, ``planned_start``,
    ``get_change_type_display``, ...), so they show it like a change.
    """

    ticket_id: int
    number: str
    title: str
    state: str
    """The state's code."""
    state_name: str
    state_name_en: str
    state_category: str
    organisation: str
    requester: str
    """The requester's name, empty when there is none."""
    service_id: int | None
    impact: int
    change_type: str
    risk_level: str
    risk_score: int | None
    planned_start: dt.datetime | None
    planned_end: dt.datetime | None
    reason: str
    override_reason: str
    warnings: list[ScheduleWarning] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    approvals: list[AgendaApproval] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        """The state's name in the active language (as ``WorkflowState.label``)."""
        if (translation.get_language() or "ja").startswith("en") and self.state_name_en:
            return self.state_name_en
        return self.state_name

    def get_change_type_display(self) -> str:
        return _display(ChangeType, self.change_type)

    def get_risk_level_display(self) -> str:
        return _display(RiskLevel, self.risk_level)

    def get_impact_display(self) -> str:
        return _display(TicketImpact, self.impact)


def _redacted(warning: ScheduleWarning) -> ScheduleWarning:
    message = _(
        "A change you may not see touches a nearby CI in an overlapping window (%(start)s – %(end)s)."
    ) % {"start": _when(warning.starts_at), "end": _when(warning.ends_at)}
    return ScheduleWarning(warning.kind, message, "—", warning.starts_at, warning.ends_at, None)


def redact_many(
    found: Mapping[int, Sequence[ScheduleWarning]], actor: Any
) -> dict[int, list[ScheduleWarning]]:
    """Redact the warnings of many changes with one query (see :func:`redact`)."""
    ids = sorted({w.ticket_id for warnings in found.values() for w in warnings if w.ticket_id})
    seen: set[int] = set()
    if ids:
        visible = Ticket.objects.visible_to(actor).filter(pk__in=ids).order_by()
        seen = set(visible.values_list("pk", flat=True))
    return {
        key: [_redacted(w) if w.ticket_id and w.ticket_id not in seen else w for w in warnings]
        for key, warnings in found.items()
    }


def redact(found: Sequence[ScheduleWarning], actor: Any) -> list[ScheduleWarning]:
    """Hide the number and title of conflicting changes ``actor`` may not see (another organisation's)."""
    return redact_many({0: found}, actor)[0]


def recorded_warnings(rows: Any) -> list[ScheduleWarning]:
    """Return the warnings stored on a change when it was submitted or scheduled (``schedule_warnings``)."""
    out = []
    for row in rows or []:
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


def _agenda_items(rows: Any, *, recorded: bool = False) -> list[AgendaItem]:
    """Read agenda items from a query of changes (``recorded``: with their stored warnings)."""
    columns = (*AGENDA_COLUMNS, "schedule_warnings") if recorded else AGENDA_COLUMNS
    return [
        AgendaItem(
            ticket_id=r["ticket_id"],
            number=r["ticket__number"],
            title=r["ticket__title"],
            state=r["ticket__state__code"],
            state_name=r["ticket__state__name"],
            state_name_en=r["ticket__state__name_en"],
            state_category=r["ticket__state_category"],
            organisation=r["ticket__organisation__name"],
            requester=r["ticket__requester__name"] or "",
            service_id=r["ticket__service_id"],
            impact=r["ticket__impact"],
            change_type=r["change_type"],
            risk_level=r["risk_level"],
            risk_score=r["risk_score"],
            planned_start=r["planned_start"],
            planned_end=r["planned_end"],
            reason=r["reason"],
            override_reason=r["override_reason"],
            warnings=recorded_warnings(r["schedule_warnings"]) if recorded else [],
        )
        for r in rows.values(*columns)[:AGENDA_LIMIT]
    ]


def _open_approvals(ticket_ids: list[int]) -> dict[int, list[AgendaApproval]]:
    """Return ticket id -> the approvals of its open round, in order (one query)."""
    from kaizen.approvals.models import Approval

    out: dict[int, list[AgendaApproval]] = defaultdict(list)
    if not ticket_ids:
        return out
    rows = Approval.objects.filter(ticket_id__in=ticket_ids, round__outcome=RoundOutcome.OPEN)
    for r in rows.order_by("order", "id").values(*APPROVAL_COLUMNS):
        deputy = r["on_behalf_of_id"]
        out[r["ticket_id"]].append(
            AgendaApproval(
                pk=r["pk"],
                ticket_id=r["ticket_id"],
                approver_id=r["approver_id"],
                approver=Login(
                    r["approver_id"],
                    r["approver__username"],
                    r["approver__first_name"],
                    r["approver__last_name"],
                ),
                on_behalf_of=Login(
                    deputy,
                    r["on_behalf_of__username"],
                    r["on_behalf_of__first_name"],
                    r["on_behalf_of__last_name"],
                )
                if deputy
                else None,
                state=r["state"],
                decided_at=r["decided_at"],
                comment=r["comment"],
            )
        )
    return out


def _name_reach(items: Sequence[AgendaItem], reached: Mapping[int, set[int]], actor: Any) -> None:
    """Fill each item's services and customers from the services it reaches (the names ``actor`` may
    see), with three queries."""
    from kaizen.accounts.models import Organisation
    from kaizen.portfolio.models import Service

    every = sorted({s for ids in reached.values() for s in ids})
    names = dict(Service.objects.visible_to(actor).filter(pk__in=every).order_by().values_list("pk", "name"))
    customers = impact.customers_as_of(every, None)
    org_ids = sorted({o for ids in customers.values() for o in ids})
    org_names = dict(
        Organisation.objects.visible_to(actor).filter(pk__in=org_ids).order_by().values_list("pk", "name")
    )
    for item in items:
        ids = reached[item.ticket_id]
        item.services = sorted(names[s] for s in ids if s in names)
        item.customers = sorted({org_names[o] for s in ids for o in customers.get(s, []) if o in org_names})


def agenda(actor: Any, day: dt.date, *, ahead_days: int = 7) -> dict[str, list[AgendaItem]]:
    """Return the CAB agenda of ``day``: the normal changes waiting for approval and those scheduled soon.

    ``decide``: every normal change waiting for the CAB (oldest first), with its conflicts and
    windows checked now; ``upcoming``: changes scheduled to start within ``ahead_days`` of ``day``,
    with the warnings recorded when they were submitted or scheduled (and the reason given).
    Conflicts with changes ``actor`` may not see are redacted (:func:`redact`), so every warning
    that still names a change names one ``actor`` sees. A fixed number of queries, however many changes.
    """
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    soon = start + dt.timedelta(days=ahead_days)
    base = visible_changes(actor)
    decide = _agenda_items(
        base.filter(ticket__state_category=StateCategory.APPROVAL, change_type=ChangeType.NORMAL).order_by(
            "ticket__state_changed_at", "ticket_id"
        )
    )
    # State ids rather than a join on the state's code: PostgreSQL then knows how many tickets are in
    # those states (it guessed a few hundred and probed the change of every open ticket one by one).
    states = list(WorkflowState.objects.filter(code__in=UPCOMING_STATES).values_list("pk", flat=True))
    upcoming = _agenda_items(
        base.filter(
            planned_start__gte=start,
            planned_start__lt=soon,
            ticket__state_category=StateCategory.OPEN,
            ticket__state_id__in=states,
        ).order_by("planned_start", "ticket_id"),
        recorded=True,
    )
    every = decide + upcoming
    cis = cis_of([i.ticket_id for i in every])
    # Conflicts walk the CMDB around the changes to decide only; services are reached for all.
    deciding = Reach(ci for i in decide for ci in cis.get(i.ticket_id, ()))
    coming = Reach(ci for i in upcoming for ci in cis.get(i.ticket_id, ()))
    dated = [
        Planned(
            i.ticket_id,
            i.number,
            i.title,
            i.planned_start,
            i.planned_end,
            i.service_id,
            i.change_type,
            i.state,
            cis.get(i.ticket_id, set()),
        )
        for i in decide
        if i.planned_start and i.planned_end
    ]
    found: dict[int, list[ScheduleWarning]] = warnings_many(dated, deciding)
    found.update((i.ticket_id, i.warnings) for i in upcoming)
    shown = redact_many(found, actor)
    reached = {
        i.ticket_id: walked.services_of(cis.get(i.ticket_id, set()), i.service_id)
        for part, walked in ((decide, deciding), (upcoming, coming))
        for i in part
    }
    _name_reach(every, reached, actor)
    approvals = _open_approvals([i.ticket_id for i in decide])
    for item in every:
        item.warnings = shown.get(item.ticket_id, [])
        item.approvals = approvals.get(item.ticket_id, [])
    return {"decide": decide, "upcoming": upcoming}
