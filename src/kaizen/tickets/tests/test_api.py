"""The desk API: the generic permission suite, workflow actions, comments, files, bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.tickets.models import Attachment, Comment, Ticket

from .factories import desk, requester_of, ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _desk(db):
    desk()


class TestIncidentApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/incidents/",
        make=lambda org: ticket(org),
        create_payload=lambda org: {"title": "プリンタが動かない", "organisation": org.pk, "urgency": 3},
        update_payload={"title": "プリンタが紙詰まり"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.ADMIN,
        list_ceiling=8,
    )


class TestProblemApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/problems/",
        make=lambda org: ticket(org, kind="problem"),
        create_payload=lambda org: {"title": "メール遅延の根本原因", "organisation": org.pk},
        update_payload={"description": "調査中"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.AGENT,
        deleter_role=Role.ADMIN,
        list_ceiling=8,
    )


class TestRequestApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/requests/",
        make=lambda org: ticket(org, kind="request", title="アカウント追加"),
        create_payload=lambda org: {"title": "ソフトウェア導入依頼", "organisation": org.pk},
        update_payload={"urgency": 2},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.AGENT,
        deleter_role=Role.ADMIN,
        list_ceiling=8,
    )


pytestmark = pytest.mark.django_db


def _agent():
    return client_for(user_with_role(Role.AGENT, None))


def test_actions_apply_and_refusals_list_the_allowed_ones():
    t = ticket()
    client = _agent()
    url = f"/api/v1/incidents/{t.pk}/actions/"
    body = assert_problem(client.post(url + "close/", {"version": t.version}, format="json"), 409)
    assert "resolve" in body["allowed"] and "close" not in body["allowed"]
    missing = assert_problem(client.post(url + "resolve/", {"version": t.version}, format="json"), 400)
    assert {"resolution", "cause_class"} <= set(missing["errors"])
    assert_problem(
        client.post(url + "resolve/", {"resolution": "x", "cause_class": "hardware"}, format="json"), 428
    )
    assert_problem(
        client.post(
            url + "resolve/",
            {"version": t.version, "resolution": "x", "cause_class": "nonsense"},
            format="json",
        ),
        400,
    )
    done = client.post(
        url + "resolve/",
        {"version": t.version, "resolution": "交換", "cause_class": "hardware"},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"]["code"] == "resolved" and done.json()["version"] == t.version + 1
    stale = assert_problem(
        client.post(url + "reopen/", {"version": t.version, "comment": "x"}, format="json"), 409
    )
    assert stale["current_version"] == t.version + 1 and stale["changes_since"]
    assert_problem(client.post(url + "no-such-action/", {"version": 2}, format="json"), 409)
    assert_problem(client.post(url + "x" * 60 + "/", {"version": 2}, format="json"), 404)


def test_two_agents_editing_the_same_ticket_second_gets_409_with_the_changes():
    t = ticket()
    first, second = _agent(), _agent()
    url = f"/api/v1/incidents/{t.pk}/"
    assert first.patch(url, {"title": "一人目", "version": 1}, format="json").status_code == 200
    body = assert_problem(second.patch(url, {"urgency": 1, "version": 1}, format="json"), 409)
    assert body["changes_since"][0]["changes"]["title"] == ["メールが送れない", "一人目"]
    assert Ticket.objects.get(pk=t.pk).urgency == 3


def test_requester_sees_only_own_tickets_and_public_replies():
    org = OrganisationFactory()
    me, colleague = requester_of(org), requester_of(org)
    client = client_for(me)
    created = client.post("/api/v1/incidents/", {"title": "PCが起動しない"}, format="json")
    assert created.status_code == 201, created.content
    mine = created.json()["id"]
    theirs = client_for(colleague).post("/api/v1/incidents/", {"title": "別件"}, format="json").json()["id"]
    listing = [row["id"] for row in client.get("/api/v1/incidents/").json()["results"]]
    assert mine in listing and theirs not in listing
    assert_problem(client.get(f"/api/v1/incidents/{theirs}/"), 404)
    agent = _agent()
    agent.post(
        f"/api/v1/incidents/{mine}/comments/", {"body": "社内メモ", "visibility": "internal"}, format="json"
    )
    agent.post(
        f"/api/v1/incidents/{mine}/comments/",
        {"body": "再起動をお試しください", "visibility": "public"},
        format="json",
    )
    seen = [c["body"] for c in client.get(f"/api/v1/incidents/{mine}/comments/").json()]
    assert seen == ["再起動をお試しください"]
    assert (
        client.post(f"/api/v1/incidents/{mine}/comments/", {"body": "試しました"}, format="json").status_code
        == 201
    )
    assert_problem(
        client.patch(f"/api/v1/incidents/{mine}/", {"title": "x", "version": 1}, format="json"), 403
    )
    staff_only = client.post("/api/v1/incidents/", {"title": "x", "team": 1}, format="json")
    assert staff_only.status_code == 400


def test_other_organisations_ci_and_service_are_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, mine))
    hidden = CIFactory(organisation=theirs)
    body = assert_problem(
        client.post(
            "/api/v1/incidents/", {"title": "x", "organisation": mine.pk, "cis": [hidden.pk]}, format="json"
        ),
        400,
    )
    assert "cis" in body["errors"]
    from kaizen.portfolio.tests.factories import ServiceFactory

    body = assert_problem(
        client.post(
            "/api/v1/incidents/",
            {"title": "x", "organisation": mine.pk, "service": ServiceFactory(organisation=theirs).pk},
            format="json",
        ),
        400,
    )
    assert "service" in body["errors"]


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "text",
        {"title": ""},
        {"title": "x" * 201},
        {"title": "x", "urgency": 9},
        {"title": "x", "urgency": "high"},
        {"title": "x", "cis": "1"},
        {"title": "x", "cis": [True]},
        {"title": "x", "tags": ["t" * 51]},
        {"title": "x", "tags": list(range(30))},
        {"title": "x", "priority": 2},
        {"title": "x", "description": "\x00\x01"},
        {"title": "x", "state": "closed"},
        {"title": "x", "number": "INC-999999"},
        {"title": "x", "unknown": 1},
        {"title": "x", "organisation": "1 OR 1=1"},
    ],
)
def test_malformed_creates_are_400_and_store_nothing(payload):
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, None))
    if isinstance(payload, dict) and "organisation" not in payload:
        payload = {**payload, "organisation": org.pk}
    before = Ticket.objects.count()
    assert_problem(client.post("/api/v1/incidents/", payload, format="json"), 400)
    assert Ticket.objects.count() == before


def test_hostile_text_is_stored_verbatim_and_returned_as_json():
    hostile = "<img src=x onerror=alert(1)>{{ 7*7 }}"
    client = _agent()
    created = client.post(
        "/api/v1/incidents/",
        {"title": hostile, "description": hostile, "organisation": OrganisationFactory().pk},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["title"] == hostile


def test_attachments_accept_real_types_and_refuse_disguised_and_oversized_files(settings):
    t = ticket()
    client = _agent()
    url = f"/api/v1/incidents/{t.pk}/attachments/"
    ok = client.post(url, {"file": SimpleUploadedFile("../../etc/画面.png", PNG)}, format="multipart")
    assert ok.status_code == 201, ok.content
    stored = Attachment.objects.get()
    assert stored.name == "画面.png" and stored.content_type == "image/png"
    content = client.get(ok.json()["content_url"])
    assert content.status_code == 200 and content["X-Content-Type-Options"] == "nosniff"
    assert content["Content-Disposition"].startswith("attachment")
    assert b"".join(content.streaming_content) == PNG
    disguised = client.post(
        url, {"file": SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf")}, format="multipart"
    )
    assert "file" in assert_problem(disguised, 400)["errors"]
    html = client.post(
        url, {"file": SimpleUploadedFile("page.html", b"<script>alert(1)</script>")}, format="multipart"
    )
    assert_problem(html, 400)
    settings.ATTACHMENT_MAX_BYTES = 100
    big = client.post(url, {"file": SimpleUploadedFile("big.txt", b"a" * 101)}, format="multipart")
    assert_problem(big, 400)
    assert_problem(client.post(url, {}, format="multipart"), 400)
    assert Attachment.objects.count() == 1
    outsider = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert outsider.get(ok.json()["content_url"]).status_code == 404


def test_a_50_mb_body_is_refused_before_it_is_read():
    t = ticket()
    client = _agent()
    response = client.generic(
        "POST",
        f"/api/v1/incidents/{t.pk}/attachments/",
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )
    assert_problem(response, 413)


def test_major_and_review_decision_endpoints():
    manager = client_for(user_with_role(Role.MANAGER, None))
    t = ticket(impact=1, urgency=1)
    major = manager.post(
        f"/api/v1/incidents/{t.pk}/major/", {"reason": "全社停止", "version": t.version}, format="json"
    )
    assert major.status_code == 200 and major.json()["major"] is True
    assert_problem(manager.post(f"/api/v1/incidents/{t.pk}/major/", {"version": 2}, format="json"), 400)
    resolved = manager.post(
        f"/api/v1/incidents/{t.pk}/actions/resolve/",
        {"version": 2, "resolution": "切替", "cause_class": "design"},
        format="json",
    ).json()
    assert resolved["review_status"] == "pending"
    assert_problem(
        manager.post(f"/api/v1/incidents/{t.pk}/review-decision/", {"outcome": "dismissed"}, format="json"),
        400,
    )
    decided = manager.post(
        f"/api/v1/incidents/{t.pk}/review-decision/",
        {"outcome": "dismissed", "reason": "一過性"},
        format="json",
    )
    assert decided.status_code == 201, decided.content
    assert Ticket.objects.get(pk=t.pk).review_status == "decided"


def test_comment_bad_input():
    t = ticket()
    client = _agent()
    url = f"/api/v1/incidents/{t.pk}/comments/"
    for payload in ({}, {"body": ""}, {"body": "x", "visibility": "secret"}, {"body": "x" * 50_001}, ["x"]):
        assert_problem(client.post(url, payload, format="json"), 400)
    assert Comment.objects.count() == 0
