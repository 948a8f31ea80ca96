"""Extra people and teams on top of the demo data, so that list endpoints return full pages.

Run by ``api_bench.py`` in a subprocess with the benchmark's environment::

    kaizen manage shell -c "import bench_seed; bench_seed.seed(500)"

Records go through the domain services (validation, audit trail), as the API would create them.
Teams are spread over the demo organisations, including the requester ``sakura``'s own, so that the
requester's scoped team list is not empty.
"""

from __future__ import annotations

from django.db import transaction

from kaizen.accounts import services
from kaizen.accounts.models import Organisation, Person, User
from kaizen.core import context

ORGANISATIONS = ("kaizen-it", "sakura", "sakura-osaka", "minato", "aoba", "tokyo-dc")
MEMBERS_PER_TEAM = 5


def seed(count: int) -> None:
    """Create ``count`` people and ``count`` teams of five members each (as the demo admin)."""
    admin = User.objects.get(username="admin")
    orgs = [Organisation.objects.get(code=code) for code in ORGANISATIONS]
    with (
        context.acting(user=admin, channel=context.Channel.CLI, label="benchmark seed"),
        transaction.atomic(),
    ):
        people: list[Person] = []
        for i in range(count):
            org = orgs[i % len(orgs)]
            people.append(
                services.create_person(
                    actor=admin,
                    data={
                        "name": f"ベンチ 太郎 {i:04d}",
                        "name_kana": f"べんち たろう {i:04d}",
                        "email": f"bench{i:04d}@example.jp",
                        "job_title": "検証担当",
                        "organisation": org,
                    },
                )
            )
        by_org: dict[int, list[Person]] = {}
        for person in people:
            by_org.setdefault(person.organisation_id, []).append(person)
        for i in range(count):
            org = orgs[i % len(orgs)]
            pool = by_org[org.pk]
            members = [pool[(i + k) % len(pool)] for k in range(min(MEMBERS_PER_TEAM, len(pool)))]
            services.create_team(
                actor=admin,
                data={
                    "name": f"ベンチチーム {i:04d}",
                    "organisation": org,
                    "email": f"team{i:04d}@example.jp",
                    "description": "負荷試験用のチーム。",
                    "lead": members[0],
                },
                members=members,
            )
    print(f"seeded {count} people and {count} teams")
