"""The release API: the generic suites, moves, bundled changes, items and hostile or malformed input."""

from __future__ import annotations

import pytest

from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.releases.choices import ItemKind, ReleaseState
from kaizen.releases.models import AcceptanceItem, Release
from kaizen.releases.tests.factories import (
    OrganisationFactory,
    approved,
    check_all,
    draft_change,
    fresh,
    plain_checklist,
    plain_checklist_item,
    plain_release,
    release,
    scheduled_change,
    setup_changes,
    user_with_role,
)
from kaizen.tickets.tests.factories import ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> None:
    setup_changes()


def _bare(org):
    return release(org, checklists=False)


def _item(org):
    return AcceptanceItem.objects.create(release=_bare(org), text="ユーザ受入テストに合格")


class TestReleaseApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/releases/",
        make=_bare,
        create_payload=lambda org: {"organisation": org.pk, "title": "会計A 2027年1月リリース"},
        update_payload={"description": "帳票改修とバッチ時刻変更"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        list_ceiling=12,
    )


class TestAcceptanceItemApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/release-items/",
        make=_item,
        create_payload=lambda org: {"release": plain_release(org).pk, "text": "性能テストに合格"},
        update_payload={"text": "性能テスト（ピーク時 2 倍）に合格"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.AGENT,
        list_ceiling=10,
    )


class TestChecklistApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/release-checklists/",
        make=plain_checklist,
        create_payload=lambda org: {"organisation": org.pk, "name": "運用受入チェックリスト"},
        update_payload={"description": "開発からの引継ぎで必ず押さえる項目"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        list_ceiling=10,
    )


class TestChecklistItemApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/release-checklist-items/",
        make=plain_checklist_item,
        create_payload=lambda org: {
            "checklist": plain_checklist(org).pk,
            "text": "バックアップ・リストア確認",
        },
        update_payload={"guidance": "リストアを試した日時と結果"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        list_ceiling=10,
    )


