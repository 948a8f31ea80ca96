"""Pages of the SLA reports: the report (filters, charts, tables) and its CSV and XLSX exports.

Thin: parse the parameters (``reports.parse_params``), ask ``reports.report_set``, render. Charts
are inline SVG laid out here (bars, a goal line, per-bar marks), no JavaScript and no ``style``
attribute (the CSP forbids them); colours come from ``slm/reports.css``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kaizen.accounts.models import Organisation
from kaizen.core import access
from kaizen.core.lib.spreadsheet import XLSX, Table, as_csv, as_xlsx
from kaizen.portfolio.models import Service
from kaizen.tickets.choices import Priority

from . import reports
from .choices import AgreementKind
from .models import Agreement

DEFAULT_GOAL = 95.0
"""Default met-% goal drawn on the achievement chart (``?goal=``); agreements hold times, not shares."""
MAX_CHART_GROUPS = 40
TABLES = ("groups", "breaches", "workload", "availability")


def _require_staff(user: Any) -> None:
    if not access.has_any_role(user, access.STAFF_ROLES):
        raise PermissionDenied(_("Service level reports are for staff."))


def _goal(params: Any) -> float:
    text = str(params.get("goal", "") or "").strip()
    if not text:
        return DEFAULT_GOAL
    try:
        value = float(text) if len(text) <= 10 else math.nan
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:  # also refuses NaN
        raise reports.ReportError("goal", _("The goal is a percentage from 0 to 100."))
    return value


def _group_labels() -> dict[str, str]:
    return {
        "service": _("Service"),
        "customer": _("Customer"),
        "priority": _("Priority"),
        "month": _("Month"),
        "agreement": _("Agreement"),
    }


# -- charts ------------------------------------------------------------------------------------


@dataclass
class Bar:
    """One bar: its value (None: no bar), CSS class, tooltip and an optional mark (limit, target)."""

    value: float | None
    cls: str
    title: str
    mark: float | None = None


@dataclass
class Chart:
    """A laid-out bar chart for ``slm/report_chart.html`` (coordinates in SVG user units)."""

    caption: str
    width: int = 0
    height: int = 0
    bars: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)
    line: dict[str, Any] | None = None
    more: int = 0
    legend: list[tuple[str, str]] = field(default_factory=list)


TOP, PLOT_H, LEFT, BAR_W, GAP, GROUP_GAP, LABEL_H, MAX_LABEL = 16, 180, 64, 16, 3, 18, 112, 12


def bar_chart(
    groups: Sequence[tuple[str, Sequence[Bar]]],
    *,
    caption: str,
    lo: float,
    hi: float,
    step: float,
    unit: str = "",
    line: tuple[float, str] | None = None,
    legend: Sequence[tuple[str, str]] = (),
) -> Chart:
    """Lay out grouped bars between ``lo`` and ``hi`` with grid lines every ``step`` and a goal ``line``."""
    shown = list(groups)[:MAX_CHART_GROUPS]
    per = max((len(bars) for _label, bars in shown), default=1)
    group_w = per * BAR_W + (per - 1) * GAP
    chart = Chart(caption=caption, more=max(0, len(groups) - len(shown)), legend=list(legend))
    chart.width = max(320, LEFT + len(shown) * (group_w + GROUP_GAP) + 24)
    chart.height = TOP + PLOT_H + LABEL_H
    span = (hi - lo) or 1.0

    def y(value: float) -> float:
        return round(TOP + (hi - min(max(value, lo), hi)) / span * PLOT_H, 1)

    tick = lo
    while tick <= hi + 1e-9:
        chart.ticks.append({"y": y(tick), "label": f"{tick:g}{unit}", "x1": LEFT, "x2": chart.width - 8})
        tick += step
    for i, (label, bars) in enumerate(shown):
        x0 = LEFT + GROUP_GAP / 2 + i * (group_w + GROUP_GAP)
        for j, bar in enumerate(bars):
            x = round(x0 + j * (BAR_W + GAP), 1)
            item: dict[str, Any] = {"x": x, "w": BAR_W, "cls": bar.cls, "title": bar.title, "mark": None}
            item.update(y=TOP + PLOT_H - 4, h=None)  # no value: a dash on the axis
            if bar.value is not None:
                item.update(y=y(bar.value), h=round(TOP + PLOT_H - y(bar.value), 1))
            if bar.mark is not None:
                item["mark"] = {"y": y(bar.mark), "x1": x - 2, "x2": x + BAR_W + 2}
            chart.bars.append(item)
        short = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
        chart.labels.append({"x": round(x0 + group_w / 2, 1), "y": TOP + PLOT_H + 12, "text": short})
    if line is not None:
        chart.line = {"y": y(line[0]), "x1": LEFT, "x2": chart.width - 8, "label": line[1]}
    return chart


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def achievement_chart(report: reports.Report, goal: float) -> Chart:
    """Response and resolution met % per group, with the goal line."""
    response, resolution = pgettext("clock", "Response"), pgettext("clock", "Resolution")
    groups = [
        (
            g.label,
            [
                Bar(
                    g.response.met_percent,
                    "bar-response",
                    f"{g.label}: {response} {_pct(g.response.met_percent)}",
                ),
                Bar(
                    g.resolution.met_percent,
                    "bar-resolution",
                    f"{g.label}: {resolution} {_pct(g.resolution.met_percent)}",
                ),
            ],
        )
        for g in report.groups
    ]
    return bar_chart(
        groups,
        caption=_("Clocks within target (%)"),
        lo=0,
        hi=100,
        step=25,
        unit="%",
        line=(goal, _("Goal %(goal)s %%") % {"goal": f"{goal:g}"}),
        legend=[("swatch-response", response), ("swatch-resolution", resolution)],
    )


def workload_chart(rows: Sequence[reports.WorkloadRow]) -> Chart:
    """Tickets per agreement and month, each bar marked at the agreement's monthly limit."""
    top = max([r.tickets for r in rows] + [r.limit or 0 for r in rows] + [1])
    step = _nice_step(top)
    groups = [
        (
            f"{r.month:%Y-%m} {r.agreement}",
            [
                Bar(
                    r.tickets,
                    "bar-over" if r.over else "bar-workload",
                    f"{r.agreement} {r.month:%Y-%m}: {r.tickets} / {r.limit if r.limit is not None else '–'}",
                    mark=r.limit,
                )
            ],
        )
        for r in rows
    ]
    return bar_chart(
        groups,
        caption=_("Tickets per month against the limit"),
        lo=0,
        hi=math.ceil(top / step) * step,
        step=step,
        legend=[
            ("swatch-workload", _("Tickets")),
            ("swatch-over", _("Over the limit")),
            ("swatch-mark", _("Limit")),
        ],
    )


