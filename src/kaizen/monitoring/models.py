"""Monitoring and event management: integrations, the raw inbox, the event log, alerts, rules, windows.

The flow is one-way and every step is durable before the next starts:

1. ``Delivery``: the raw body of one HTTP request, stored before the endpoint answers 202 (a
   body identical to the integration's previous one within a few minutes is a redelivery and is
   not stored again);
2. ``Event``: one row per alert signal of a processed delivery (append-only: nothing updates or
   deletes it);
3. ``Alert``: the current state of one dedup key, **one open alert per key** (a partial unique
   constraint), updated by an atomic upsert; linked to a CI, a service and an incident.

Integrations, CI mapping rules and maintenance windows are configuration (audited); alert changes
made by the sources are recorded in the event log, people's actions on alerts (acknowledge,
silence) in the audit trail.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role, ScopedManager
from kaizen.core.models import Record

from .choices import (
    AlertStatus,
    CIField,
    DeliveryState,
    EventKind,
    MatchField,
    Severity,
    Source,
    Suppression,
    Trend,
)

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
WORKERS = MANAGERS | {Role.AGENT}
CONFIGURATION = AccessPolicy(
    org_field="organisation",
    actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
)
"""Integrations, rules and windows: staff read them, managers change them in their organisations."""

MB = 1024 * 1024


class Integration(Record):
    """One monitoring source sending to Kaizen with its own secret token.

    Only SHA-256 digests of tokens are stored. After a rotation the previous token keeps working
    until ``previous_valid_until`` so that senders can be reconfigured without losing alerts.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    source = models.CharField(pgettext_lazy("monitoring", "source"), max_length=20, choices=Source.choices)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="monitoring_integrations",
        verbose_name=_("organisation"),
        help_text=_("Incidents opened from this source belong to this organisation."),
    )
    description = models.TextField(_("description"), blank=True, max_length=2000)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    token_prefix = models.CharField(_("token prefix"), max_length=16, blank=True, editable=False)
    token_digest = models.CharField(max_length=64, unique=True, null=True, editable=False)
    previous_digest = models.CharField(max_length=64, unique=True, null=True, editable=False)
    previous_valid_until = models.DateTimeField(_("previous token valid until"), null=True, editable=False)
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("service account"),
    )
    default_service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("default service"),
        help_text=_("Used for alerts whose CI is unknown or belongs to no service."),
    )
    create_incidents = models.BooleanField(_("open incidents"), default=True)
    incident_severity = models.CharField(
        _("lowest severity opening an incident"),
        max_length=20,
        choices=[c for c in Severity.choices if c[0] != Severity.OK],
        default=Severity.WARNING,
    )
    max_body_bytes = models.PositiveIntegerField(
        _("largest body (bytes)"),
        default=5 * MB,
        validators=[MinValueValidator(1024), MaxValueValidator(50 * MB)],
    )
    min_duration = models.PositiveIntegerField(
        _("minimum duration (seconds)"),
        default=0,
        validators=[MaxValueValidator(86_400)],
        help_text=_("An alert counts (and may open an incident) only once it has lasted this long."),
    )
    expire_after = models.PositiveIntegerField(
        _("expire after (minutes)"),
        default=24 * 60,
        validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 30)],
        help_text=_("An open alert not repeated for this long is closed as expired."),
    )
    group_window = models.PositiveIntegerField(
        _("grouping window (minutes)"),
        default=10,
        validators=[MaxValueValidator(24 * 60)],
        help_text=_("Alerts of the same CI or service within this window join one incident."),
    )
    reopen_window = models.PositiveIntegerField(
        _("reopen window (minutes)"),
        default=60,
        validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_("An alert firing again this soon after its incident was resolved reopens it."),
    )
    flap_changes = models.PositiveIntegerField(
        _("flapping: state changes"),
        default=4,
        validators=[MinValueValidator(2), MaxValueValidator(100)],
    )
    flap_window = models.PositiveIntegerField(
        _("flapping: window (minutes)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
    )
    thresholds = models.JSONField(
        _("thresholds"),
        default=list,
        blank=True,
        help_text=_(
            "Severity from the alert's value, per metric: warning and critical levels with a "
            "hysteresis margin (see the monitoring guide)."
        ),
    )
    sns_topics = models.JSONField(
        _("allowed SNS topic ARNs"),
        default=list,
        blank=True,
        help_text=_("Subscription confirmations for these topics are verified and confirmed automatically."),
    )
    last_received_at = models.DateTimeField(_("last received"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)

    access_policy: ClassVar[AccessPolicy] = CONFIGURATION
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {
        "token_digest",
        "previous_digest",
        "last_received_at",
        "last_error",
        "last_error_at",
    }

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("monitoring integration")
        verbose_name_plural = _("monitoring integrations")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse thresholds and topic lists the processing could not use."""
        from . import policies

        errors = policies.threshold_errors(self.thresholds)
        if errors:
            raise ValidationError({"thresholds": errors})
        topics = self.sns_topics
        if not isinstance(topics, list) or not all(
            isinstance(t, str) and t.startswith("arn:") and len(t) <= 256 for t in topics
        ):
            raise ValidationError({"sns_topics": _("List topic ARNs (arn:aws:sns:...), one per line.")})


class Delivery(models.Model):
    """The raw body of one request to an intake endpoint, stored before the 202 answer."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="deliveries")
    received_at = models.DateTimeField(_("received"), db_index=True)
    body = models.BinaryField(_("body"))
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    remote_addr = models.CharField(_("sender address"), max_length=64, blank=True)
    digest = models.CharField(max_length=64)
    state = models.CharField(
        _("state"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    signals = models.PositiveIntegerField(_("alerts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["id"], condition=Q(state="pending"), name="monitoring_delivery_pending"),
            models.Index(fields=["integration", "-id"], name="monitoring_delivery_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.integration_id}#{self.pk} {self.state}"


class Alert(models.Model):
    """The current state of one dedup key of one integration; at most one open per key."""

    # No index of their own: "history" and "recent" begin with them (every index is written again
    # by each update that moves a row, see Meta).
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="alerts", db_index=False
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
        db_index=False,
    )
    dedup_key = models.CharField(_("dedup key"), max_length=255)
    status = models.CharField(_("status"), max_length=20, choices=AlertStatus.choices)
    is_open = models.BooleanField(default=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    previous_severity = models.CharField(
        _("previous severity"), max_length=20, choices=Severity.choices, blank=True
    )
    trend = models.CharField(_("trend"), max_length=10, choices=Trend.choices, blank=True)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    labels = models.JSONField(_("labels"), default=dict)
    annotations = models.JSONField(_("annotations"), default=dict)
    host = models.CharField(_("host"), max_length=255, blank=True)
    address = models.CharField(_("IP address"), max_length=64, blank=True)
    service_name = models.CharField(_("monitored service"), max_length=255, blank=True)
    resource = models.CharField(_("resource"), max_length=255, blank=True)
    environment = models.CharField(_("environment"), max_length=100, blank=True)
    metric = models.CharField(_("metric"), max_length=255, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True)
    url = models.CharField(_("link"), max_length=2000, blank=True)
    external_id = models.CharField(_("source id"), max_length=255, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    changed_at = models.DateTimeField(_("last change"))
    started_at = models.DateTimeField(_("started (source time)"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    duplicates = models.PositiveIntegerField(_("repeats"), default=0)
    events = models.PositiveIntegerField(_("events"), default=1)
    flapping = models.BooleanField(_("flapping"), default=False)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("CI"),
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("service"),
    )
    incident = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("incident"),
    )
    suppressed = models.CharField(_("suppressed"), max_length=20, choices=Suppression.choices, blank=True)
    inhibited_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inhibits",
        verbose_name=_("inhibited by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    silenced_until = models.DateTimeField(_("silenced until"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = ScopedManager()

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "change": WORKERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-changed_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["integration", "dedup_key"],
                condition=Q(is_open=True),
                name="monitoring_alert_one_open",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["organisation", "-changed_at"], name="monitoring_alert_recent"),
            models.Index(fields=["ci"], condition=Q(is_open=True), name="monitoring_alert_open_ci"),
            models.Index(fields=["integration", "dedup_key", "-closed_at"], name="monitoring_alert_history"),
        ]
        # No index on last_seen_at, deliberately: a repeat changes only it and the counters, so on
        # PostgreSQL its update is a heap-only (HOT) one, with room kept in each page (fillfactor,
        # migration 0002), and writes no index. The expiry sweep reads an integration's open alerts
        # through "one_open" instead (ADR 0014 addendum).

    def __str__(self) -> str:
        return self.title

    def organisation_id_for_audit(self) -> int | None:
        """Return the organisation an audit row of this alert belongs to."""
        return int(self.organisation_id)


class Event(models.Model):
    """One signal of one delivery and what it did to its alert. Append-only."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, null=True, related_name="events")
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, null=True, related_name="event_log")
    dedup_key = models.CharField(_("dedup key"), max_length=255)
    received_at = models.DateTimeField(_("received"))
    occurred_at = models.DateTimeField(_("occurred (source time)"), null=True)
    status = models.CharField(_("status"), max_length=20)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    kind = models.CharField(_("effect"), max_length=20, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=300)
    value = models.FloatField(_("value"), null=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["integration", "dedup_key", "-received_at"], name="monitoring_event_key"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class CIMapping(Record):
    """A rule mapping an alert to a CI: a field of the alert compared with a field of the CI.

    Rules run in ``order``; the first that finds exactly one CI of the integration's organisation
    wins. ``pattern`` (a regular expression with one group) extracts the part to compare.
    """

    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mappings",
        verbose_name=_("integration"),
        help_text=_("Empty: every integration of the organisation."),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    order = models.PositiveIntegerField(_("order"), default=100)
    match_field = models.CharField(_("alert field"), max_length=20, choices=MatchField.choices)
    label = models.CharField(_("label name"), max_length=100, blank=True)
    pattern = models.CharField(
        _("pattern"),
        max_length=200,
        blank=True,
        help_text=_(
            "Optional regular expression; its first group is compared (e.g. ^([^.:]+) for a short host name)."
        ),
    )
    ci_field = models.CharField(_("CI field"), max_length=20, choices=CIField.choices)
    ci_attribute = models.CharField(_("CI attribute"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = CONFIGURATION

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "id"]
        verbose_name = _("CI mapping rule")
        verbose_name_plural = _("CI mapping rules")

    def __str__(self) -> str:
        source = self.label if self.match_field == MatchField.LABEL else self.get_match_field_display()
        target = self.ci_attribute if self.ci_field == CIField.ATTRIBUTE else self.get_ci_field_display()
        return f"{source} → {target}"

    def clean(self) -> None:
        """Refuse a rule that cannot run: a label rule without a label, a bad pattern."""
        from . import policies

        errors = policies.mapping_errors(
            match_field=self.match_field,
            label=self.label,
            pattern=self.pattern,
            ci_field=self.ci_field,
            ci_attribute=self.ci_attribute,
        )
        if errors:
            raise ValidationError(errors)


class MaintenanceWindow(Record):
    """A planned period during which alerts of some CIs or services open no incident (events are kept)."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="maintenance_windows", verbose_name=_("CIs")
    )
    services = models.ManyToManyField(
        "portfolio.Service", blank=True, related_name="maintenance_windows", verbose_name=_("services")
    )
    all_of_organisation = models.BooleanField(
        _("whole organisation"), default=False, help_text=_("Every alert of the organisation.")
    )
    reason = models.TextField(_("reason"), blank=True, max_length=2000)

    access_policy: ClassVar[AccessPolicy] = CONFIGURATION

    class Meta:
        ordering: ClassVar[list[str]] = ["-starts_at"]
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="monitoring_window_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse a window that ends before it starts or lasts longer than 31 days."""
        if self.starts_at and self.ends_at:
            if self.ends_at <= self.starts_at:
                raise ValidationError({"ends_at": _("The window must end after it starts.")})
            if (self.ends_at - self.starts_at).days > 31:
                raise ValidationError({"ends_at": _("A maintenance window lasts at most 31 days.")})