def test_a_new_release_lists_its_checklist_and_readiness():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    created = client.post("/api/v1/releases/", {"organisation": org.pk, "title": "x"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"].startswith("REL-") and body["state"] == "planning"
    assert body["readiness"]["can_go_live"] is False and body["readiness"]["mandatory_unchecked"] > 0
    items = client.get(f"/api/v1/releases/{body['id']}/items/").json()
    assert items and {i["kind"] for i in items} == {"operations"} and all(i["from_checklist"] for i in items)


def test_go_live_through_the_api_is_refused_then_allowed():
    org = OrganisationFactory()
    rel = approved(org, changes_=[scheduled_change(org)])
    client = client_for(user_with_role(Role.AGENT, org))
    url = f"/api/v1/releases/{rel.pk}/actions/go-live/"
    assert_problem(client.post(url, {}, format="json"), 428)
    body = assert_problem(client.post(url, {"version": rel.version}, format="json"), 400)
    assert body["errors"]["items"][0]
    assert fresh(rel).state == ReleaseState.APPROVED
    check_all(rel)
    stale = assert_problem(client.post(url, {"version": rel.version - 1}, format="json"), 409)
    assert stale["current_version"] == rel.version
    done = client.post(url, {"version": rel.version}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "live" and done["ETag"] == f'"{done.json()["version"]}"'
    again = assert_problem(client.post(url, {"version": done.json()["version"]}, format="json"), 409)
    assert again["allowed"] == ["roll_back"]


def test_go_live_with_a_draft_change_is_refused_with_its_number():
    org = OrganisationFactory()
    draft = draft_change(org)
    rel = approved(org, changes_=[draft])
    check_all(rel)
    client = client_for(user_with_role(Role.AGENT, org))
    body = assert_problem(
        client.post(
            f"/api/v1/releases/{rel.pk}/actions/go-live/", {"version": fresh(rel).version}, format="json"
        ),
        400,
    )
    assert draft.number in body["errors"]["changes"][0]


def test_moves_need_their_right_and_their_reason():
    org = OrganisationFactory()
    rel = _bare(org)
    agent = client_for(user_with_role(Role.AGENT, org))
    auditor = client_for(user_with_role(Role.AUDITOR, org))
    assert_problem(
        agent.post(f"/api/v1/releases/{rel.pk}/actions/approve/", {"version": 1}, format="json"), 403
    )
    assert_problem(
        auditor.post(f"/api/v1/releases/{rel.pk}/actions/cancel/", {"version": 1}, format="json"), 403
    )
    body = assert_problem(
        agent.post(f"/api/v1/releases/{rel.pk}/actions/cancel/", {"version": 1}, format="json"), 400
    )
    assert "reason" in body["errors"]
    assert_problem(
        agent.post(f"/api/v1/releases/{rel.pk}/actions/launch/", {"version": 1}, format="json"), 409
    )
    assert_problem(
        agent.post(
            f"/api/v1/releases/{rel.pk}/actions/cancel/", {"reason": ["x"], "version": 1}, format="json"
        ),
        400,
    )
    done = agent.post(
        f"/api/v1/releases/{rel.pk}/actions/cancel/", {"reason": "要件変更", "version": 1}, format="json"
    )
    assert done.status_code == 200 and done.json()["state"] == "cancelled"
    assert done.json()["closed_reason"] == "要件変更"


def test_changes_are_bundled_only_from_the_release_organisation():
    org, other = OrganisationFactory(), OrganisationFactory()
    rel = _bare(org)
    client = client_for(user_with_role(Role.AGENT, org))
    url = f"/api/v1/releases/{rel.pk}/changes/"
    theirs, incident, mine = draft_change(other), ticket(org), draft_change(org)
    for body in (
        {"add": [theirs.pk], "version": 1},
        {"add": [incident.pk], "version": 1},
        {"add": [10**12], "version": 1},
    ):
        problem = assert_problem(client.post(url, body, format="json"), 400)
        assert "add" in problem["errors"]
    assert_problem(client.post(url, {"add": [mine.pk]}, format="json"), 428)
    done = client.post(url, {"add": [mine.pk], "version": 1}, format="json")
    assert done.status_code == 200, done.content
    assert [c["number"] for c in done.json()["changes"]] == [mine.number]
    assert done.json()["changes"][0]["state"] == "new"
    assert_problem(client.post(url, {"add": [mine.pk], "version": 1}, format="json"), 409)
    removed = client.post(url, {"remove": [mine.pk], "version": 2}, format="json")
    assert removed.status_code == 200 and removed.json()["changes"] == []
    assert AuditEntry.objects.filter(record_id=str(rel.pk), action="changes").count() == 2


def test_malformed_and_wrong_type_input_is_a_400_problem():
    org = OrganisationFactory()
    rel = _bare(org)
    client = client_for(user_with_role(Role.AGENT, org))
    base = f"/api/v1/releases/{rel.pk}/"
    for url in (
        base + "changes/",
        base + "items/",
        base + "actions/cancel/",
        base + "apply-checklist/",
        base,
    ):
        method = client.patch if url == base else client.post
        assert_problem(method(url, data="{not json", content_type="application/json"), 400)
        assert_problem(method(url, [1, 2], format="json"), 400)
        assert_problem(method(url, {"nonsense": 1, "version": 1}, format="json"), 400)
    for body in (
        {"add": "1", "version": 1},
        {"add": [True], "version": 1},
        {"add": [1.5], "version": 1},
        {"add": ["x"], "version": 1},
        {"add": [-1], "version": 1},
        {"add": list(range(1, 300)), "version": 1},
        {"add": [1], "version": "one"},
    ):
        assert_problem(client.post(base + "changes/", body, format="json"), 400)
    for body in (
        {"title": ""},
        {"title": "x" * 201},
        {"planned_at": "next tuesday"},
        {"service": "abc"},
        {"service": 10**12},
        {"owner": True},
        {"watchers": "1"},
        {"watchers": [10**12]},
        {"state": "live"},
        {"number": "REL-999999"},
        {"changes": []},
        {"handover": "x" * 20_001},
        {"description": "bad\x00null"},
    ):
        assert_problem(client.patch(base, {**body, "version": 1}, format="json"), 400)
    for body in (
        {"text": ""},
        {"text": "x" * 501},
        {"kind": "customer", "text": "x"},
        {"category": "coffee", "text": "x"},
        {"mandatory": "maybe", "text": "x"},
        {"order": -1, "text": "x"},
        {"evidence": "x" * 5001, "text": "x"},
        {"checked": True, "text": "x"},
        {"from_checklist": True, "text": "x"},
    ):
        assert_problem(client.post(base + "items/", body, format="json"), 400)
    assert_problem(client.post(base + "apply-checklist/", {"checklist": 10**12}, format="json"), 400)
    assert_problem(client.post(base + "apply-checklist/", {"checklist": "x"}, format="json"), 400)
    assert fresh(rel).version == 1
    assert_problem(client.get("/api/v1/releases/99999999/"), 404)
    assert_problem(
        client.post("/api/v1/releases/99999999/actions/go-live/", {"version": 1}, format="json"), 404
    )
    assert client.get("/api/v1/releases/", {"state": "nonsense"}).status_code == 400
    assert client.get("/api/v1/releases/", {"planned_after": "x"}).status_code == 400


def test_items_are_checked_with_evidence_through_the_api():
    org = OrganisationFactory()
    rel = release(org)
    client = client_for(user_with_role(Role.AGENT, org))
    created = client.post(
        f"/api/v1/releases/{rel.pk}/items/",
        {"kind": "service", "text": "<script>alert(1)</script> 受入テスト", "guidance": "TR-1"},
        format="json",
    )
    assert created.status_code == 201, created.content
    item = created.json()
    assert (
        item["text"] == "<script>alert(1)</script> 受入テスト" and item["mandatory"] and not item["checked"]
    )
    url = f"/api/v1/release-items/{item['id']}/"
    problem = assert_problem(client.patch(url, {"checked": True, "version": 1}, format="json"), 400)
    assert "evidence" in problem["errors"]
    assert_problem(client.patch(url, {"checked": "sure", "evidence": "x", "version": 1}, format="json"), 400)
    assert_problem(client.patch(url, {"release": _bare(org).pk, "version": 1}, format="json"), 400)
    done = client.patch(url, {"checked": True, "evidence": "試験報告書 TR-1", "version": 1}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["checked"] and done.json()["checked_by"] and done.json()["version"] == 2
    assert AuditEntry.objects.filter(record_id=str(item["id"]), action="check").exists()
    locked = AcceptanceItem.objects.filter(release=rel, kind=ItemKind.OPERATIONS, mandatory=True).first()
    lock_url = f"/api/v1/release-items/{locked.pk}/"
    assert_problem(client.patch(lock_url, {"mandatory": False, "version": 1}, format="json"), 400)
    assert_problem(client.delete(lock_url), 400)
    assert_problem(
        client.patch("/api/v1/release-items/99999999/", {"text": "x", "version": 1}, format="json"), 404
    )
    listed = client.get(f"/api/v1/releases/{rel.pk}/items/").json()
    assert any(i["id"] == item["id"] for i in listed)


def test_another_organisations_release_and_items_stay_invisible():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    hidden = release(theirs)
    client = client_for(user_with_role(Role.MANAGER, mine))
    base = f"/api/v1/releases/{hidden.pk}/"
    assert_problem(client.get(base + "items/"), 404)
    assert_problem(client.post(base + "items/", {"text": "x"}, format="json"), 404)
    assert_problem(client.post(base + "changes/", {"add": [], "version": 1}, format="json"), 404)
    assert_problem(client.post(base + "actions/cancel/", {"reason": "x", "version": 1}, format="json"), 404)
    item = hidden.items.first()
    assert_problem(
        client.patch(f"/api/v1/release-items/{item.pk}/", {"text": "x", "version": 1}, format="json"), 404
    )
    assert (
        client.post("/api/v1/release-items/", {"release": hidden.pk, "text": "x"}, format="json").status_code
        == 400
    )
    assert not any(r["id"] == hidden.pk for r in client.get("/api/v1/releases/").json()["results"])
    assert Release.objects.get(pk=hidden.pk).version == 1


def test_a_checklist_is_created_with_its_items_or_the_shipped_minimum():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.MANAGER, org))
    default = client.post(
        "/api/v1/release-checklists/", {"organisation": org.pk, "name": "標準"}, format="json"
    )
    assert default.status_code == 201 and len(default.json()["items"]) >= 6
    own = client.post(
        "/api/v1/release-checklists/",
        {"organisation": org.pk, "name": "アプリ", "items": [{"category": "runbooks", "text": "手順書"}]},
        format="json",
    )
    assert own.status_code == 201 and [i["text"] for i in own.json()["items"]] == ["手順書"]
    url = f"/api/v1/release-checklists/{own.json()['id']}/"
    assert_problem(client.patch(url, {"items": [], "version": 1}, format="json"), 400)
    for items in ("x", [{"text": ""}], [{"text": "x", "category": "coffee"}], [{"text": "x", "odd": 1}], [5]):
        body = {"organisation": org.pk, "name": "x", "items": items}
        assert_problem(client.post("/api/v1/release-checklists/", body, format="json"), 400)
    rel = release(org)
    assert sorted({i.text for i in rel.items.all()}) == sorted(
        {i["text"] for i in default.json()["items"]} | {"手順書"}
    )
