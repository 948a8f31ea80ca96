"""Change enablement: the change record (one-to-one with its ticket), templates, boards, windows.

A change is a ticket of kind ``change`` (``CHG-000001``) so it shares the desk's numbers,
conversation, files, links, history and workflow engine; :class:`Change` holds what only changes
have (type, risk, plans, window, review).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.approvals.choices import ApprovalMode
from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record
from kaizen.tickets.models.workflow import Named

from .choices import BoardKind, ChangeType, ReviewOutcome, RiskLevel, WindowKind

WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CHANGE_MANAGER, Role.AGENT})
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER, Role.CHANGE_MANAGER})
CHANGE_REFERENCE = AccessPolicy(
    org_field=None,
    actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    shared=True,
)
"""Templates, boards and windows: staff read them, managers and change managers maintain them."""
MAX_PLAN = 20_000


class ChangeTemplate(Named, Record):
    """A pre-approved standard change: low risk, done often, the same steps every time.

    Pipelines raise standard changes from a template by API; they need no CAB.
    """

    description = models.TextField(_("description"), blank=True, max_length=10_000)
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    implementation_plan = models.TextField(_("implementation plan"), max_length=MAX_PLAN)
    backout_plan = models.TextField(_("back-out plan"), max_length=MAX_PLAN)
    test_plan = models.TextField(_("test plan"), blank=True, max_length=MAX_PLAN)
    communication_plan = models.TextField(_("communication plan"), blank=True, max_length=MAX_PLAN)
    max_duration_minutes = models.PositiveIntegerField(
        _("longest window (minutes)"),
        default=240,
        help_text=_("A standard change from this template may not plan a longer window."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = CHANGE_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["name"], name="changes_template_unique_name"),
        ]


class ChangeBoard(Named, Record):
    """Who approves changes: the CAB for normal changes, the ECAB (a small group, any one) for emergencies."""

    kind = models.CharField(_("decides"), max_length=10, choices=BoardKind.choices)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="change_boards", verbose_name=_("members")
    )
    mode = models.CharField(
        _("approval"),
        max_length=20,
        choices=[c for c in ApprovalMode.choices if c[0] != ApprovalMode.NONE],
        default=ApprovalMode.ALL,
    )
    quorum = models.PositiveSmallIntegerField(
        _("quorum"), null=True, blank=True, help_text=_("How many approvals are enough (quorum mode only).")
    )
    meets_on = models.CharField(
        _("meets"),
        max_length=200,
        blank=True,
        help_text=_("For the agenda, e.g. every Tuesday 10:00."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = CHANGE_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name"]
        verbose_name = _("change board")
        verbose_name_plural = _("change boards")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_active=True),
                name="changes_one_active_board_per_kind",
                violation_error_message=_("Only one board of this kind can be active."),
            ),
        ]


class ChangeWindow(Named, Record):
    """A freeze, blackout or maintenance window (all services, or the listed ones).

    Seed 002's month-end load: a freeze over the closing days of each month keeps changes off the
    accounting systems when they are busiest.
    """

    kind = models.CharField(_("kind"), max_length=20, choices=WindowKind.choices, default=WindowKind.FREEZE)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    services = models.ManyToManyField(
        "portfolio.Service",
        blank=True,
        related_name="change_windows",
        verbose_name=_("services"),
        help_text=_("Empty: every service."),
    )
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = CHANGE_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["starts_at", "id"]
        verbose_name = _("change window")
        verbose_name_plural = _("change windows")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["ends_at", "starts_at"], name="changes_window_time_idx"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="changes_window_ends_after_start",
                violation_error_message=_("The end must be after the start."),
            ),
        ]


class Change(Record):
    """What only a change has: its type, risk, plans, planned window and review."""

    ticket = models.OneToOneField(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="change",
        verbose_name=_("ticket"),
    )
    change_type = models.CharField(
        _("type"), max_length=20, choices=ChangeType.choices, default=ChangeType.NORMAL
    )
    template = models.ForeignKey(
        ChangeTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("template"),
    )
    reason = models.TextField(_("reason for the change"), blank=True, max_length=MAX_PLAN)
    risk_answers = models.JSONField(_("risk questionnaire"), default=dict, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), null=True, blank=True, editable=False)
    risk_level = models.CharField(
        _("risk"), max_length=10, choices=RiskLevel.choices, blank=True, editable=False
    )
    implementation_plan = models.TextField(_("implementation plan"), blank=True, max_length=MAX_PLAN)
    backout_plan = models.TextField(_("back-out plan"), blank=True, max_length=MAX_PLAN)
    test_plan = models.TextField(_("test plan"), blank=True, max_length=MAX_PLAN)
    communication_plan = models.TextField(
        _("communication plan"),
        blank=True,
        max_length=MAX_PLAN,
        help_text=_("Who is told, when and how (seed 000: a communication plan for every change)."),
    )
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True, editable=False)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True, editable=False)
    schedule_warnings = models.JSONField(_("scheduling warnings"), default=list, blank=True, editable=False)
    override_reason = models.TextField(
        _("reason for scheduling despite warnings"), blank=True, max_length=2000
    )
    outcome = models.CharField(_("review outcome"), max_length=20, choices=ReviewOutcome.choices, blank=True)
    review_notes = models.TextField(_("review notes"), blank=True, max_length=MAX_PLAN)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
        editable=False,
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": WORKERS, "delete": frozenset({Role.ADMIN})},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-ticket_id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["planned_start", "planned_end"], name="changes_window_idx"),
            models.Index(fields=["planned_end", "planned_start"], name="changes_window_end_idx"),
        ]

    def __str__(self) -> str:
        return str(self.ticket)

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)
