"""The change enablement API: changes with actions, the emergency path, templates, boards, windows,
calendar, CAB agenda, KPIs, approvals; permissions and bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kaizen.approvals.models import Approval
from kaizen.changes.choices import BoardKind
from kaizen.changes.models import Change, ChangeBoard, ChangeTemplate, ChangeWindow
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, admin, user_with_role

from .factories import ANSWERS, PLANS, board, change, setup_changes, window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> None:
    setup_changes()


def _iso(value: dt.datetime) -> str:
    return value.isoformat()


def _record(**extra: Any) -> dict[str, Any]:
    when = window()
    return {
        "change_type": "normal",
        **PLANS,
        "risk_answers": ANSWERS,
        "planned_start": _iso(when["planned_start"]),
        "planned_end": _iso(when["planned_end"]),
        **extra,
    }


class TestChangeApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/changes/",
        make=lambda org: change(org),
        create_payload=lambda org: {"title": "DB パッチ適用", "organisation": org.pk, "change": _record()},
        update_payload={"title": "DB パッチ適用（再計画）"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.ADMIN,
        list_ceiling=8,
    )


def test_create_returns_the_change_record_with_its_risk():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    response = client.post(
        "/api/v1/changes/",
        {"title": "LB 設定変更", "organisation": org.pk, "change": _record()},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("CHG-") and body["kind"] == "change"
    assert body["change"]["risk_level"] == "low" and body["change"]["risk_score"] == 0
    assert "assess" in body["allowed_actions"] and "submit" in body["allowed_actions"]
    detail = client.get(f"/api/v1/changes/{body['id']}/").json()
    assert detail["change"]["communication_plan"] == PLANS["communication_plan"]


def test_emergency_path_is_three_calls_from_rfc_to_implementable(mailoutbox):
    org = OrganisationFactory()
    engineer = user_with_role(Role.AGENT, org)
    on_call = user_with_role(Role.MANAGER, org)
    board(BoardKind.ECAB, on_call, user_with_role(Role.MANAGER, org))
    client = client_for(engineer)
    when = window(0.05, 1)
    created = client.post(  # 1: the RFC, with only what an emergency needs
        "/api/v1/changes/",
        {
            "title": "OpenSSL 緊急パッチ",
            "organisation": org.pk,
            "change": {
                "change_type": "emergency",
                "reason": "CVE-2026-0001 が悪用されている",
                "implementation_plan": "全 Web サーバへパッチ適用",
                "planned_start": _iso(when["planned_start"]),
                "planned_end": _iso(when["planned_end"]),
            },
        },
        format="json",
    ).json()
    submitted = client.post(  # 2
        f"/api/v1/changes/{created['id']}/actions/submit/", {"version": created["version"]}, format="json"
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"]["code"] == "awaiting_approval"
    inbox = client_for(on_call).get("/api/v1/approvals/", {"waiting": "me"}).json()["results"]
    assert [a["ticket_number"] for a in inbox] == [created["number"]]
    decided = client_for(on_call).post(
        f"/api/v1/approvals/{inbox[0]['id']}/decide/", {"approve": True}, format="json"
    )
    assert decided.status_code == 200, decided.content  # 3
    after = client.get(f"/api/v1/changes/{created['id']}/").json()
    assert after["state"]["code"] == "scheduled" and "implement" in after["allowed_actions"]


def test_standard_change_from_a_pipeline():
    org = OrganisationFactory()
    template = ChangeTemplate.objects.create(
        name="アプリ定期リリース", implementation_plan="CI/CD パイプライン", backout_plan="前バージョンへ戻す"
    )
    bot = user_with_role(Role.AGENT, org)
    client = client_for(bot)
    when = window(1, 0.5)
    created = client.post(
        "/api/v1/changes/",
        {
            "organisation": org.pk,
            "change_template": template.pk,
            "change": {
                "planned_start": _iso(when["planned_start"]),
                "planned_end": _iso(when["planned_end"]),
            },
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["title"] == "アプリ定期リリース" and body["change"]["change_type"] == "standard"
    done = client.post(
        f"/api/v1/changes/{body['id']}/actions/schedule/", {"version": body["version"]}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"]["code"] == "scheduled"
    gone = client.post(
        "/api/v1/changes/", {"organisation": org.pk, "change_template": 999_999}, format="json"
    )
    assert "template" in assert_problem(gone, 400)["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"change": "normal"}, "change"),
        ({"change": {"change_type": "sometimes"}}, "change"),
        ({"change": {"planned_start": "next tuesday"}}, "change"),
        ({"change": {"risk_answers": {"downtime": "weekly"}}}, "risk_answers.downtime"),
        ({"change": {"risk_answers": "all good"}}, "change"),
        ({"change": {"reason": "x" * 20_001}}, "change"),
        ({"change": {"colour": "red"}}, "change"),
        ({"change_template": "abc"}, "change_template"),
        ({"template": 1}, "template"),
        ({"cis": ["db01"]}, "cis"),
        ({"title": ["a"]}, "title"),
    ],
)
def test_bad_input_is_a_clear_400(body: dict[str, Any], field: str):
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    response = client.post("/api/v1/changes/", {"title": "t", "organisation": org.pk, **body}, format="json")
    problem = assert_problem(response, 400)
    assert any(key.startswith(field) for key in problem.get("errors", {})), problem
    assert not Ticket.objects.filter(kind="change").exists()


def test_malformed_and_oversized_bodies():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    assert_problem(client.post("/api/v1/changes/", "{not json", content_type="application/json"), 400)
    assert_problem(client.post("/api/v1/changes/", [1, 2], format="json"), 400)
    huge = {"title": "t", "organisation": org.pk, "description": "x" * 3_000_000}
    assert client.post("/api/v1/changes/", huge, format="json").status_code in (400, 413)


def test_html_is_stored_as_text():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    script = "<script>alert(1)</script>"
    body = client.post(
        "/api/v1/changes/",
        {"title": script, "organisation": org.pk, "change": _record(reason=script)},
        format="json",
    ).json()
    assert body["title"] == script and body["change"]["reason"] == script


def test_update_both_ticket_and_change_record_with_one_version():
    org = OrganisationFactory()
    t = change(org)
    client = client_for(user_with_role(Role.AGENT, org))
    version = client.get(f"/api/v1/changes/{t.pk}/").json()["version"]
    ok = client.patch(
        f"/api/v1/changes/{t.pk}/",
        {"version": version, "title": "新タイトル", "change": {"test_plan": "負荷試験"}},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["change"]["test_plan"] == "負荷試験" and ok.json()["title"] == "新タイトル"
    stale = client.patch(
        f"/api/v1/changes/{t.pk}/", {"version": version, "change": {"test_plan": "別案"}}, format="json"
    )
    assert_problem(stale, 409)
    assert Change.objects.get(pk=t.pk).test_plan == "負荷試験"


def test_action_that_does_not_apply_lists_the_allowed_ones():
    org = OrganisationFactory()
    t = change(org)
    client = client_for(user_with_role(Role.AGENT, org))
    body = assert_problem(
        client.post(f"/api/v1/changes/{t.pk}/actions/complete/", {"version": t.version}, format="json"), 409
    )
    assert "submit" in body["allowed"]
    body = assert_problem(
        client.post(f"/api/v1/changes/{t.pk}/actions/submit/", {"version": t.version}, format="json"), 400
    )
    assert "approval board" in body["detail"] or body.get("errors")


def test_conflicts_impact_and_review_endpoints():
    org = OrganisationFactory()
    ci = CIFactory(organisation=org)
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    first = change(org, cis=[ci.pk])
    second = change(org, cis=[ci.pk])
    client = client_for(user_with_role(Role.AGENT, org))
    warnings = client.get(f"/api/v1/changes/{second.pk}/conflicts/").json()["warnings"]
    assert [w["ref"] for w in warnings] == [first.number] and warnings[0]["kind"] == "conflict"
    refused = client.post(
        f"/api/v1/changes/{second.pk}/actions/submit/", {"version": second.version}, format="json"
    )
    assert "override_reason" in assert_problem(refused, 400)["errors"]
    ok = client.post(
        f"/api/v1/changes/{second.pk}/actions/submit/",
        {"override_reason": "同じ担当者が順番に実施", "version": second.version},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["change"]["override_reason"] == "同じ担当者が順番に実施"
    impact = client.get(f"/api/v1/changes/{first.pk}/impact/").json()
    assert impact["cis"] == [ci.pk]
    early = client.post(
        f"/api/v1/changes/{first.pk}/review/", {"outcome": "success", "version": first.version}, format="json"
    )
    assert_problem(early, 400)
    bad = client.post(
        f"/api/v1/changes/{first.pk}/review/", {"outcome": "great", "version": first.version}, format="json"
    )
    assert "outcome" in assert_problem(bad, 400)["errors"]


def test_calendar_and_agenda_endpoints():
    org = OrganisationFactory()
    manager = user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, manager)
    t = change(org)
    client = client_for(manager)
    assert (
        client.post(
            f"/api/v1/changes/{t.pk}/actions/submit/", {"version": t.version}, format="json"
        ).status_code
        == 200
    )
    today = timezone.localdate()
    found = client.get(
        "/api/v1/change-calendar/",
        {"start": today.isoformat(), "end": (today + dt.timedelta(days=7)).isoformat()},
    ).json()
    assert [c["number"] for c in found["changes"]] == [t.number]
    agenda = client.get("/api/v1/cab-agenda/", {"date": today.isoformat()}).json()
    assert [i["number"] for i in agenda["decide"]] == [t.number]
    assert agenda["decide"][0]["approvals"][0]["state"] == "waiting"
    for params in (
        {"start": "yesterday", "end": "2026-12-01"},
        {"start": "2026-12-10", "end": "2026-12-01"},
        {"start": "2026-01-01", "end": "2026-12-31"},
        {},
    ):
        assert_problem(client.get("/api/v1/change-calendar/", params), 400)
    assert_problem(client.get("/api/v1/cab-agenda/", {"date": "2026-13-40"}), 400)
    assert_problem(client.get("/api/v1/change-kpis/", {"group_by": "colour"}), 400)
    questions = client.get("/api/v1/change-risk-questions/").json()
    assert questions["max_score"] == 19 and len(questions["questions"]) == 5
    requester = client_for(user_with_role(Role.REQUESTER, org))
    for url in ("/api/v1/change-calendar/", "/api/v1/cab-agenda/", "/api/v1/change-kpis/"):
        assert_problem(requester.get(url), 403)
    assert_problem(client_for(None).get("/api/v1/cab-agenda/"), 401)


def test_kpis_count_success_and_caused_incidents(django_capture_on_commit_callbacks):
    from kaizen.approvals import services as approvals
    from kaizen.changes import services
    from kaizen.tickets.tests.factories import ticket

    from .factories import act

    org = OrganisationFactory()
    ci = CIFactory(organisation=org)
    on_call = user_with_role(Role.MANAGER, org)
    board(BoardKind.ECAB, on_call)
    outcomes = []
    for outcome in ("success", "failed"):
        t = change(
            org, change_type="emergency", cis=[ci.pk], plans={"reason": "r", "implementation_plan": "p"}
        )
        act(t, "submit")
        approvals.decide(Approval.objects.get(ticket=t, state="waiting").pk, actor=on_call, approve=True)
        act(t, "implement")
        act(t, "complete")
        if outcome == "failed":
            with django_capture_on_commit_callbacks(execute=True):
                ticket(org, cis=[ci])
        services.record_review(t.pk, actor=admin(), outcome=outcome, notes="原因を記録", version=None)
        outcomes.append(t)
    rows = (
        client_for(on_call)
        .get("/api/v1/change-kpis/", {"group_by": "type"}, HTTP_ACCEPT_LANGUAGE="en")
        .json()["rows"]
    )
    assert rows == [
        {
            "key": "emergency",
            "label": "Emergency (ECAB fast path)",
            "implemented": 2,
            "reviewed": 2,
            "successful": 1,
            "unsuccessful": 1,
            "success_rate": 0.5,
            "caused_incidents": 2,
        }
    ]  # the incident is on the CI both changes touched within 72 hours


def test_boards_templates_and_windows_are_for_managers():
    org = OrganisationFactory()
    manager, agent = user_with_role(Role.MANAGER, org), user_with_role(Role.AGENT, org)
    cab = ChangeBoard.objects.get(kind=BoardKind.CAB)
    client = client_for(manager)
    updated = client.patch(
        f"/api/v1/change-boards/{cab.pk}/",
        {"version": cab.version, "members": [manager.pk, agent.pk], "mode": "quorum", "quorum": 1},
        format="json",
    )
    assert updated.status_code == 200, updated.content
    assert updated.json()["members"] == sorted([manager.pk, agent.pk])
    bad_quorum = client.patch(
        f"/api/v1/change-boards/{cab.pk}/", {"version": updated.json()["version"], "quorum": 5}, format="json"
    )
    assert "quorum" in assert_problem(bad_quorum, 400)["errors"]
    second_cab = client.post("/api/v1/change-boards/", {"name": "第2 CAB", "kind": "cab"}, format="json")
    assert_problem(second_cab, 400)
    template = client.post(
        "/api/v1/change-templates/",
        {"name": "パスワードリセット", "implementation_plan": "手順 A", "backout_plan": "なし"},
        format="json",
    )
    assert template.status_code == 201, template.content
    start = timezone.now() + dt.timedelta(days=30)
    freeze = client.post(
        "/api/v1/change-windows/",
        {
            "name": "年末年始",
            "kind": "freeze",
            "starts_at": _iso(start),
            "ends_at": _iso(start + dt.timedelta(days=5)),
        },
        format="json",
    )
    assert freeze.status_code == 201, freeze.content
    backwards = client.post(
        "/api/v1/change-windows/",
        {
            "name": "逆",
            "kind": "freeze",
            "starts_at": _iso(start),
            "ends_at": _iso(start - dt.timedelta(days=1)),
        },
        format="json",
    )
    assert_problem(backwards, 400)
    unknown = client.post(
        "/api/v1/change-windows/",
        {
            "name": "x",
            "starts_at": _iso(start),
            "ends_at": _iso(start + dt.timedelta(hours=1)),
            "services": [999],
        },
        format="json",
    )
    assert "services" in assert_problem(unknown, 400)["errors"]
    writer = client_for(agent)
    valid = {"name": "x", "implementation_plan": "a", "backout_plan": "b"}
    assert_problem(writer.post("/api/v1/change-templates/", valid, format="json"), 403)
    assert writer.get("/api/v1/change-windows/").status_code == 200
    assert AuditEntry.objects.filter(record_type="changes.changeboard", action="members").exists()
    assert ChangeWindow.objects.count() == 1


def test_approvals_api_decide_twice_and_delegate():
    org = OrganisationFactory()
    a, b, c = (user_with_role(Role.MANAGER, org) for _ in range(3))
    board(BoardKind.CAB, a, b)
    t = change(org)
    client_for(admin()).post(f"/api/v1/changes/{t.pk}/actions/submit/", {"version": t.version}, format="json")
    rows = {r.approver_id: r.pk for r in Approval.objects.filter(ticket=t)}
    first = client_for(a)
    assert (
        first.post(f"/api/v1/approvals/{rows[a.pk]}/decide/", {"approve": True}, format="json").status_code
        == 200
    )
    again = first.post(f"/api/v1/approvals/{rows[a.pk]}/decide/", {"approve": True}, format="json")
    assert_problem(again, 400)
    assert_problem(
        first.post(f"/api/v1/approvals/{rows[a.pk]}/decide/", {"approve": "perhaps"}, format="json"), 400
    )
    assert_problem(
        first.post(f"/api/v1/approvals/{rows[b.pk]}/decide/", {"approve": True}, format="json"), 403
    )
    delegated = client_for(b).post(
        f"/api/v1/approvals/{rows[b.pk]}/delegate/", {"to": c.pk, "comment": "休暇"}, format="json"
    )
    assert delegated.status_code == 201, delegated.content
    assert delegated.json()["on_behalf_of"] == b.pk
    assert_problem(
        client_for(b).post(f"/api/v1/approvals/{rows[b.pk]}/delegate/", {"to": "c"}, format="json"), 400
    )
    done = client_for(c).post(
        f"/api/v1/approvals/{delegated.json()['id']}/decide/", {"approve": True}, format="json"
    )
    assert done.status_code == 200
    assert Ticket.objects.get(pk=t.pk).state.code == "scheduled"
    rounds = client_for(a).get("/api/v1/approval-rounds/", {"ticket": t.pk}).json()["results"]
    assert rounds[0]["outcome"] == "approved" and len(rounds[0]["approvals"]) == 3
    outsider = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    assert outsider.get("/api/v1/approval-rounds/", {"ticket": t.pk}).json()["results"] == []
    assert_problem(
        outsider.post(f"/api/v1/approvals/{rows[a.pk]}/decide/", {"approve": True}, format="json"), 404
    )


def test_conflicts_with_another_organisations_change_hide_it():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    ci = CIFactory(organisation=mine)
    hidden = change(theirs, cis=[ci.pk], title="他社の変更")
    own = change(mine, cis=[ci.pk])
    agent = user_with_role(Role.AGENT, mine)
    warnings = client_for(agent).get(f"/api/v1/changes/{own.pk}/conflicts/").json()["warnings"]
    assert len(warnings) == 1 and warnings[0]["ref"] == "—" and "ticket" not in warnings[0]
    assert hidden.number not in warnings[0]["message"]
    admin_view = client_for(admin()).get(f"/api/v1/changes/{own.pk}/conflicts/").json()["warnings"]
    assert admin_view[0]["ref"] == hidden.number


def test_approvals_filter_by_ticket_and_state_and_refuse_bad_filters():
    org = OrganisationFactory()
    a, b = user_with_role(Role.MANAGER, org), user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, a, b)
    first, second = change(org), change(org, title="DNS 切替")
    client = client_for(admin())
    for t in (first, second):
        for code in ("assess", "submit"):
            version = client.get(f"/api/v1/changes/{t.pk}/").json()["version"]
            moved = client.post(
                f"/api/v1/changes/{t.pk}/actions/{code}/",
                {"version": version, "override_reason": "試験"},
                format="json",
            )
            assert moved.status_code == 200, moved.content
    rows = client.get("/api/v1/approvals/", {"ticket": first.pk}).json()["results"]
    assert len(rows) == 2 and {r["ticket"] for r in rows} == {first.pk}
    mine = client_for(a).get("/api/v1/approvals/", {"waiting": "me", "ticket": second.pk}).json()["results"]
    assert [r["ticket"] for r in mine] == [second.pk]
    assert client.get("/api/v1/approvals/", {"ticket": first.pk, "state": "approved"}).json()["results"] == []
    rounds = client.get("/api/v1/approval-rounds/", {"ticket": second.pk}).json()["results"]
    assert [r["ticket"] for r in rounds] == [second.pk]
    for params in (
        {"ticket": "x"},
        {"ticket": "1 OR 1=1"},
        {"ticket": "9" * 40},
        {"state": "maybe"},
        {"waiting": "you"},
    ):
        assert_problem(client.get("/api/v1/approvals/", params), 400)
    assert_problem(client.get("/api/v1/approval-rounds/", {"ticket": "-1"}), 400)
