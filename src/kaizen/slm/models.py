"""Service level management: business calendars, service tiers, agreements, clocks' records, outages.

Calendars keep every revision of their definition (``CalendarRevision``) so that an edit changes
running clocks from that moment on and never retroactively. Agreements hold targets per priority
(their own or a tier's), the calendar, pause states and warning thresholds; the agreement that
applies to a ticket is recorded in ``TicketAgreement`` with the moment and the reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record
from kaizen.tickets.models import workflow

from .choices import AgreementKind, Metric

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
WORKERS = MANAGERS | {Role.AGENT}
SHARED = AccessPolicy(
    org_field=None,
    actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": frozenset({Role.ADMIN})},
    shared=True,
)
"""Service level configuration: staff read it, managers and administrators change it."""

PRIORITIES = (1, 2, 3, 4)


class Named(workflow.Named):
    """A unique Japanese name with an optional English one and a description."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, max_length=5000)

    class Meta:
        abstract = True


class BusinessCalendar(Named, Record):
    """Service hours, holidays and closures that business time is counted in.

    ``definition`` is the current revision's document (``slm.calendars``); every change adds a
    :class:`CalendarRevision` valid from the moment of the change.
    """

    definition = models.JSONField(_("definition"), default=dict)
    is_default = models.BooleanField(
        _("default calendar"), default=False, help_text=_("Used by agreements that do not choose one.")
    )

    access_policy: ClassVar[AccessPolicy] = SHARED

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def clean(self) -> None:
        """Refuse a definition the engine cannot use (overlaps, unknown zone, bad dates)."""
        from . import calendars

        if not isinstance(self.definition, dict):
            raise ValidationError({"definition": _("The calendar definition must be an object.")})
        errors = calendars.definition_errors(self.definition)
        if errors:
            raise ValidationError({"definition": [m for messages in errors.values() for m in messages]})


