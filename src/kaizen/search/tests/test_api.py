"""``GET /api/v1/search/``: results and problem responses for bad input."""

from __future__ import annotations

from typing import Any

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.api import assert_problem, client_for
from kaizen.tickets.tests.factories import admin, desk, requester_of, ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/"


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


@pytest.fixture
def indexed(django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return ticket(title="プリンタ印刷不可 <script>", description="複合機で印刷できない")


def test_search_returns_hits(indexed: Any) -> None:
    response = client_for(admin()).get(URL, {"q": "印刷"})
    assert response.status_code == 200
    body = response.json()
    assert body["next_offset"] is None
    assert body["terms"] == ["印刷"]
    [hit] = body["results"]
    assert hit["type"] == "incident" and hit["id"] == indexed.pk and hit["number"] == indexed.number
    assert hit["title_html"] == "プリンタ<mark>印刷</mark>不可 &lt;script&gt;"
    assert "<mark>印刷</mark>" in hit["snippet"]


def test_type_filter(indexed: Any) -> None:
    client = client_for(admin())
    assert client.get(URL, {"q": "印刷", "type": "problem"}).json()["results"] == []
    assert len(client.get(URL, {"q": "印刷", "type": "incident,request,problem"}).json()["results"]) == 1


def test_other_organisation_sees_nothing(indexed: Any) -> None:
    other = user_with_role(Role.AGENT, OrganisationFactory())
    assert client_for(other).get(URL, {"q": "印刷"}).json()["results"] == []
    requester = requester_of(indexed.organisation)
    assert client_for(requester).get(URL, {"q": "印刷"}).json()["results"] == []


def test_anonymous_is_401() -> None:
    assert_problem(client_for(None).get(URL, {"q": "印刷"}), 401)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "   "}, "q"),
        ({"q": "x" * 1001}, "q"),
        ({"q": "印" * 10_000}, "q"),
        ({"q": "印刷", "limit": "0"}, "limit"),
        ({"q": "印刷", "limit": "101"}, "limit"),
        ({"q": "印刷", "limit": "abc"}, "limit"),
        ({"q": "印刷", "limit": "-1"}, "limit"),
        ({"q": "印刷", "limit": "１０"}, "limit"),
        ({"q": "印刷", "limit": "9" * 50}, "limit"),
        ({"q": "印刷", "offset": "x"}, "offset"),
        ({"q": "印刷", "offset": "99999"}, "offset"),
        ({"q": "印刷", "type": "secret"}, "type"),
        ({"q": "印刷", "type": ","}, "type"),
    ],
)
def test_bad_input_is_a_problem(params: dict[str, str], field: str) -> None:
    body = assert_problem(client_for(admin()).get(URL, params), 400)
    assert field in body["errors"]


@pytest.mark.parametrize("q", ['"', "*", "NEAR", "-x", "a OR b", "印刷:*", "(()", "😀\u0000", "\\'"])
def test_hostile_queries_are_200(indexed: Any, q: str) -> None:
    response = client_for(admin()).get(URL, {"q": q})
    assert response.status_code == 200, response.content[:300]
