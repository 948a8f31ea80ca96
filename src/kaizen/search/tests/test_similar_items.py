"""Similar items on a ticket: alike in meaning across Japanese and English, only what the user may see."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.api import assert_problem
from kaizen.core.testing.api import client_for as api_client
from kaizen.core.testing.ui import client_for
from kaizen.search import similarity
from kaizen.search.models import SearchEntry
from kaizen.tickets.tests.factories import admin, desk, requester_of, ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/similar/"


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


@pytest.fixture
def history(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    org = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        made = {
            "vpn_ja": ticket(
                org, title="VPNに接続できません", description="自宅から社内ネットワークに入れない"
            ),
            "vpn_en": ticket(org, title="Cannot connect to the VPN", description="VPN fails from home"),
            "printer": ticket(org, title="プリンタで印刷できない", description="3階の複合機が紙詰まり"),
            "password": ticket(org, title="パスワードを忘れました", description="ログインできない"),
            "new": ticket(org, title="在宅勤務でVPNがつながらない", description="今朝から接続エラー"),
        }
        other_org = OrganisationFactory()
        made["foreign"] = ticket(other_org, title="VPNに接続できない", description="他社のチケット")
    return {"org": org, **made}


def test_index_entries_carry_a_meaning_vector(history: dict[str, Any]) -> None:
    entry = SearchEntry.objects.get(record_type="incident", record_id=history["new"].pk)
    assert entry.vector is not None and len(bytes(entry.vector)) == 512 * 2


def test_the_most_alike_tickets_come_first_across_languages(history: dict[str, Any]) -> None:
    agent = user_with_role(Role.AGENT, history["org"])
    found = similarity.similar_to(agent, "incident", history["new"].pk)
    ids = [s.record_id for s in found]
    assert set(ids[:2]) == {history["vpn_ja"].pk, history["vpn_en"].pk}
    assert history["new"].pk not in ids  # never itself
    assert history["foreign"].pk not in ids  # never another organisation's
    assert all(0 < s.score <= 1 for s in found)
    assert found == sorted(found, key=lambda s: -s.score)


def test_nothing_for_a_record_the_user_may_not_see(history: dict[str, Any]) -> None:
    outsider = user_with_role(Role.AGENT, OrganisationFactory())
    assert similarity.similar_to(outsider, "incident", history["new"].pk) == []
    requester = requester_of(history["org"])
    assert similarity.similar_to(requester, "incident", history["new"].pk) == []


def test_the_ticket_page_shows_the_similar_panel(history: dict[str, Any]) -> None:
    html = client_for(admin()).get(reverse("tickets:ticket", args=[history["new"].pk])).content.decode()
    assert 'id="similar-title"' in html and history["vpn_en"].number in html


def test_the_api_answers_and_refuses_bad_input(history: dict[str, Any]) -> None:
    client = api_client(admin())
    body = client.get(URL, {"type": "incident", "id": history["new"].pk, "limit": 2}).json()
    assert len(body["results"]) == 2 and {"type", "id", "number", "title", "score"} <= set(body["results"][0])
    for params in (
        {"type": "incident"},
        {"type": "nonsense", "id": 1},
        {"type": "incident", "id": "abc"},
        {"type": "incident", "id": "9" * 40},
        {"type": "incident", "id": 1, "limit": 0},
        {"type": "incident", "id": 1, "limit": 500},
    ):
        assert_problem(client.get(URL, params), 400)
    assert client.get(URL, {"type": "incident", "id": 999_999}).json() == {"results": []}
    assert_problem(api_client(None).get(URL, {"type": "incident", "id": 1}), 401)


def test_a_record_without_a_vector_falls_back_to_its_title_words_and_a_bad_vector_never_fails(
    history: dict[str, Any],
) -> None:
    agent = user_with_role(Role.AGENT, history["org"])
    SearchEntry.objects.filter(record_type="incident", record_id=history["new"].pk).update(vector=None)
    SearchEntry.objects.filter(record_type="incident", record_id=history["printer"].pk).update(
        vector=b"\x00\x01\x02"
    )
    found = similarity.similar_to(agent, "incident", history["new"].pk)
    assert all(s.record_id != history["new"].pk for s in found)
    SearchEntry.objects.filter(record_type="incident", record_id=history["new"].pk).update(vector=b"\x01" * 7)
    assert isinstance(similarity.similar_to(agent, "incident", history["new"].pk), list)
    vpn = similarity.similar_to(agent, "incident", history["vpn_ja"].pk)
    assert history["printer"].pk not in [s.record_id for s in vpn]  # its broken vector is left out
    assert api_client(admin()).get(URL, {"type": "incident", "id": "1" * 18}).status_code == 200
