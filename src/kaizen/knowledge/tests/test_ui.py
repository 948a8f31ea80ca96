"""Article pages: the generic suite, the article page (rendered text, feedback, moves, versions), the
comparison of versions, drafts from the ticket page, and hostile or malformed form input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing.ui import HOSTILE, UiCase, UiPermissionSuite, client_for
from kaizen.knowledge import services
from kaizen.knowledge.choices import ArticleState
from kaizen.knowledge.models import Article, Feedback
from kaizen.knowledge.tests.factories import (
    OrganisationFactory,
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


def _form(org, **extra):
    return {
        "organisation": org.pk,
        "title": "VPN 接続手順",
        "audience": "requesters",
        "review_interval_days": 180,
        "body": "1. クライアントを開く",
        **extra,
    }


class TestArticlePages(UiPermissionSuite):
    case = UiCase(
        prefix="knowledge:articles",
        make=lambda org: article(org),
        form_data=_form,
        edit_data=lambda obj: {
            "organisation": obj.organisation_id,
            "title": obj.title,
            "audience": obj.audience,
            "review_interval_days": 90,
            "body": "1. クライアントを開く\n2. サインインする",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        text_field="title",
    )


def _detail(obj) -> str:
    return reverse("knowledge:articles-detail", args=[obj.pk])


def test_the_article_page_renders_markdown_safely_and_counts_the_view():
    org = OrganisationFactory()
    draft = article(org, body=f"## 手順\n\n1. **再起動**する\n\n{HOSTILE}\n\n[x](javascript:alert(1))")
    client = client_for(user_with_role(Role.AGENT, org))
    html = client.get(_detail(draft)).content.decode()
    assert "<h2>手順</h2>" in html and "<strong>再起動</strong>" in html
    assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript' not in html
    client.get(_detail(draft))
    assert fresh(draft).view_count == 2 and fresh(draft).version == 1


def test_the_owner_submits_and_a_reviewer_publishes_from_the_page():
    org = OrganisationFactory()
    owner, reviewer = user_with_role(Role.AGENT, org), user_with_role(Role.AGENT, org)
    draft = article(org, actor=owner, reviewers=[person_of(reviewer)])
    mine = client_for(owner)
    page = mine.get(_detail(draft)).content.decode()
    assert reverse("knowledge:action", args=[draft.pk, "submit"]) in page
    assert reverse("knowledge:action", args=[draft.pk, "publish"]) not in page
    assert (
        mine.post(reverse("knowledge:action", args=[draft.pk, "submit"]), {"version": 1}).status_code == 302
    )
    refused = mine.post(reverse("knowledge:action", args=[draft.pk, "publish"]), {"version": 2})
    assert refused.status_code == 403
    theirs = client_for(reviewer)
    assert (
        reverse("knowledge:action", args=[draft.pk, "publish"]) in theirs.get(_detail(draft)).content.decode()
    )
    stale = theirs.post(reverse("knowledge:action", args=[draft.pk, "publish"]), {"version": 1})
    assert stale.status_code == 409 and "message-error" in stale.content.decode()
    assert (
        theirs.post(reverse("knowledge:action", args=[draft.pk, "publish"]), {"version": 2}).status_code
        == 302
    )
    assert fresh(draft).state == ArticleState.PUBLISHED
    for bad in ({"version": "abc"}, {}, {"version": 3, "note": "x" * 3000}):
        assert theirs.post(reverse("knowledge:action", args=[draft.pk, "retire"]), bad).status_code == 400
    assert theirs.post(reverse("knowledge:action", args=[draft.pk, "fly"]), {"version": 3}).status_code == 409


def test_a_published_article_form_keeps_its_text_read_only():
    org = OrganisationFactory()
    done = published(org)
    client = client_for(user_with_role(Role.MANAGER, org))
    form = client.get(reverse("knowledge:articles-edit", args=[done.pk])).content.decode()
    assert "Start a new revision to change this." in form or "disabled" in form
    data = {**_form(org, title="別の題"), "review_interval_days": 30, "version": done.version}
    assert client.post(reverse("knowledge:articles-edit", args=[done.pk]), data).status_code == 302
    assert fresh(done).title == "VPN 接続手順" and fresh(done).review_interval_days == 30


def test_a_reader_gives_feedback_once_from_the_page():
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    done = published(provider, service=service)
    client = client_for(requester_of(customer))
    page = client.get(_detail(done)).content.decode()
    assert reverse("knowledge:feedback", args=[done.pk]) in page
    url = reverse("knowledge:feedback", args=[done.pk])
    for bad in ({"helpful": "maybe"}, {}, {"helpful": "yes", "comment": "x" * 2001}):
        assert client.post(url, bad).status_code == 400
    assert client.post(url, {"helpful": "yes", "comment": HOSTILE}).status_code == 302
    assert client.post(url, {"helpful": "no"}).status_code == 400
    assert Feedback.objects.get().comment == HOSTILE
    staff = client_for(user_with_role(Role.AGENT, provider)).get(_detail(done)).content.decode()
    assert "&lt;script&gt;" in staff and "<script>alert" not in staff
    assert reverse("knowledge:feedback", args=[done.pk]) not in client.get(_detail(done)).content.decode()


def test_a_requester_opens_only_the_articles_meant_for_them():
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    mine = published(provider, service=service)
    draft = article(provider)
    client = client_for(requester_of(customer))
    listing = client.get(reverse("knowledge:articles-list")).content.decode()
    assert _detail(mine) in listing and _detail(draft) not in listing
    assert client.get(_detail(draft)).status_code == 404
    page = client.get(_detail(mine)).content.decode()
    assert (
        'id="article-body"' in page and 'id="history-title"' not in page and 'id="versions-title"' not in page
    )
    assert client.get(reverse("knowledge:diff", args=[mine.pk])).status_code == 403
    assert client.get(reverse("knowledge:articles-edit", args=[mine.pk])).status_code == 403
    assert client.get(reverse("knowledge:articles-create")).status_code == 403


def test_the_list_filters_overdue_articles():
    org = OrganisationFactory()
    late, current = published(org, title="期限切れの記事"), published(org, title="最新の記事")
    Article.objects.filter(pk=late.pk).update(review_due_on=timezone.localdate() - dt.timedelta(days=1))
    client = client_for(user_with_role(Role.AGENT, org))
    html = client.get(reverse("knowledge:articles-list"), {"review": "overdue"}).content.decode()
    assert _detail(late) in html and _detail(current) not in html
    assert "?review=overdue" in client.get(reverse("knowledge:articles-list")).content.decode()
    page = client.get(_detail(late)).content.decode()
    assert 'class="alert alert-error"' in page
    for params in ({"review": "x"}, {"state": "nope"}, {"service": "abc"}, {"audience": "\x00"}):
        assert client.get(reverse("knowledge:articles-list"), params).status_code == 200


def test_the_versions_page_shows_the_difference_escaped():
    org = OrganisationFactory()
    draft = article(org)
    with context.acting(user=None, channel=context.Channel.WEB):
        services.update_article(
            draft.pk,
            actor=user_with_role(Role.ADMIN, None),
            changes={"body": f"新しい手順\n{HOSTILE}"},
            version=1,
        )
    client = client_for(user_with_role(Role.AUDITOR, org))
    url = reverse("knowledge:diff", args=[draft.pk])
    html = client.get(url).content.decode()
    assert "<ins>新しい手順</ins>" in html and "<del>1. VPN クライアントを開く</del>" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    for params in (
        {"old": "a", "new": 2},
        {"old": 1, "new": 99},
        {"old": "-1", "new": "1"},
        {"old": "9" * 30, "new": 1},
    ):
        assert client.get(url, params).status_code == 400
    assert (
        client.get(reverse("knowledge:diff", args=[published(OrganisationFactory()).pk])).status_code == 404
    )


def test_a_resolved_incident_page_offers_a_draft_and_the_draft_opens_for_editing():
    desk()
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    incident = ticket(org, title="メール送信エラー", description="550 が返る")
    client = client_for(agent)
    page = client.get(reverse("tickets:ticket", args=[incident.pk])).content.decode()
    assert reverse("knowledge:draft") not in page
    with context.acting(user=agent, channel=context.Channel.WEB):
        tickets.apply_action(
            incident.pk,
            "resolve",
            actor=agent,
            version=Ticket.objects.get(pk=incident.pk).version,
            params={"resolution": "宛先を直して再送した。", "cause_class": "operation"},
        )
    page = client.get(reverse("tickets:ticket", args=[incident.pk])).content.decode()
    assert reverse("knowledge:draft") in page
    made = client.post(reverse("knowledge:draft"), {"ticket": incident.pk})
    assert made.status_code == 302
    draft = Article.objects.get(source_ticket=incident)
    assert made["Location"] == reverse("knowledge:articles-edit", args=[draft.pk])
    assert "宛先を直して再送した。" in draft.body
    assert draft.number in client.get(reverse("tickets:ticket", args=[incident.pk])).content.decode()
    assert client.post(reverse("knowledge:draft"), {"ticket": "abc"}).status_code == 302
    assert client.post(reverse("knowledge:draft"), {"ticket": ticket(org).pk}).status_code == 302
    assert Article.objects.count() == 1
    reader = client_for(user_with_role(Role.AUDITOR, org))
    assert reader.post(reverse("knowledge:draft"), {"ticket": incident.pk}).status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("review_interval_days", "0"),
        ("review_interval_days", "5000"),
        ("review_interval_days", "soon"),
        ("body", "x" * 50_001),
        ("body", "bad\x00null"),
        ("audience", "everyone"),
        ("service", "abc"),
        ("owner", "99999999"),
        ("reviewers", "abc"),
        ("category", "-1"),
    ],
)
def test_bad_form_input_is_a_form_error(field, value):
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    response = client.post(reverse("knowledge:articles-create"), {**_form(org), field: value})
    assert response.status_code == 400, (field, value)
    assert 'class="error"' in response.content.decode()
    assert not Article.objects.exists()


def test_a_problem_page_offers_a_draft_to_writers_only():
    from kaizen.problems.tests.factories import problem

    desk()
    org = OrganisationFactory()
    found = problem(org, title="VPN が数分おきに切断される")
    url = reverse("tickets:ticket", args=[found.pk])
    writer = client_for(user_with_role(Role.AGENT, org)).get(url).content.decode()
    assert 'id="knowledge-title"' in writer and reverse("knowledge:draft") in writer
    reader = client_for(user_with_role(Role.AUDITOR, org)).get(url).content.decode()
    assert reverse("knowledge:draft") not in reader
