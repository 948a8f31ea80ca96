"""The service level API: permissions, bad input, conflicts, ticket clocks."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.slm import calendars, defaults
from kaizen.slm.models import Agreement, BusinessCalendar, Outage, ServiceTier
from kaizen.tickets.tests import factories as f

_n = itertools.count()


def _outage(org: Any) -> Outage:
    start = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    return Outage.objects.create(
        service=ServiceFactory(organisation=org), start=start, end=start + dt.timedelta(hours=1)
    )


class TestOutageApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/outages/",
        make=_outage,
        create_payload=lambda org: {
            "service": ServiceFactory(organisation=org).pk,
            "start": "2026-11-02T10:00:00+09:00",
            "end": "2026-11-02T10:45:00+09:00",
            "planned": False,
            "description": "業務APの停止",
        },
        update_payload={"description": "再起動で復旧"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
    )


@pytest.fixture
def loaded(db: Any) -> dict[str, Any]:
    f.desk()
    with context.acting(channel=context.Channel.SYSTEM):
        defaults.load()
    return {
        "calendar": BusinessCalendar.objects.get(is_default=True),
        "tier": ServiceTier.objects.get(name_en="Gold"),
    }


def _calendar_body(**definition: Any) -> dict[str, Any]:
    return {"name": f"暦 {next(_n)}", "definition": {**calendars.DEFAULT_DEFINITION, **definition}}


def test_staff_read_configuration_and_only_managers_write(loaded: dict[str, Any]) -> None:
    org = OrganisationFactory()
    agent = client_for(user_with_role(Role.AGENT, org))
    assert agent.get(f"/api/v1/calendars/{loaded['calendar'].pk}/").status_code == 200
    assert agent.get(f"/api/v1/service-tiers/{loaded['tier'].pk}/").status_code == 200
    assert_problem(agent.post("/api/v1/calendars/", _calendar_body(), format="json"), 403)
    requester = client_for(user_with_role(Role.REQUESTER, org))
    assert_problem(requester.get(f"/api/v1/calendars/{loaded['calendar'].pk}/"), 404)
    assert_problem(client_for(None).get("/api/v1/calendars/"), 401)
    manager = client_for(user_with_role(Role.MANAGER, org))
    created = manager.post("/api/v1/calendars/", _calendar_body(), format="json")
    assert created.status_code == 201, created.content
    assert BusinessCalendar.objects.get(pk=created.json()["id"]).revisions.count() == 1


@pytest.mark.parametrize(
    ("definition", "field"),
    [
        ({"hours": [[["09:00", "13:00"], ["12:00", "18:00"]], [], [], [], [], [], []]}, "hours"),
        ({"hours": [[["18:00", "09:00"]], [], [], [], [], [], []]}, "hours"),
        ({"hours": [[["9", "18"]], [], [], [], [], [], []]}, "hours"),
        ({"hours": [[]] * 6}, "hours"),
        ({"time_zone": "Asia/Nowhere"}, "time_zone"),
        ({"time_zone": 42}, "time_zone"),
        ({"closed_dates": ["2026-13-01"]}, "closed_dates"),
        ({"closed_dates": ["2026-01-01"] * 3000}, "closed_dates"),
        ({"closures": [{"start": "2026-12-01T10:00:00", "end": "2026-12-01T12:00:00"}]}, "closures"),
        ({"closures": ["x"]}, "closures"),
    ],
)
def test_bad_calendars_are_400_with_the_field(
    loaded: dict[str, Any], definition: dict[str, Any], field: str
) -> None:
    admin = client_for(user_with_role(Role.ADMIN, None))
    body = assert_problem(admin.post("/api/v1/calendars/", _calendar_body(**definition), format="json"), 400)
    assert field in str(body)
    assert BusinessCalendar.objects.count() == 2


def test_definition_of_wrong_type_is_400(loaded: dict[str, Any]) -> None:
    admin = client_for(user_with_role(Role.ADMIN, None))
    assert_problem(admin.post("/api/v1/calendars/", {"name": "x", "definition": "9-18"}, format="json"), 400)
    assert_problem(admin.post("/api/v1/calendars/", {"name": "x", "definition": [1, 2]}, format="json"), 400)


def test_hostile_name_is_stored_as_text(loaded: dict[str, Any]) -> None:
    admin = client_for(user_with_role(Role.ADMIN, None))
    body = {**_calendar_body(), "name": "<script>alert(1)</script>"}
    created = admin.post("/api/v1/calendars/", body, format="json")
    assert created.status_code == 201
    assert created.json()["name"] == "<script>alert(1)</script>"


def test_stale_calendar_update_is_409(loaded: dict[str, Any]) -> None:
    admin = client_for(user_with_role(Role.ADMIN, None))
    url = f"/api/v1/calendars/{loaded['calendar'].pk}/"
    first = admin.patch(url, {"description": "a", "version": 1}, format="json")
    assert first.status_code == 200, first.content
    assert_problem(admin.patch(url, {"description": "b", "version": 1}, format="json"), 409)


def test_agreement_api_refuses_zero_targets_and_empty_matches(loaded: dict[str, Any]) -> None:
    manager = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    base = {"name": f"SLA {next(_n)}", "calendar": loaded["calendar"].pk, "ticket_kinds": ["incident"]}
    body = assert_problem(
        manager.post("/api/v1/agreements/", {**base, "targets": {"1": {"resolution": 0}}}, format="json"), 400
    )
    assert "targets" in str(body)
    body = assert_problem(
        manager.post(
            "/api/v1/agreements/",
            {**base, "targets": {"1": {"resolution": 60}}, "priorities": [3]},
            format="json",
        ),
        400,
    )
    assert "priorities" in str(body)
    assert_problem(manager.post("/api/v1/agreements/", {**base, "targets": "fast"}, format="json"), 400)
    assert_problem(
        manager.post(
            "/api/v1/agreements/", {**base, "tier": loaded["tier"].pk, "warn_at": [150]}, format="json"
        ),
        400,
    )
    assert_problem(
        manager.post(
            "/api/v1/agreements/",
            {**base, "tier": loaded["tier"].pk, "escalations": [{"at": 90, "action": "rm -rf"}]},
            format="json",
        ),
        400,
    )
    assert not Agreement.objects.exists()
    created = manager.post("/api/v1/agreements/", {**base, "tier": loaded["tier"].pk}, format="json")
    assert created.status_code == 201, created.content


def test_ticket_clocks_of_another_organisation_are_404(loaded: dict[str, Any]) -> None:
    org, other = OrganisationFactory(), OrganisationFactory()
    service = ServiceFactory(organisation=other)
    Agreement.objects.create(
        name="SLA",
        calendar=loaded["calendar"],
        tier=loaded["tier"],
        service=service,
        ticket_kinds=["incident"],
    )
    ticket = f.ticket(other, service=service)
    mine = client_for(user_with_role(Role.AGENT, org))
    assert_problem(mine.get(f"/api/v1/tickets/{ticket.pk}/clocks/"), 404)
    theirs = client_for(user_with_role(Role.AGENT, other))
    answer = theirs.get(f"/api/v1/tickets/{ticket.pk}/clocks/")
    assert answer.status_code == 200
    assert {c["metric"] for c in answer.json()} >= {"response", "resolution"}
