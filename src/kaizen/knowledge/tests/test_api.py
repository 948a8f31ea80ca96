"""The article API: the generic suite, moves, versions and differences, feedback, drafts from tickets,
visibility and hostile or malformed input (always a 4xx problem, never a 500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.knowledge.choices import ArticleState, Audience
from kaizen.knowledge.models import Article, Feedback
from kaizen.knowledge.tests.factories import (
    OrganisationFactory,
    admin,
    article,
    customer_of,
    fresh,
    person_of,
    published,
    requester_of,
    user_with_role,
)
from kaizen.tickets import services as tickets
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import desk, ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/articles/"


class TestArticleApi(ApiPermissionSuite):
    case = ApiCase(
        url=URL,
        make=lambda org: article(org),
        create_payload=lambda org: {"organisation": org.pk, "title": "VPN 接続手順", "body": "1. 開く"},
        update_payload={"body": "1. クライアントを開く\n2. サインインする"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        list_ceiling=10,
    )


def _act(client, obj, code, **body):
    return client.post(
        f"{URL}{obj.pk}/actions/{code}/", {"version": fresh(obj).version, **body}, format="json"
    )


def test_the_lifecycle_through_the_api():
    org = OrganisationFactory()
    agent, reviewer = user_with_role(Role.AGENT, org), user_with_role(Role.AGENT, org)
    writer = client_for(agent)
    created = writer.post(
        URL,
        {
            "organisation": org.pk,
            "title": "VPN 接続手順",
            "body": "1. 開く",
            "reviewers": [person_of(reviewer).pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"].startswith("KB-") and body["state"] == "draft" and body["revision"] == 1
    obj = Article.objects.get(pk=body["id"])
    assert _act(writer, obj, "submit").json()["state"] == "in_review"
    assert_problem(_act(writer, obj, "publish"), 403)
    done = _act(client_for(reviewer), obj, "publish", note="確認済み")
    assert done.status_code == 200 and done.json()["state"] == "published"
    assert done.json()["review_due_on"] == str(timezone.localdate() + dt.timedelta(days=180))
    assert done["ETag"] == f'"{done.json()["version"]}"'
    wrong = assert_problem(_act(writer, obj, "submit"), 409)
    assert wrong["allowed"] == ["revise", "retire"]  # the owner's moves
    assert_problem(writer.post(f"{URL}{obj.pk}/actions/publish/", {}, format="json"), 428)
    stale = assert_problem(writer.post(f"{URL}{obj.pk}/actions/retire/", {"version": 1}, format="json"), 409)
    assert stale["current_version"] == fresh(obj).version
    assert _act(writer, obj, "retire").json()["state"] == "retired"  # the owner retires


def test_filters_by_state_and_overdue_review():
    org = OrganisationFactory()
    draft, done, late = article(org), published(org), published(org)
    Article.objects.filter(pk=late.pk).update(review_due_on=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(user_with_role(Role.AGENT, org))
    ids = lambda response: {row["id"] for row in response.json()["results"]}  # noqa: E731
    assert ids(client.get(URL, {"state": "draft"})) == {draft.pk}
    assert ids(client.get(URL, {"state": "published"})) == {done.pk, late.pk}
    assert ids(client.get(URL, {"review": "overdue"})) == {late.pk}
    assert ids(client.get(URL, {"q": draft.number})) == {draft.pk}
    assert client.get(URL).json()["results"][0]["votes"] == {
        "helpful": 0,
        "not_helpful": 0,
        "revision_helpful": 0,
        "revision_not_helpful": 0,
    }


@pytest.mark.parametrize(
    "params",
    [{"state": "bogus"}, {"review": "soon"}, {"audience": "all"}, {"service": "abc"}, {"q": "x" * 300}],
)
def test_bad_filters_are_400_problems(params):
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    body = assert_problem(client.get(URL, params), 400)
    assert body["errors"]


def test_versions_and_the_difference_between_two():
    org = OrganisationFactory()
    draft = article(org)
    client = client_for(user_with_role(Role.AGENT, org))
    changed = client.patch(f"{URL}{draft.pk}/", {"title": "VPN の接続手順", "version": 1}, format="json")
    assert changed.status_code == 200 and changed.json()["revision"] == 2
    rows = client.get(f"{URL}{draft.pk}/versions/").json()
    assert [r["number"] for r in rows] == [2, 1] and rows[0]["title"] == "VPN の接続手順"
    diff = client.get(f"{URL}{draft.pk}/diff/", {"from": 1, "to": 2}).json()
    assert {"kind": "removed", "old": 1, "new": None, "text": "# VPN 接続手順"} in diff["lines"]
    assert {"kind": "added", "old": None, "new": 1, "text": "# VPN の接続手順"} in diff["lines"]
    for params in ({"from": 1, "to": 7}, {"from": "a", "to": 2}, {}, {"from": "9" * 20, "to": 1}):
        assert_problem(client.get(f"{URL}{draft.pk}/diff/", params), 400)


def test_feedback_once_per_reader_and_revision():
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    done = published(provider, service=service)
    client = client_for(requester_of(customer))
    url = f"{URL}{done.pk}/feedback/"
    first = client.post(url, {"helpful": True, "comment": "助かりました"}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["votes"]["helpful"] == 1 and first.json()["revision"] == done.revision
    assert_problem(client.post(url, {"helpful": False}, format="json"), 400)
    for bad in (
        {"helpful": "yes"},
        {"helpful": 1},
        {},
        {"helpful": True, "comment": "x" * 2001},
        {"helpful": True, "x": 1},
    ):
        assert_problem(client.post(url, bad, format="json"), 400)
    assert Feedback.objects.count() == 1
    assert_problem(client.post(f"{URL}{done.pk}/feedback/", [1], format="json"), 400)


def test_feedback_on_a_draft_is_refused():
    org = OrganisationFactory()
    draft = article(org)
    client = client_for(user_with_role(Role.AGENT, org))
    assert_problem(client.post(f"{URL}{draft.pk}/feedback/", {"helpful": True}, format="json"), 400)


def test_a_requester_reads_published_requester_articles_of_their_provider_only():
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    mine = published(provider, service=service)
    agents_only = published(provider, audience=Audience.AGENTS)
    draft = article(provider, audience=Audience.REQUESTERS)
    elsewhere = published(OrganisationFactory())
    client = client_for(requester_of(customer))
    listing = client.get(URL).json()["results"]
    assert [row["id"] for row in listing] == [mine.pk]
    assert client.get(f"{URL}{mine.pk}/").status_code == 200
    for hidden in (agents_only, draft, elsewhere):
        assert_problem(client.get(f"{URL}{hidden.pk}/"), 404)
    assert_problem(
        client.patch(f"{URL}{mine.pk}/", {"title": "x", "version": mine.version}, format="json"), 403
    )
    assert_problem(client.post(URL, {"organisation": customer.pk, "title": "x"}, format="json"), 403)
    assert_problem(_act(client, mine, "retire"), 403)
    assert_problem(client.get(f"{URL}{mine.pk}/versions/"), 403)  # drafts are the team's
    assert_problem(client.get(f"{URL}{mine.pk}/diff/", {"from": 1, "to": 1}), 403)


def test_another_organisations_agent_sees_nothing():
    org = OrganisationFactory()
    done = published(org)
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert client.get(URL).json()["results"] == []
    assert_problem(client.get(f"{URL}{done.pk}/versions/"), 404)
    assert_problem(_act(client, done, "retire"), 404)
    assert_problem(client.post(f"{URL}{done.pk}/feedback/", {"helpful": True}, format="json"), 404)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": ["x"]}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"body": "x" * 50_001}, "body"),
        ({"body": {"a": 1}}, "body"),
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": 1.5}, "organisation"),
        ({"organisation": 10**20}, "organisation"),
        ({"service": True}, "service"),
        ({"reviewers": "1"}, "reviewers"),
        ({"reviewers": [10**20]}, "reviewers"),
        ({"audience": "everyone"}, "audience"),
        ({"review_interval_days": "soon"}, "review_interval_days"),
        ({"review_interval_days": 0}, "review_interval_days"),
        ({"review_interval_days": 5000}, "review_interval_days"),
        ({"state": "published"}, "state"),
        ({"number": "KB-1"}, "number"),
        ({"view_count": 10}, "view_count"),
        ({"surprise": 1}, "surprise"),
        ({"title": "bell\x07"}, "title"),
    ],
)
def test_bad_article_input_is_a_400_problem(payload, field):
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    before = AuditEntry.objects.count()
    body = assert_problem(
        client.post(URL, {"organisation": org.pk, "title": "VPN", **payload}, format="json"), 400
    )
    assert field in body["errors"], body
    assert AuditEntry.objects.count() == before


def test_malformed_and_non_object_bodies_are_400_problems():
    org = OrganisationFactory()
    draft = article(org)
    client = client_for(user_with_role(Role.AGENT, org))
    for url, method in (
        (URL, client.post),
        (f"{URL}{draft.pk}/", client.patch),
        (f"{URL}{draft.pk}/actions/submit/", client.post),
    ):
        assert_problem(method(url, data='{"title": ', content_type="application/json"), 400)
        assert_problem(method(url, data="[1, 2]", content_type="application/json"), 400)
        assert_problem(method(url, data='"text"', content_type="application/json"), 400)
    assert_problem(client.post(f"{URL}{draft.pk}/actions/submit/", {"version": "x"}, format="json"), 400)
    assert_problem(
        client.post(f"{URL}{draft.pk}/actions/submit/", {"version": 1, "note": ["x"]}, format="json"), 400
    )
    assert_problem(client.post(f"{URL}{draft.pk}/actions/{'x' * 60}/", {"version": 1}, format="json"), 404)
    assert_problem(client.post(f"{URL}{draft.pk}/actions/fly/", {"version": 1}, format="json"), 409)
    assert fresh(draft).version == 1


def test_a_published_article_refuses_new_text_until_revised():
    org = OrganisationFactory()
    done = published(org)
    client = client_for(user_with_role(Role.MANAGER, org))
    body = assert_problem(
        client.patch(f"{URL}{done.pk}/", {"body": "新", "version": done.version}, format="json"), 400
    )
    assert "body" in body["errors"]
    revised = _act(client, done, "revise").json()
    assert revised["state"] == "draft"
    assert (
        client.patch(
            f"{URL}{done.pk}/", {"body": "新", "version": revised["version"]}, format="json"
        ).status_code
        == 200
    )


def test_draft_from_a_resolved_incident_through_the_api():
    desk()
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    incident = ticket(org, title="プリンタで印刷できない", description="3F の複合機で印刷が止まる。")
    with context.acting(user=agent, channel=context.Channel.WEB):
        tickets.apply_action(
            incident.pk,
            "resolve",
            actor=agent,
            version=Ticket.objects.get(pk=incident.pk).version,
            params={"resolution": "印刷キューを削除した。", "cause_class": "operation"},
        )
    client = client_for(agent)
    made = client.post(f"{URL}draft-from-ticket/", {"ticket": incident.pk}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["state"] == ArticleState.DRAFT and made.json()["source_ticket"] == incident.pk
    assert "印刷キューを削除した。" in made.json()["body"]
    for bad in (
        {"ticket": "abc"},
        {"ticket": True},
        {"ticket": 1.5},
        {},
        {"ticket": 10**6},
        {"ticket": -1},
        {"ticket": incident.pk, "x": 1},
    ):
        assert_problem(client.post(f"{URL}draft-from-ticket/", bad, format="json"), 400)
    assert_problem(client.post(f"{URL}draft-from-ticket/", {"ticket": ticket(org).pk}, format="json"), 400)
    other = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert_problem(other.post(f"{URL}draft-from-ticket/", {"ticket": incident.pk}, format="json"), 400)
    assert_problem(
        client_for(None).post(f"{URL}draft-from-ticket/", {"ticket": incident.pk}, format="json"), 401
    )


def test_reading_through_the_api_does_not_count_views_or_audit():
    org = OrganisationFactory()
    done = published(org)
    client = client_for(user_with_role(Role.AUDITOR, org))
    before = AuditEntry.objects.count()
    assert client.get(f"{URL}{done.pk}/").json()["view_count"] == 0
    assert AuditEntry.objects.count() == before
    assert admin() is not None
