"""The portal's ask page: answers from published articles, unanswered questions recorded, hand-over."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import signing
from django.urls import reverse

from kaizen.core.testing.ui import HOSTILE_VALUES, client_for
from kaizen.knowledge.choices import Audience
from kaizen.knowledge.models import Deflection
from kaizen.knowledge.tests.factories import customer_of, published
from kaizen.portal.views import ASK_SALT
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, desk, requester_of

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
    return {"requester": requester_of(customer), "vpn": vpn, "internal": internal}


def _conversation(html: str) -> str:
    found = re.search(r'name="conversation" value="([^"]*)"', html)
    assert found, html[:2000]
    return found.group(1)


def test_a_question_is_answered_from_published_requester_articles(setting: dict[str, Any]) -> None:
    client = client_for(setting["requester"])
    page = client.get(reverse("portal:ask"))
    assert page.status_code == 200 and "質問する" in page.content.decode()
    html = client.post(reverse("portal:ask"), {"question": "朝から VPN がつながらない"}).content.decode()
    assert setting["vpn"].number in html and setting["internal"].number not in html
    assert reverse("portal:answered") in html
    assert not Deflection.objects.exists()  # answered or not is the requester's click


def test_a_question_nothing_answers_is_recorded_for_the_faq_candidates(setting: dict[str, Any]) -> None:
    client = client_for(setting["requester"])
    html = client.post(
        reverse("portal:ask"), {"question": "会議室のプロジェクターが映らない"}
    ).content.decode()
    assert "見つかりません" in html or "ありません" in html
    row = Deflection.objects.get()
    assert (row.outcome, row.question) == ("unanswered", "会議室のプロジェクターが映らない")


def test_the_conversation_is_handed_over_as_a_ticket_with_its_transcript(setting: dict[str, Any]) -> None:
    client = client_for(setting["requester"])
    first = client.post(reverse("portal:ask"), {"question": "VPN がつながらない"}).content.decode()
    second = client.post(
        reverse("portal:ask"),
        {"question": "証明書を更新してもだめです", "conversation": _conversation(first)},
    ).content.decode()
    response = client.post(reverse("portal:ask-ticket"), {"conversation": _conversation(second)})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.title == "VPN がつながらない" and ticket.channel == "chat"
    assert "証明書を更新してもだめです" in ticket.description and setting["vpn"].number in ticket.description
    assert Deflection.objects.filter(outcome="ticket", ticket=ticket).exists()


def test_a_forged_conversation_is_ignored_and_an_empty_one_opens_nothing(setting: dict[str, Any]) -> None:
    client = client_for(setting["requester"])
    forged = signing.dumps([{"q": "x", "ids": [1]}], salt="another salt")
    response = client.post(reverse("portal:ask-ticket"), {"conversation": forged})
    assert response.status_code == 302 and response["Location"] == reverse("portal:ask")
    weird = signing.dumps([{"q": 5, "ids": "no"}, "junk", {"q": "本物", "ids": [10**12, "x"]}], salt=ASK_SALT)
    html = client.post(reverse("portal:ask"), {"question": "VPN", "conversation": weird}).content.decode()
    assert "本物" in html
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("question", ["", "   ", "x" * 201, *HOSTILE_VALUES])
def test_bad_questions_get_a_clear_answer(setting: dict[str, Any], question: str) -> None:
    response = client_for(setting["requester"]).post(reverse("portal:ask"), {"question": question})
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert "<script>alert" not in html
    if not question.strip() or len(question) > 200:
        assert response.status_code == 400


def test_the_ask_page_needs_a_login() -> None:
    assert client_for(None).get(reverse("portal:ask")).status_code == 302
    assert client_for(None).post(reverse("portal:ask-ticket")).status_code == 302


def test_handing_the_same_conversation_over_twice_opens_one_ticket(setting: dict[str, Any]) -> None:
    client = client_for(setting["requester"])
    html = client.post(reverse("portal:ask"), {"question": "VPN がつながらない"}).content.decode()
    conversation = _conversation(html)
    first = client.post(reverse("portal:ask-ticket"), {"conversation": conversation})
    second = client.post(reverse("portal:ask-ticket"), {"conversation": conversation})
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1


def test_a_refused_question_keeps_the_answers_already_given_and_htmx_gets_its_error(
    setting: dict[str, Any],
) -> None:
    client = client_for(setting["requester"])
    html = client.post(reverse("portal:ask"), {"question": "VPN がつながらない"}).content.decode()
    again = client.post(
        reverse("portal:ask"), {"question": "", "conversation": _conversation(html)}, HTTP_HX_REQUEST="true"
    )
    assert again.status_code == 200
    body = again.content.decode()
    assert setting["vpn"].number in body and "先に質問を入力してください" in body
