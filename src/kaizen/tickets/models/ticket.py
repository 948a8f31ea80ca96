"""The ticket core: one table for every work item, with its conversation, files, links and tags."""

from __future__ import annotations

import unicodedata
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import READ_ROLES, STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record

from ..choices import (
    CauseClass,
    Channel,
    Impact,
    Kind,
    LinkKind,
    Priority,
    ReviewStatus,
    StateCategory,
    Urgency,
    Visibility,
)
from .workflow import ADMINS, REFERENCE, Named, WorkflowState

WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT, Role.CHANGE_MANAGER})
"""Roles that work tickets (change fields, apply actions, write notes); change managers work changes."""
ASSIGNABLE = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
"""Roles automatic assignment chooses among (change managers raise and steer changes, not incidents)."""
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
MAX_TITLE = 200
MAX_BODY = 50_000


def normalise_tag(value: str) -> str:
    """Return the stored form of a tag: NFKC (full-width to half-width), trimmed, lower case."""
    return unicodedata.normalize("NFKC", value).strip().lower()


class Category(Named, Record):
    """A category for tickets (of one kind, or of every kind when ``kind`` is empty)."""

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices, blank=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["kind", "name"], name="tickets_category_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.label()} / {self.label()}" if self.parent_id else self.label()


class Tag(models.Model):
    """A free label on tickets, stored normalised so that ＶＰＮ and vpn are one tag."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


HISTORY_FIELDS = ("state_id", "priority", "team_id", "assignee_id", "service_id", "organisation_id", "kind")
"""Fields whose changes ``tickets.history`` records and announces (clocks and agreements depend on them)."""


def _own_tickets(user: Any) -> Q:
    return Q(requester__user_id=user.pk)


class Ticket(Record):
    """A work item: an incident, a service request or a problem, in one table and one queue.

    The kind decides the number prefix and the workflow; fields a kind does not use stay empty.
    ``state_category`` copies the state's category so queues filter on an indexed column.
    """

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    description = models.TextField(_("description"), blank=True, max_length=MAX_BODY)
    requester = models.ForeignKey(
        "accounts.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # covered by tickets_requester_idx
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        db_index=False,  # covered by tickets_org_idx
        related_name="tickets",
        verbose_name=_("organisation"),
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service"),
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="tickets", verbose_name=_("affected CIs")
    )
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("category"),
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # covered by tickets_team_idx
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        "accounts.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,  # covered by tickets_assignee_idx
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    watchers = models.ManyToManyField(
        "accounts.Person", blank=True, related_name="watched_tickets", verbose_name=_("watchers")
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    state = models.ForeignKey(
        WorkflowState,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("state"),
        editable=False,
    )
    state_category = models.CharField(
        _("state category"), max_length=20, choices=StateCategory.choices, editable=False
    )
    state_changed_at = models.DateTimeField(_("state since"), editable=False)
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.MODERATE)
    impact_suggested = models.PositiveSmallIntegerField(
        _("impact from the CMDB"), choices=Impact.choices, null=True, blank=True, editable=False
    )
    impact_reason = models.CharField(_("reason for the impact"), max_length=500, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.P3, editable=False
    )
    priority_reason = models.CharField(
        _("reason for overriding the priority"), max_length=500, blank=True, editable=False
    )
    major = models.BooleanField(_("major incident"), default=False, editable=False)
    major_since = models.DateTimeField(_("major incident since"), null=True, blank=True, editable=False)
    resolution = models.TextField(_("resolution"), blank=True, max_length=MAX_BODY)
    cause_class = models.CharField(_("cause class"), max_length=20, choices=CauseClass.choices, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(
        _("confirmed by the requester"), null=True, blank=True, editable=False
    )
    last_requester_reply_at = models.DateTimeField(
        _("last requester reply"), null=True, blank=True, editable=False
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0, editable=False)
    review_status = models.CharField(
        _("improvement review"), max_length=20, choices=ReviewStatus.choices, blank=True, editable=False
    )
    review_reasons = models.JSONField(_("why it needs a review"), default=list, blank=True, editable=False)
    sla_breached = models.BooleanField(_("service level target missed"), default=False, editable=False)
    sla_due_at = models.DateTimeField(
        _("service level due"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the next running target is used up (kept by service level management for sorting)."
        ),
    )
    sla_state = models.CharField(_("service level clock"), max_length=20, blank=True, editable=False)
    catalog_item = models.ForeignKey(
        "requests.CatalogItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("catalogue item"),
    )
    form_values = models.JSONField(_("request details"), default=dict, blank=True)
    external_ref = models.CharField(_("external reference"), max_length=200, blank=True, db_index=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={
            "view": STAFF_ROLES,
            "add": WORKERS | {Role.REQUESTER},
            "change": WORKERS,
            "delete": ADMINS,
        },
        own=_own_tickets,
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {
        "state_category",
        "sla_due_at",
        "sla_state",
    }
    _history_values: tuple[Any, ...] | None = None

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state_category", "priority", "id"], name="tickets_queue_idx"),
            models.Index(
                fields=["priority", "-id"],
                name="tickets_open_by_priority_idx",
                condition=Q(state_category__in=["new", "approval", "open", "pending"]),
            ),
            models.Index(fields=["kind", "state_category", "priority", "id"], name="tickets_kind_queue_idx"),
            models.Index(fields=["assignee", "state_category"], name="tickets_assignee_idx"),
            models.Index(fields=["team", "state_category"], name="tickets_team_idx"),
            models.Index(fields=["organisation", "state_category"], name="tickets_org_idx"),
            models.Index(fields=["requester", "-id"], name="tickets_requester_idx"),
            models.Index(fields=["review_status"], name="tickets_review_idx"),
            models.Index(fields=["major", "state_category"], name="tickets_major_idx"),
            models.Index(
                fields=["sla_due_at", "id"],
                name="tickets_open_by_due_idx",
                condition=Q(state_category__in=["new", "approval", "open", "pending"]),
            ),
        ]

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Ticket:
        """Load a ticket and remember what its state history last recorded (``tickets.history``)."""
        ticket = super().from_db(db, field_names, values)
        ticket._history_values = tuple(ticket.__dict__.get(f) for f in HISTORY_FIELDS)
        return ticket

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_active(self) -> bool:
        """Tell whether someone still has to work on the ticket."""
        return self.state_category in {
            StateCategory.NEW,
            StateCategory.APPROVAL,
            StateCategory.OPEN,
            StateCategory.PENDING,
        }


def _public_on_own_ticket(user: Any) -> Q:
    return Q(visibility=Visibility.PUBLIC, ticket__requester__user_id=user.pk)


class Comment(Record):
    """A public reply (the requester reads it) or an internal work note (staff only)."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="comments", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        "accounts.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_label = models.CharField(_("from"), max_length=200, blank=True)
    body = models.TextField(_("text"), max_length=MAX_BODY)
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    is_timeline = models.BooleanField(
        _("timeline entry"), default=False, help_text=_("Shown on the major incident timeline.")
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": MANAGERS, "delete": ADMINS},
        own=_public_on_own_ticket,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["ticket", "created_at"], name="tickets_comment_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.body[:40]}"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)


