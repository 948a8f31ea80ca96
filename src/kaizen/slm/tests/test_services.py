"""Service level management on real tickets: matching, clocks from history, revisions, results, alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.portfolio.models import Service
from kaizen.slm import alerts, calendars, defaults, queries, services
from kaizen.slm.models import (
    Agreement,
    BusinessCalendar,
    ClockAlert,
    ClockResult,
    ServiceTier,
    TicketAgreement,
)
from kaizen.tickets import services as desk
from kaizen.tickets.models import StateLog, Ticket
from kaizen.tickets.tests import factories as f

pytestmark = pytest.mark.django_db

JST = dt.timezone(dt.timedelta(hours=9))


def jst(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=JST)


@pytest.fixture
def setup(db: Any) -> dict[str, Any]:
    f.desk()
    with context.acting(channel=context.Channel.SYSTEM):
        defaults.load()
    org = OrganisationFactory(name="経理部")
    service = Service.objects.create(name="会計システム", code="ACC", organisation=org)
    calendar = BusinessCalendar.objects.get(is_default=True)
    tier = ServiceTier.objects.create(
        name="試験",
        targets={
            "1": {"response": 10, "resolution": 240},
            "2": {"response": 30, "resolution": 480},
            "3": {"response": 120, "resolution": 1080},
            "4": {"response": 240, "resolution": 2700},
        },
    )
    agreement = Agreement.objects.create(
        name="会計サービス SLA",
        kind="sla",
        service=service,
        calendar=calendar,
        tier=tier,
        ticket_kinds=["incident"],
        warn_at=[75, 90],
    )
    return {"org": org, "service": service, "calendar": calendar, "agreement": agreement}


def _ticket(setup: dict[str, Any], at: dt.datetime, **data: Any) -> Ticket:
    with time_machine.travel(at, tick=False):
        return f.ticket(setup["org"], service=setup["service"], **data)


def _act(ticket: Ticket, code: str, at: dt.datetime, **params: Any) -> Ticket:
    with time_machine.travel(at, tick=False), context.acting(user=f.admin(), channel=context.Channel.WEB):
        return desk.apply_action(ticket.pk, code, actor=f.admin(), version=None, params=params)


def _clocks(ticket: Ticket, at: dt.datetime) -> dict[str, Any]:
    return {c.clock.metric: c.clock for c in queries.ticket_clocks([ticket.pk], now=at)[ticket.pk]}


def test_ticket_gets_matching_agreement_with_reason(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 10, 0), urgency=1, impact=1)
    held = TicketAgreement.objects.get(ticket=ticket, until__isnull=True)
    assert held.agreement == setup["agreement"]
    assert "会計システム" in held.reason
    assert AuditEntry.objects.filter(record_id=str(ticket.pk), action="agreement").exists()


def test_ticket_of_other_service_gets_no_agreement(setup: dict[str, Any]) -> None:
    with time_machine.travel(jst(2026, 12, 1, 10, 0), tick=False):
        ticket = f.ticket(setup["org"])
    assert not TicketAgreement.objects.filter(ticket=ticket).exists()
    assert ticket.sla_due_at is None


def test_history_has_one_row_per_change(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 10, 0), urgency=1, impact=1)
    _act(ticket, "start", jst(2026, 12, 1, 10, 5))
    rows = list(StateLog.objects.filter(ticket=ticket).values_list("category", flat=True))
    assert rows[-1] == "open"
    assert len(rows) >= 2


def test_p1_clocks_run_in_business_hours_and_due_is_stored(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 4, 17, 0), urgency=1, impact=1)  # Friday
    ticket.refresh_from_db()
    assert ticket.priority == 1
    clocks_ = _clocks(ticket, jst(2026, 12, 4, 17, 30))
    assert clocks_["resolution"].elapsed == dt.timedelta(minutes=30)
    assert clocks_["resolution"].due == jst(2026, 12, 7, 12, 0).astimezone(dt.UTC)  # 1 h Fri + 3 h Mon
    assert ticket.sla_due_at == jst(2026, 12, 4, 17, 10).astimezone(dt.UTC)  # response: 10 min
    assert ticket.sla_state == "running"


def test_pending_customer_pauses_resolution(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 10, 0), urgency=1, impact=1)
    _act(ticket, "start", jst(2026, 12, 1, 10, 5))
    _act(ticket, "pend_customer", jst(2026, 12, 1, 11, 0), comment="ログを送ってください")
    _act(ticket, "resume", jst(2026, 12, 1, 13, 0))
    clock = _clocks(ticket, jst(2026, 12, 1, 14, 0))["resolution"]
    assert clock.elapsed == dt.timedelta(hours=2)
    assert clock.paused == dt.timedelta(hours=2)
    assert clock.state == "running"


def test_resolve_stores_results_and_reopen_removes_them(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 10, 0), urgency=1, impact=1)
    _act(ticket, "start", jst(2026, 12, 1, 10, 5))
    _act(ticket, "resolve", jst(2026, 12, 1, 12, 0), resolution="再起動で復旧", cause_class="hardware")
    results = {r.metric: r for r in ClockResult.objects.filter(ticket=ticket)}
    assert results["response"].met and results["response"].elapsed_seconds == 300
    assert results["resolution"].met and results["resolution"].elapsed_seconds == 2 * 3600
    assert results["resolution"].month == dt.date(2026, 12, 1)
    _act(ticket, "reopen", jst(2026, 12, 2, 9, 0), comment="再発しました")
    assert not ClockResult.objects.filter(ticket=ticket).exists()
    clock = _clocks(ticket, jst(2026, 12, 2, 10, 0))["resolution"]
    assert clock.elapsed == dt.timedelta(hours=3)  # 2 h before, resolved time not counted, 1 h now


def test_priority_change_measures_new_target_from_start(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 9, 0), urgency=3, impact=3)
    ticket.refresh_from_db()
    assert ticket.priority == 3
    with time_machine.travel(jst(2026, 12, 1, 14, 0), tick=False), context.acting(user=f.admin()):
        desk.update_ticket(
            ticket.pk,
            actor=f.admin(),
            version=None,
            changes={},
            priority=1,
            priority_reason="全社影響が判明",
        )
    clock = _clocks(ticket, jst(2026, 12, 1, 14, 30))["resolution"]
    assert clock.state == "breached"
    assert clock.due == jst(2026, 12, 1, 13, 0).astimezone(dt.UTC)  # 4 h after 9:00


def test_calendar_edit_changes_only_time_after_it(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 17, 0), urgency=1, impact=1)
    calendar = setup["calendar"]
    longer = {**calendar.definition, "hours": [[["09:00", "20:00"]]] * 5 + [[], []]}
    with time_machine.travel(jst(2026, 12, 1, 18, 30), tick=False):
        services.update_calendar(calendar.pk, actor=f.admin(), changes={"definition": longer}, version=None)
    clock = _clocks(ticket, jst(2026, 12, 1, 19, 30))["resolution"]
    assert clock.elapsed == dt.timedelta(hours=2)  # 17:00–18:00 old hours, 18:30–19:30 new hours


def test_calendar_with_overlapping_ranges_is_refused(setup: dict[str, Any]) -> None:
    bad = {**calendars.DEFAULT_DEFINITION, "hours": [[["09:00", "13:00"], ["12:00", "18:00"]]] + [[]] * 6}
    with pytest.raises(ValidationError) as caught:
        services.create_calendar(actor=f.admin(), data={"name": "重なり", "definition": bad})
    assert "hours" in caught.value.message_dict


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"hours": [[["18:00", "09:00"]]] + [[]] * 6}, "hours"),
        ({"hours": [[["09:00", "25:00"]]] + [[]] * 6}, "hours"),
        ({"hours": "9-18"}, "hours"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates"),
        (
            {"closures": [{"start": "2026-12-01T18:00:00+09:00", "end": "2026-12-01T09:00:00+09:00"}]},
            "closures",
        ),
        ({"public_holidays": "XX"}, "public_holidays"),
    ],
)
def test_bad_calendar_definitions_are_refused(
    setup: dict[str, Any], definition: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_calendar(
            actor=f.admin(),
            data={"name": "bad", "definition": {**calendars.DEFAULT_DEFINITION, **definition}},
        )
    assert field in caught.value.message_dict


def test_agreement_that_matches_nothing_is_refused(setup: dict[str, Any]) -> None:
    tier = ServiceTier.objects.create(name="P1 のみ", targets={"1": {"resolution": 60}})
    agreement = Agreement(
        name="P4 SLA", calendar=setup["calendar"], tier=tier, ticket_kinds=["incident"], priorities=[4]
    )
    with pytest.raises(ValidationError) as caught:
        agreement.full_clean()
    assert "priorities" in caught.value.message_dict


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"1": {"resolution": 0}}, "more than zero"),
        ({"1": {"resolution": -5}}, "more than zero"),
        ({"9": {"resolution": 5}}, "priority"),
        ({"1": {"resolution": "4h"}}, "minutes"),
    ],
)
def test_bad_targets_are_refused(setup: dict[str, Any], targets: dict[str, Any], message: str) -> None:
    agreement = Agreement(name="x", calendar=setup["calendar"], targets=targets, ticket_kinds=["incident"])
    with pytest.raises(ValidationError) as caught:
        agreement.full_clean()
    assert "targets" in caught.value.message_dict


def test_check_raises_each_warning_once_and_mails(
    setup: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    agent = user_with_role(Role.AGENT, None, email="agent@example.test")
    ticket = _ticket(setup, jst(2026, 12, 1, 10, 0), urgency=1, impact=1, assignee=f.person_of(agent))
    _act(ticket, "start", jst(2026, 12, 1, 10, 5))
    mail.outbox.clear()
    with context.acting(channel=context.Channel.JOB), django_capture_on_commit_callbacks(execute=True):
        assert alerts.check(now=jst(2026, 12, 1, 13, 10)) == 1  # 3 h 10 of 4 h: 79 % -> 75 %
        assert alerts.check(now=jst(2026, 12, 1, 13, 20)) == 0
        assert alerts.check(now=jst(2026, 12, 1, 13, 40)) == 1  # 90 %
        assert alerts.check(now=jst(2026, 12, 1, 14, 1)) == 1  # breached
        assert alerts.check(now=jst(2026, 12, 1, 14, 5)) == 0
    to_agent = [m.subject for m in mail.outbox if "agent@example.test" in m.to]
    assert len(to_agent) == 3, to_agent
    levels = sorted(ClockAlert.objects.filter(ticket=ticket).values_list("level", flat=True))
    assert levels == [75, 90, 100]
    ticket.refresh_from_db()
    assert ticket.sla_breached
    assert AuditEntry.objects.filter(record_id=str(ticket.pk), action="sla_breach").count() == 1


def test_check_waits_for_open_hours(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 4, 15, 0), urgency=1, impact=1)  # Friday
    _act(ticket, "start", jst(2026, 12, 4, 15, 5))
    with context.acting(channel=context.Channel.JOB):
        assert alerts.check(now=jst(2026, 12, 5, 10, 0)) == 0  # Saturday: 3 h of 4 h used, closed
        assert alerts.check(now=jst(2026, 12, 7, 9, 1)) == 1
    assert ClockAlert.objects.get(ticket=ticket).level == 75


def test_escalation_raises_priority(setup: dict[str, Any]) -> None:
    agreement = setup["agreement"]
    agreement.escalations = [{"at": 90, "metric": "resolution", "action": "raise_priority"}]
    agreement.save()
    ticket = _ticket(setup, jst(2026, 12, 1, 9, 0), urgency=2, impact=2)
    ticket.refresh_from_db()
    before = ticket.priority
    _act(ticket, "start", jst(2026, 12, 1, 9, 5))
    target = agreement.target(before, "resolution")
    assert target is not None
    at = jst(2026, 12, 1, 9, 0) + dt.timedelta(minutes=int(target * 0.95))
    with context.acting(channel=context.Channel.JOB):
        alerts.check(now=at if at.hour < 18 else jst(2026, 12, 2, 17, 0))
    ticket.refresh_from_db()
    assert ticket.priority == before - 1


def test_update_clock_restarts_with_each_public_reply(setup: dict[str, Any]) -> None:
    agreement = setup["agreement"]
    agreement.targets = {"1": {"update": 60}}
    agreement.save()
    ticket = _ticket(setup, jst(2026, 12, 1, 10, 0), urgency=1, impact=1)
    _act(ticket, "start", jst(2026, 12, 1, 10, 5))
    with time_machine.travel(jst(2026, 12, 1, 10, 40), tick=False), context.acting(user=f.admin()):
        desk.add_comment(ticket.pk, actor=f.admin(), body="調査中です。", visibility="public")
    update = _clocks(ticket, jst(2026, 12, 1, 11, 10))["update"]
    assert update.elapsed == dt.timedelta(minutes=30)
    assert update.due == jst(2026, 12, 1, 11, 40).astimezone(dt.UTC)


def test_breach_flags_the_resolved_incident_for_review(setup: dict[str, Any]) -> None:
    ticket = _ticket(setup, jst(2026, 12, 1, 9, 0), urgency=1, impact=1)
    _act(ticket, "start", jst(2026, 12, 1, 9, 5))
    _act(ticket, "resolve", jst(2026, 12, 1, 15, 0), resolution="交換", cause_class="hardware")
    ticket.refresh_from_db()
    assert ticket.sla_breached
    assert ticket.review_status == "pending"
    assert any("service level" in r or "SLA" in r or "サービスレベル" in r for r in ticket.review_reasons)


def test_customer_agreement_covers_subsidiaries(setup: dict[str, Any]) -> None:
    parent = OrganisationFactory(name="さくらホールディングス")
    child = OrganisationFactory(name="さくら物流", parent=parent)
    agreement = Agreement.objects.create(
        name="さくらグループ SLA",
        calendar=setup["calendar"],
        tier=setup["agreement"].tier,
        customer=parent,
        ticket_kinds=["incident"],
        order=5,
    )
    with time_machine.travel(jst(2026, 12, 1, 10, 0), tick=False):
        ticket = f.ticket(child)
    assert TicketAgreement.objects.get(ticket=ticket, until__isnull=True).agreement == agreement
