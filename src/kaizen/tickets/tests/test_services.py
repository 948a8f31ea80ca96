"""The ticket services: numbering, intake rules, CMDB impact, priority, workflow, closure, reviews."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kaizen.cmdb.tests.factories import CIFactory, RelationshipFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.improvement.models import ImprovementItem
from kaizen.portfolio.tests.factories import ServiceFactory, depends
from kaizen.tickets import automation, services
from kaizen.tickets.choices import Kind, ReviewStatus, StateCategory, Visibility
from kaizen.tickets.models import Comment, ReviewCriterion, Ticket, TicketLink

from .factories import (
    OrganisationFactory,
    admin,
    desk,
    person_of,
    requester_of,
    team_with,
    ticket,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk():
    desk()


def resolve(t, actor, **params):
    params.setdefault("resolution", "再起動で復旧")
    params.setdefault("cause_class", "hardware")
    return services.apply_action(
        t.pk, "resolve", actor=actor, version=Ticket.objects.get(pk=t.pk).version, params=params
    )


def test_numbers_are_per_kind_and_sequential():
    org = OrganisationFactory()
    first, second = ticket(org), ticket(org)
    request = ticket(org, kind=Kind.REQUEST)
    problem = ticket(org, kind=Kind.PROBLEM)
    assert first.number.startswith("INC-") and len(first.number) == 10
    assert (
        int(second.number[4:]) == int(first.number[4:]) + 1
    )  # numbers may skip after a rollback, never repeat
    assert request.number.startswith("REQ-") and problem.number.startswith("PRB-")
    assert first.state.code == "new" and first.state_category == StateCategory.NEW


def test_requester_creates_for_themself_and_cannot_set_staff_fields():
    org = OrganisationFactory()
    user = requester_of(org)
    created = services.create_ticket(
        actor=user, kind=Kind.INCIDENT, data={"title": "印刷できない", "urgency": 2}
    )
    assert created.requester == person_of(user) and created.organisation == org
    with pytest.raises(ValidationError):
        services.create_ticket(actor=user, kind=Kind.INCIDENT, data={"title": "x", "team": team_with().pk})
    other = OrganisationFactory()
    unseen = ServiceFactory(organisation=other)
    with pytest.raises(ValidationError) as exc:
        services.create_ticket(actor=user, kind=Kind.INCIDENT, data={"title": "x", "service": unseen.pk})
    assert "service" in exc.value.message_dict


def test_user_without_role_cannot_create():
    with pytest.raises(PermissionDenied):
        services.create_ticket(
            actor=user_with_role(None, OrganisationFactory()), kind=Kind.INCIDENT, data={"title": "x"}
        )


def test_another_organisations_ci_is_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    agent = user_with_role(Role.AGENT, mine)
    hidden = CIFactory(organisation=theirs)
    with pytest.raises(ValidationError) as exc:
        services.create_ticket(
            actor=agent, kind=Kind.INCIDENT, data={"title": "x", "organisation": mine}, cis=[hidden.pk]
        )
    assert "cis" in exc.value.message_dict


def test_impact_comes_from_the_cmdb_and_overriding_it_needs_a_reason():
    org = OrganisationFactory()
    host, app = CIFactory(organisation=org), CIFactory(organisation=org)
    RelationshipFactory(source=app, target=host)
    services_ = [ServiceFactory(organisation=org) for _ in range(2)]
    customers = [OrganisationFactory() for _ in range(3)]
    for service in services_:
        depends(service, on_ci=app)
        service.customers.set(customers)
    created = ticket(org, cis=[host.pk], urgency=1)
    assert created.impact_suggested == 1 and created.impact == 1 and created.priority == 1
    with pytest.raises(ValidationError) as exc:
        ticket(org, cis=[host.pk], impact=4)
    assert "impact_reason" in exc.value.message_dict
    overridden = services.create_ticket(
        actor=admin(),
        kind=Kind.INCIDENT,
        data={"title": "x", "organisation": org, "impact": 4, "urgency": 4},
        cis=[host.pk],
        impact_reason="検証環境のみ",
    )
    assert (overridden.impact, overridden.impact_reason, overridden.priority) == (4, "検証環境のみ", 4)


def test_priority_follows_the_configured_matrix():
    from kaizen.tickets.models import PriorityRule

    PriorityRule.objects.filter(impact=3, urgency=3).update(priority=1)
    assert ticket(impact=3, urgency=3).priority == 1
    assert ticket(impact=4, urgency=4).priority == 4


def test_resolve_needs_a_resolution_and_a_cause_class():
    t = ticket()
    with pytest.raises(ValidationError) as exc:
        services.apply_action(t.pk, "resolve", actor=admin(), version=t.version, params={})
    assert {"resolution", "cause_class"} <= set(exc.value.message_dict)
    assert Ticket.objects.get(pk=t.pk).state.code == "new"
    done = resolve(t, admin())
    assert (
        done.state_category == StateCategory.RESOLVED and done.cause_class == "hardware" and done.resolved_at
    )


def test_an_action_that_does_not_apply_lists_the_allowed_ones():
    t = ticket()
    with pytest.raises(ActionNotAllowed) as exc:
        services.apply_action(t.pk, "close", actor=admin(), version=t.version)
    assert "resolve" in exc.value.allowed and "close" not in exc.value.allowed


def test_a_stale_version_conflicts_and_tells_what_changed():
    t = ticket()
    agent = user_with_role(Role.AGENT, None)
    services.update_ticket(t.pk, actor=agent, changes={"title": "一人目の変更"}, version=1)
    with pytest.raises(ConflictError) as exc:
        services.update_ticket(t.pk, actor=agent, changes={"title": "二人目の変更"}, version=1)
    assert exc.value.current_version == 2
    assert exc.value.changes[0]["changes"]["title"] == ["メールが送れない", "一人目の変更"]
    assert Ticket.objects.get(pk=t.pk).title == "一人目の変更"


def test_closure_policy_low_priority_by_assignee_high_priority_by_manager():
    org = OrganisationFactory()
    assignee, other = user_with_role(Role.AGENT, None), user_with_role(Role.AGENT, None)
    manager = user_with_role(Role.MANAGER, None)
    ReviewCriterion.objects.all().delete()
    low = ticket(org, impact=4, urgency=4, assignee=person_of(assignee).pk)
    resolve(low, assignee)
    with pytest.raises(ValidationError):
        services.apply_action(low.pk, "close", actor=other, version=Ticket.objects.get(pk=low.pk).version)
    closed = services.apply_action(
        low.pk, "close", actor=assignee, version=Ticket.objects.get(pk=low.pk).version
    )
    assert closed.state_category == StateCategory.CLOSED
    high = ticket(org, impact=1, urgency=1, assignee=person_of(assignee).pk)
    resolve(high, assignee)
    with pytest.raises(ValidationError):
        services.apply_action(
            high.pk, "close", actor=assignee, version=Ticket.objects.get(pk=high.pk).version
        )
    services.apply_action(high.pk, "close", actor=manager, version=Ticket.objects.get(pk=high.pk).version)


def test_p1_needs_an_improvement_decision_before_closing():
    manager = user_with_role(Role.MANAGER, None)
    t = ticket(impact=1, urgency=1)
    resolved = resolve(t, manager, cause_class="operation")
    assert resolved.review_status == ReviewStatus.PENDING
    assert any("P1" in r for r in resolved.review_reasons) and len(resolved.review_reasons) == 2
    with pytest.raises(ValidationError):
        services.apply_action(t.pk, "close", actor=manager, version=resolved.version)
    with pytest.raises(ValidationError):
        services.record_review_decision(t.pk, actor=manager, outcome="dismissed", reason="")
    decision = services.record_review_decision(
        t.pk, actor=manager, outcome="problem", problem_title="手順書の不備"
    )
    problem = decision.problem
    assert problem.kind == Kind.PROBLEM and problem.number.startswith("PRB-")
    assert TicketLink.objects.filter(from_ticket=t, to_ticket=problem, kind="caused_by").exists()
    after = Ticket.objects.get(pk=t.pk)
    assert after.review_status == ReviewStatus.DECIDED
    services.apply_action(t.pk, "close", actor=manager, version=after.version)


def test_review_decision_to_the_improvement_register():
    manager = user_with_role(Role.MANAGER, None)
    t = ticket(impact=1, urgency=2)
    resolve(t, manager)
    decision = services.record_review_decision(
        t.pk, actor=manager, outcome="improvement", improvement_title="監視閾値の見直し"
    )
    item = decision.improvement
    assert item.number == "IMP-000001" and item.source_ticket_id == t.pk
    assert ImprovementItem.objects.count() == 1


def test_repeated_incidents_on_one_ci_are_flagged():
    org = OrganisationFactory()
    ci = CIFactory(organisation=org)
    for _ in range(2):
        ticket(org, cis=[ci.pk], impact=4, urgency=4, impact_reason="x")
    third = ticket(org, cis=[ci.pk], impact=4, urgency=4, impact_reason="x")
    resolved = resolve(third, admin(), cause_class="hardware")
    assert resolved.review_status == ReviewStatus.PENDING
    assert any("3" in r for r in resolved.review_reasons)


def test_requester_reply_resumes_a_ticket_waiting_for_them():
    org = OrganisationFactory()
    user = requester_of(org)
    agent = user_with_role(Role.AGENT, None)
    t = services.create_ticket(actor=user, kind=Kind.INCIDENT, data={"title": "VPNに繋がらない"})
    services.apply_action(t.pk, "start", actor=agent, version=Ticket.objects.get(pk=t.pk).version)
    waiting = services.apply_action(
        t.pk,
        "pend_customer",
        actor=agent,
        version=Ticket.objects.get(pk=t.pk).version,
        params={"comment": "OSを教えてください"},
    )
    assert waiting.state.code == "pending_customer"
    assert Comment.objects.filter(ticket=t, visibility=Visibility.PUBLIC).count() == 1
    services.add_comment(t.pk, actor=user, body="Windows 11 です", visibility=Visibility.INTERNAL)
    after = Ticket.objects.get(pk=t.pk)
    assert after.state.code == "in_progress" and after.last_requester_reply_at is not None
    assert Comment.objects.filter(ticket=t, visibility=Visibility.PUBLIC).count() == 2  # forced public


def test_requester_cannot_touch_someone_elses_ticket():
    org = OrganisationFactory()
    mine, theirs = requester_of(org), requester_of(org)
    t = services.create_ticket(actor=theirs, kind=Kind.INCIDENT, data={"title": "x"})
    with pytest.raises(Ticket.DoesNotExist):
        services.add_comment(t.pk, actor=mine, body="見えるはずがない")
    with pytest.raises(Ticket.DoesNotExist):
        services.apply_action(t.pk, "cancel", actor=mine, version=1, params={"comment": "x"})


def test_reopen_window_after_closure():
    ReviewCriterion.objects.all().delete()
    t = ticket(impact=4, urgency=4)
    resolve(t, admin())
    services.apply_action(t.pk, "close", actor=admin(), version=Ticket.objects.get(pk=t.pk).version)
    with time_machine.travel(timezone.now() + dt.timedelta(days=8)), pytest.raises(ValidationError):
        services.apply_action(
            t.pk,
            "reopen",
            actor=admin(),
            version=Ticket.objects.get(pk=t.pk).version,
            params={"comment": "再発"},
        )
    reopened = services.apply_action(
        t.pk, "reopen", actor=admin(), version=Ticket.objects.get(pk=t.pk).version, params={"comment": "再発"}
    )
    assert reopened.state.code == "in_progress" and reopened.reopen_count == 1 and reopened.closed_at is None


def test_requester_confirmation_closes_low_priority_tickets():
    org = OrganisationFactory()
    user = requester_of(org)
    ReviewCriterion.objects.all().delete()
    t = services.create_ticket(actor=user, kind=Kind.INCIDENT, data={"title": "x", "urgency": 4})
    resolve(t, admin())
    closed = services.confirm_resolution(t.pk, actor=user)
    assert closed.state_category == StateCategory.CLOSED


def test_templates_prefill_and_rules_route_with_an_audit_trail():
    from kaizen.tickets.models import BusinessRule, TicketTemplate

    org = OrganisationFactory()
    second_line = team_with(user_with_role(Role.AGENT, None), name="2次サポート")
    template = TicketTemplate.objects.create(
        name="パスワード再設定",
        kind=Kind.INCIDENT,
        title="パスワードを忘れた",
        urgency=2,
        tags="account, パスワード",
    )
    BusinessRule.objects.create(
        name="VPN は 2次へ",
        conditions=[{"field": "tags", "op": "contains", "value": "account"}],
        actions=[{"action": "set_team", "value": second_line.pk}, {"action": "add_tags", "value": ["auto"]}],
    )
    created = services.create_ticket(
        actor=admin(), kind=Kind.INCIDENT, data={"organisation": org}, template=template.pk
    )
    assert created.title == "パスワードを忘れた" and created.urgency == 2
    assert created.team == second_line
    assert set(created.tags.values_list("name", flat=True)) == {"account", "パスワード", "auto"}
    row = AuditEntry.objects.get(record_id=str(created.pk), record_type="tickets.ticket", action="rule")
    assert row.meta["rule"] == "VPN は 2次へ" and "team" in row.changes


def test_round_robin_and_least_loaded_assignment():
    from kaizen.tickets.models import TeamAssignment

    a, b = user_with_role(Role.AGENT, None), user_with_role(Role.AGENT, None)
    team = team_with(a, b)
    TeamAssignment.objects.create(team=team, mode="round_robin")
    got = [ticket(team=team.pk).assignee for _ in range(3)]
    assert got == [person_of(a), person_of(b), person_of(a)]
    assert all(
        Ticket.objects.get(assignee=p, pk=t.pk).state.code == "assigned"
        for p, t in [(got[0], Ticket.objects.order_by("pk").first())]
    )
    TeamAssignment.objects.filter(team=team).update(mode="least_loaded")
    assert ticket(team=team.pk).assignee == person_of(b)


def test_assignee_must_belong_to_the_team():
    team = team_with(user_with_role(Role.AGENT, None))
    outsider = user_with_role(Role.AGENT, None)
    with pytest.raises(ValidationError) as exc:
        ticket(team=team.pk, assignee=person_of(outsider).pk)
    assert "assignee" in exc.value.message_dict


def test_stale_rules_remind_then_close_once_each():
    org = OrganisationFactory()
    user = requester_of(org)
    agent = user_with_role(Role.AGENT, None)
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)  # a Tuesday
    with time_machine.travel(start, tick=False):
        t = services.create_ticket(actor=user, kind=Kind.INCIDENT, data={"title": "x"})
        services.apply_action(t.pk, "start", actor=agent, version=Ticket.objects.get(pk=t.pk).version)
        services.apply_action(
            t.pk,
            "pend_customer",
            actor=agent,
            version=Ticket.objects.get(pk=t.pk).version,
            params={"comment": "?"},
        )
    with time_machine.travel(start + dt.timedelta(days=4), tick=False):
        assert [h.rule.action for h in automation.stale_hits() if h.ticket.pk == t.pk and h.rule.states] == []
    with time_machine.travel(start + dt.timedelta(days=8), tick=False):  # 6 business days later
        hits = [h for h in automation.stale_hits() if h.ticket.pk == t.pk and h.rule.states]
        assert [h.rule.action for h in hits] == ["remind"]
        assert "5" in hits[0].why and hits[0].rule.name in hits[0].why
        assert automation.run_stale_rules() >= 1
        assert automation.run_stale_rules() == 0  # acts once
        assert Ticket.objects.get(pk=t.pk).state.code == "pending_customer"
    with time_machine.travel(start + dt.timedelta(days=16), tick=False):
        automation.run_stale_rules()
        closed = Ticket.objects.get(pk=t.pk)
        assert closed.state.code == "closed"
        row = AuditEntry.objects.filter(
            record_id=str(t.pk), record_type="tickets.ticket", action="transition"
        ).first()
        assert row.meta["rule"].startswith("顧客回答待ち 10営業日")


def test_resolved_tickets_close_after_the_confirmation_period():
    ReviewCriterion.objects.all().delete()
    start = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        low, high = ticket(impact=4, urgency=4), ticket(impact=1, urgency=1)
        resolve(low, admin())
        resolve(high, admin())
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        assert automation.auto_close() == 0
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        assert automation.auto_close() == 1
    assert Ticket.objects.get(pk=low.pk).state_category == StateCategory.CLOSED
    assert Ticket.objects.get(pk=high.pk).state_category == StateCategory.RESOLVED  # P1: a manager closes


def test_major_incident_notifies_managers_and_writes_the_timeline(django_capture_on_commit_callbacks):
    user_with_role(Role.MANAGER, None, email="boss@example.test")
    t = ticket()
    with django_capture_on_commit_callbacks(execute=True):
        services.declare_major(t.pk, actor=admin(), version=t.version, reason="全社メール停止")
    assert Ticket.objects.get(pk=t.pk).major
    assert Comment.objects.filter(ticket=t, is_timeline=True).exists()
    assert any("boss@example.test" in m.to for m in mail.outbox)


def test_html_is_stored_as_text():
    hostile = '<script>alert("x")</script>'
    t = ticket(title=hostile, description=hostile)
    assert Ticket.objects.get(pk=t.pk).title == hostile
    from kaizen.core.lib.markup import render

    assert "<script>" not in render(t.description)


def test_automatic_assignment_skips_members_who_do_not_work_tickets():
    from kaizen.tickets.models import TeamAssignment

    agent, cab = user_with_role(Role.AGENT, None), user_with_role(Role.CAB_MEMBER, None)
    team = team_with(cab, agent)
    TeamAssignment.objects.create(team=team, mode="least_loaded")
    assert {ticket(team=team.pk).assignee for _ in range(3)} == {person_of(agent)}


def test_the_problem_link_of_a_review_decision_is_audited():
    manager = user_with_role(Role.MANAGER, None)
    t = ticket(impact=1, urgency=1)
    resolve(t, manager)
    decision = services.record_review_decision(t.pk, actor=manager, outcome="problem")
    link = TicketLink.objects.get(from_ticket=t, to_ticket=decision.problem)
    assert AuditEntry.objects.filter(
        record_type="tickets.ticketlink", record_id=str(link.pk), action="create"
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_numbers_stay_unique_when_agents_create_at_the_same_time():
    import threading

    from django.db import connection

    desk()
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, None)
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def create() -> None:
        try:
            start.wait(10)
            for _ in range(5):
                made = services.create_ticket(
                    actor=agent, kind=Kind.INCIDENT, data={"title": "同時", "organisation": org}
                )
                numbers.append(made.number)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert len(numbers) == 20 and len(set(numbers)) == 20
    assert AuditEntry.objects.filter(record_type="tickets.ticket", action="create").count() == 20
    from kaizen.core import audit

    assert audit.verify().ok
