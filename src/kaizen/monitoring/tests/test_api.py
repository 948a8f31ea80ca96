"""The monitoring API: integrations (permission suite, tokens shown once), alerts and their actions."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.monitoring import services
from kaizen.monitoring.models import Alert, Integration

from .conftest import Shop, payload

_n = itertools.count()


def _integration(org: Any) -> Integration:
    manager = user_with_role(Role.MANAGER, org)
    with context.acting(user=manager):
        return services.create_integration(
            actor=manager, data={"name": f"prom {next(_n)}", "source": "alertmanager", "organisation": org}
        )[0]


class TestIntegrationApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/monitoring-integrations/",
        make=_integration,
        create_payload=lambda org: {"name": f"zbx {next(_n)}", "source": "zabbix", "organisation": org.pk},
        update_payload={"description": "本番 Zabbix"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
    )


@pytest.mark.django_db
def test_token_is_returned_once_and_rotation_returns_a_new_one(shop: Shop, post: Any) -> None:
    manager = client_for(shop.manager)
    created = manager.post(
        "/api/v1/monitoring-integrations/",
        {"name": "Prometheus 本番", "source": "alertmanager", "organisation": shop.org.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    token = body["token"]
    assert token.startswith("kmon_") and body["endpoint"] == "/api/v1/events/alertmanager/"
    detail = manager.get(f"/api/v1/monitoring-integrations/{body['id']}/").json()
    assert "token" not in detail and detail["token_prefix"] == token[:12]
    assert post("alertmanager", payload("alertmanager-webhook-v4.json"), token).status_code == 202
    rotated = manager.post(
        f"/api/v1/monitoring-integrations/{body['id']}/rotate-token/",
        {"version": detail["version"]},
        format="json",
    )
    assert rotated.status_code == 200, rotated.content
    assert rotated.json()["token"] != token and rotated.json()["previous_valid_until"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        {"thresholds": "cpu>90"},
        {"thresholds": [{"metric": "cpu", "warning": "high"}]},
        {"thresholds": [{"metric": "cpu", "warning": 90, "critical": 80}]},
        {"sns_topics": ["http://evil"]},
        {"max_body_bytes": 10},
        {"expire_after": 0},
        {"source": "splunk"},
        {"incident_severity": "ok"},
        {"name": "x" * 500},
        {"unknown_field": 1},
    ],
)
def test_bad_integration_settings_get_400(shop: Shop, bad: dict[str, Any]) -> None:
    manager = client_for(shop.manager)
    body = {"name": f"bad {next(_n)}", "source": "generic", "organisation": shop.org.pk, **bad}
    assert_problem(manager.post("/api/v1/monitoring-integrations/", body, format="json"), 400)
    assert not Integration.objects.filter(name=body["name"]).exists()


@pytest.mark.django_db
def test_alerts_api_lists_own_organisation_and_actions_work(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    post("alertmanager", payload("alertmanager-webhook-v4.json"), token)
    other_org = OrganisationFactory()
    stranger = client_for(user_with_role(Role.AGENT, other_org))
    assert stranger.get("/api/v1/alerts/").json()["results"] == []
    alert = Alert.objects.first()
    assert alert is not None
    assert_problem(stranger.get(f"/api/v1/alerts/{alert.pk}/"), 404)
    agent = client_for(shop.agent)
    listing = agent.get("/api/v1/alerts/?severity=critical").json()["results"]
    assert len(listing) == 2 and listing[0]["incident_number"].startswith("INC-")
    acked = agent.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    assert acked.status_code == 200 and acked.json()["acknowledged_at"]
    silenced = agent.post(
        f"/api/v1/alerts/{alert.pk}/silence/", {"until": "2999-01-01T00:00:00Z"}, format="json"
    )
    assert_problem(silenced, 400)
    events = agent.get(f"/api/v1/alerts/{alert.pk}/events/").json()
    assert events[0]["kind"] == "opened"
    assert agent.get("/api/v1/alerts/?state=closed").json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("silence", {"until": "tomorrow"}),
        ("silence", {}),
        ("silence", {"until": "2000-01-01T00:00:00Z"}),
        ("link", {"incident": "INC-1"}),
        ("link", {"incident": 999_999}),
        ("acknowledge", {"version": "x"}),
        ("acknowledge", {"version": 99}),
    ],
)
def test_bad_alert_actions_get_4xx(shop: Shop, post: Any, action: str, body: dict[str, Any]) -> None:
    _integration, token = shop.integration()
    post("alertmanager", payload("alertmanager-webhook-v4.json"), token)
    alert = Alert.objects.first()
    assert alert is not None
    response = client_for(shop.agent).post(f"/api/v1/alerts/{alert.pk}/{action}/", body, format="json")
    assert 400 <= response.status_code < 500, response.content


@pytest.mark.django_db
def test_requester_cannot_see_alerts(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    post("alertmanager", payload("alertmanager-webhook-v4.json"), token)
    requester = client_for(user_with_role(Role.REQUESTER, shop.org))
    assert requester.get("/api/v1/alerts/").json()["results"] == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["integration=9" * 1 + "9" * 30, "ci=-1", "incident=abc", "severity=nope", "state=x", "q=" + "x" * 500],
)
def test_bad_alert_filters_get_400_not_500(shop: Shop, query: str) -> None:
    response = client_for(shop.agent).get(f"/api/v1/alerts/?{query}")
    assert response.status_code in (200, 400), response.content
