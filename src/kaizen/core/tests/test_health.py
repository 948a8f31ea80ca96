"""Health endpoints."""

from __future__ import annotations

import pytest
from django.test import override_settings


def test_healthz_is_ok_without_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_readyz_reports_a_broken_broker_as_503(client):
    from huey import RedisHuey

    dead = RedisHuey("kaizen-test", url="redis://127.0.0.1:1/0")
    with override_settings(HUEY=dead):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_readyz_with_real_redis(client):
    import redis
    from huey import RedisHuey

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    with override_settings(HUEY=RedisHuey("kaizen-test", url="redis://127.0.0.1:6379/15")):
        assert client.get("/readyz").status_code == 200


def test_health_endpoints_refuse_post(client):
    assert client.post("/healthz").status_code == 405
