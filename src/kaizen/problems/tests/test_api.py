"""The problem management API: known errors (generic suite), problem details, problems from
incidents, fixes, suggestions and the debt list, with bad and hostile input."""

from __future__ import annotations

from typing import Any

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.problems.choices import KnownErrorState
from kaizen.problems.models import KnownError, ProblemRecord
from kaizen.tickets.models import TicketLink
from kaizen.tickets.tests.factories import desk, person_of

from .factories import change, incident, known_error, problem

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class TestKnownErrorApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/known-errors/",
        make=lambda org: known_error(org, state=KnownErrorState.DRAFT),
        create_payload=lambda org: {
            "organisation": org.pk,
            "title": "VPN 証明書の期限切れ",
            "symptoms": "認証エラーで接続できない",
            "workaround": "証明書を再発行する",
            "keywords": "VPN, 証明書",
        },
        update_payload={"symptoms": "証明書の有効期限が切れていますと表示される"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        list_ceiling=12,
    )


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk(db: Any) -> None:
    desk()


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def agent(org: Any) -> Any:
    return user_with_role(Role.AGENT, org)


# -- known errors ------------------------------------------------------------------------------


def test_publish_and_retire_are_versioned_actions(org: Any, agent: Any) -> None:
    row = known_error(org, state=KnownErrorState.DRAFT)
    client = client_for(agent)
    url = f"/api/v1/known-errors/{row.pk}/"
    assert_problem(client.post(url + "publish/", {}, format="json"), 428)
    assert_problem(client.post(url + "publish/", {"version": 7}, format="json"), 409)
    published = client.post(url + "publish/", {"version": 1}, format="json")
    assert published.status_code == 200, published.content
    assert published.json()["state"] == "published" and published["ETag"] == '"2"'
    assert_problem(client.post(url + "publish/", {"version": 2}, format="json"), 400)
    retired = client.post(url + "retire/", {"reason": "修正版を適用済み"}, format="json", HTTP_IF_MATCH='"2"')
    assert retired.status_code == 200 and retired.json()["state"] == "retired"
    assert_problem(client.post(url + "retire/", {"version": "abc"}, format="json"), 400)
    assert_problem(client.post(url + "retire/", {"version": 3, "extra": 1}, format="json"), 400)


def test_state_is_read_only_and_search_is_japanese_substring(org: Any, agent: Any) -> None:
    client = client_for(agent)
    body = {"organisation": org.pk, "title": "x", "state": "published"}
    assert "state" in assert_problem(client.post("/api/v1/known-errors/", body, format="json"), 400)["errors"]
    wanted = known_error(org, title="SMTP 中継サーバのメモリリーク", keywords="")
    known_error(org, title="VPN 証明書", keywords="")
    for query in ("ﾒﾓﾘﾘｰｸ", "ＳＭＴＰ　中継", "リーク"):
        listing = client.get("/api/v1/known-errors/", {"q": query})
        assert [r["id"] for r in listing.json()["results"]] == [wanted.pk], query
    assert_problem(client.get("/api/v1/known-errors/", {"q": "\x00"}), 400)
    assert client.get("/api/v1/known-errors/", {"q": "x" * 5000}).status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"organisation": "abc", "title": "x"},
        {"organisation": 1.5, "title": "x"},
        {"organisation": 99999999, "title": "x"},
        {"title": "x" * 201},
        {"title": ""},
        {"title": ["x"]},
        {"title": "bell\x07"},
        {"workaround": "長" * 20_001},
        {"services": "1"},
        {"services": [99999999]},
        {"cis": ["abc"]},
        {"problem": 99999999},
        {"number": "KE-1"},
    ],
)
def test_bad_known_error_input_is_400(org: Any, agent: Any, body: dict[str, Any]) -> None:
    payload = {"organisation": org.pk, "title": "x", **body}
    response = client_for(agent).post("/api/v1/known-errors/", payload, format="json")
    assert_problem(response, 400)
    assert not KnownError.objects.exists()


def test_malformed_json_and_non_objects_are_400(org: Any, agent: Any) -> None:
    client = client_for(agent)
    for body in ('{"title": ', "[1, 2]", '"text"', "null"):
        response = client.post("/api/v1/known-errors/", body, content_type="application/json")
        assert_problem(response, 400)
    created = problem(org, actor=agent)
    for url in (f"/api/v1/problems/{created.pk}/details/", f"/api/v1/problems/{created.pk}/fix/"):
        method = client.patch if url.endswith("details/") else client.post
        assert_problem(method(url, '{"rank": ', content_type="application/json"), 400)
        assert_problem(method(url, "[]", content_type="application/json"), 400)
    assert_problem(client.post("/api/v1/problems/from-incidents/", "{", content_type="application/json"), 400)
    assert_problem(client.post("/api/v1/problems/from-incidents/", "x", content_type="text/plain"), 415)