def availability_chart(rows: Sequence[reports.AvailabilityRow]) -> Chart:
    """Availability % per service and month, each bar marked at the target."""
    values = [r.availability for r in rows if r.availability is not None]
    values += [r.target for r in rows if r.target is not None]
    low = min(values, default=100.0)
    lo = 99.0 if low >= 99.0 else 90.0 if low >= 90.0 else 0.0
    groups = [
        (
            f"{r.month:%Y-%m} {r.service}",
            [
                Bar(
                    r.availability,
                    "bar-below" if r.met is False else "bar-availability",
                    f"{r.service} {r.month:%Y-%m}: {_pct(r.availability)}",
                    mark=r.target,
                )
            ],
        )
        for r in rows
    ]
    return bar_chart(
        groups,
        caption=_("Availability (%)"),
        lo=lo,
        hi=100,
        step=(100 - lo) / 4,
        unit="%",
        legend=[
            ("swatch-availability", _("Availability")),
            ("swatch-below", _("Below the target")),
            ("swatch-mark", _("Availability target")),
        ],
    )


def _nice_step(top: float) -> float:
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return max(1.0, float(factor * magnitude))
    return float(10 * magnitude)  # pragma: no cover


# -- the page ----------------------------------------------------------------------------------


def _choices(user: Any) -> dict[str, Any]:
    agreements = Agreement.objects.visible_to(user).order_by("kind", "order", "name")
    return {
        "group_by": list(_group_labels().items()),
        "kinds": AgreementKind.choices,
        "services": list(Service.objects.visible_to(user).order_by("name").values_list("pk", "name")),
        "customers": list(Organisation.objects.visible_to(user).order_by("name").values_list("pk", "name")),
        "priorities": Priority.choices,
        "agreements": [(str(a.pk), f"{a.label()} ({a.get_kind_display()})") for a in agreements],
    }


