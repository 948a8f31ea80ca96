"""Organisations, people, teams, users and role memberships."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import ALL, READ_ROLES, AccessPolicy, OrgScope, Role
from kaizen.core.models import Record

from .choices import Language, OrganisationKind

ADMINS = frozenset({Role.ADMIN})
ADMINS_AND_MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
STAFF_READERS = READ_ROLES - {Role.REQUESTER}


def validate_time_zone(value: str) -> None:
    """Reject names that are not IANA time zones."""
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class KaizenUserManager(UserManager["User"]):
    """User manager; users are filtered like every other model through ``visible_to``."""


class User(AbstractUser):
    """A login. Roles come from :class:`Membership` rows; the person record carries the profile."""

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])

    objects = KaizenUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def role_scope(self) -> Mapping[str, OrgScope]:
        """Return role -> organisations it covers (nested organisations included) or ALL."""
        return self._role_scope

    @cached_property
    def _role_scope(self) -> dict[str, OrgScope]:
        rows = list(Membership.objects.filter(user_id=self.pk).values_list("role", "organisation_id"))
        if not rows:
            return {}
        children = Organisation.children_map()
        scope: dict[str, OrgScope] = {}
        for role, org_id in rows:
            current = scope.get(role, frozenset())
            if org_id is None or current is ALL:
                scope[role] = ALL
                continue
            assert isinstance(current, frozenset)
            scope[role] = current | Organisation.descendants(org_id, children)
        return scope

    def forget_roles(self) -> None:
        """Drop the cached role scope (after memberships change)."""
        self.__dict__.pop("_role_scope", None)


class Organisation(Record):
    """A customer, an internal department or a supplier. Organisations may nest."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.SlugField(
        _("code"), max_length=50, unique=True, help_text=_("Short unique code, e.g. ACME.")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organisation"),
    )
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="pk",
        actions={"view": READ_ROLES, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def organisation_id_for_audit(self) -> int | None:
        return int(self.pk) if self.pk is not None else None

    def add_scope_id(self) -> int | None:
        """Creating an organisation needs admin rights on its parent (or globally)."""
        return self.parent_id

    def clean(self) -> None:
        if self.parent_id is not None and self.pk is not None:
            children = Organisation.children_map()
            if self.parent_id in Organisation.descendants(self.pk, children):
                raise ValidationError({"parent": _("An organisation cannot be nested under itself.")})

    @staticmethod
    def children_map() -> dict[int, list[int]]:
        """Return parent id -> child ids for every organisation."""
        out: dict[int, list[int]] = {}
        for pk, parent in Organisation.objects.values_list("pk", "parent_id"):
            if parent is not None:
                out.setdefault(parent, []).append(pk)
        return out

    @staticmethod
    def descendants(root: int, children: Mapping[int, list[int]]) -> frozenset[int]:
        """Return ``root`` and every organisation below it (cycle-safe)."""
        seen = {root}
        stack = [root]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return frozenset(seen)


def _own_person(user: Any) -> Q:
    return Q(user_id=user.pk)


class Person(Record):
    """Someone Kaizen knows: a requester, an engineer, a supplier contact. May have a login."""

    name = models.CharField(_("name"), max_length=200)
    name_kana = models.CharField(_("name (kana)"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="people", verbose_name=_("organisation")
    )
    user = models.OneToOneField(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("login"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={
            "view": STAFF_READERS,
            "add": ADMINS_AND_MANAGERS,
            "change": ADMINS_AND_MANAGERS,
            "delete": ADMINS,
        },
        own=_own_person,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "id"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["email"], name="accounts_person_email_idx")
        ]

    def __str__(self) -> str:
        return self.name


class Team(Record):
    """A group of people who take work together (service desk, infrastructure operations, ...)."""

    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="teams", verbose_name=_("organisation")
    )
    email = models.EmailField(_("email"), blank=True)
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    members = models.ManyToManyField(Person, blank=True, related_name="teams", verbose_name=_("members"))
    lead = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team lead"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={
            "view": READ_ROLES,
            "add": ADMINS_AND_MANAGERS,
            "change": ADMINS_AND_MANAGERS,
            "delete": ADMINS,
        },
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["organisation__name", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["organisation", "name"], name="accounts_team_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(Record):
    """A role held by a user in one organisation (and the organisations nested in it), or globally."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organisation"),
        help_text=_("Leave empty for a role in every organisation."),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={
            "view": frozenset({Role.ADMIN, Role.AUDITOR, Role.MANAGER}),
            "add": ADMINS,
            "change": ADMINS,
            "delete": ADMINS,
        },
        own=lambda user: Q(user_id=user.pk),
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["user__username", "role"]
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                name="accounts_membership_unique",
                condition=Q(organisation__isnull=False),
                violation_error_message=_("This user already has this role in this organisation."),
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                name="accounts_membership_unique_global",
                condition=Q(organisation__isnull=True),
                violation_error_message=_("This user already has this role in every organisation."),
            ),
        ]

    def __str__(self) -> str:
        where = self.organisation.name if self.organisation_id else _("all organisations")
        return f"{self.user.get_username()}: {self.get_role_display()} @ {where}"

    def clean(self) -> None:
        if self.role == Role.REQUESTER and self.organisation_id is None:
            raise ValidationError({"organisation": _("A requester belongs to a specific organisation.")})