def test_hostile_text_is_stored_verbatim(org: Any, agent: Any) -> None:
    created = client_for(agent).post(
        "/api/v1/known-errors/",
        {"organisation": org.pk, "title": HOSTILE, "workaround": HOSTILE},
        format="json",
    )
    assert created.status_code == 201 and created.json()["title"] == HOSTILE


# -- suggestions -------------------------------------------------------------------------------


def test_incident_suggestions_are_scored_and_say_what_matched(org: Any, agent: Any) -> None:
    ci = CIFactory(organisation=org)
    problem_ticket = problem(org, actor=agent)
    wanted = known_error(
        org, problem_ticket=problem_ticket, title="会計B 仕訳エラー", keywords="E-2041", cis=(ci,)
    )
    known_error(OrganisationFactory(), title="会計B 仕訳エラー", keywords="E-2041")
    hit = incident(org, title="エラー Ｅ－２０４１ が出る", cis=[ci])
    client = client_for(agent)
    body = client.get(f"/api/v1/incidents/{hit.pk}/known-errors/").json()
    assert [r["known_error"]["id"] for r in body] == [wanted.pk]
    assert body[0]["score"] >= 7 and "ci" in body[0]["reasons"] and body[0]["problem_linked"] is False
    TicketLink.objects.create(from_ticket=hit, to_ticket=problem_ticket, kind="caused_by")
    assert client.get(f"/api/v1/incidents/{hit.pk}/known-errors/").json()[0]["problem_linked"] is True


def test_suggestions_for_invisible_or_unknown_incidents_are_404(org: Any, agent: Any) -> None:
    client = client_for(agent)
    theirs = incident(OrganisationFactory())
    assert_problem(client.get(f"/api/v1/incidents/{theirs.pk}/known-errors/"), 404)
    assert_problem(client.get("/api/v1/incidents/99999999/known-errors/"), 404)
    assert_problem(client.get(f"/api/v1/incidents/{problem(org).pk}/known-errors/"), 404)
    assert_problem(client_for(None).get(f"/api/v1/incidents/{theirs.pk}/known-errors/"), 401)


# -- problem details ---------------------------------------------------------------------------


