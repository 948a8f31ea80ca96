"""Every write of the accounts domain: keyword-only, one transaction, audited."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kaizen.core import access, audit, events
from kaizen.core.services import create_record, delete_record, update_record

from .models import Membership, Organisation, Person, Team, User


@dataclasses.dataclass(frozen=True)
class MembershipGranted(events.DomainEvent):
    """A user was given a role (the user is told by mail)."""

    topic = "accounts.membership_granted"
    membership_id: int
    user_id: int
    role: str
    organisation_id: int | None


def create_organisation(*, actor: Any, data: Mapping[str, Any]) -> Organisation:
    """Create an organisation (admin of the parent organisation, or global admin)."""
    return create_record(Organisation, actor=actor, data=data)


def update_organisation(
    organisation_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Organisation:
    """Change an organisation if ``version`` is current."""
    return update_record(
        Organisation, organisation_id, actor=actor, changes=changes, expected_version=version
    )


def delete_organisation(organisation_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete an organisation that nothing refers to any more."""
    delete_record(Organisation, organisation_id, actor=actor, expected_version=version)


def create_person(*, actor: Any, data: Mapping[str, Any]) -> Person:
    """Create a person record (with or without a login)."""
    return create_record(Person, actor=actor, data=data)


def register_requester(*, actor: Any, organisation_id: int, name: str, email: str) -> Person:
    """Create the person record of a requester first met through an intake channel (mail).

    The caller is an intake a manager configured to accept unknown senders (the mailbox's
    service account, which may not add people itself); the record is audited as its write.
    """
    return create_record(
        Person,
        actor=actor,
        check=False,
        data={"name": name, "email": email, "organisation_id": organisation_id},
    )


def update_person(person_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None) -> Person:
    """Change a person if ``version`` is current."""
    return update_record(Person, person_id, actor=actor, changes=changes, expected_version=version)


def delete_person(person_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a person."""
    delete_record(Person, person_id, actor=actor, expected_version=version)


def _member_ids(members: Iterable[Person]) -> list[int]:
    return sorted({int(p.pk) for p in members})


def _set_members(team: Team, member_ids: list[int]) -> dict[str, list[Any]]:
    before = sorted(team.members.values_list("pk", flat=True))
    if before == member_ids:
        return {}
    team.members.set(member_ids)
    return {"members": [before, member_ids]}


def create_team(*, actor: Any, data: Mapping[str, Any], members: Iterable[Person] = ()) -> Team:
    """Create a team and its member list."""
    with transaction.atomic():
        team = create_record(Team, actor=actor, data=data)
        delta = _set_members(team, _member_ids(members))
        if delta:
            audit.record(team, action="members", changes=delta)
    return team


def update_team(
    team_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    members: Iterable[Person] | None = None,
) -> Team:
    """Change a team (and, when given, its member list) if ``version`` is current."""
    with transaction.atomic():
        team = update_record(Team, team_id, actor=actor, changes=changes, expected_version=version)
        if members is not None:
            delta = _set_members(team, _member_ids(members))
            if delta:
                if team.version == version:  # only the member list changed: still a new version
                    Team.objects.filter(pk=team.pk).update(version=team.version + 1)
                    team.version += 1
                audit.record(team, action="members", changes=delta)
    return team


def delete_team(team_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a team."""
    delete_record(Team, team_id, actor=actor, expected_version=version)


def grant_role(*, actor: Any, data: Mapping[str, Any]) -> Membership:
    """Give a user a role in an organisation (or globally) and tell them by mail after commit."""
    with transaction.atomic():
        membership = create_record(Membership, actor=actor, data=data)
        events.emit(
            MembershipGranted(
                membership_id=membership.pk,
                user_id=membership.user_id,
                role=membership.role,
                organisation_id=membership.organisation_id,
            )
        )
    membership.user.forget_roles()
    return membership


def update_membership(
    membership_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Membership:
    """Change a membership if ``version`` is current."""
    return update_record(Membership, membership_id, actor=actor, changes=changes, expected_version=version)


def revoke_role(membership_id: int, *, actor: Any, version: int | None = None) -> None:
    """Take a role away."""
    delete_record(Membership, membership_id, actor=actor, expected_version=version)


def update_preferences(*, actor: User, language: str | None = None, time_zone: str | None = None) -> User:
    """Save a user's own UI language and time zone."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("You must be logged in."))
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        before = {"language": user.language, "time_zone": user.time_zone}
        if language is not None:
            user.language = language
        if time_zone is not None:
            user.time_zone = time_zone
        user.full_clean(exclude=["password", "username"])
        after = {"language": user.language, "time_zone": user.time_zone}
        delta = audit.diff(before, after)
        if delta:
            user.save(update_fields=["language", "time_zone"])
            audit.record(user, action="preferences", changes=delta)
    return user


def create_login(
    person_id: int, *, actor: Any, username: str, password: str | None, is_superuser: bool = False
) -> User:
    """Give a person a login. Without a password the user cannot log in until one is set."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person_id)
        if not access.can(actor, "change", Person, obj=person) or not access.can(
            actor, "add", Membership, organisation_id=person.organisation_id
        ):
            raise PermissionDenied(_("You do not have permission to do this."))
        if person.user_id is not None:
            raise ValidationError({"username": _("This person already has a login.")})
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = User(username=username, email=person.email, is_superuser=is_superuser)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit.record(user, action="create", changes={"username": [None, username]})
        person.user = user
        person.version += 1
        person.save(update_fields=["user", "version", "updated_at"])
        audit.record(person, action="update", changes={"user": [None, user.pk]})
    return user


def create_service_account(*, organisation_id: int | None, username: str, role: str, purpose: str) -> User:
    """Create a login-less user holding ``role`` in one organisation (every one for ``None``), for an
    integration to act as.

    The caller has already authorised the integration it belongs to (a manager configuring a
    monitoring source); the account cannot log in (no usable password) and is audited like any
    other user and membership.

    Raises:
        ValidationError: the username is taken or invalid.
    """
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = User(username=username)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        audit.record(user, action="create", changes={"username": [None, username]}, meta={"purpose": purpose})
        create_record(
            Membership,
            actor=None,
            check=False,
            data={"user": user, "organisation_id": organisation_id, "role": role},
        )
    return user