def _attachment_on_own_ticket(user: Any) -> Q:
    return Q(ticket__requester__user_id=user.pk) & (
        Q(comment__isnull=True) | Q(comment__visibility=Visibility.PUBLIC)
    )


class Attachment(Record):
    """A file attached to a ticket, stored outside the web root under a generated name."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("ticket")
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("comment"),
    )
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": ADMINS, "delete": MANAGERS},
        own=_attachment_on_own_ticket,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)


class TicketLink(Record):
    """A typed link from one ticket to another (duplicates, is caused by, ...)."""

    from_ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_out", verbose_name=_("ticket")
    )
    to_ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="links_in", verbose_name=_("linked ticket")
    )
    kind = models.CharField(_("link"), max_length=20, choices=LinkKind.choices, default=LinkKind.RELATES)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="from_ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": WORKERS, "delete": WORKERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["from_ticket", "to_ticket", "kind"],
                name="tickets_link_unique",
                violation_error_message=_("These tickets are already linked this way."),
            ),
            models.CheckConstraint(
                condition=~Q(from_ticket=models.F("to_ticket")),
                name="tickets_link_not_self",
                violation_error_message=_("A ticket cannot be linked to itself."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_ticket.number} {self.get_kind_display()} {self.to_ticket.number}"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.from_ticket.organisation_id)

    def clean(self) -> None:
        if self.from_ticket_id is not None and self.from_ticket_id == self.to_ticket_id:
            raise ValidationError({"to_ticket": _("A ticket cannot be linked to itself.")})


class SavedView(Record):
    """A queue filter a user saved under a name (personal)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(_("filter"), max_length=2000, blank=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field=None,
        actions={"view": frozenset(), "add": READ_ROLES, "change": frozenset(), "delete": frozenset()},
        own=lambda user: Q(user_id=user.pk),
        own_actions=frozenset({"view", "change", "delete"}),
        shared=False,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["user", "name"], name="tickets_saved_view_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def organisation_id_for_audit(self) -> int | None:
        return None
