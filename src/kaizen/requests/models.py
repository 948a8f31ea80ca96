"""Service requests: catalogue items with their forms, approvers and fulfilment tasks."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.cmdb import policies as typed
from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role, org_scope
from kaizen.core.models import Record
from kaizen.portfolio.choices import Lifecycle
from kaizen.tickets.models.workflow import Named

from .choices import ApprovalMode, TaskState

WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})


def _catalogue_for_requesters(user: Any) -> Q:
    """Requesters see the active items of live services their organisations are customers of."""
    scope = org_scope(user, [Role.REQUESTER])
    live = Q(is_active=True, service__lifecycle=Lifecycle.LIVE)
    if not isinstance(scope, frozenset):
        return live
    if not scope:
        return Q(pk__in=[])
    return live & Q(service__customers__in=sorted(scope))


class CatalogItem(Named, Record):
    """Something requesters can ask for, offered under a service, with its own form fields.

    ``form_schema`` uses the typed attribute definitions of the CMDB (text, number, date, choice,
    ...), validated on every request.
    """

    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, related_name="catalog_items", verbose_name=_("service")
    )
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    form_schema = models.JSONField(_("form fields"), default=list, blank=True)
    approval_mode = models.CharField(
        _("approval"), max_length=20, choices=ApprovalMode.choices, default=ApprovalMode.NONE
    )
    approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CatalogApprover",
        blank=True,
        related_name="+",
        verbose_name=_("approvers"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fulfilling team"),
    )
    is_active = models.BooleanField(_("offered"), default=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="service__organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
        own=_catalogue_for_requesters,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["service__name", "name"]
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["service", "name"], name="requests_item_unique_name"),
        ]

    def organisation_id_for_audit(self) -> int | None:
        return int(self.service.organisation_id) if self.service_id else None

    def clean(self) -> None:
        problems = typed.validate_schema(self.form_schema)
        if problems:
            raise ValidationError({"form_schema": problems})


class CatalogApprover(models.Model):
    """An approver of a catalogue item, in order (for approval in sequence)."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="approver_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "id"]
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["item", "user"], name="requests_approver_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.user_id}"


class CatalogTask(models.Model):
    """A fulfilment task every request for the item gets, for one team."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="task_templates")
    title = models.CharField(_("title"), max_length=200)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class FulfilmentTask(Record):
    """A piece of work that fulfils a service request, for one team; the request completes with them."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="tasks", verbose_name=_("request")
    )
    title = models.CharField(_("title"), max_length=200)
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="+", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        "accounts.Person",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignee"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    state = models.CharField(_("state"), max_length=20, choices=TaskState.choices, default=TaskState.OPEN)
    note = models.TextField(_("note"), blank=True, max_length=5000)
    done_at = models.DateTimeField(_("done"), null=True, blank=True, editable=False)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": WORKERS, "delete": MANAGERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "id"]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        indexes: ClassVar[list[Any]] = [models.Index(fields=["team", "state"], name="requests_task_team_idx")]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.title}"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)