class CalendarRevision(models.Model):
    """One definition of a calendar, in force from ``valid_from`` until the next revision (append-only)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("calendar")
    )
    valid_from = models.DateTimeField(_("valid from"))
    definition = models.JSONField(_("definition"))

    class Meta:
        ordering: ClassVar[list[str]] = ["calendar", "valid_from", "id"]
        verbose_name = _("calendar revision")
        verbose_name_plural = _("calendar revisions")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["calendar", "valid_from"], name="slm_revision_unique_start")
        ]

    def __str__(self) -> str:
        return f"{self.calendar_id} @ {self.valid_from:%Y-%m-%d %H:%M}"


class ServiceTier(Named, Record):
    """A reusable set of targets per priority (gold, silver, bronze; 松竹梅) with its monthly fee.

    ``targets``: priority ("1"–"4") -> {"response": minutes, "resolution": minutes, "update":
    minutes}, each of business time and optional.
    """

    targets = models.JSONField(_("targets"), default=dict)
    monthly_fee = models.DecimalField(
        _("monthly fee (JPY)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    access_policy: ClassVar[AccessPolicy] = SHARED

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "name"]
        verbose_name = _("service tier")
        verbose_name_plural = _("service tiers")

    def clean(self) -> None:
        """Refuse targets that are not whole positive minutes per known priority and clock."""
        from . import policies

        errors = policies.target_errors(self.targets, required=True)
        if errors:
            raise ValidationError({"targets": errors})


class Agreement(Named, Record):
    """An SLA with a customer, an OLA with an internal team or an underpinning contract with a supplier.

    Matching: active agreements of a kind are tried in ``order``; the first whose service,
    customer, ticket kinds and priorities (empty means any) fit the ticket applies. Targets are the
    agreement's own for a priority, else its tier's.
    """

    kind = models.CharField(
        _("kind"), max_length=10, choices=AgreementKind.choices, default=AgreementKind.SLA
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("service"),
        help_text=_("Empty: every service."),
    )
    customer = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("customer"),
        help_text=_("Empty: every customer."),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("team"),
        help_text=_("The internal team an OLA binds (OLA only)."),
    )
    supplier = models.CharField(
        _("supplier"), max_length=200, blank=True, help_text=_("Who an underpinning contract binds.")
    )
    ticket_kinds = models.JSONField(_("ticket kinds"), default=list, blank=True)
    priorities = models.JSONField(
        _("priorities"), default=list, blank=True, help_text=_("Empty: every priority.")
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("calendar")
    )
    tier = models.ForeignKey(
        ServiceTier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name=_("service tier"),
    )
    targets = models.JSONField(_("own targets"), default=dict, blank=True)
    pause_states = models.ManyToManyField(
        "tickets.WorkflowState",
        blank=True,
        related_name="+",
        verbose_name=_("pause states"),
        help_text=_("Time in these states does not count. Empty: the states marked as pausing clocks."),
    )
    supplier_states = models.ManyToManyField(
        "tickets.WorkflowState",
        blank=True,
        related_name="+",
        verbose_name=_("supplier states"),
        help_text=_(
            "An underpinning contract counts only the time in these states (waiting for the supplier)."
        ),
    )
    warn_at = models.JSONField(_("warning thresholds (%)"), default=list, blank=True)
    escalations = models.JSONField(_("escalations"), default=list, blank=True)
    alert_outside_hours = models.BooleanField(
        _("warn outside service hours"),
        default=False,
        help_text=_("Otherwise warnings that fall outside the calendar's hours wait until it opens."),
    )
    monthly_limit = models.PositiveIntegerField(
        _("tickets per month covered"), null=True, blank=True, help_text=_("Workload limit; empty: none.")
    )
    availability_target = models.DecimalField(
        _("availability target (%)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = SHARED

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "order", "name"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def clean(self) -> None:
        """Refuse an agreement that could never apply or whose terms are unusable."""
        from . import policies

        errors: dict[str, list[str]] = {}
        own = policies.target_errors(self.targets, required=self.tier_id is None)
        if own:
            errors["targets"] = own
        if not isinstance(self.ticket_kinds, list) or not self.ticket_kinds:
            errors["ticket_kinds"] = [_("Choose the ticket kinds the agreement covers.")]
        elif any(k not in policies.TICKET_KINDS for k in self.ticket_kinds):
            errors["ticket_kinds"] = [_("Unknown ticket kind.")]
        if not isinstance(self.priorities, list) or any(
            isinstance(p, bool) or p not in (1, 2, 3, 4) for p in self.priorities
        ):
            errors["priorities"] = [_("Priorities are 1 to 4.")]
        elif not errors.get("targets") and isinstance(self.ticket_kinds, list):
            covered = [
                p
                for p in (self.priorities or [1, 2, 3, 4])
                if any(self._own_or_tier(p, m) for m in Metric.values)
            ]
            if not covered:
                errors["priorities"] = [
                    _("No target exists for the chosen priorities: this agreement would match nothing.")
                ]
        for field, problems in (
            ("warn_at", policies.threshold_errors(self.warn_at)),
            ("escalations", policies.escalation_errors(self.escalations)),
        ):
            if problems:
                errors[field] = problems
        if self.kind == AgreementKind.OLA and self.team_id is None:
            errors["team"] = [_("An OLA binds an internal team: choose it.")]
        if self.kind == AgreementKind.UC and not self.supplier.strip():
            errors["supplier"] = [_("Name the supplier of the underpinning contract.")]
        if errors:
            raise ValidationError(errors)

    def _own_or_tier(self, priority: int, metric: str) -> int | None:
        try:
            return self.target(priority, metric)
        except (AttributeError, TypeError, ValueError):
            return None

    def target(self, priority: int, metric: str) -> int | None:
        """Return the target in minutes of ``metric`` at ``priority`` (own, else the tier's), or None."""
        for source in (self.targets, self.tier.targets if self.tier_id and self.tier else {}):
            value = (source or {}).get(str(priority), {}).get(metric)
            if value:
                return int(value)
        return None


class TicketAgreement(models.Model):
    """Which agreement applied to a ticket from when until when, and why (closed by ``until``)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="agreements", verbose_name=_("ticket")
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("agreement")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["ticket", "since", "id"]
        verbose_name = _("agreement of a ticket")
        verbose_name_plural = _("agreements of tickets")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["ticket", "kind"], condition=Q(until__isnull=True), name="slm_one_current_agreement"
            )
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["agreement", "since"], name="slm_ticketagreement_idx")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.agreement_id} {self.since:%Y-%m-%d %H:%M}"


class ClockAlert(models.Model):
    """A warning or breach raised once for one clock of one ticket at one target (the job is idempotent)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="clock_alerts", verbose_name=_("ticket")
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="+", verbose_name=_("agreement")
    )
    metric = models.CharField(_("clock"), max_length=20, choices=Metric.choices)
    level = models.PositiveSmallIntegerField(_("level (%)"))
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    at = models.DateTimeField(_("raised"))
    actions = models.JSONField(_("actions taken"), default=list)

    class Meta:
        ordering: ClassVar[list[str]] = ["-at"]
        verbose_name = _("service level alert")
        verbose_name_plural = _("service level alerts")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["ticket", "agreement", "metric", "level", "target_minutes"], name="slm_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.level}%"


