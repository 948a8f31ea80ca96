"""The access entry point: role scopes, actions, own rows, anonymous and inactive users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kaizen.accounts.models import Organisation, Person, Team
from kaizen.accounts.tests.factories import OrganisationFactory, PersonFactory, TeamFactory, UserFactory
from kaizen.core import access
from kaizen.core.access import ALL, Role


@dataclass
class FakeUser:
    scope: dict[str, Any] = field(default_factory=dict)
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = False
    pk: int = 10_000

    def role_scope(self):
        return self.scope


def test_fake_user_satisfies_the_protocol():
    assert isinstance(FakeUser(), access.ScopedUser)


@pytest.mark.parametrize(
    ("scope", "roles", "expected"),
    [
        ({}, [Role.AGENT], frozenset()),
        ({Role.AGENT: frozenset({1, 2})}, [Role.AGENT], frozenset({1, 2})),
        (
            {Role.AGENT: frozenset({1}), Role.MANAGER: frozenset({3})},
            [Role.AGENT, Role.MANAGER],
            frozenset({1, 3}),
        ),
        ({Role.AGENT: frozenset({1}), Role.MANAGER: ALL}, [Role.AGENT, Role.MANAGER], ALL),
        ({Role.AGENT: ALL}, [Role.MANAGER], frozenset()),
    ],
)
def test_org_scope_unions_the_roles_asked_for(scope, roles, expected):
    assert access.org_scope(FakeUser(scope), roles) == expected


@pytest.mark.parametrize("user", [None, AnonymousUser(), FakeUser({Role.ADMIN: ALL}, is_active=False)])
def test_anonymous_and_inactive_users_get_nothing(user):
    assert access.org_scope(user, list(Role)) == frozenset()
    assert not access.can(user, "view", Organisation, organisation_id=1)


def test_superuser_has_every_scope():
    assert access.org_scope(FakeUser(is_superuser=True), []) is ALL


@pytest.mark.django_db
def test_auditor_reads_but_never_writes():
    org = OrganisationFactory()
    team = TeamFactory(organisation=org)
    auditor = FakeUser({Role.AUDITOR: ALL})
    assert access.can(auditor, "view", Team, obj=team)
    assert not access.can(auditor, "change", Team, obj=team)
    assert not access.can(auditor, "delete", Team, obj=team)
    assert not access.can(auditor, "add", Team, organisation_id=org.pk)


@pytest.mark.django_db
def test_requester_sees_own_person_record_only():
    org = OrganisationFactory()
    user = UserFactory()
    me = PersonFactory(organisation=org, user=user)
    PersonFactory(organisation=org)
    from kaizen.accounts.models import Membership

    Membership.objects.create(user=user, organisation=org, role=Role.REQUESTER)
    assert list(Person.objects.visible_to(user)) == [me]


@pytest.mark.django_db
def test_add_requires_the_role_in_the_target_organisation():
    a, b = OrganisationFactory(), OrganisationFactory()
    manager = FakeUser({Role.MANAGER: frozenset({a.pk})})
    assert access.can(manager, "add", Team, organisation_id=a.pk)
    assert not access.can(manager, "add", Team, organisation_id=b.pk)
    assert not access.can(manager, "add", Team, organisation_id=None)


def test_model_without_policy_is_an_error():
    from kaizen.core.models import OutboxMessage

    with pytest.raises(TypeError):
        access.policy_of(OutboxMessage)


@pytest.mark.django_db
def test_unknown_action_grants_nothing():
    team = TeamFactory()
    assert not access.can(FakeUser({Role.ADMIN: frozenset({team.organisation_id})}), "launch", Team, obj=team)
