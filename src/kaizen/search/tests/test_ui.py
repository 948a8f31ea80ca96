"""The search page: hits with marks and links, visibility, bad and hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.ui import client_for
from kaizen.tickets import services as ticket_services
from kaizen.tickets.tests.factories import desk, requester_of, ticket

pytestmark = pytest.mark.django_db

URL = reverse("search:page")


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


def _html(response: Any) -> str:
    return response.content.decode()


def test_staff_find_tickets_with_marked_words_and_links(django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        t = ticket(title="プリンタ印刷不可", description="3階の複合機で印刷できません")
    agent = user_with_role(Role.AGENT, t.organisation)
    page = client_for(agent).get(URL, {"q": "印刷"})
    html = _html(page)
    assert page.status_code == 200
    assert f'data-hit="{t.number}"' in html and "<mark>印刷</mark>" in html
    assert reverse("tickets:ticket", args=[t.pk]) in html


def test_a_requester_finds_only_own_tickets_and_opens_them_in_the_portal(
    django_capture_on_commit_callbacks: Any,
):
    org = OrganisationFactory()
    requester = requester_of(org)
    with django_capture_on_commit_callbacks(execute=True):
        own = ticket_services.create_ticket(
            actor=requester, kind="incident", data={"title": "VPN に接続できない"}
        )
        other = ticket(organisation=OrganisationFactory(), title="VPN が遅い")
    html = _html(client_for(requester).get(URL, {"q": "VPN"}))
    assert f'data-hit="{own.number}"' in html and f'data-hit="{other.number}"' not in html
    assert reverse("portal:ticket", args=[own.pk]) in html


def test_the_type_filter_limits_the_hits(django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        t = ticket(title="警告灯が点灯")
    admin_user = user_with_role(Role.ADMIN, t.organisation)
    client = client_for(admin_user)
    assert f'data-hit="{t.number}"' in _html(client.get(URL, {"q": "警告", "type": "incident"}))
    assert f'data-hit="{t.number}"' not in _html(client.get(URL, {"q": "警告", "type": "request"}))


def test_a_title_with_markup_is_shown_as_text(django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        t = ticket(title="<script>alert(1)</script> 印刷エラー")
    html = _html(client_for(user_with_role(Role.AGENT, t.organisation)).get(URL, {"q": "印刷"}))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "params",
    [{"q": "x" * 1001}, {"q": "印刷", "type": "nonsense"}, {"q": "印刷", "type": "x" * 5000}],
)
def test_bad_input_is_a_form_error(params: dict[str, Any]):
    response = client_for(user_with_role(Role.AGENT, OrganisationFactory())).get(URL, params)
    assert response.status_code == 400
    assert response.context["form"].errors


@pytest.mark.parametrize("q", ['"', "*", "NEAR", "-x", "a OR b", "\x00", "(((", "印刷" * 400])
def test_hostile_queries_never_fail(q: str):
    response = client_for(user_with_role(Role.AGENT, OrganisationFactory())).get(
        URL, {"q": q, "offset": "-5"}
    )
    assert response.status_code in (200, 400)


def test_an_empty_page_shows_the_form_and_anonymous_users_log_in():
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    page = client.get(URL)
    assert page.status_code == 200 and 'name="q"' in _html(page)
    from django.test import Client

    assert Client().get(URL, {"q": "x"}).status_code == 302


def test_bytes_that_are_not_utf8_never_fail():
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert client.get(URL + "?q=%ED%A0%80%FF&offset=99999999999").status_code in (200, 400)
