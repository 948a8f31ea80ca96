"""SLA reports: achievement per group, breached tickets, workload against limits, availability.

Achievement comes from :class:`~kaizen.slm.models.ClockResult` rows (one per clock of a stopped
ticket: business time, the month of the local stop). Rows are limited to the organisations whose
tickets the user may see (the ticket policy's view roles through :func:`kaizen.core.access.org_scope`;
``ClockResult.customer_id`` is the ticket's organisation, so no join is needed). Staff only.

Percentiles (p50, p90) are **linear interpolation between closest ranks** of the sorted elapsed
times, exactly PostgreSQL's ``percentile_cont``: for ``n`` values and fraction ``f`` the position
is ``f × (n − 1)``, between the ranks ``floor`` and ``ceil`` of it. On PostgreSQL they are computed
by the database: a report is one aggregate query with ``GROUP BY`` on the ``(month, …)`` indexes
of ``ClockResult``, plus at most one label lookup. SQLite has no ``percentile_cont``: the same
aggregate gives the counts and one more query the grouped values, interpolated in Python.

Inputs are checked here; anything unusable raises :class:`ReportError` (a ``ValueError`` naming
the parameter, with a translated message), which the views turn into a 400 or a form error.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypedDict, Unpack

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Aggregate, Count, DateTimeField, FloatField, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Organisation
from kaizen.core import access
from kaizen.core.lib import business_time
from kaizen.core.lib.business_time import Timeline, to_us
from kaizen.portfolio.models import Service
from kaizen.tickets.choices import Priority
from kaizen.tickets.models import Ticket

from . import queries
from .choices import AgreementKind, Metric
from .models import PRIORITIES, Agreement, ClockResult, Outage, TicketAgreement

GROUP_BY: Final = ("service", "customer", "priority", "month", "agreement")
"""What a report can be grouped by (``group_by``)."""
_COLUMNS: Final = {
    "service": "service_id",
    "customer": "customer_id",
    "priority": "priority",
    "month": "month",
    "agreement": "agreement_id",
}
METRICS: Final = (Metric.RESPONSE.value, Metric.RESOLUTION.value)
FRACTIONS: Final = {"p50": 0.5, "p90": 0.9}
MAX_MONTHS: Final = 36
BREACH_LIMIT: Final = 200
MAX_BREACH_LIMIT: Final = 1000
MAX_PARAM_LENGTH: Final = 64
MAX_ID: Final = 2**63 - 1
YEARS: Final = (2000, 2100)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_INT = re.compile(r"^\d{1,19}$")


class ReportError(ValueError):
    """A report parameter that cannot be used: ``field`` names it, the message is translated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class Filters(TypedDict, total=False):
    """The period and filters every report function takes (all optional, keyword only).

    ``month``, or a range ``start``–``end`` (dates, any day of the month; this month when none);
    ``service``, ``customer`` (an organisation), ``agreement``: ids; ``priority``: 1–4; ``kind``:
    ``sla`` (default), ``ola`` or ``uc``. A chosen ``agreement`` is reported whatever its kind.
    """

    month: dt.date | None
    start: dt.date | None
    end: dt.date | None
    service: int | None
    customer: int | None
    priority: int | None
    agreement: int | None
    kind: str


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole months from ``start`` to ``end`` (first days of months, ``end`` included)."""

    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        """Return the first day of every month of the period."""
        out, month = [], self.start
        while month <= self.end:
            out.append(month)
            month = next_month(month)
        return out

    @property
    def slug(self) -> str:
        """Return ``YYYY-MM`` (one month) or ``YYYY-MM_YYYY-MM``, for file names."""
        if self.start == self.end:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m}_{self.end:%Y-%m}"

    @property
    def label(self) -> str:
        """Return the period in the active language (``2026年12月`` or a range of months)."""
        first = formats.date_format(self.start, "YEAR_MONTH_FORMAT")
        if self.start == self.end:
            return first
        return f"{first} – {formats.date_format(self.end, 'YEAR_MONTH_FORMAT')}"


@dataclass(frozen=True)
class MetricFigures:
    """One clock (response or resolution) of one group: counts and elapsed percentiles in seconds."""

    count: int
    met: int
    p50: float | None = None
    p90: float | None = None

    @property
    def breached(self) -> int:
        """Return how many clocks missed their target."""
        return self.count - self.met

    @property
    def met_percent(self) -> float | None:
        """Return the share of clocks within target, in percent (None without any clock)."""
        return 100.0 * self.met / self.count if self.count else None

    @property
    def p50_minutes(self) -> float | None:
        """Return the median elapsed business time in minutes."""
        return None if self.p50 is None else self.p50 / 60

    @property
    def p90_minutes(self) -> float | None:
        """Return the 90th percentile of elapsed business time in minutes."""
        return None if self.p90 is None else self.p90 / 60


@dataclass(frozen=True)
class Group:
    """One row of a report: a service, customer, priority, month or agreement."""

    key: int | dt.date | None
    label: str
    tickets: int
    """Tickets with a clock stopped in the group (once per group)."""
    response: MetricFigures
    resolution: MetricFigures
    breaches: int
    """Clocks (response and resolution) that missed their target."""


@dataclass(frozen=True)
class Report:
    """SLA achievement over a period, grouped; ``total`` sums the groups (without percentiles)."""

    period: Period
    group_by: str
    kind: str
    groups: list[Group]
    total: Group


@dataclass(frozen=True)
class Breach:
    """One clock of one ticket that missed its target."""

    ticket_id: int
    number: str
    title: str
    metric: str
    elapsed_seconds: int
    target_seconds: int
    stopped_at: dt.datetime
    priority: int
    customer: str
    service: str
    url: str

    @property
    def metric_label(self) -> str:
        """Return the clock's name in the active language."""
        return str(Metric(self.metric).label)

    @property
    def over_seconds(self) -> int:
        """Return by how much business time the target was missed."""
        return self.elapsed_seconds - self.target_seconds

    @property
    def elapsed_minutes(self) -> float:
        """Return the elapsed business time in minutes."""
        return self.elapsed_seconds / 60

    @property
    def target_minutes(self) -> float:
        """Return the target in minutes."""
        return self.target_seconds / 60


