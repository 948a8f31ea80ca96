"""Batch create (``POST /api/v1/<kind>/batch/``): all or none, rules and assignment per ticket,
retries answered from ``external_ref``, and bad input."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from django.utils import translation

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry, OutboxMessage
from kaizen.core.testing.api import assert_problem, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets.models import BusinessRule, PriorityRule, StateLog, TeamAssignment, Ticket

from .factories import desk, person_of, team_with, ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/incidents/batch/"


@pytest.fixture(autouse=True)
def _desk(db):
    desk()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _stored() -> tuple[int, int, int]:
    return Ticket.objects.count(), AuditEntry.objects.count(), OutboxMessage.objects.count()


def _post(client, body):
    return client.post(URL, body, format="json")


def test_a_batch_creates_every_ticket_with_rules_assignment_history_and_audit():
    org = OrganisationFactory()
    a, b = user_with_role(Role.AGENT, None), user_with_role(Role.AGENT, None)
    team = team_with(a, b)
    TeamAssignment.objects.create(team=team, mode="round_robin")
    BusinessRule.objects.create(
        name="VPN to the network team",
        conditions=[{"field": "title", "op": "contains", "value": "VPN"}],
        actions=[{"action": "set_team", "value": team.pk}, {"action": "add_tags", "value": ["vpn"]}],
    )
    client = client_for(a)
    items = [{"title": f"VPN down {i}", "organisation": org.pk, "urgency": 3} for i in range(3)]
    items.append({"title": "Printer jam", "organisation": org.pk, "tags": ["printer"]})
    response = _post(client, {"items": items})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 4 and [i["index"] for i in body["items"]] == [0, 1, 2, 3]
    assert all(i["created"] for i in body["items"])
    made = [Ticket.objects.get(pk=i["id"]) for i in body["items"]]
    assert [t.number for t in made] == [i["number"] for i in body["items"]]
    assert len({t.number for t in made}) == 4 and all(t.number.startswith("INC-") for t in made)
    assert [t.title for t in made] == [i["title"] for i in items]
    # round robin went on from ticket to ticket inside the batch, and was saved at its end
    assert [t.assignee for t in made[:3]] == [person_of(a), person_of(b), person_of(a)]
    assert all(t.state.code == "assigned" for t in made[:3]) and made[3].assignee is None
    assert ticket(org, title="VPN again").assignee == person_of(b)
    assert set(made[0].tags.values_list("name", flat=True)) == {"vpn"}
    assert set(made[3].tags.values_list("name", flat=True)) == {"printer"}
    assert all(t.version == i["version"] for t, i in zip(made, body["items"], strict=True))
    for t in made[:3]:
        assert list(StateLog.objects.filter(ticket=t).values_list("category", flat=True)) == ["new", "open"]
        actions = set(
            AuditEntry.objects.filter(record_type="tickets.ticket", record_id=str(t.pk)).values_list(
                "action", flat=True
            )
        )
        assert {"create", "rule", "auto_assign"} <= actions
    assert OutboxMessage.objects.filter(topic="ticket.created").count() == 5


def test_an_invalid_item_stores_nothing_and_every_error_names_its_item():
    org, other = OrganisationFactory(), OrganisationFactory()
    foreign_service = ServiceFactory(organisation=other)
    client = client_for(user_with_role(Role.AGENT, org))
    before = _stored()
    items = [
        {"title": "fine", "organisation": org.pk},
        {"title": "wrong type", "organisation": org.pk, "urgency": "high"},
        "not an object",
        {"organisation": org.pk},
        {"title": "unknown field", "organisation": org.pk, "colour": "red"},
        {"title": "hidden service", "organisation": org.pk, "service": foreign_service.pk},
    ]
    body = assert_problem(_post(client, {"items": items}), 400)
    errors = body["errors"]
    assert set(errors) == {
        "items[1].urgency",
        "items[2]",
        "items[3].title",
        "items[4].colour",
        "items[5].service",
    }
    assert _stored() == before


def test_a_refusal_of_the_service_rolls_back_the_items_before_it():
    org, other = OrganisationFactory(), OrganisationFactory()
    foreign_ci = CIFactory(organisation=other)
    client = client_for(user_with_role(Role.AGENT, org))
    before = _stored()
    items = [
        {"title": "first", "organisation": org.pk},
        {"title": "second", "organisation": org.pk, "cis": [foreign_ci.pk]},
    ]
    body = assert_problem(_post(client, {"items": items}), 400)
    assert list(body["errors"]) == ["items[1].cis"]
    assert _stored() == before


def test_an_item_for_an_organisation_the_agent_does_not_work_is_403_and_nothing_is_stored():
    home = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, home))
    auditor = client_for(user_with_role(Role.AUDITOR, None))
    before = _stored()
    foreign = OrganisationFactory()
    response = _post(
        client, {"items": [{"title": "ok", "organisation": home.pk}, {"title": "x", "requester": None}]}
    )
    body = assert_problem(response, 400)
    assert "items[1].organisation" in body["errors"]
    single = auditor.post(
        "/api/v1/incidents/", {"title": "read only", "organisation": home.pk}, format="json"
    )
    assert single.status_code in (400, 403)  # a reader files nothing, alone or in a batch
    batch = _post(auditor, {"items": [{"title": "read only", "organisation": home.pk}]})
    assert_problem(batch, single.status_code)
    body = assert_problem(
        _post(
            client,
            {
                "items": [
                    {"title": "mine", "organisation": home.pk},
                    {"title": "no", "organisation": foreign.pk},
                ]
            },
        ),
        400,
    )
    assert "items[1].organisation" in body["errors"]  # invisible, reported as missing
    assert _stored() == before
    assert_problem(client_for(None).post(URL, {"items": [{"title": "x"}]}, format="json"), 401)


def test_a_retried_batch_answers_the_tickets_it_made_instead_of_creating_them_again():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    items = [
        {"title": "disk full", "organisation": org.pk, "external_ref": "import:1"},
        {"title": "no ref", "organisation": org.pk},
        {"title": "disk full (again)", "organisation": org.pk, "external_ref": "import:1"},
    ]
    first = _post(client, {"items": items})
    assert first.status_code == 201
    got = first.json()["items"]
    assert [i["created"] for i in got] == [True, True, False]
    assert got[2]["id"] == got[0]["id"]
    again = _post(client, {"items": [items[0]]})
    assert again.status_code == 200
    assert again.json() == {
        "created": 0,
        "items": [
            {
                "index": 0,
                "id": got[0]["id"],
                "number": got[0]["number"],
                "version": got[0]["version"],
                "created": False,
            }
        ],
    }
    # the same reference in another organisation is another ticket
    other = OrganisationFactory()
    admin = client_for(user_with_role(Role.ADMIN, None))
    third = _post(
        admin, {"items": [{"title": "disk full", "organisation": other.pk, "external_ref": "import:1"}]}
    )
    assert third.status_code == 201 and third.json()["items"][0]["id"] != got[0]["id"]
    assert Ticket.objects.filter(external_ref="import:1").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        [],
        "items",
        {"items": []},
        {"items": "x"},
        {"items": {"title": "x"}},
        {"items": [{"title": "x"}] * 101},
        {"items": [{"title": "x"}], "extra": 1},
        {},
    ],
)
def test_a_malformed_batch_is_400(body):
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    before = _stored()
    assert_problem(_post(client, body), 400)
    assert_problem(client.post(URL, "{not json", content_type="application/json"), 400)
    assert _stored() == before


def test_an_oversized_batch_is_413_and_hostile_text_is_stored_as_text():
    org = OrganisationFactory()
    user = user_with_role(Role.AGENT, org)
    client = client_for(user)
    hostile = '<script>alert("x")</script>\'; DROP TABLE tickets_ticket; --'
    response = _post(client, {"items": [{"title": hostile, "description": hostile, "organisation": org.pk}]})
    assert response.status_code == 201
    assert Ticket.objects.get(pk=response.json()["items"][0]["id"]).title == hostile
    before = _stored()
    with override_settings(MAX_REQUEST_BYTES=4096):
        big = json.dumps({"items": [{"title": "x", "description": "あ" * 5000, "organisation": org.pk}]})
        response = Client(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"]).generic(
            "POST", URL, big, content_type="application/json"
        )
    assert_problem(response, 413)
    assert _stored() == before


def test_what_a_batch_remembers_ends_with_it():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    assert (
        _post(
            client, {"items": [{"title": "x", "organisation": org.pk, "impact": 2, "urgency": 2}]}
        ).status_code
        == 201
    )
    PriorityRule.objects.filter(impact=2, urgency=2).update(priority=1)
    response = _post(client, {"items": [{"title": "y", "organisation": org.pk, "impact": 2, "urgency": 2}]})
    assert Ticket.objects.get(pk=response.json()["items"][0]["id"]).priority == 1


def test_requests_and_problems_have_a_batch_too_and_a_requester_files_only_their_own():
    org = OrganisationFactory()
    agent = client_for(user_with_role(Role.AGENT, org))
    for kind, prefix in (("requests", "REQ-"), ("problems", "PRB-")):
        response = agent.post(
            f"/api/v1/{kind}/batch/", {"items": [{"title": "x", "organisation": org.pk}]}, format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["items"][0]["number"].startswith(prefix)
    requester = user_with_role(Role.REQUESTER, org)
    mine = client_for(requester)
    response = _post(mine, {"items": [{"title": "my laptop", "urgency": 3}]})
    assert response.status_code == 201
    made = Ticket.objects.get(pk=response.json()["items"][0]["id"])
    assert made.requester == person_of(requester) and made.organisation == org
    body = assert_problem(_post(mine, {"items": [{"title": "x", "team": 1}]}), 400)
    assert all(key.startswith("items[0]") for key in body["errors"])


def test_an_item_the_service_forbids_is_403_naming_the_item():
    from kaizen.accounts.models import Membership
    from kaizen.accounts.tests.factories import UserFactory

    org = OrganisationFactory()
    login = UserFactory()  # a requester login without a person record
    Membership.objects.create(user=login, organisation=org, role=Role.REQUESTER)
    client = client_for(login)
    before = _stored()
    response = client.post(URL, {"items": [{"title": "x"}]}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    body = assert_problem(response, 403)
    assert body["detail"].startswith("Item 0: ") and "person record" in body["detail"]
    assert _stored() == before
