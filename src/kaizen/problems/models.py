"""Problem management: the details a problem ticket carries beyond the ticket core, and known errors."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record

from .choices import KnownErrorState

WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
MAX_TEXT = 20_000
MAX_RANK = 1_000_000


class ProblemRecord(Record):
    """What problem management adds to a problem ticket: owner, root cause, workaround, debt-list data.

    One row per ticket of kind ``problem`` (the primary key is the ticket). The owner stands one
    step back from the front line and may differ from the ticket's assignee. ``last_moved_at``
    is when the problem last moved (a state change, an edit, a work note by a person); reminders
    go to the owner when it has not moved for ``PROBLEM_REMINDER_DAYS``. Both times are
    bookkeeping, kept out of the audited values (the reminder itself is audited on the ticket).
    """

    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="problem_record",
        verbose_name=_("problem"),
    )
    owner = models.ForeignKey(
        "accounts.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_problems",
        verbose_name=_("problem owner"),
        help_text=_("Who drives the problem to its end (one step back from the front line)."),
    )
    root_cause = models.TextField(_("root cause"), blank=True, max_length=MAX_TEXT)
    workaround = models.TextField(_("workaround"), blank=True, max_length=MAX_TEXT)
    shared_with_development = models.BooleanField(_("shared with development"), default=False)
    development_ref = models.CharField(
        _("development reference"),
        max_length=200,
        blank=True,
        help_text=_("The issue key or address in the development team's tracker."),
    )
    rank = models.PositiveIntegerField(
        _("rank"),
        null=True,
        blank=True,
        help_text=_("Order on the debt list: 1 is the most urgent; problems without a rank come last."),
    )
    last_moved_at = models.DateTimeField(_("last moved"), editable=False)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True, editable=False)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": WORKERS, "delete": MANAGERS},
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"last_moved_at", "reminded_at"}

    class Meta:
        verbose_name = _("problem details")
        verbose_name_plural = _("problem details")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["last_moved_at"], name="problems_record_moved_idx"),
            models.Index(fields=["owner"], name="problems_record_owner_idx"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(rank__isnull=True) | Q(rank__gte=1, rank__lte=MAX_RANK),
                name="problems_record_rank_range",
                violation_error_message=_("The rank is 1 to 1,000,000."),
            ),
        ]

    def __str__(self) -> str:
        return str(self.ticket)

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)


class KnownError(Record):
    """A known error: symptoms, root cause and workaround agents find while handling incidents.

    Published known errors are suggested on incidents with the same CIs, service or words
    (``search_text`` holds the normalised text: NFKC, lower case, so that ＶＰＮ, vpn and ｶﾅ/カナ
    match). Draft ones are being written; retired ones no longer apply (the fix is in).
    """

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="known_errors",
        verbose_name=_("organisation"),
    )
    problem = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="known_errors",
        limit_choices_to={"kind": "problem"},
        verbose_name=_("problem"),
    )
    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"), blank=True, max_length=MAX_TEXT)
    root_cause = models.TextField(_("root cause"), blank=True, max_length=MAX_TEXT)
    workaround = models.TextField(_("workaround"), blank=True, max_length=MAX_TEXT)
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_(
            "Words or error codes an incident would mention, separated by commas or spaces (E-2041, VPN)."
        ),
    )
    services = models.ManyToManyField(
        "portfolio.Service", blank=True, related_name="known_errors", verbose_name=_("services")
    )
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="known_errors", verbose_name=_("CIs")
    )
    state = models.CharField(
        _("state"), max_length=20, choices=KnownErrorState.choices, default=KnownErrorState.DRAFT
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)
    search_text = models.TextField(editable=False, blank=True)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": WORKERS, "delete": MANAGERS},
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"search_text"}

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("known error")
        verbose_name_plural = _("known errors")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "organisation"], name="problems_ke_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
