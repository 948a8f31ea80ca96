"""Deterministic factories for the accounts domain.

They write directly (no audit rows): tests that check audit behaviour go through services.
"""

from __future__ import annotations

from typing import Any

import factory

from kaizen.accounts.choices import OrganisationKind
from kaizen.accounts.models import Membership, Organisation, Person, Team, User
from kaizen.core.access import Role


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    code = factory.Sequence(lambda n: f"org-{n}")
    kind = OrganisationKind.CUSTOMER


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Person {n}")
    organisation = factory.SubFactory(OrganisationFactory)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    organisation = factory.SubFactory(OrganisationFactory)


def user_with_role(role: str | None, organisation: Organisation | None, **kwargs: Any) -> User:
    """Return a new user with a person record in ``organisation`` and ``role`` there.

    ``organisation=None`` with a role grants it in every organisation; ``role=None`` grants nothing.
    """
    user = UserFactory(**kwargs)
    home = organisation or OrganisationFactory()
    PersonFactory(user=user, organisation=home, name=f"Person of {user.username}", email=user.email)
    if role is not None:
        Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


__all__ = [
    "OrganisationFactory",
    "PersonFactory",
    "Role",
    "TeamFactory",
    "UserFactory",
    "user_with_role",
]
