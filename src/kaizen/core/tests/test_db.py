"""Database configuration: SQLite in WAL mode with immediate transactions."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kaizen.accounts import services
from kaizen.accounts.models import Organisation
from kaizen.accounts.tests.factories import UserFactory
from kaizen.core import audit


@pytest.mark.django_db
def test_sqlite_uses_wal_and_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        assert cur.fetchone()[0] == "wal"
        cur.execute("PRAGMA foreign_keys")
        assert cur.fetchone()[0] == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fail_with_database_is_locked():
    admin = UserFactory(is_superuser=True)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(10):
                services.create_organisation(
                    actor=admin, data={"name": f"並行 {n}-{i}", "code": f"c-{n}-{i}", "kind": "customer"}
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert Organisation.objects.count() == 80
    assert audit.verify().ok
