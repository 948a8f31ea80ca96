"""Release management: releases bundling changes, their plans and acceptance items, and the operations
acceptance checklists the operations team maintains.

A release (``REL-000001``) puts one or more changes into service together. Its plan has the
sections of seed 001 (CIs to check, staffing, training, handover from development,
communication, downtime notice); its acceptance items are the service acceptance criteria agreed
with the customer and the operations acceptance checklist copied from the operations team's
checklists (seed 002: contacts, emergency contacts, monitoring, runbooks, backups, the "must
never do" list). A release goes live only when every mandatory item is checked with evidence.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record
from kaizen.tickets.models.workflow import Named

from .choices import ItemCategory, ItemKind, ReleaseState

RELEASE_WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CHANGE_MANAGER, Role.AGENT})
"""Who plans releases and checks their items (release managers, developers, operators)."""
APPROVERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CHANGE_MANAGER})
"""Who approves a release for go-live (seed 001: approval against the acceptance criteria)."""
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
MAX_TITLE = 200
MAX_PLAN = 20_000
MAX_ITEM = 500
MAX_EVIDENCE = 5_000
PLAN_FIELDS = ("cis_to_check", "staffing", "training", "handover", "communication", "downtime_notice")
"""The sections of a release plan, in the order of seed 001."""


class Release(Record):
    """A release: changes put into service together, with its plan and acceptance items."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="releases",
        verbose_name=_("organisation"),
        help_text=_("The organisation that runs the release (its changes belong to it)."),
    )
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    description = models.TextField(_("description"), blank=True, max_length=MAX_PLAN)
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("service"),
    )
    owner = models.ForeignKey(
        "accounts.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_releases",
        verbose_name=_("release owner"),
    )
    planned_at = models.DateTimeField(_("go-live planned for"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ReleaseState.choices,
        default=ReleaseState.PLANNING,
        editable=False,
    )
    change_tickets = models.ManyToManyField(
        "tickets.Ticket",
        blank=True,
        related_name="releases",
        verbose_name=_("bundled changes"),
        limit_choices_to={"kind": "change"},
    )
    watchers = models.ManyToManyField(
        "accounts.Person",
        blank=True,
        related_name="watched_releases",
        verbose_name=_("watchers"),
        help_text=_("They are told by mail when the release goes live or is rolled back."),
    )
    cis_to_check = models.TextField(
        _("CIs to check"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("Is the current equipment enough? New operations or user manuals needed?"),
    )
    staffing = models.TextField(
        _("staffing"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("Are there enough people, including for the first troubles after go-live?"),
    )
    training = models.TextField(
        _("training"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("Briefings or training for users of the new service or functions."),
    )
    handover = models.TextField(
        _("handover from development"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("What development hands over to operations, and when."),
    )
    communication = models.TextField(
        _("communication"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("Who is told what about the release, when and how."),
    )
    downtime_notice = models.TextField(
        _("downtime notice"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("Planned service interruptions during the release and how users are told."),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
        editable=False,
    )
    went_live_at = models.DateTimeField(_("went live"), null=True, blank=True, editable=False)
    went_live_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("put live by"),
        editable=False,
    )
    closed_reason = models.TextField(
        _("reason for cancelling or rolling back"), blank=True, max_length=MAX_EVIDENCE, editable=False
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={
            "view": STAFF_ROLES,
            "add": RELEASE_WORKERS,
            "change": RELEASE_WORKERS,
            "approve": APPROVERS,
            "delete": MANAGERS,
        },
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["state", "planned_at"], name="releases_state_planned_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class AcceptanceItem(Record):
    """One acceptance item of a release: a service acceptance criterion or an operations check.

    Checking a mandatory item needs its evidence (a test report, the runbook's address, who
    confirmed the restore). Items copied from an operations acceptance checklist
    (``from_checklist``) and mandatory there are the operations team's minimum: they can be
    checked (with evidence, or the reason they do not apply) but not removed or made optional.
    """

    release = models.ForeignKey(
        Release, on_delete=models.CASCADE, related_name="items", verbose_name=_("release")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices, default=ItemKind.SERVICE)
    category = models.CharField(_("category"), max_length=30, choices=ItemCategory.choices, blank=True)
    text = models.CharField(_("item"), max_length=MAX_ITEM)
    guidance = models.CharField(_("what counts as evidence"), max_length=MAX_ITEM, blank=True)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    from_checklist = models.BooleanField(_("from the operations checklist"), default=False, editable=False)
    checked = models.BooleanField(_("checked"), default=False, editable=False)
    evidence = models.TextField(_("evidence"), blank=True, max_length=MAX_EVIDENCE)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True, editable=False)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checked by"),
        editable=False,
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="release__organisation",
        actions={
            "view": STAFF_ROLES,
            "add": RELEASE_WORKERS,
            "change": RELEASE_WORKERS,
            "delete": RELEASE_WORKERS,
        },
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["release_id", "kind", "order", "id"]
        verbose_name = _("acceptance item")
        verbose_name_plural = _("acceptance items")

    def __str__(self) -> str:
        return self.text

    def organisation_id_for_audit(self) -> int | None:
        return int(self.release.organisation_id)

    @property
    def locked(self) -> bool:
        """Tell whether the item is part of the operations team's minimum (not removable)."""
        return bool(self.from_checklist and self.mandatory)


class Checklist(Named, Record):
    """An operations acceptance checklist the operations team maintains and grows (seed 002).

    Every active checklist of an organisation is copied into each new release of that
    organisation; a checklist starts with the shipped minimum (contacts, emergency contacts,
    monitoring, runbooks, backups, the "must never do" list).
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="release_checklists",
        verbose_name=_("organisation"),
        help_text=_("New releases of this organisation get the checklist's items."),
    )
    description = models.TextField(_("description"), blank=True, max_length=MAX_EVIDENCE)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["organisation_id", "name", "id"]
        verbose_name = _("operations acceptance checklist")
        verbose_name_plural = _("operations acceptance checklists")


class ChecklistItem(Record):
    """One item of an operations acceptance checklist."""

    checklist = models.ForeignKey(
        Checklist, on_delete=models.CASCADE, related_name="items", verbose_name=_("checklist")
    )
    category = models.CharField(
        _("category"), max_length=30, choices=ItemCategory.choices, default=ItemCategory.OTHER
    )
    text = models.CharField(_("item"), max_length=MAX_ITEM)
    guidance = models.CharField(_("what counts as evidence"), max_length=MAX_ITEM, blank=True)
    mandatory = models.BooleanField(_("mandatory"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="checklist__organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["checklist_id", "order", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text

    def organisation_id_for_audit(self) -> int | None:
        return int(self.checklist.organisation_id)
