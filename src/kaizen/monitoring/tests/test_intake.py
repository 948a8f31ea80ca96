"""The intake endpoints under bad input: tokens, sizes, JSON, methods; every source's sample stored."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from kaizen.monitoring import services
from kaizen.monitoring.choices import DeliveryState
from kaizen.monitoring.models import Alert, Delivery

from .conftest import Shop, payload

pytestmark = pytest.mark.django_db

SAMPLES = {
    "alertmanager": "alertmanager-webhook-v4.json",
    "grafana": "grafana-alerting-webhook.json",
    "zabbix": "zabbix-to-grafana-oncall-example.json",
    "nagios": "nagios-pd-nagios-service-trigger.json",
    "generic": "alerta-api-post-alert-request.json",
}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("source", sorted(SAMPLES))
def test_every_source_sample_becomes_alerts(shop: Shop, post: Any, source: str) -> None:
    _integration, token = shop.integration(source)
    response = post(source, payload(SAMPLES[source]), token)
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PROCESSED, delivery.error
    assert Alert.objects.count() >= 1


def test_token_in_the_url_works(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    assert post("alertmanager", payload(SAMPLES["alertmanager"]), token, in_url=True).status_code == 202


@pytest.mark.parametrize("token", ["", "wrong", "kmon_" + "x" * 43, "kmon_" + "y" * 5000, "Bearer", "\x00"])
def test_invalid_token_is_refused_and_nothing_stored(shop: Shop, post: Any, token: str) -> None:
    shop.integration()
    response = post("alertmanager", payload(SAMPLES["alertmanager"]), token)
    _problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Delivery.objects.exists()


def test_token_of_another_source_is_refused(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration("grafana")
    _problem(post("alertmanager", payload(SAMPLES["alertmanager"]), token), 401)


def test_disabled_integration_is_refused(shop: Shop, post: Any) -> None:
    integration, token = shop.integration()
    services.update_integration(
        integration.pk, actor=shop.manager, changes={"is_enabled": False}, version=None
    )
    _problem(post("alertmanager", payload(SAMPLES["alertmanager"]), token), 401)


def test_rotation_keeps_the_old_token_for_the_grace_period(shop: Shop, post: Any) -> None:
    integration, old = shop.integration()
    _integration, new = services.rotate_token(integration.pk, actor=shop.manager, version=None)
    body = payload(SAMPLES["alertmanager"])
    assert post("alertmanager", body, new).status_code == 202
    assert post("alertmanager", {**body, "groupKey": "other"}, old).status_code == 202
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        _problem(post("alertmanager", {**body, "groupKey": "later"}, old), 401)
        assert post("alertmanager", {**body, "groupKey": "later"}, new).status_code == 202


def test_revoked_previous_token_stops_at_once(shop: Shop, post: Any) -> None:
    integration, old = shop.integration()
    integration, _new = services.rotate_token(integration.pk, actor=shop.manager, version=None)
    services.revoke_previous_token(integration.pk, actor=shop.manager, version=None)
    _problem(post("alertmanager", payload(SAMPLES["alertmanager"]), old), 401)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"not json", b"\xff\xfe\x00", b"", b"   ", b'{"a": 1} trailing', b"[" * 100_000],
)
def test_malformed_json_is_refused_with_400(shop: Shop, post: Any, raw: bytes) -> None:
    _integration, token = shop.integration()
    _problem(post("alertmanager", None, token, raw=raw), 400)
    assert not Delivery.objects.exists()


def test_ten_megabyte_body_is_refused_with_413(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    raw = json.dumps({"version": "4", "alerts": [], "pad": "x" * (10 * 1024 * 1024)}).encode()
    _problem(post("alertmanager", None, token, raw=raw), 413)
    assert not Delivery.objects.exists()


def test_wrong_method_and_unknown_source(shop: Shop, client: Client) -> None:
    _integration, token = shop.integration()
    response = client.get("/api/v1/events/alertmanager/", HTTP_AUTHORIZATION=f"Bearer {token}")
    _problem(response, 405)
    assert response["Allow"] == "POST"
    _problem(client.post("/api/v1/events/splunk/", data="{}", content_type="application/json"), 404)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        42,
        None,
        {"version": "4"},
        {"version": "4", "alerts": [{"labels": "x"}]},
        {"version": "4", "alerts": [{"status": "firing", "labels": {}}]},
        {
            "version": "4",
            "alerts": [
                {"status": "firing", "labels": {"alertname": "X"}, "startsAt": "1970-01-01T00:00:00Z"}
            ],
        },
        {
            "version": "4",
            "alerts": [
                {"status": "firing", "labels": {"alertname": "X"}, "startsAt": "2999-01-01T00:00:00Z"}
            ],
        },
        {
            "version": "4",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "<script>alert(1)</script>"},
                    "unknown": {"deep": [1, 2]},
                }
            ],
        },
    ],
)
def test_valid_json_with_a_broken_message_is_stored_and_never_crashes(
    shop: Shop, post: Any, body: Any
) -> None:
    _integration, token = shop.integration()
    response = post("alertmanager", body, token)
    assert response.status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.state in (DeliveryState.PROCESSED, DeliveryState.REJECTED)
    assert delivery.state != DeliveryState.FAILED, delivery.error


def test_broken_sns_inner_message_is_rejected(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration("cloudwatch")
    body = payload("cloudwatch-alarm-sns-notification.json")
    body["Message"] = "{broken"
    assert post("cloudwatch", body, token, in_url=True).status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.REJECTED and delivery.error


def test_unsigned_sns_notification_is_rejected(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration("cloudwatch")
    body = payload("cloudwatch-alarm-sns-notification.json")
    body["Signature"] = "AAAA"
    post("cloudwatch", body, token, in_url=True)
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.REJECTED
    assert "SNS" in delivery.error
    assert not Alert.objects.exists()


def test_nothing_stored_is_lost_when_processing_fails(shop: Shop, post: Any, monkeypatch: Any) -> None:
    from kaizen.monitoring import processing

    _integration, token = shop.integration()

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(processing, "apply", boom)
    assert post("alertmanager", payload(SAMPLES["alertmanager"]), token).status_code == 202
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.FAILED and "hiccup" in delivery.error
    assert bytes(delivery.body) == json.dumps(payload(SAMPLES["alertmanager"]), ensure_ascii=False).encode()