@dataclass(frozen=True)
class Breaches:
    """The newest breached clocks (at most the limit asked for) and whether there are more."""

    rows: list[Breach]
    more: bool


@dataclass(frozen=True)
class WorkloadRow:
    """Tickets that came under one agreement in one month, against its monthly limit."""

    agreement_id: int
    agreement: str
    month: dt.date
    tickets: int
    limit: int | None

    @property
    def percent(self) -> float | None:
        """Return the tickets as a percentage of the limit (None without a limit)."""
        return 100.0 * self.tickets / self.limit if self.limit else None

    @property
    def over(self) -> bool:
        """Tell whether the month had more tickets than the agreement covers."""
        return self.limit is not None and self.tickets > self.limit


@dataclass(frozen=True)
class AvailabilityRow:
    """Availability of one service in one month against its agreement's target.

    ``basis`` is ``"service_hours"`` when the period and the outages are counted in the service
    hours of the agreement's calendar, ``"calendar"`` when no agreement applies (every minute).
    """

    service_id: int
    service: str
    month: dt.date
    agreement_id: int | None
    agreement: str
    basis: str
    period_seconds: int
    unplanned_seconds: int
    planned_seconds: int
    outages: int
    """Unplanned outages overlapping the period."""
    target: float | None

    @property
    def availability(self) -> float | None:
        """Return ``100 × (1 − unplanned outage / period)`` (None for an empty period)."""
        if self.period_seconds <= 0:
            return None
        return 100.0 * (1 - self.unplanned_seconds / self.period_seconds)

    @property
    def met(self) -> bool | None:
        """Tell whether the target was met (None without a target or a period)."""
        value = self.availability
        return None if value is None or self.target is None else value >= self.target

    @property
    def period_minutes(self) -> float:
        """Return the period counted, in minutes."""
        return self.period_seconds / 60

    @property
    def unplanned_minutes(self) -> float:
        """Return the unplanned outage within the period, in minutes."""
        return self.unplanned_seconds / 60

    @property
    def planned_minutes(self) -> float:
        """Return the planned outage within the period, in minutes."""
        return self.planned_seconds / 60


