"""Articles suggested while a requester reports a problem, and the deflection rate they give."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaizen.core.access import Role
from kaizen.core.audit import AuditEntry
from kaizen.core.testing.ui import HOSTILE_VALUES, client_for
from kaizen.knowledge import queries
from kaizen.knowledge.choices import Audience
from kaizen.knowledge.models import Deflection
from kaizen.knowledge.tests.factories import customer_of, published
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, desk, requester_of, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


@pytest.fixture
def setting(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    with django_capture_on_commit_callbacks(execute=True):
        vpn = published(
            provider, service=service, title="VPN に接続できないとき", body="証明書を更新します。"
        )
        internal = published(provider, audience=Audience.AGENTS, title="VPN 装置の再起動")
    return {"provider": provider, "requester": requester_of(customer), "vpn": vpn, "internal": internal}


def test_typing_a_question_suggests_published_requester_articles(setting: dict[str, Any]):
    client = client_for(setting["requester"])
    html = client.get(reverse("portal:suggest"), {"title": "朝から VPN がつながらない"}).content.decode()
    assert f'data-suggestion="{setting["vpn"].number}"' in html
    assert setting["internal"].number not in html
    assert 'formaction="' + reverse("portal:answered") + '"' in html
    assert client.get(reverse("portal:suggest"), {"title": ""}).content.decode().strip() == ""


def test_an_article_that_answers_the_question_creates_no_ticket(setting: dict[str, Any]):
    requester, vpn = setting["requester"], setting["vpn"]
    client = client_for(requester)
    response = client.post(
        reverse("portal:answered"),
        {"title": "VPN がつながらない", "article": vpn.pk, "suggested": [vpn.pk], "urgency": 3},
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    assert not Ticket.objects.filter(requester__user=requester).exists()
    row = Deflection.objects.get()
    assert (row.outcome, row.article_id, row.question, row.suggested) == (
        "answered",
        vpn.pk,
        "VPN がつながらない",
        [vpn.pk],
    )
    assert AuditEntry.objects.filter(record_type="knowledge.deflection", record_id=str(row.pk)).exists()


def test_a_report_sent_after_suggestions_counts_against_the_rate(setting: dict[str, Any]):
    requester, vpn = setting["requester"], setting["vpn"]
    client = client_for(requester)
    client.post(reverse("portal:answered"), {"title": "VPN がつながらない", "article": vpn.pk})
    sent = client.post(
        reverse("portal:new-incident"),
        {
            "title": "VPN が切れる",
            "description": "",
            "urgency": 3,
            "suggested": [vpn.pk, setting["internal"].pk],
        },
    )
    assert sent.status_code == 302
    ticketed = Deflection.objects.get(outcome="ticket")
    assert ticketed.ticket == Ticket.objects.get(requester__user=requester)
    assert ticketed.suggested == [vpn.pk]  # an article the requester may not read is not kept
    client.post(reverse("portal:new-incident"), {"title": "別件", "urgency": 3})  # nothing suggested
    rate = queries.deflection(user_with_role(Role.MANAGER, requester.person.organisation))
    assert (rate.answered, rate.ticketed, rate.percent) == (1, 1, 50)
    assert queries.deflection(user_with_role(Role.MANAGER, OrganisationFactory())).total == 0


@pytest.mark.parametrize("article", ["", "abc", "-1", "99999999", "1.5", *HOSTILE_VALUES[:4]])
def test_a_bad_or_invisible_article_is_a_404_and_records_nothing(setting: dict[str, Any], article: Any):
    client = client_for(setting["requester"])
    assert client.post(reverse("portal:answered"), {"title": "VPN", "article": article}).status_code == 404
    internal = setting["internal"].pk
    assert client.post(reverse("portal:answered"), {"title": "VPN", "article": internal}).status_code == 404
    assert not Deflection.objects.exists()


def test_an_empty_question_is_refused_with_a_message(setting: dict[str, Any]):
    client = client_for(setting["requester"])
    response = client.post(reverse("portal:answered"), {"title": "  ", "article": setting["vpn"].pk})
    assert response.status_code == 302 and response["Location"] == reverse("portal:new-incident")
    assert not Deflection.objects.exists()


@pytest.mark.parametrize("title", ["x" * 5000, '"*NEAR -', "\x00", "印刷" * 300])
def test_hostile_questions_never_fail(setting: dict[str, Any], title: str):
    client = client_for(setting["requester"])
    assert client.get(reverse("portal:suggest"), {"title": title}).status_code == 200
    answered = client.post(reverse("portal:answered"), {"title": title, "article": setting["vpn"].pk})
    assert answered.status_code == 302
    assert all(len(q) <= 300 for q in Deflection.objects.values_list("question", flat=True))


def test_suggestions_need_a_login():
    from django.test import Client

    assert Client().get(reverse("portal:suggest"), {"title": "VPN"}).status_code == 302
    assert Client().post(reverse("portal:answered"), {"title": "VPN", "article": 1}).status_code == 302


def test_the_rate_through_the_api_for_staff_only(setting: dict[str, Any]):
    from kaizen.core.testing.api import client_for as api_client

    requester, vpn = setting["requester"], setting["vpn"]
    client_for(requester).post(reverse("portal:answered"), {"title": "VPN", "article": vpn.pk})
    manager = api_client(user_with_role(Role.MANAGER, requester.person.organisation))
    url = "/api/v1/articles/deflection/"
    assert manager.get(url).json() == {"days": 30, "answered": 1, "ticketed": 0, "percent": 100}
    for bad in ("0", "367", "abc", "1e3", "9" * 50, "-1"):
        response = manager.get(url, {"days": bad})
        assert response.status_code == 400 and "days" in response.json()["errors"], bad
    assert api_client(requester).get(url).status_code == 403