def test_details_get_and_patch_with_versions(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent, incidents=(incident(org),))
    client = client_for(agent)
    url = f"/api/v1/problems/{created.pk}/details/"
    got = client.get(url)
    assert got.status_code == 200 and got["ETag"] == '"1"'
    assert got.json()["version"] == 1 and len(got.json()["incidents"]) == 1
    assert_problem(client.patch(url, {"rank": 1}, format="json"), 428)
    done = client.patch(
        url,
        {"rank": 1, "owner": person_of(agent).pk, "shared_with_development": True, "version": 1},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["version"] == 2 and done.json()["owner"] == person_of(agent).pk
    ok = client.patch(url, {"development_ref": "DEV-12"}, format="json", HTTP_IF_MATCH='"2"')
    assert ok.status_code == 200 and ok.json()["development_ref"] == "DEV-12"


def test_stale_details_are_409_problem_json_listing_the_changes(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    url = f"/api/v1/problems/{created.pk}/details/"
    first = client_for(agent)
    assert first.patch(url, {"workaround": "再起動する", "version": 1}, format="json").status_code == 200
    other = client_for(user_with_role(Role.AGENT, org))
    body = assert_problem(other.patch(url, {"workaround": "別の案", "version": 1}, format="json"), 409)
    assert body["current_version"] == 2
    assert body["changes_since"][0]["changes"]["workaround"] == ["", "再起動する"]
    assert ProblemRecord.objects.get(pk=created.pk).workaround == "再起動する"


@pytest.mark.parametrize(
    "body",
    [
        {"rank": "first"},
        {"rank": 0},
        {"rank": 2_000_000},
        {"rank": 1.5},
        {"owner": "abc"},
        {"owner": 99999999},
        {"shared_with_development": "maybe"},
        {"root_cause": ["x"]},
        {"root_cause": "x" * 20_001},
        {"root_cause": "nul\x00"},
        {"development_ref": "x" * 201},
        {"last_moved_at": "2026-01-01T00:00:00Z"},
        {"version": "abc"},
    ],
)
def test_bad_details_are_400(org: Any, agent: Any, body: dict[str, Any]) -> None:
    created = problem(org, actor=agent)
    response = client_for(agent).patch(
        f"/api/v1/problems/{created.pk}/details/", {"version": 1, **body}, format="json"
    )
    assert_problem(response, 400)
    assert ProblemRecord.objects.get(pk=created.pk).version == 1


def test_details_of_other_organisations_unknown_ids_and_non_problems_are_404(org: Any, agent: Any) -> None:
    client = client_for(agent)
    theirs = problem(OrganisationFactory())
    for pk in (theirs.pk, 99999999, incident(org).pk):
        assert_problem(client.get(f"/api/v1/problems/{pk}/details/"), 404)
        assert_problem(
            client.patch(f"/api/v1/problems/{pk}/details/", {"rank": 1, "version": 1}, format="json"), 404
        )
    assert ProblemRecord.objects.get(pk=theirs.pk).rank is None
    requester = client_for(user_with_role(Role.REQUESTER, org))
    assert_problem(requester.get(f"/api/v1/problems/{problem(org).pk}/details/"), 403)


def test_hostile_details_are_stored_verbatim(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    response = client_for(agent).patch(
        f"/api/v1/problems/{created.pk}/details/", {"root_cause": HOSTILE, "version": 1}, format="json"
    )
    assert response.status_code == 200 and response.json()["root_cause"] == HOSTILE


# -- problems from incidents and fixes ---------------------------------------------------------


def test_problem_from_incidents(org: Any, agent: Any) -> None:
    service = ServiceFactory(organisation=org)
    one, two = incident(org, service=service), incident(org, service=service)
    response = client_for(agent).post(
        "/api/v1/problems/from-incidents/",
        {"incidents": [one.pk, two.pk], "title": "VPN 切断の多発", "workaround": "再接続", "rank": 5},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("PRB-") and body["rank"] == 5 and body["workaround"] == "再接続"
    assert {i["id"] for i in body["incidents"]} == {one.pk, two.pk}
    assert response["ETag"] == '"1"'


def test_another_organisations_incident_is_400_and_nothing_is_created(org: Any, agent: Any) -> None:
    theirs = incident(OrganisationFactory())
    before = ProblemRecord.objects.count()
    body = assert_problem(
        client_for(agent).post(
            "/api/v1/problems/from-incidents/", {"incidents": [theirs.pk], "title": "x"}, format="json"
        ),
        400,
    )
    assert "incidents" in body["errors"]
    assert ProblemRecord.objects.count() == before


@pytest.mark.parametrize(
    "body",
    [
        {"incidents": "1", "title": "x"},
        {"incidents": [True], "title": "x"},
        {"incidents": [1.5], "title": "x"},
        {"incidents": [-3], "title": "x"},
        {"incidents": list(range(1, 60)), "title": "x"},
        {"incidents": []},
        {"incidents": [], "title": ""},
        {"incidents": [], "title": "x" * 201},
        {"incidents": [], "title": "x", "organisation": "abc"},
        {"incidents": [], "title": "x"},
        {"incidents": [], "title": "x", "kind": "incident"},
        {"incidents": [], "title": "x", "version": 1},
        {"incidents": [], "title": "x", "cis": ["abc"]},
    ],
)
def test_bad_problem_input_is_400(org: Any, agent: Any, body: dict[str, Any]) -> None:
    response = client_for(agent).post("/api/v1/problems/from-incidents/", body, format="json")
    assert_problem(response, 400)


def test_readers_cannot_record_problems(org: Any) -> None:
    auditor = client_for(user_with_role(Role.AUDITOR, org))
    assert_problem(
        auditor.post(
            "/api/v1/problems/from-incidents/", {"title": "x", "organisation": org.pk}, format="json"
        ),
        403,
    )
    assert_problem(
        client_for(None).post("/api/v1/problems/from-incidents/", {"title": "x"}, format="json"), 401
    )


def test_fix_links_a_change_and_refuses_anything_else(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    fix = change(org)
    client = client_for(agent)
    url = f"/api/v1/problems/{created.pk}/fix/"
    done = client.post(url, {"change": fix.pk}, format="json")
    assert done.status_code == 201 and [c["id"] for c in done.json()["fixed_by"]] == [fix.pk]
    assert AuditEntry.objects.filter(record_type="tickets.ticketlink", action="create").exists()
    for body in (
        {"change": incident(org).pk},
        {"change": "abc"},
        {"change": 99999999},
        {},
        {"change": fix.pk, "x": 1},
    ):
        assert_problem(client.post(url, body, format="json"), 400)
    assert_problem(
        client.post(
            f"/api/v1/problems/{problem(OrganisationFactory()).pk}/fix/", {"change": fix.pk}, format="json"
        ),
        404,
    )


# -- debt list ---------------------------------------------------------------------------------


def test_debt_list_api_filters_and_hides_other_organisations(org: Any, agent: Any) -> None:
    shared = problem(org, actor=agent, title="共有する問題", shared_with_development=True, rank=1)
    local = problem(org, actor=agent, title="共有しない問題")
    theirs = problem(OrganisationFactory())
    client = client_for(agent)
    rows = client.get("/api/v1/problems/debt/").json()["results"]
    assert [r["id"] for r in rows] == [shared.pk, local.pk]
    dev = client.get("/api/v1/problems/debt/", {"view": "development"}).json()["results"]
    assert [r["id"] for r in dev] == [shared.pk]
    assert [r["id"] for r in client.get("/api/v1/problems/debt/", {"shared": "false"}).json()["results"]] == [
        local.pk
    ]
    assert theirs.pk not in [r["id"] for r in rows]
    assert_problem(client.get("/api/v1/problems/debt/", {"service": "abc"}), 400)
    assert_problem(client.get("/api/v1/problems/debt/", {"owner": "99999999"}), 400)
    assert_problem(client.get("/api/v1/problems/debt/", {"q": "\x00"}), 400)