# -- parameters --------------------------------------------------------------------------------


def _bad_month(field: str) -> ReportError:
    return ReportError(field, _("Give the month as YYYY-MM (for example 2026-04), between 2000 and 2100."))


def parse_month(text: str, *, field: str = "month") -> dt.date:
    """Return the first day of the month ``YYYY-MM``.

    Raises:
        ReportError: not a month of the years 2000–2100.
    """
    found = _MONTH.match(text.strip()) if isinstance(text, str) and len(text) <= MAX_PARAM_LENGTH else None
    if found is not None:
        year, month = int(found.group(1)), int(found.group(2))
        if YEARS[0] <= year <= YEARS[1] and 1 <= month <= 12:
            return dt.date(year, month, 1)
    raise _bad_month(field)


def parse_params(params: Mapping[str, Any]) -> tuple[str, Filters]:
    """Return ``group_by`` and the filters of the report functions from query parameters (strings).

    Empty values mean "not given"; unknown parameters are ignored.

    Raises:
        ReportError: a parameter that is too long, malformed or out of range.
    """
    raw: dict[str, str] = {}
    for name in ("month", "start", "end", "group_by", "service", "customer", "priority", "agreement", "kind"):
        value = params.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or len(value) > MAX_PARAM_LENGTH:
            raise ReportError(name, _("This value is too long."))
        if value.strip():
            raw[name] = value.strip()
    filters: Filters = {"kind": _kind(raw.get("kind", AgreementKind.SLA.value))}
    for name in ("month", "start", "end"):
        if name in raw:
            filters[name] = parse_month(raw[name], field=name)  # type: ignore[literal-required]
    for name in ("service", "customer", "agreement", "priority"):
        if name in raw:
            if not _INT.match(raw[name]):
                raise ReportError(name, _("Choose one of the listed values."))
            filters[name] = _check_id(name, int(raw[name]))  # type: ignore[literal-required]
    return _group_by(raw.get("group_by", "service")), filters


def _group_by(value: Any) -> str:
    if value not in GROUP_BY:
        raise ReportError(
            "group_by",
            _("Unknown grouping %(value)s: choose service, customer, priority, month or agreement.")
            % {"value": str(value)[:40]},
        )
    return str(value)


def _kind(value: Any) -> str:
    if value not in AgreementKind.values:
        raise ReportError("kind", _("Unknown kind of agreement: choose sla, ola or uc."))
    return str(value)


