"""Concurrent writers through the API never lose an update (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from kaizen.accounts.models import Team
from kaizen.accounts.tests.factories import OrganisationFactory, TeamFactory, user_with_role
from kaizen.core import audit
from kaizen.core.access import Role
from kaizen.core.testing.api import client_for

THREADS = 8
ROUNDS = 3


@pytest.mark.django_db(transaction=True)
def test_eight_threads_updating_one_record_lose_no_update():
    org = OrganisationFactory()
    team = TeamFactory(organisation=org, description="")
    user = user_with_role(Role.MANAGER, org)
    url = f"/api/v1/teams/{team.pk}/"
    results: dict[str, list[int]] = {"ok": [], "conflict": [], "other": []}
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(n: int) -> None:
        client = client_for(user) if n >= 0 else None
        try:
            start.wait()
            for r in range(ROUNDS):
                for _attempt in range(200):
                    current = client.get(url).json()
                    marker = f"[{n}.{r}]"
                    response = client.patch(
                        url,
                        {"description": current["description"] + marker, "version": current["version"]},
                        format="json",
                    )
                    with lock:
                        key = {200: "ok", 409: "conflict"}.get(response.status_code, "other")
                        results[key].append(response.status_code)
                    if response.status_code == 200:
                        break
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not results["other"], results["other"]
    team = Team.objects.get(pk=team.pk)
    # Every successful write is in the final value: nothing was overwritten.
    for n in range(THREADS):
        for r in range(ROUNDS):
            assert f"[{n}.{r}]" in team.description
    assert len(results["ok"]) == THREADS * ROUNDS
    assert team.version == 1 + THREADS * ROUNDS
    assert audit.verify().ok