def _echo(request: HttpRequest) -> dict[str, str]:
    names = (
        "month",
        "start",
        "end",
        "group_by",
        "service",
        "customer",
        "priority",
        "agreement",
        "kind",
        "goal",
    )
    return {name: str(request.GET.get(name, ""))[: reports.MAX_PARAM_LENGTH * 2] for name in names}


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    for name in ("format", "table"):
        params.pop(name, None)
    return params.urlencode()


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The SLA report page: filters, achievement chart and table, breaches, workload, availability."""
    _require_staff(request.user)
    errors: dict[str, str] = {}
    found: reports.ReportSet | None = None
    goal = DEFAULT_GOAL
    try:
        goal = _goal(request.GET)
        group_by, filters = reports.parse_params(request.GET)
        found = reports.report_set(request.user, group_by=group_by, **filters)
    except reports.ReportError as exc:
        errors[exc.field] = exc.message
    context: dict[str, Any] = {
        "values": _echo(request),
        "choices": _choices(request.user),
        "errors": errors,
        "found": found,
        "goal": goal,
        "query": _query(request),
        "group_label": _group_labels().get(found.report.group_by, "") if found else "",
    }
    if found is not None:
        context["charts"] = {
            "achievement": achievement_chart(found.report, goal),
            "workload": workload_chart(found.workload),
            "availability": availability_chart(found.availability),
        }
    return render(request, "slm/report.html", context, status=400 if errors else 200)


# -- exports -----------------------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return "" if value is None else (_("Yes") if value else _("No"))


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def tables(found: reports.ReportSet) -> list[Table]:
    """The four tables of a report, with translated headers and raw values."""
    report = found.report
    groups = Table(
        "groups",
        _("SLA achievement"),
        [
            _group_labels()[report.group_by],
            _("Tickets"),
            _("Response clocks"),
            _("Response met"),
            _("Response met (%)"),
            _("Response p50 (min)"),
            _("Response p90 (min)"),
            _("Resolution clocks"),
            _("Resolution met"),
            _("Resolution met (%)"),
            _("Resolution p50 (min)"),
            _("Resolution p90 (min)"),
            _("Breaches"),
        ],
        ["text", "int"] + ["int", "int", "percent", "minutes", "minutes"] * 2 + ["int"],
    )
    for g in [*report.groups, report.total]:
        row: list[Any] = [g.label, g.tickets]
        for m in (g.response, g.resolution):
            row += [m.count, m.met, m.met_percent, m.p50_minutes, m.p90_minutes]
        groups.rows.append([*row, g.breaches])
    breaches = Table(
        "breaches",
        _("Breaches"),
        [
            _("Number"),
            _("Title"),
            _("Clock"),
            _("Priority"),
            _("Customer"),
            _("Service"),
            _("Stopped"),
            _("Elapsed (min)"),
            _("Target (min)"),
            _("Over by (min)"),
            _("Link"),
        ],
        ["text", "text", "text", "int", "text", "text", "datetime", "minutes", "minutes", "minutes", "text"],
        [
            [
                b.number,
                b.title,
                b.metric_label,
                b.priority,
                b.customer,
                b.service,
                _local(b.stopped_at),
                b.elapsed_minutes,
                b.target_minutes,
                b.over_seconds / 60,
                settings.PUBLIC_URL + b.url,
            ]
            for b in found.breaches.rows
        ],
    )
    workload = Table(
        "workload",
        _("Workload"),
        [
            _("Agreement"),
            _("Month"),
            _("Tickets"),
            _("Monthly limit"),
            _("Of the limit (%)"),
            _("Over the limit"),
        ],
        ["text", "text", "int", "int", "percent", "text"],
        [
            [r.agreement, f"{r.month:%Y-%m}", r.tickets, r.limit, r.percent, _yes_no(r.over)]
            for r in found.workload
        ],
    )
    availability = Table(
        "availability",
        _("Availability"),
        [
            _("Service"),
            _("Month"),
            _("Agreement"),
            _("Counted in"),
            _("Period (min)"),
            _("Unplanned outage (min)"),
            _("Planned outage (min)"),
            _("Unplanned outages"),
            _("Availability (%)"),
            _("Availability target (%)"),
            _("Target met"),
        ],
        [
            "text",
            "text",
            "text",
            "text",
            "minutes",
            "minutes",
            "minutes",
            "int",
            "percent",
            "percent",
            "text",
        ],
        [
            [
                r.service,
                f"{r.month:%Y-%m}",
                r.agreement,
                _("service hours") if r.basis == "service_hours" else _("calendar time"),
                r.period_minutes,
                r.unplanned_minutes,
                r.planned_minutes,
                r.outages,
                r.availability,
                r.target,
                _yes_no(r.met),
            ]
            for r in found.availability
        ],
    )
    return [groups, breaches, workload, availability]


def _bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request, "core/error.html", {"title": _("The report cannot be made"), "message": message}, status=400
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The report as XLSX (``?format=xlsx``, one sheet per table) or CSV (``?table=`` one table)."""
    _require_staff(request.user)
    kind = str(request.GET.get("format", "csv"))
    table = str(request.GET.get("table", "groups"))
    if kind not in ("csv", "xlsx"):
        return _bad_request(request, _("Choose the format csv or xlsx."))
    if table not in TABLES:
        return _bad_request(request, _("Choose the table groups, breaches, workload or availability."))
    try:
        group_by, filters = reports.parse_params(request.GET)
        found = reports.report_set(request.user, group_by=group_by, **filters)
    except reports.ReportError as exc:
        return _bad_request(request, exc.message)
    slug = found.report.period.slug
    if kind == "xlsx":
        response = HttpResponse(as_xlsx(tables(found)), content_type=XLSX)
        name = f"sla-report-{slug}.xlsx"
    else:
        chosen = next(t for t in tables(found) if t.name == table)
        response = HttpResponse(as_csv(chosen).encode("utf-8"), content_type="text/csv; charset=utf-8")
        name = f"sla-report-{slug}.csv" if table == "groups" else f"sla-report-{slug}-{table}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
