"""Changes end to end: normal through the CAB, emergency through the ECAB, standard from a template,
conflicts and freeze windows, reviews, incidents linked to the change that caused them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection
from django.utils import timezone, translation

from kaizen.approvals import services as approvals
from kaizen.approvals.models import Approval, ApprovalRound
from kaizen.changes import schedule, services
from kaizen.changes.choices import BoardKind, WindowKind
from kaizen.changes.models import Change, ChangeWindow
from kaizen.cmdb.tests.factories import CIFactory, RelationshipFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets.models import Ticket, TicketLink
from kaizen.tickets.tests.factories import OrganisationFactory, admin, person_of, ticket, user_with_role

from .factories import ANSWERS, RISKY, act, board, change, setup_changes, window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> Iterator[None]:
    setup_changes()
    with translation.override("en"):  # the assertions read the English messages
        yield


def _reload(t: Ticket) -> Ticket:
    return Ticket.objects.select_related("state", "change").get(pk=t.pk)


def test_a_normal_change_goes_through_the_cab_to_closure():
    org = OrganisationFactory()
    a, b = user_with_role(Role.MANAGER, org), user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, a, b)
    t = change(org)
    assert t.number.startswith("CHG-") and t.state.code == "new"
    assert _reload(t).change.risk_level == "low"
    act(t, "assess")
    act(t, "submit")
    t = _reload(t)
    assert t.state.code == "awaiting_approval"
    rows = list(Approval.objects.filter(ticket=t).order_by("order"))
    assert [r.state for r in rows] == ["waiting", "waiting"]  # the CAB decides all together
    approvals.decide(rows[0].pk, actor=a, approve=True)
    assert _reload(t).state.code == "awaiting_approval"
    approvals.decide(rows[1].pk, actor=b, approve=True, comment="OK")
    t = _reload(t)
    assert t.state.code == "scheduled"
    act(t, "implement")
    act(t, "complete")
    t = _reload(t)
    assert t.state.code == "review" and t.change.actual_start and t.change.actual_end
    with pytest.raises(ValidationError) as caught:
        act(t, "close")
    assert "outcome" in caught.value.message_dict
    services.record_review(t.pk, actor=admin(), outcome="success", notes="", version=None)
    act(t, "close")
    assert _reload(t).state.code == "closed"


def test_submit_needs_documentation_risk_and_window():
    org = OrganisationFactory()
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    t = change(org, plans={}, answers={}, when={})
    with pytest.raises(ValidationError) as caught:
        act(t, "submit")
    errors = caught.value.message_dict
    for field in ("reason", "implementation_plan", "backout_plan", "test_plan", "communication_plan"):
        assert field in errors
    assert "risk_answers" in errors and "planned_start" in errors


def test_submit_without_board_members_is_refused():
    org = OrganisationFactory()
    t = change(org)
    with pytest.raises(ValidationError, match="approval board"):
        act(t, "submit")


def test_cab_rejection_rejects_the_change_and_approving_after_it_is_refused():
    org = OrganisationFactory()
    a, b = user_with_role(Role.MANAGER, org), user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, a, b)
    t = change(org)
    act(t, "submit")
    first, second = Approval.objects.filter(ticket=t).order_by("order")
    with pytest.raises(ValidationError):
        approvals.decide(first.pk, actor=a, approve=False)  # a rejection needs its reason
    approvals.decide(first.pk, actor=a, approve=False, comment="月末処理と重なる")
    assert _reload(t).state.code == "rejected"
    with pytest.raises(ValidationError, match="already decided"):
        approvals.decide(second.pk, actor=b, approve=True)
    with pytest.raises(ValidationError):
        approvals.decide(first.pk, actor=a, approve=True)


def test_approving_twice_someone_elses_approval_and_ones_own_change():
    org = OrganisationFactory()
    a, b = user_with_role(Role.MANAGER, org), user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, a, b)
    t = change(org, actor=a, requester=person_of(a))
    act(t, "submit", actor=a)
    mine, theirs = Approval.objects.filter(ticket=t).order_by("order")
    with pytest.raises(PermissionDenied, match="someone else"):
        approvals.decide(mine.pk, actor=a, approve=True)
    with pytest.raises(PermissionDenied):
        approvals.decide(theirs.pk, actor=a, approve=True)
    approvals.decide(theirs.pk, actor=b, approve=True)
    with pytest.raises(ValidationError):
        approvals.decide(theirs.pk, actor=b, approve=True)


def test_quorum_and_delegation():
    org = OrganisationFactory()
    a, b, c, d = (user_with_role(Role.MANAGER, org) for _ in range(4))
    board(BoardKind.CAB, a, b, c, mode="quorum", quorum=2)
    t = change(org)
    act(t, "submit")
    rows = {r.approver_id: r for r in Approval.objects.filter(ticket=t)}
    delegated = approvals.delegate(rows[c.pk].pk, actor=c, to=d, comment="出張中")
    assert delegated.on_behalf_of_id == c.pk and delegated.state == "waiting"
    assert Approval.objects.get(pk=rows[c.pk].pk).state == "delegated"
    with pytest.raises(ValidationError):
        approvals.delegate(rows[a.pk].pk, actor=a, to=b)  # already an approver
    with pytest.raises(PermissionDenied):
        approvals.decide(rows[c.pk].pk, actor=d, approve=True)
    approvals.decide(rows[a.pk].pk, actor=a, approve=False, comment="懸念あり")
    assert _reload(t).state.code == "awaiting_approval"  # 2 of the 3 left can still approve
    approvals.decide(delegated.pk, actor=d, approve=True)
    approvals.decide(rows[b.pk].pk, actor=b, approve=True)
    assert _reload(t).state.code == "scheduled"
    assert ApprovalRound.objects.get(ticket=t).outcome == "approved"


def test_emergency_change_fast_path_and_retrospective_documentation():
    org = OrganisationFactory()
    on_call, other = user_with_role(Role.MANAGER, org), user_with_role(Role.MANAGER, org)
    board(BoardKind.ECAB, on_call, other)
    t = change(
        org,
        change_type="emergency",
        plans={"reason": "脆弱性 CVE の緊急パッチ", "implementation_plan": "パッチ適用"},
        answers={},
        when=window(0.1, 1),
    )
    act(t, "submit")  # call 2: no risk questionnaire, no back-out plan yet
    waiting = Approval.objects.filter(ticket=t, state="waiting")
    assert waiting.count() == 2  # every ECAB member is asked at once
    approvals.decide(waiting.first().pk, actor=on_call, approve=True)  # call 3: any one member
    t = _reload(t)
    assert t.state.code == "scheduled"
    assert Approval.objects.filter(ticket=t, state="skipped").count() == 1
    act(t, "implement")
    act(t, "complete")
    services.record_review(t.pk, actor=admin(), outcome="success", notes="", version=None)
    with pytest.raises(ValidationError) as caught:
        act(t, "close")
    assert "backout_plan" in caught.value.message_dict
    with pytest.raises(ValidationError, match="rework"):  # the window is history now
        services.update_change(t.pk, actor=admin(), changes=window(48), version=None)
    services.update_change(
        t.pk,
        actor=admin(),
        changes={"backout_plan": "戻す", "test_plan": "確認", "communication_plan": "周知"},
        version=None,
    )
    act(t, "close")
    assert _reload(t).state.code == "closed"
    with pytest.raises(ValidationError, match="finished"):
        services.update_change(t.pk, actor=admin(), changes={"test_plan": "x"}, version=None)


def test_emergency_change_documents_after_approval():
    org = OrganisationFactory()
    board(BoardKind.ECAB, user_with_role(Role.MANAGER, org))
    t = change(org, change_type="emergency", plans={"reason": "r", "implementation_plan": "p"}, answers={})
    act(t, "submit")
    approvals.decide(
        Approval.objects.get(ticket=t).pk, actor=Approval.objects.get(ticket=t).approver, approve=True
    )
    act(t, "implement")
    services.update_change(
        t.pk,
        actor=admin(),
        changes={"backout_plan": "戻す", "test_plan": "確認", "communication_plan": "周知"},
        version=None,
    )
    with pytest.raises(ValidationError, match="rework"):
        services.update_change(t.pk, actor=admin(), changes=window(48), version=None)
    act(t, "complete")
    services.record_review(t.pk, actor=admin(), outcome="success", notes="", version=None)
    act(t, "close")
    assert _reload(t).state.code == "closed"


def test_standard_change_from_a_template_needs_no_cab():
    org = OrganisationFactory()
    template = services.create_template(
        actor=admin(),
        data={
            "name": "証明書の更新",
            "implementation_plan": "手順書どおり",
            "backout_plan": "旧証明書に戻す",
            "max_duration_minutes": 60,
        },
    )
    with pytest.raises(ValidationError):
        services.raise_change(
            actor=admin(), data={"title": "x", "organisation": org}, change={"change_type": "standard"}
        )
    t = services.raise_change(
        actor=admin(), data={"organisation": org}, change=window(24, 0.5), template=template.pk
    )
    assert t.title == "証明書の更新" and t.change.change_type == "standard"
    assert t.change.implementation_plan == "手順書どおり"
    with pytest.raises(ValidationError, match="pre-approved"):
        act(t, "submit")
    act(t, "schedule")
    assert _reload(t).state.code == "scheduled"
    assert not ApprovalRound.objects.filter(ticket=t).exists()
    long = services.raise_change(
        actor=admin(), data={"organisation": org}, change=window(24, 3), template=template
    )
    with pytest.raises(ValidationError, match="60"):
        act(long, "schedule")
    services.update_template(template.pk, actor=admin(), changes={"is_active": False}, version=None)
    with pytest.raises(ValidationError, match="no longer exists"):
        services.raise_change(
            actor=admin(), data={"organisation": org}, change=window(), template=template.pk
        )
    later = Ticket.objects.get(pk=long.pk)
    with pytest.raises(ValidationError, match="no longer exists"):
        act(later, "schedule")


def test_bad_input_on_raising_a_change():
    org = OrganisationFactory()
    cases = [
        ({"change_type": "urgent"}, "change_type"),
        ({"planned_start": "tomorrow"}, "planned_start"),
        ({"risk_answers": {"downtime": "maybe"}}, "risk_answers.downtime"),
        ({"risk_answers": ["downtime"]}, "risk_answers.risk_answers"),
        ({"reason": 12}, "reason"),
        ({"reason": "x" * 20_001}, "reason"),
        ({"colour": "red"}, "colour"),
        (
            {"planned_start": "2026-12-10T10:00:00+09:00", "planned_end": "2026-12-10T09:00:00+09:00"},
            "planned_end",
        ),
    ]
    for fields, key in cases:
        with pytest.raises(ValidationError) as caught:
            services.raise_change(actor=admin(), data={"title": "x", "organisation": org}, change=fields)
        assert key in caught.value.message_dict, (fields, caught.value.message_dict)
    assert not Change.objects.exists() and not Ticket.objects.filter(kind="change").exists()


def test_risk_level_combines_answers_and_impact():
    org = OrganisationFactory()
    risky = change(org, answers=RISKY)
    assert risky.change.risk_level == "high" and risky.change.risk_score == 19
    calm = change(org, answers=ANSWERS)
    assert calm.change.risk_level == "low"


def test_two_editors_of_one_change_conflict():
    org = OrganisationFactory()
    t = change(org)
    version = Ticket.objects.get(pk=t.pk).version
    services.update_change(t.pk, actor=admin(), changes={"test_plan": "A"}, version=version)
    with pytest.raises(ConflictError) as caught:
        services.update_change(t.pk, actor=admin(), changes={"test_plan": "B"}, version=version)
    assert caught.value.changes  # tells what changed since
    assert Change.objects.get(pk=t.pk).test_plan == "A"


def test_changes_on_cis_the_user_cannot_see_are_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    agent = user_with_role(Role.AGENT, mine)
    foreign = CIFactory(organisation=theirs)
    with pytest.raises(ValidationError):
        change(mine, actor=agent, cis=[foreign.pk])
    t = change(theirs)
    with pytest.raises(Ticket.DoesNotExist):
        services.update_change(t.pk, actor=agent, changes={"test_plan": "x"}, version=None)
    assert not schedule.visible_changes(agent).exists()


def test_conflicts_on_the_same_and_dependent_cis():
    org = OrganisationFactory()
    db, app, other = CIFactory(organisation=org), CIFactory(organisation=org), CIFactory(organisation=org)
    RelationshipFactory(source=app, target=db)  # the application server depends on the database
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    first = change(org, cis=[db.pk], when=window(24, 2), title="DB 更新")
    act(first, "submit")
    same_time = window(25, 2)
    on_app = change(org, cis=[app.pk], when=same_time, title="AP 更新")
    found = schedule.warnings_for(Change.objects.get(pk=on_app.pk))
    assert [w.kind for w in found] == ["conflict"] and first.number in found[0].message
    unrelated = change(org, cis=[other.pk], when=same_time)
    assert schedule.warnings_for(Change.objects.get(pk=unrelated.pk)) == []
    later = change(org, cis=[db.pk], when=window(30, 1))
    assert schedule.warnings_for(Change.objects.get(pk=later.pk)) == []
    with pytest.raises(ValidationError) as caught:
        act(on_app, "submit")
    assert "override_reason" in caught.value.message_dict
    act(on_app, "submit", override_reason="DB 更新と同じ作業者が順に実施する")
    stored = Change.objects.get(pk=on_app.pk)
    assert stored.override_reason.startswith("DB") and stored.schedule_warnings[0]["ref"] == first.number


def test_freeze_and_blackout_windows():
    org = OrganisationFactory()
    accounting, mail = ServiceFactory(organisation=org), ServiceFactory(organisation=org)
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    board(BoardKind.ECAB, user_with_role(Role.MANAGER, org))
    when = window(24, 2)
    freeze = services.create_window(
        actor=admin(),
        data={
            "name": "月末締め",
            "kind": WindowKind.FREEZE,
            "starts_at": when["planned_start"] - dt.timedelta(hours=1),
            "ends_at": when["planned_end"] + dt.timedelta(hours=1),
            "reason": "経理の月次締め処理",
        },
        services=[accounting],
    )
    t = change(org, service=accounting, when=when)
    assert [w.kind for w in schedule.warnings_for(Change.objects.get(pk=t.pk))] == ["freeze"]
    elsewhere = change(org, service=mail, when=when)
    assert schedule.warnings_for(Change.objects.get(pk=elsewhere.pk)) == []
    with pytest.raises(ValidationError):
        act(t, "submit")
    act(t, "submit", override_reason="監査対応で必須")
    services.update_window(freeze.pk, actor=admin(), changes={"kind": WindowKind.BLACKOUT}, version=None)
    blocked = change(org, service=accounting, when=when)
    with pytest.raises(ValidationError, match="Blackout"):
        act(blocked, "submit", override_reason="どうしても")
    urgent = change(org, service=accounting, when=when, change_type="emergency")
    act(urgent, "submit", override_reason="セキュリティ緊急対応")
    assert _reload(urgent).state.code == "awaiting_approval"
    with pytest.raises(ValidationError):
        services.create_window(
            actor=admin(),
            data={"name": "x", "starts_at": when["planned_end"], "ends_at": when["planned_start"]},
        )
    assert ChangeWindow.objects.count() == 1


def test_maintenance_windows_warn_outside():
    org = OrganisationFactory()
    svc = ServiceFactory(organisation=org)
    when = window(24, 2)
    services.create_window(
        actor=admin(),
        data={
            "name": "定期保守",
            "kind": WindowKind.MAINTENANCE,
            "starts_at": when["planned_start"] + dt.timedelta(days=2),
            "ends_at": when["planned_end"] + dt.timedelta(days=2),
        },
        services=[svc],
    )
    outside = change(org, service=svc, when=when)
    assert [w.kind for w in schedule.warnings_for(Change.objects.get(pk=outside.pk))] == ["maintenance"]
    inside = change(org, service=svc, when={k: v + dt.timedelta(days=2) for k, v in when.items()})
    assert schedule.warnings_for(Change.objects.get(pk=inside.pk)) == []


def test_rework_withdraws_the_round_and_cancel_too():
    org = OrganisationFactory()
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    t = change(org)
    act(t, "submit")
    act(t, "rework", comment="バックアウト手順が不十分")
    assert ApprovalRound.objects.get(ticket=t).outcome == "withdrawn"
    services.update_change(t.pk, actor=admin(), changes={"backout_plan": "詳細版"}, version=None)
    act(t, "submit")
    assert ApprovalRound.objects.filter(ticket=t, outcome="open").count() == 1
    act(t, "cancel", comment="不要になった")
    assert not ApprovalRound.objects.filter(ticket=t, outcome="open").exists()
    assert set(Approval.objects.filter(ticket=t).values_list("state", flat=True)) == {"skipped"}


def test_approval_actions_are_not_for_people():
    org = OrganisationFactory()
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    t = change(org)
    act(t, "submit")
    with pytest.raises(ActionNotAllowed):
        act(t, "approve")


def test_incident_after_a_change_on_its_ci_is_linked(django_capture_on_commit_callbacks):
    org = OrganisationFactory()
    ci = CIFactory(organisation=org)
    board(BoardKind.ECAB, user_with_role(Role.MANAGER, org))
    t = change(org, change_type="emergency", cis=[ci.pk], plans={"reason": "r", "implementation_plan": "p"})
    act(t, "submit")
    approvals.decide(
        Approval.objects.get(ticket=t).pk, actor=Approval.objects.get(ticket=t).approver, approve=True
    )
    act(t, "implement")
    act(t, "complete")
    with django_capture_on_commit_callbacks(execute=True):
        incident = ticket(org, cis=[ci])
        unrelated = ticket(org)
    link = TicketLink.objects.get(from_ticket=incident)
    assert link.to_ticket_id == t.pk and link.kind == "caused_by"
    assert not TicketLink.objects.filter(from_ticket=unrelated).exists()
    assert AuditEntry.objects.filter(record_type="tickets.ticketlink", record_id=str(link.pk)).exists()
    assert services.link_caused_incidents(incident.pk) == []  # never twice


def test_cab_agenda_lists_changes_to_decide_with_their_reach():
    org = OrganisationFactory(name="経理部")
    svc = ServiceFactory(organisation=org)
    svc.customers.add(org)
    ci = CIFactory(organisation=org)
    from kaizen.portfolio.tests.factories import depends

    depends(svc, on_ci=ci)
    manager = user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, manager)
    t = change(org, cis=[ci.pk])
    act(t, "submit")
    soon = change(
        org, change_type="emergency", plans={"reason": "r", "implementation_plan": "p"}, when=window(30)
    )
    board(BoardKind.ECAB, manager)
    act(soon, "submit")
    approvals.decide(Approval.objects.get(ticket=soon, state="waiting").pk, actor=manager, approve=True)
    day = timezone.localdate()
    agenda = schedule.agenda(admin(), day)
    assert [i.ticket_id for i in agenda["decide"]] == [t.pk]
    item = agenda["decide"][0]
    assert item.services == [str(svc)] and item.customers == ["経理部"]
    assert [a.approver_id for a in item.approvals] == [manager.pk]
    assert [i.ticket_id for i in agenda["upcoming"]] == [soon.pk]
    outsider = user_with_role(Role.MANAGER, OrganisationFactory())
    assert schedule.agenda(outsider, day) == {"decide": [], "upcoming": []}


@pytest.mark.django_db(transaction=True)
def test_concurrent_approvals_have_exactly_one_outcome():
    if connection.vendor != "postgresql":
        pytest.skip("row locks race only on PostgreSQL (SQLite serialises writers)")
    setup_changes()
    org = OrganisationFactory()
    a, b = user_with_role(Role.MANAGER, org), user_with_role(Role.MANAGER, org)
    board(BoardKind.ECAB, a, b)
    t = change(org, change_type="emergency", plans={"reason": "r", "implementation_plan": "p"})
    act(t, "submit")
    rows = {r.approver_id: r.pk for r in Approval.objects.filter(ticket=t)}
    results: list[str] = []
    barrier = threading.Barrier(2)

    def decide(user, approve):
        try:
            barrier.wait()
            approvals.decide(rows[user.pk], actor=user, approve=approve, comment="理由")
            results.append("ok")
        except Exception as exc:
            results.append(f"{type(exc).__name__}: {exc}")
        finally:
            close_old_connections()

    threads = [
        threading.Thread(target=decide, args=(a, True)),
        threading.Thread(target=decide, args=(b, False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results.count("ok") == 1, results
    assert "ValidationError" in next(r for r in results if r != "ok")
    rounds = ApprovalRound.objects.filter(ticket=t)
    assert rounds.count() == 1 and rounds.get().outcome in ("approved", "rejected")
    state = Ticket.objects.get(pk=t.pk).state.code
    assert state == {"approved": "scheduled", "rejected": "rejected"}[rounds.get().outcome]
