"""The job broker: SQLite storage on one machine, a real Redis for several."""

from __future__ import annotations

import uuid

import pytest
from huey import RedisHuey, SqliteHuey

from kaizen.conf import ConfigError
from kaizen.settings import _huey


def _run_through_consumer(huey) -> None:
    calls: list[int] = []

    @huey.task()
    def add(a: int, b: int) -> int:
        calls.append(a + b)
        return a + b

    result = add(2, 3)
    consumer = huey.create_consumer(workers=1, periodic=False, check_worker_health=False)
    consumer.start()
    try:
        assert result.get(blocking=True, timeout=15) == 5
    finally:
        consumer.stop(graceful=True)
    assert calls == [5]


def test_sqlite_broker_runs_jobs(tmp_path):
    huey = _huey(f"sqlite:///{tmp_path / 'jobs.sqlite3'}", results=True)
    assert isinstance(huey, SqliteHuey)
    _run_through_consumer(huey)


def test_redis_broker_runs_jobs_through_a_real_redis():
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    huey = _huey(url, results=True)
    assert isinstance(huey, RedisHuey)
    huey.name = f"kaizen-test-{uuid.uuid4().hex[:8]}"  # isolate from any other run
    huey.storage = huey.create_storage()
    try:
        _run_through_consumer(huey)
    finally:
        huey.storage.flush_all()


def test_unknown_broker_scheme_is_a_configuration_error():
    with pytest.raises(ConfigError):
        _huey("amqp://127.0.0.1/")


def test_production_queues_keep_no_results(tmp_path):
    for url in ("memory://", f"sqlite:///{tmp_path / 'q.sqlite3'}", "redis://127.0.0.1:6379/15"):
        assert _huey(url).results is False