def _check_id(field: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise ReportError(field, _("Choose one of the listed values."))
    if field == "priority" and value not in PRIORITIES:
        raise ReportError("priority", _("The priority is 1, 2, 3 or 4."))
    return value


def _month_of(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date) or not YEARS[0] <= value.year <= YEARS[1]:
        raise _bad_month(field)
    return value.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """Return the first day of the month after ``month``."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def period_of(
    *, month: dt.date | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> Period:
    """Return the months a report covers: one ``month``, a range ``start``–``end``, or this month.

    A range may leave out one end (then it is one month). "This month" is local to the default
    calendar's time zone.

    Raises:
        ReportError: a month and a range, a range ending before it starts or over 36 months.
    """
    if month is not None and (start is not None or end is not None):
        raise ReportError("month", _("Choose either one month or a range of months, not both."))
    if month is not None:
        first = _month_of(month, "month")
        return Period(first, first)
    if start is None and end is None:
        today = timezone.now().astimezone(queries.default_zone()).date().replace(day=1)
        return Period(today, today)
    first = _month_of(start if start is not None else end, "start")
    last = _month_of(end if end is not None else start, "end")
    if last < first:
        raise ReportError("end", _("The range ends before it starts."))
    if (last.year - first.year) * 12 + last.month - first.month + 1 > MAX_MONTHS:
        raise ReportError("end", _("A report covers at most %(n)s months.") % {"n": MAX_MONTHS})
    return Period(first, last)


@dataclass(frozen=True)
class _Scope:
    period: Period
    orgs: frozenset[int] | None
    """Organisations whose tickets the user may see; None: every organisation."""
    agreements: dict[int, Agreement]
    service: int | None
    customer: int | None
    priority: int | None
    agreement: int | None


def _scope(user: Any, filters: Filters) -> _Scope:
    if not access.has_any_role(user, access.STAFF_ROLES):
        raise PermissionDenied(_("Service level reports are for staff."))
    unknown = set(filters) - set(Filters.__annotations__)
    if unknown:
        raise TypeError(f"unknown report filters: {sorted(unknown)}")
    period = period_of(month=filters.get("month"), start=filters.get("start"), end=filters.get("end"))
    kind = _kind(filters.get("kind", AgreementKind.SLA.value))
    service, customer, priority, agreement = (
        _check_id(name, filters.get(name)) for name in ("service", "customer", "priority", "agreement")
    )
    agreements = Agreement.objects.visible_to(user)
    if agreement is not None:
        chosen = {a.pk: a for a in agreements.filter(pk=agreement)}
        if not chosen:
            raise ReportError("agreement", _("No such agreement."))
    else:
        chosen = {a.pk: a for a in agreements.filter(kind=kind)}
    scope = access.org_scope(user, access.policy_of(Ticket).roles_for("view"))
    orgs = scope if isinstance(scope, frozenset) else None
    return _Scope(period, orgs, chosen, service, customer, priority, agreement)


def _results(scope: _Scope) -> QuerySet[ClockResult]:
    """The clock results of a report: period, agreements, visible organisations, filters."""
    qs = ClockResult.objects.order_by()
    period = scope.period
    if period.start == period.end:
        qs = qs.filter(month=period.start)
    else:
        qs = qs.filter(month__gte=period.start, month__lte=period.end)
    if len(scope.agreements) == 1:
        qs = qs.filter(agreement_id=next(iter(scope.agreements)))
    else:
        qs = qs.filter(agreement_id__in=sorted(scope.agreements))
    qs = qs.filter(metric__in=METRICS)
    if scope.orgs is not None:
        qs = qs.filter(customer_id__in=sorted(scope.orgs))
    for column, value in (
        ("service_id", scope.service),
        ("customer_id", scope.customer),
        ("priority", scope.priority),
    ):
        if value is not None:
            qs = qs.filter(**{column: value})
    return qs


# -- achievement -------------------------------------------------------------------------------


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`` (FILTER allowed)."""

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        """Interpolate at ``fraction`` (0–1) of the sorted values of ``expression``."""
        if not 0 <= fraction <= 1:
            raise ValueError(fraction)
        super().__init__(expression, output_field=FloatField(), fraction=repr(float(fraction)), **extra)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Return the ``fraction`` percentile of sorted ``values`` as ``percentile_cont`` does (None if empty).

    Linear interpolation between the values at ranks ``floor(f·(n−1))`` and ``ceil(f·(n−1))``, with
    PostgreSQL's arithmetic (``low + (high − low) × (position − floor)``), so both databases agree.
    """
    if not values:
        return None
    position = fraction * (len(values) - 1)
    low = int(position // 1)
    high = low + 1 if position > low else low
    first, second = float(values[low]), float(values[high])
    return first + (second - first) * (position - low) if high > low else first


def _aggregate(qs: QuerySet[ClockResult], column: str, *, in_database: bool) -> list[dict[str, Any]]:
    """One aggregate query grouped by ``column`` (with the percentiles on PostgreSQL)."""
    response, resolution = Q(metric=Metric.RESPONSE), Q(metric=Metric.RESOLUTION)
    figures: dict[str, Any] = {
        "tickets": Count("ticket_id", distinct=True),
        "response_count": Count("pk", filter=response),
        "response_met": Count("pk", filter=response & Q(met=True)),
        "resolution_count": Count("pk", filter=resolution),
        "resolution_met": Count("pk", filter=resolution & Q(met=True)),
        "breaches": Count("pk", filter=Q(met=False)),
    }
    if in_database:
        for metric, condition in (("response", response), ("resolution", resolution)):
            for name, fraction in FRACTIONS.items():
                figures[f"{metric}_{name}"] = Percentile("elapsed_seconds", fraction, filter=condition)
    return list(qs.values(column).annotate(**figures).order_by())


def _percentiles_in_python(qs: QuerySet[ClockResult], column: str) -> dict[tuple[Any, str], dict[str, float]]:
    """Percentiles per (group, metric) from the grouped values, for databases without percentile_cont."""
    values: dict[tuple[Any, str], list[int]] = defaultdict(list)
    for key, metric, elapsed in qs.values_list(column, "metric", "elapsed_seconds"):
        values[(key, metric)].append(elapsed)
    out: dict[tuple[Any, str], dict[str, float]] = {}
    for group, found in values.items():
        found.sort()
        out[group] = {name: percentile(found, fraction) or 0.0 for name, fraction in FRACTIONS.items()}
    return out


def _labels(group_by: str, keys: Iterable[Any], agreements: Mapping[int, Agreement]) -> dict[Any, str]:
    """Labels of the groups (one query for services or customers, none otherwise)."""
    keys = [k for k in keys if k is not None]
    if group_by == "service":
        return dict(Service.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "customer":
        return dict(Organisation.objects.filter(pk__in=keys).values_list("pk", "name"))
    if group_by == "agreement":
        return {k: agreements[k].label() for k in keys if k in agreements}
    if group_by == "priority":
        return {k: str(Priority(k).label) if k in Priority.values else f"P{k}" for k in keys}
    return {k: formats.date_format(k, "YEAR_MONTH_FORMAT") for k in keys}


def _sort_key(group_by: str, group: Group) -> tuple[Any, ...]:
    if group_by in ("priority", "month"):
        return (group.key is None, group.key)
    return (group.key is None, group.label, str(group.key))


def sla_report(user: Any, *, group_by: str = "service", **filters: Unpack[Filters]) -> Report:
    """Return response and resolution achievement per group over one month or a range of months.

    Per group: tickets, clocks measured and met (response, resolution), met %, p50/p90 of elapsed
    business time, and breached clocks. Only agreements of ``kind`` count (SLAs by default). On
    PostgreSQL this is one aggregate query plus the label lookup of services or customers.

    Raises:
        PermissionDenied: the user holds no staff role.
        ReportError: an unknown grouping, a bad month or range (over 36 months), a bad filter.
    """
    group_by = _group_by(group_by)
    scope = _scope(user, filters)
    column = _COLUMNS[group_by]
    rows: list[dict[str, Any]] = []
    in_database = connection.vendor == "postgresql"
    if scope.agreements:
        qs = _results(scope)
        rows = _aggregate(qs, column, in_database=in_database)
        if rows and not in_database:
            found = _percentiles_in_python(qs, column)
            for row in rows:
                for metric in METRICS:
                    for name in FRACTIONS:
                        row[f"{metric}_{name}"] = found.get((row[column], metric), {}).get(name)
    labels = _labels(group_by, (row[column] for row in rows), scope.agreements)

    def figures(row: dict[str, Any], metric: str) -> MetricFigures:
        return MetricFigures(
            row[f"{metric}_count"], row[f"{metric}_met"], row[f"{metric}_p50"], row[f"{metric}_p90"]
        )

    groups = [
        Group(
            key=row[column],
            label=labels.get(row[column]) or (_("(no service)") if row[column] is None else str(row[column])),
            tickets=row["tickets"],
            response=figures(row, "response"),
            resolution=figures(row, "resolution"),
            breaches=row["breaches"],
        )
        for row in rows
    ]
    groups.sort(key=lambda g: _sort_key(group_by, g))
    total = Group(
        key=None,
        label=_("Total"),
        tickets=sum(g.tickets for g in groups),
        response=MetricFigures(sum(g.response.count for g in groups), sum(g.response.met for g in groups)),
        resolution=MetricFigures(
            sum(g.resolution.count for g in groups), sum(g.resolution.met for g in groups)
        ),
        breaches=sum(g.breaches for g in groups),
    )
    kind = filters.get("kind", AgreementKind.SLA.value)
    return Report(period=scope.period, group_by=group_by, kind=kind, groups=groups, total=total)


def breaches(user: Any, *, limit: int = BREACH_LIMIT, **filters: Unpack[Filters]) -> Breaches:
    """Return the newest breached clocks of the report's tickets (number, title, link).

    ``limit`` (1–1000) caps the list; ``more`` tells whether older breaches exist.

    Raises:
        PermissionDenied: the user holds no staff role.
        ReportError: a bad month, range, filter or limit.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_BREACH_LIMIT:
        raise ReportError("limit", _("At most %(n)s breaches can be listed.") % {"n": MAX_BREACH_LIMIT})
    scope = _scope(user, filters)
    if not scope.agreements:
        return Breaches([], False)
    found = list(
        _results(scope)
        .filter(met=False)
        .order_by("-stopped_at", "-pk")
        .values_list(
            "ticket_id",
            "ticket__number",
            "ticket__title",
            "metric",
            "elapsed_seconds",
            "target_seconds",
            "stopped_at",
            "priority",
            "customer__name",
            "service__name",
        )[: limit + 1]
    )
    rows = [
        Breach(
            ticket_id=tid,
            number=number,
            title=title,
            metric=metric,
            elapsed_seconds=elapsed,
            target_seconds=target,
            stopped_at=stopped,
            priority=prio,
            customer=customer or "",
            service=service or "",
            url=reverse("tickets:ticket", args=[tid]),
        )
        for tid, number, title, metric, elapsed, target, stopped, prio, customer, service in found[:limit]
    ]
    return Breaches(rows, len(found) > limit)


# -- workload ----------------------------------------------------------------------------------


def _local_bounds(period: Period, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    after = next_month(period.end)
    return (
        dt.datetime(period.start.year, period.start.month, 1, tzinfo=zone),
        dt.datetime(after.year, after.month, 1, tzinfo=zone),
    )


def _applies(agreement: Agreement, scope: _Scope) -> bool:
    """Whether an agreement could cover the filtered tickets (rows for months without tickets)."""
    if scope.service is not None and agreement.service_id not in (None, scope.service):
        return False
    if scope.customer is not None and agreement.customer_id not in (None, scope.customer):
        return False
    return not (
        scope.priority is not None and agreement.priorities and scope.priority not in agreement.priorities
    )


def workload(user: Any, **filters: Unpack[Filters]) -> list[WorkloadRow]:
    """Return per agreement and month the tickets that came under it, against its monthly limit.

    A ticket counts in the month (local to the agreement's calendar) in which the agreement began
    to apply to it (``TicketAgreement.since``), once per agreement. Active agreements with a limit
    get a row for every month, the others only for months with tickets. The filters apply to the
    tickets' current service, organisation and priority.

    Raises:
        PermissionDenied: the user holds no staff role.
        ReportError: a bad month, range or filter.
    """
    scope = _scope(user, filters)
    if not scope.agreements:
        return []
    timelines = queries.timelines({a.calendar_id for a in scope.agreements.values()})
    by_zone: dict[zoneinfo.ZoneInfo, list[int]] = defaultdict(list)
    for agreement in scope.agreements.values():
        by_zone[timelines[agreement.calendar_id][1]].append(agreement.pk)
    counts: dict[tuple[int, dt.date], int] = defaultdict(int)
    for zone, ids in by_zone.items():
        first, after = _local_bounds(scope.period, zone)
        qs = TicketAgreement.objects.filter(agreement_id__in=sorted(ids), since__gte=first, since__lt=after)
        if scope.orgs is not None:
            qs = qs.filter(ticket__organisation_id__in=sorted(scope.orgs))
        for column, value in (
            ("ticket__service_id", scope.service),
            ("ticket__organisation_id", scope.customer),
            ("ticket__priority", scope.priority),
        ):
            if value is not None:
                qs = qs.filter(**{column: value})
        grouped = (
            qs.order_by()
            .annotate(local_month=TruncMonth("since", tzinfo=zone, output_field=DateTimeField()))
            .values("agreement_id", "local_month")
            .annotate(tickets=Count("ticket_id", distinct=True))
        )
        for row in grouped:
            local: dt.datetime = row["local_month"].astimezone(zone)
            counts[(row["agreement_id"], local.date().replace(day=1))] += row["tickets"]
    rows = []
    for agreement in sorted(scope.agreements.values(), key=lambda a: (a.label(), a.pk)):
        limited = agreement.monthly_limit is not None and agreement.is_active and _applies(agreement, scope)
        if not limited and not any(aid == agreement.pk for aid, _m in counts):
            continue
        for month in scope.period.months:
            tickets = counts.get((agreement.pk, month), 0)
            if tickets or limited:
                rows.append(
                    WorkloadRow(agreement.pk, agreement.label(), month, tickets, agreement.monthly_limit)
                )
    return rows


# -- availability ------------------------------------------------------------------------------


def _service_agreement(candidates: list[Agreement], customer: int | None) -> Agreement | None:
    """The agreement whose target and calendar a service's availability is measured against."""
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda a: (
            customer is not None and a.customer_id != customer,
            a.availability_target is None,
            not a.is_active,
            a.order,
            a.pk,
        ),
    )


def availability(
    user: Any, *, now: dt.datetime | None = None, **filters: Unpack[Filters]
) -> list[AvailabilityRow]:
    """Return per service and month the unplanned outage and the availability against the target.

    ``availability = 100 × (1 − unplanned outage / period)``, both counted in the **service hours
    of the agreement's calendar** (ITIL's agreed service time: an outage at night does not count
    against weekday 9:00–18:00 hours); a service without an agreement is counted in calendar time.
    Overlapping outages count once; planned outages are reported apart and do not reduce
    availability; an outage still going on counts until ``now``; the current month counts until
    ``now`` and later months are left out. Months are local to the calendar.

    Services: those of the agreements of ``kind`` (or of ``agreement``) and those with outages in
    the period, that the user may see; per service the agreement with an availability target (the
    customer's, when a customer is chosen) gives the target and the calendar. ``priority`` does not
    apply to outages.

    Raises:
        PermissionDenied: the user holds no staff role.
        ReportError: a bad month, range or filter.
    """
    scope = _scope(user, {**filters, "priority": None})
    moment = now or timezone.now()
    by_service: dict[int, list[Agreement]] = defaultdict(list)
    for agreement in scope.agreements.values():
        if agreement.service_id is not None and (
            scope.customer is None or agreement.customer_id in (None, scope.customer)
        ):
            by_service[agreement.service_id].append(agreement)
    default_zone = queries.default_zone()
    first, after = _local_bounds(scope.period, default_zone)
    first, after = first - dt.timedelta(days=1), after + dt.timedelta(days=1)  # any calendar's zone
    outages = (
        Outage.objects.visible_to(user)
        .filter(start__lt=min(after, moment))
        .filter(Q(end__isnull=True) | Q(end__gt=first))
    )
    services = Service.objects.visible_to(user)
    if scope.agreement is not None:
        services = services.filter(pk__in=list(by_service))
    elif scope.customer is not None:
        services = services.filter(Q(pk__in=list(by_service)) | Q(customers=scope.customer))
    else:
        services = services.filter(Q(pk__in=list(by_service)) | Q(pk__in=outages.values("service_id")))
    if scope.service is not None:
        services = services.filter(pk=scope.service)
    names = dict(services.order_by().values_list("pk", "name").distinct())
    if not names:
        return []
    spans: dict[int, list[tuple[int, int, bool]]] = defaultdict(list)
    for service_id, start, end, planned in outages.filter(service_id__in=list(names)).values_list(
        "service_id", "start", "end", "planned"
    ):
        spans[service_id].append((to_us(start), to_us(min(end or moment, moment)), planned))
    chosen = {pk: _service_agreement(by_service.get(pk, []), scope.customer) for pk in names}
    timelines = queries.timelines({a.calendar_id for a in chosen.values() if a is not None})
    rows = []
    for service_id in sorted(names, key=lambda pk: (names[pk], pk)):
        agreement_ = chosen[service_id]
        timeline, zone = timelines[agreement_.calendar_id] if agreement_ is not None else (None, default_zone)
        for month in scope.period.months:
            row = _availability_row(
                service_id, names[service_id], month, agreement_, timeline, zone, spans[service_id], moment
            )
            if row is not None:
                rows.append(row)
    return rows


def _availability_row(
    service_id: int,
    name: str,
    month: dt.date,
    agreement: Agreement | None,
    timeline: Timeline | None,
    zone: zoneinfo.ZoneInfo,
    spans: list[tuple[int, int, bool]],
    now: dt.datetime,
) -> AvailabilityRow | None:
    """One service's month: the period (clipped at ``now``) and the outages within it."""
    following = next_month(month)
    lo = to_us(dt.datetime(month.year, month.month, 1, tzinfo=zone))
    hi = min(to_us(dt.datetime(following.year, following.month, 1, tzinfo=zone)), to_us(now))
    if hi <= lo:
        return None

    def counted(start: int, end: int) -> int:
        return max(0, end - start) if timeline is None else timeline.elapsed_us(start, end)

    def within(planned: bool) -> int:
        parts = business_time.merge(
            (max(s, lo), min(e, hi)) for s, e, p in spans if p == planned and s < hi and e > lo
        )
        return sum(counted(s, e) for s, e in parts)

    target = agreement.availability_target if agreement is not None else None
    return AvailabilityRow(
        service_id=service_id,
        service=name,
        month=month,
        agreement_id=agreement.pk if agreement is not None else None,
        agreement=agreement.label() if agreement is not None else "",
        basis="service_hours" if timeline is not None else "calendar",
        period_seconds=counted(lo, hi) // 1_000_000,
        unplanned_seconds=within(False) // 1_000_000,
        planned_seconds=within(True) // 1_000_000,
        outages=sum(1 for s, e, p in spans if not p and s < hi and e > lo),
        target=float(target) if target is not None else None,
    )


@dataclass(frozen=True)
class ReportSet:
    """Everything the report page, its export and the API show for one set of parameters."""

    report: Report
    breaches: Breaches
    workload: list[WorkloadRow]
    availability: list[AvailabilityRow]


def report_set(
    user: Any, *, group_by: str = "service", breach_limit: int = BREACH_LIMIT, **filters: Unpack[Filters]
) -> ReportSet:
    """Return the achievement report, the breaches, the workload and the availability together.

    Raises:
        PermissionDenied: the user holds no staff role.
        ReportError: any bad parameter.
    """
    return ReportSet(
        report=sla_report(user, group_by=group_by, **filters),
        breaches=breaches(user, limit=breach_limit, **filters),
        workload=workload(user, **filters),
        availability=availability(user, **filters),
    )
