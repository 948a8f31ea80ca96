"""Queue rows of the API: written directly, they say what DRF's field-by-field path says."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone, translation
from rest_framework import serializers as drf

from kaizen.accounts.tests.factories import OrganisationFactory, PersonFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.api import client_for
from kaizen.core.testing.ui import HOSTILE
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets import queries
from kaizen.tickets.api.serializers import TicketListSerializer
from kaizen.tickets.models import Ticket

from .factories import desk, person_of, team_with, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk(db: Any) -> None:
    desk()


def _generic(row: Ticket) -> dict[str, Any]:
    """The row as ModelSerializer writes it from the same declared fields."""
    return dict(drf.ModelSerializer.to_representation(TicketListSerializer(), row))


def _varied(agent: Any) -> list[Ticket]:
    org = OrganisationFactory(name="顧客 <b>")
    team = team_with(agent, org=org, name="一次対応")
    requester = PersonFactory(organisation=org, name="依頼者 'A'")
    service = ServiceFactory(organisation=org)
    made = [
        ticket(org, title="全部あり", team=team.pk, assignee=person_of(agent).pk, requester=requester.pk),
        ticket(org, title="誰もいない"),
        ticket(org, title=HOSTILE, service=service.pk, impact=1, urgency=4),
        ticket(org, kind="request", title="依頼"),
        ticket(org, kind="problem", title="問題"),
    ]
    Ticket.objects.filter(pk=made[0].pk).update(major=True, review_status="pending")
    stamp = dt.datetime(2026, 12, 1, 3, 0, 0, 123456, tzinfo=dt.UTC)
    Ticket.objects.filter(pk=made[1].pk).update(updated_at=stamp)
    return made


@pytest.mark.parametrize(("zone", "language"), [("UTC", "en"), ("Asia/Tokyo", "ja")])
def test_a_row_holds_what_the_generic_serializer_writes(zone: str, language: str) -> None:
    agent = user_with_role(Role.AGENT, None)
    made = _varied(agent)
    rows = queries.queue(agent, "all").filter(pk__in=[t.pk for t in made]).order_by("pk")
    with timezone.override(zone), translation.override(language):
        for row, listed in zip(rows, _listed(agent, made), strict=True):
            fast = TicketListSerializer(listed).data
            assert fast == _generic(row)  # the list's few columns give what every column gives
            assert list(fast) == TicketListSerializer.Meta.fields


def _listed(agent: Any, made: list[Ticket]) -> list[Ticket]:
    """The rows as the list API reads them (its joins and columns only)."""
    rows = queries.queue(agent, "all", TicketListSerializer.related).only(*TicketListSerializer.columns)
    return list(rows.filter(pk__in=[t.pk for t in made]).order_by("pk"))


def test_rows_are_written_without_a_query(django_assert_num_queries: Any) -> None:
    """Every value a row shows is among the list's columns (a deferred one would cost a query a row)."""
    agent = user_with_role(Role.AGENT, None)
    listed = _listed(agent, _varied(agent))
    with django_assert_num_queries(0), translation.override("en"):
        data = [TicketListSerializer(row).data for row in listed]
    assert len(data) == 5


def test_every_declared_field_is_written() -> None:
    """A field added to ``Meta.fields`` must be added to the row too (or this fails)."""
    agent = user_with_role(Role.AGENT, None)
    row = queries.queue(agent, "all").get(pk=ticket(title="x").pk)
    assert set(TicketListSerializer(row).data) == set(TicketListSerializer().fields)


def test_the_list_api_answers_the_generic_rows() -> None:
    agent = user_with_role(Role.AGENT, None)
    made = _varied(agent)
    for kind, path in (("incident", "/api/v1/incidents/"), ("request", "/api/v1/requests/")):
        answer = client_for(agent).get(path, {"queue": "all"})
        assert answer.status_code == 200
        results = answer.json()["results"]
        expected = {t.pk for t in made if t.kind == kind}
        assert {r["id"] for r in results} == expected
        by_id = {r["id"]: r for r in results}
        for row in queries.queue(agent, "all").filter(pk__in=expected):
            generic = _generic(row)
            assert by_id[row.pk] == generic  # dates are strings already, the rest JSON's own types
