"""Helpers for desk tests: the shipped reference data, people with roles, tickets via the services."""

from __future__ import annotations

from typing import Any

from kaizen.accounts.models import Organisation, Person, Team, User
from kaizen.accounts.tests.factories import OrganisationFactory, PersonFactory, TeamFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing import snapshots
from kaizen.tickets import defaults, services
from kaizen.tickets.models import Ticket

PROVIDER = "provider"


def desk() -> None:
    """Load the desk's reference data (workflows, matrix, policies, criteria, stale rules).

    On an empty database the rows of the first load are replayed (``core.testing.snapshots``):
    the same rows, ids and audit chain, without the 1,200 queries of the services.
    """
    snapshots.replayed("tickets.desk", _load_desk)


def _load_desk() -> None:
    from django.db import transaction

    with context.acting(channel=context.Channel.SYSTEM), transaction.atomic():
        defaults.load()


def admin() -> User:
    """Return an administrator of every organisation (created once per test)."""
    user = User.objects.filter(username="desk-admin").first()
    return user or user_with_role(Role.ADMIN, None, username="desk-admin")


def requester_of(org: Organisation, **kwargs: Any) -> User:
    """Return a requester login of ``org`` (with its person record)."""
    return user_with_role(Role.REQUESTER, org, **kwargs)


def team_with(*users: User, org: Organisation | None = None, name: str | None = None) -> Team:
    """Return a team whose members are the people of ``users``."""
    team = TeamFactory(organisation=org or OrganisationFactory(), **({"name": name} if name else {}))
    team.members.set([Person.objects.get(user=u) for u in users])
    return team


def person_of(user: User) -> Person:
    return Person.objects.get(user=user)


def ticket(
    org: Organisation | None = None, *, kind: str = "incident", actor: User | None = None, **data: Any
) -> Ticket:
    """Create a ticket through the service (as an administrator unless ``actor``)."""
    org = org or OrganisationFactory()
    cis = data.pop("cis", ())
    tags = data.pop("tags", ())
    reason = data.pop("impact_reason", "")
    actor = actor or admin()
    payload = {"title": "メールが送れない", "organisation": org, **data}
    with context.acting(user=actor, channel=context.Channel.WEB):
        return services.create_ticket(
            actor=actor, kind=kind, data=payload, cis=cis, tags=tags, impact_reason=reason
        )


__all__ = [
    "OrganisationFactory",
    "PersonFactory",
    "Role",
    "TeamFactory",
    "admin",
    "desk",
    "person_of",
    "requester_of",
    "team_with",
    "ticket",
    "user_with_role",
]
