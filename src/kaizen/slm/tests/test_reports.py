"""SLA reports: achievement figures, percentiles, grouping, month boundaries, visibility, workload,
availability, the report page, its exports and the API.

Percentiles are linear interpolation between closest ranks (PostgreSQL's ``percentile_cont``): for
``n`` sorted values and fraction ``f`` the position is ``f × (n − 1)``; p90 of 300, 300, 1200 is at
position 1.8, so ``300 + 0.8 × (1200 − 300) = 1020``. The same figures are expected on SQLite
(computed in Python) and PostgreSQL (computed by the database).
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.portfolio.models import Service
from kaizen.slm import defaults, reports
from kaizen.slm.models import Agreement, BusinessCalendar, ClockResult, Outage, ServiceTier
from kaizen.tickets import services as desk
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests import factories as f

pytestmark = pytest.mark.django_db

JST = dt.timezone(dt.timedelta(hours=9))
DEC, NOV = dt.date(2026, 12, 1), dt.date(2026, 11, 1)
LATER = dt.datetime(2027, 1, 15, tzinfo=JST)
_numbers = itertools.count(1)


def jst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JST)


@pytest.fixture
def setup(db: Any) -> dict[str, Any]:
    f.desk()
    with context.acting(channel=context.Channel.SYSTEM):
        defaults.load()
    org = OrganisationFactory(name="経理部")
    other = OrganisationFactory(name="営業部")
    service = Service.objects.create(name="会計システム", code="acc", organisation=org)
    calendar = BusinessCalendar.objects.get(is_default=True)
    tier = ServiceTier.objects.create(
        name="試験",
        targets={str(p): {"response": 10, "resolution": 240} for p in (1, 2, 3, 4)},
    )
    agreement = Agreement.objects.create(
        name="会計サービス SLA",
        kind="sla",
        service=service,
        calendar=calendar,
        tier=tier,
        ticket_kinds=["incident"],
        monthly_limit=2,
        availability_target="99.500",
    )
    return {
        "org": org,
        "other": other,
        "service": service,
        "calendar": calendar,
        "tier": tier,
        "agreement": agreement,
        "agent": user_with_role(Role.AGENT, org),
        "other_agent": user_with_role(Role.AGENT, other),
        "admin": f.admin(),
    }


def _ticket(setup: dict[str, Any], at: dt.datetime, org: Any = None, **data: Any) -> Ticket:
    with time_machine.travel(at, tick=False):
        return f.ticket(org or setup["org"], service=setup["service"], urgency=1, impact=1, **data)


def _act(ticket: Ticket, code: str, at: dt.datetime, **params: Any) -> Ticket:
    with time_machine.travel(at, tick=False), context.acting(user=f.admin(), channel=context.Channel.WEB):
        return desk.apply_action(ticket.pk, code, actor=f.admin(), version=None, params=params)


def _resolve(ticket: Ticket, at: dt.datetime) -> Ticket:
    return _act(ticket, "resolve", at, resolution="再起動で復旧", cause_class="hardware")


def _three_p1(setup: dict[str, Any]) -> list[Ticket]:
    """Three P1 incidents of Tuesday 2026-12-01 10:00: responses 5, 5, 20 min; resolved in 2, 3, 5 h."""
    tickets = []
    for start, resolved in (
        (jst(2026, 12, 1, 10, 5), 12),
        (jst(2026, 12, 1, 10, 5), 13),
        (jst(2026, 12, 1, 10, 20), 15),
    ):
        ticket = _ticket(setup, jst(2026, 12, 1, 10, 0))
        _act(ticket, "start", start)
        _resolve(ticket, jst(2026, 12, 1, resolved, 0))
        tickets.append(ticket)
    return tickets


def _row(
    setup: dict[str, Any], *, metric: str, elapsed: int, month: dt.date = DEC, **data: Any
) -> ClockResult:
    """A result written directly (aggregate edge cases); its ticket has no agreement of its own."""
    org = data.pop("customer", setup["org"])
    ticket = data.pop("ticket", None) or f.ticket(org, title=f"件 {next(_numbers)}")
    target = data.pop("target", 600)
    stopped = data.pop("stopped_at", dt.datetime(month.year, month.month, 10, 3, tzinfo=dt.UTC))
    values = {
        "ticket": ticket,
        "agreement": setup["agreement"],
        "metric": metric,
        "month": month,
        "stopped_at": stopped,
        "target_seconds": target,
        "elapsed_seconds": elapsed,
        "met": elapsed <= target,
        "service": setup["service"],
        "customer": org,
        "priority": 1,
        "ticket_kind": "incident",
    }
    values.update(data)
    return ClockResult.objects.create(**values)


# -- percentiles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([300, 300, 1200], 0.5, 300.0),
        ([300, 300, 1200], 0.9, 1020.0),
        ([100, 200, 300, 400], 0.5, 250.0),
        ([100, 200, 300, 400], 0.9, 370.0),
        ([42], 0.9, 42.0),
        ([10, 20], 1.0, 20.0),
        ([10, 20], 0.0, 10.0),
        ([], 0.5, None),
    ],
)
def test_percentile_is_linear_interpolation_like_percentile_cont(
    values: list[int], fraction: float, expected: float | None
) -> None:
    assert reports.percentile(values, fraction) == pytest.approx(expected)


# -- achievement -------------------------------------------------------------------------------


def test_report_from_real_tickets_has_exact_met_shares_and_percentiles(setup: dict[str, Any]) -> None:
    _three_p1(setup)
    report = reports.sla_report(setup["agent"], month=DEC, group_by="service")
    assert [g.label for g in report.groups] == ["会計システム"]
    group = report.groups[0]
    assert group.tickets == 3
    assert (group.response.count, group.response.met) == (3, 2)
    assert group.response.met_percent == pytest.approx(200 / 3)
    assert group.response.p50 == pytest.approx(300)
    assert group.response.p90 == pytest.approx(1020)
    assert (group.resolution.count, group.resolution.met) == (3, 2)
    assert group.resolution.p50 == pytest.approx(10800)
    assert group.resolution.p90 == pytest.approx(16560)  # 10800 + 0.8 × (18000 − 10800)
    assert group.breaches == 2
    assert report.total.response.met_percent == pytest.approx(200 / 3)
    assert report.period == reports.Period(DEC, DEC)


def test_report_groups_by_priority_customer_month_and_agreement(setup: dict[str, Any]) -> None:
    second = Agreement.objects.create(
        name="B 契約", kind="sla", calendar=setup["calendar"], tier=setup["tier"], ticket_kinds=["incident"]
    )
    _row(setup, metric="response", elapsed=100, priority=1)
    _row(setup, metric="response", elapsed=900, priority=2)
    _row(setup, metric="response", elapsed=300, priority=2, agreement=second)
    _row(setup, metric="resolution", elapsed=500, priority=2, month=NOV)
    admin = setup["admin"]
    by_priority = reports.sla_report(admin, month=DEC, group_by="priority")
    assert [(g.key, g.response.count, g.response.met) for g in by_priority.groups] == [(1, 1, 1), (2, 2, 1)]
    assert by_priority.groups[0].label.startswith("P1")
    by_agreement = reports.sla_report(admin, month=DEC, group_by="agreement")
    assert [(g.label, g.response.count) for g in by_agreement.groups] == [
        ("B 契約", 1),
        ("会計サービス SLA", 2),
    ]
    by_month = reports.sla_report(admin, start=NOV, end=DEC, group_by="month")
    assert [(g.key, g.response.count, g.resolution.count) for g in by_month.groups] == [
        (NOV, 0, 1),
        (DEC, 3, 0),
    ]
    assert by_month.groups[0].response.p50 is None and by_month.groups[0].resolution.p50 == 500
    by_customer = reports.sla_report(admin, month=DEC, group_by="customer", priority=2)
    assert [(g.label, g.response.count) for g in by_customer.groups] == [("経理部", 2)]
    assert by_customer.groups[0].response.p50 == pytest.approx(600)  # 300 and 900


def test_other_kinds_of_agreement_are_not_in_the_sla_report(setup: dict[str, Any]) -> None:
    team = f.TeamFactory(organisation=setup["org"])
    ola = Agreement.objects.create(
        name="OLA",
        kind="ola",
        team=team,
        calendar=setup["calendar"],
        tier=setup["tier"],
        ticket_kinds=["incident"],
    )
    _row(setup, metric="response", elapsed=100)
    _row(setup, metric="response", elapsed=100, agreement=ola)
    assert reports.sla_report(setup["admin"], month=DEC).total.response.count == 1
    assert reports.sla_report(setup["admin"], month=DEC, kind="ola").total.response.count == 1
    assert reports.sla_report(setup["admin"], month=DEC, agreement=ola.pk).total.response.count == 1


def test_one_month_report_is_one_aggregate_query(setup: dict[str, Any]) -> None:
    _row(setup, metric="response", elapsed=100)
    _row(setup, metric="resolution", elapsed=100)
    with CaptureQueriesContext(connection) as captured:
        reports.sla_report(setup["admin"], month=DEC, group_by="service")
    on_results = [q["sql"] for q in captured.captured_queries if "slm_clockresult" in q["sql"]]
    assert len(on_results) == (1 if connection.vendor == "postgresql" else 2)
    assert "GROUP BY" in on_results[0]
    if connection.vendor == "postgresql":
        assert "percentile_cont" in on_results[0]


def test_month_is_the_month_in_tokyo_where_each_clock_stopped(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 11, 30, 17, 0))  # Monday
    _act(ticket, "start", jst(2026, 11, 30, 17, 5))
    _resolve(ticket, jst(2026, 12, 1, 0, 30))  # 2026-11-30 15:30 UTC
    months = dict(ClockResult.objects.filter(ticket=ticket).values_list("metric", "month"))
    assert months == {"response": NOV, "resolution": DEC}
    november = reports.sla_report(setup["agent"], month=NOV).total
    december = reports.sla_report(setup["agent"], month=DEC).total
    assert (november.response.count, november.resolution.count) == (1, 0)
    assert (december.response.count, december.resolution.count) == (0, 1)
    assert reports.sla_report(setup["agent"], month=dt.date(2026, 10, 1)).groups == []


def test_another_organisations_tickets_are_invisible(setup: dict[str, Any]) -> None:
    _row(setup, metric="response", elapsed=100)
    _row(setup, metric="response", elapsed=9000, customer=setup["other"])
    report = reports.sla_report(setup["agent"], month=DEC, group_by="customer")
    assert [(g.label, g.response.count) for g in report.groups] == [("経理部", 1)]
    assert reports.breaches(setup["agent"], month=DEC).rows == []
    assert len(reports.breaches(setup["other_agent"], month=DEC).rows) == 1
    assert reports.sla_report(setup["agent"], month=DEC, customer=setup["other"].pk).groups == []
    assert reports.sla_report(setup["admin"], month=DEC).total.response.count == 2


def test_requester_may_not_see_reports(setup: dict[str, Any]) -> None:
    requester = f.requester_of(setup["org"])
    with pytest.raises(PermissionDenied):
        reports.sla_report(requester, month=DEC)
    with pytest.raises(PermissionDenied):
        reports.availability(requester, month=DEC)


def test_breaches_list_tickets_with_links_newest_first(setup: dict[str, Any]) -> None:
    tickets = _three_p1(setup)
    found = reports.breaches(setup["agent"], month=DEC)
    assert [(b.number, b.metric) for b in found.rows] == [
        (tickets[2].number, "resolution"),
        (tickets[2].number, "response"),
    ]
    first = found.rows[0]
    assert first.url == reverse("tickets:ticket", args=[tickets[2].pk])
    assert (first.elapsed_seconds, first.target_seconds, first.over_seconds) == (18000, 14400, 3600)
    assert first.title == tickets[2].title and first.customer == "経理部" and first.service == "会計システム"
    limited = reports.breaches(setup["agent"], month=DEC, limit=1)
    assert len(limited.rows) == 1 and limited.more and not found.more


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "2026-00"}, "month"),
        ({"month": "26-12"}, "month"),
        ({"month": "1999-12"}, "month"),
        ({"month": "2026-12" + "x" * 200}, "month"),
        ({"group_by": "evil"}, "group_by"),
        ({"group_by": "service; DROP TABLE slm_clockresult"}, "group_by"),
        ({"priority": "x"}, "priority"),
        ({"priority": "7"}, "priority"),
        ({"priority": "0"}, "priority"),
        ({"service": "-1"}, "service"),
        ({"service": "1.5"}, "service"),
        ({"service": "99999999999999999999"}, "service"),
        ({"customer": "9" * 19}, "customer"),
        ({"kind": "gold"}, "kind"),
        ({"start": "2020-01", "end": "2026-12"}, "end"),
        ({"start": "2026-12", "end": "2026-01"}, "end"),
        ({"month": "2026-12", "start": "2026-01"}, "month"),
    ],
)
def test_bad_parameters_are_refused_with_the_field(
    setup: dict[str, Any], params: dict[str, str], field: str
) -> None:
    with pytest.raises(reports.ReportError) as caught:
        group_by, filters = reports.parse_params(params)
        reports.sla_report(setup["admin"], group_by=group_by, **filters)
    assert caught.value.field == field
    assert str(caught.value)


def test_direct_calls_check_their_arguments(setup: dict[str, Any]) -> None:
    admin = setup["admin"]
    with pytest.raises(ValueError, match="evil"):
        reports.sla_report(admin, group_by="evil")
    with pytest.raises(ValueError):
        reports.sla_report(admin, month="2026-12")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        reports.sla_report(admin, start=dt.date(2023, 1, 1), end=dt.date(2026, 1, 1))  # 37 months
    assert (
        len(reports.sla_report(admin, start=dt.date(2024, 1, 1), end=dt.date(2026, 12, 31)).period.months)
        == 36
    )
    with pytest.raises(ValueError):
        reports.breaches(admin, month=DEC, limit=5000)
    with pytest.raises(ValueError):
        reports.sla_report(admin, month=DEC, agreement=10**9)


# -- workload ----------------------------------------------------------------------------------


def test_workload_counts_tickets_per_month_against_the_limit(setup: dict[str, Any]) -> None:
    _ticket(setup, jst(2026, 11, 30, 23, 50))  # still November in Tokyo
    for hour in (0, 9, 10):
        _ticket(setup, jst(2026, 12, 1, hour, 30))
    rows = reports.workload(setup["agent"], start=NOV, end=DEC)
    assert [(r.month, r.tickets, r.limit, r.over) for r in rows] == [(NOV, 1, 2, False), (DEC, 3, 2, True)]
    assert rows[0].percent == pytest.approx(50) and rows[1].percent == pytest.approx(150)
    hidden = reports.workload(setup["other_agent"], start=NOV, end=DEC)
    assert [(r.month, r.tickets) for r in hidden] == [(NOV, 0), (DEC, 0)]  # the limit, none of A's tickets
    assert [r.tickets for r in reports.workload(setup["agent"], month=DEC, priority=4)] == [0]


# -- availability ------------------------------------------------------------------------------


def _outage(service: Service, start: dt.datetime, end: dt.datetime | None, *, planned: bool = False) -> None:
    Outage.objects.create(service=service, start=start, end=end, planned=planned)


def test_availability_counts_unplanned_outages_and_splits_them_at_the_month(setup: dict[str, Any]) -> None:
    around = BusinessCalendar.objects.get(is_default=False)  # 24×7
    service = Service.objects.create(name="基幹ネットワーク", code="net", organisation=setup["org"])
    Agreement.objects.create(
        name="ネットワーク SLA",
        kind="sla",
        service=service,
        calendar=around,
        tier=setup["tier"],
        ticket_kinds=["incident"],
        availability_target="99.900",
    )
    _outage(service, jst(2026, 11, 30, 23, 0), jst(2026, 12, 1, 2, 0))  # 60 min Nov, 120 min Dec
    _outage(service, jst(2026, 12, 5, 1, 0), jst(2026, 12, 5, 3, 0), planned=True)
    _outage(service, jst(2026, 12, 10, 10, 0), jst(2026, 12, 10, 11, 0))
    _outage(service, jst(2026, 12, 10, 10, 30), jst(2026, 12, 10, 11, 30))  # overlaps: 90 min together
    _outage(service, jst(2026, 12, 31, 23, 0), None)  # still going on: 60 min in December
    rows = reports.availability(setup["agent"], start=NOV, end=DEC, service=service.pk, now=LATER)
    november, december = rows
    assert (november.month, november.unplanned_minutes, november.period_minutes) == (NOV, 60, 30 * 1440)
    assert (december.unplanned_minutes, december.planned_minutes, december.outages) == (270, 120, 4)
    assert december.period_minutes == 31 * 1440
    assert december.availability == pytest.approx(100 * (1 - 270 / (31 * 1440)))
    assert (
        december.target == pytest.approx(99.9) and december.met is False and december.basis == "service_hours"
    )
    assert november.availability == pytest.approx(100 * (1 - 60 / 43200))


def test_availability_counts_only_the_service_hours_of_the_calendar(setup: dict[str, Any]) -> None:
    _outage(setup["service"], jst(2026, 12, 1, 17, 0), jst(2026, 12, 1, 20, 0))  # 1 h within 9:00–18:00
    _outage(setup["service"], jst(2026, 12, 5, 10, 0), jst(2026, 12, 5, 12, 0))  # Saturday: closed
    (row,) = reports.availability(setup["agent"], month=DEC, now=LATER)
    assert row.unplanned_seconds == 3600
    assert row.period_seconds == 20 * 9 * 3600  # 23 weekdays minus the year-end closure 12/29–12/31
    assert row.availability == pytest.approx(100 * (1 - 1 / 180))
    assert row.met is False and row.target == pytest.approx(99.5)  # 99.44 %
    assert row.outages == 2  # both overlap the month, one outside the hours


def test_availability_of_the_current_month_counts_until_now(setup: dict[str, Any]) -> None:
    around = BusinessCalendar.objects.get(is_default=False)
    Agreement.objects.filter(pk=setup["agreement"].pk).update(calendar=around)
    (row,) = reports.availability(setup["agent"], start=DEC, end=dt.date(2027, 1, 1), now=jst(2026, 12, 15))
    assert row.period_minutes == 14 * 1440 and row.unplanned_seconds == 0 and row.availability == 100


def test_availability_of_a_service_without_agreement_is_in_calendar_time(setup: dict[str, Any]) -> None:
    service = Service.objects.create(name="社内 Wiki", code="wiki", organisation=setup["org"])
    _outage(service, jst(2026, 12, 6, 0, 0), jst(2026, 12, 6, 1, 0))
    rows = [
        r for r in reports.availability(setup["agent"], month=DEC, now=LATER) if r.service_id == service.pk
    ]
    assert [(r.basis, r.unplanned_minutes, r.target, r.met) for r in rows] == [("calendar", 60, None, None)]
    assert reports.availability(setup["other_agent"], month=DEC, now=LATER) == []


# -- the page and its exports ------------------------------------------------------------------


@pytest.fixture
def agent_client(client: Any, setup: dict[str, Any]) -> Any:
    client.force_login(setup["agent"])
    return client


def test_report_page_shows_charts_tables_and_breach_links(setup: dict[str, Any], agent_client: Any) -> None:
    tickets = _three_p1(setup)
    response = agent_client.get(reverse("slm_reports:report"), {"month": "2026-12"})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<svg class="bar-chart"') >= 2
    assert 'class="bar-response"' in body and 'class="chart-goal"' in body
    assert reverse("tickets:ticket", args=[tickets[2].pk]) in body
    assert "slm/reports.css" in body and "style=" not in body


def test_report_page_refuses_bad_input_and_escapes_it(agent_client: Any) -> None:
    response = agent_client.get(reverse("slm_reports:report"), {"group_by": "<script>alert(1)</script>"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    month = agent_client.get(reverse("slm_reports:report"), {"month": '"><script>x</script>'})
    assert month.status_code == 400 and "<script>x" not in month.content.decode()
    assert agent_client.get(reverse("slm_reports:report"), {"goal": "nan"}).status_code == 400


def test_report_page_needs_a_staff_login(client: Any, setup: dict[str, Any]) -> None:
    url = reverse("slm_reports:report")
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.force_login(f.requester_of(setup["org"]))
    assert client.get(url).status_code == 403
    assert client.get(reverse("slm_reports:export"), {"format": "csv"}).status_code == 403


def test_csv_export_has_bom_translated_headers_and_no_formulas(
    setup: dict[str, Any], agent_client: Any
) -> None:
    _three_p1(setup)
    Ticket.objects.filter(pk__in=ClockResult.objects.values("ticket_id")).update(title='=HYPERLINK("x")')
    response = agent_client.get(reverse("slm_reports:export"), {"month": "2026-12", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sla-report-2026-12.csv"'
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header = text[1:].splitlines()[0]
    assert header.startswith("サービス,")  # "Service" in the Japanese catalogue
    assert "会計システム" in text
    breaches = agent_client.get(
        reverse("slm_reports:export"), {"month": "2026-12", "format": "csv", "table": "breaches"}
    ).content.decode("utf-8")
    assert breaches.startswith("\ufeff番号,件名,")
    assert "'=HYPERLINK" in breaches and ",=HYPERLINK" not in breaches


def test_xlsx_export_has_one_sheet_per_table_bold_headers_and_numbers(
    setup: dict[str, Any], agent_client: Any
) -> None:
    _three_p1(setup)
    response = agent_client.get(reverse("slm_reports:export"), {"month": "2026-12", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sla-report-2026-12.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 4
    sheet = book.worksheets[0]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["A2"].value == "会計システム"
    assert sheet["B2"].value == 3 and isinstance(sheet["E2"].value, float)
    assert sheet["E2"].value == pytest.approx(200 / 3)
    breaches = book.worksheets[1]
    assert breaches.max_row == 3 and breaches["H2"].value == 300  # elapsed minutes, a number
    assert breaches["H2"].number_format == "0.0" and breaches["G2"].is_date


@pytest.mark.parametrize(
    "params",
    [
        {"format": "pdf"},
        {"format": "csv", "table": "secrets"},
        {"format": "xlsx", "month": "2026-13"},
        {"format": "csv", "group_by": "evil"},
        {"format": "csv", "priority": "x"},
        {"format": "csv", "service": "9" * 500},
    ],
)
def test_export_refuses_bad_parameters_with_400(agent_client: Any, params: dict[str, str]) -> None:
    response = agent_client.get(reverse("slm_reports:export"), params)
    assert response.status_code == 400
    assert "Content-Disposition" not in response


# -- API ---------------------------------------------------------------------------------------

API = "/api/v1/reports/sla/"


def test_api_returns_groups_breaches_workload_and_availability(
    setup: dict[str, Any], agent_client: Any
) -> None:
    tickets = _three_p1(setup)
    response = agent_client.get(API, {"month": "2026-12", "group_by": "priority"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["period"] == {"start": "2026-12", "end": "2026-12", "months": ["2026-12"]}
    (group,) = data["groups"]
    assert group["key"] == 1 and group["tickets"] == 3
    assert group["response"]["met"] == 2 and group["response"]["p90_seconds"] == pytest.approx(1020)
    assert group["resolution"]["p50_seconds"] == pytest.approx(10800)
    assert [b["number"] for b in data["breaches"]] == [tickets[2].number] * 2
    assert data["breaches"][0]["url"].endswith(reverse("tickets:ticket", args=[tickets[2].pk]))
    assert data["breaches_truncated"] is False
    assert data["workload"][0]["tickets"] == 3 and data["workload"][0]["over_limit"] is True
    assert isinstance(data["availability"], list)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"group_by": "evil"}, "group_by"),
        ({"priority": "x"}, "priority"),
        ({"month": "2026-12" * 500}, "month"),
        ({"service": "<script>alert(1)</script>"}, "service"),
        ({"start": "2020-01", "end": "2026-12"}, "end"),
        ({"agreement": "424242"}, "agreement"),
    ],
)
def test_api_bad_parameters_are_problem_json_400(
    agent_client: Any, params: dict[str, str], field: str
) -> None:
    response = agent_client.get(API, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400 and field in body["errors"]


def test_api_needs_authentication_and_a_staff_role(client: Any, setup: dict[str, Any]) -> None:
    assert client.get(API).status_code == 401
    client.force_login(f.requester_of(setup["org"]))
    response = client.get(API)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_api_hides_other_organisations(setup: dict[str, Any], client: Any) -> None:
    _row(setup, metric="response", elapsed=9000, customer=setup["other"])
    client.force_login(setup["agent"])
    data = client.get(API, {"month": "2026-12"}).json()
    assert data["groups"] == [] and data["breaches"] == []