class ClockResult(models.Model):
    """The measured outcome of one clock of a stopped ticket: what the reports aggregate.

    Written when a ticket is resolved, closed or cancelled (replaced if it is reopened and stopped
    again); figures are whole seconds of business time.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="clock_results", verbose_name=_("ticket")
    )
    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="results", verbose_name=_("agreement")
    )
    metric = models.CharField(_("clock"), max_length=20, choices=Metric.choices)
    month = models.DateField(_("month"))
    stopped_at = models.DateTimeField(_("stopped"))
    target_seconds = models.PositiveIntegerField(_("target (s)"))
    elapsed_seconds = models.PositiveBigIntegerField(_("elapsed (s)"))
    met = models.BooleanField(_("met"))
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    customer = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    priority = models.PositiveSmallIntegerField(_("priority"))
    ticket_kind = models.CharField(_("ticket kind"), max_length=20)

    class Meta:
        ordering: ClassVar[list[str]] = ["-stopped_at"]
        verbose_name = _("clock result")
        verbose_name_plural = _("clock results")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["ticket", "agreement", "metric"], name="slm_result_once")
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["month", "agreement", "metric"], name="slm_result_month_idx"),
            models.Index(fields=["month", "service"], name="slm_result_service_idx"),
            models.Index(fields=["month", "customer"], name="slm_result_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {'met' if self.met else 'breached'}"


class Outage(Record):
    """A period a service was unavailable, planned or not (the availability issue extends it)."""

    service = models.ForeignKey(
        "portfolio.Service", on_delete=models.PROTECT, related_name="outages", verbose_name=_("service")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True, help_text=_("Empty while it lasts."))
    planned = models.BooleanField(_("planned"), default=False)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outages",
        verbose_name=_("ticket"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="service__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": WORKERS, "delete": MANAGERS},
    )

    def organisation_id_for_audit(self) -> int | None:
        """The provider organisation of the service (outages are scoped by it)."""
        service = self.service if self.service_id else None
        return service.organisation_id if service is not None else None

    def add_scope_id(self) -> int | None:
        """Recording an outage needs the right in the service's provider organisation."""
        return self.organisation_id_for_audit()

    def clean(self) -> None:
        """Refuse an outage that ends before it starts."""
        if self.end is not None and self.start is not None and self.end <= self.start:
            raise ValidationError({"end": _("The outage must end after it starts.")})

    class Meta:
        ordering: ClassVar[list[str]] = ["-start"]
        verbose_name = _("outage")
        verbose_name_plural = _("outages")
        indexes: ClassVar[list[Any]] = [models.Index(fields=["service", "start"], name="slm_outage_idx")]

    def __str__(self) -> str:
        return f"{self.service} {self.start:%Y-%m-%d %H:%M}"
