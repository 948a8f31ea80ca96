"""Sources, alert statuses and severities of monitoring, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    """The monitoring tools an integration receives from."""

    ALERTMANAGER = "alertmanager", _("Prometheus Alertmanager")
    GRAFANA = "grafana", _("Grafana")
    ZABBIX = "zabbix", _("Zabbix")
    NAGIOS = "nagios", _("Nagios")
    CLOUDWATCH = "cloudwatch", _("Amazon CloudWatch (SNS)")
    GENERIC = "generic", _("Generic JSON")


class AlertStatus(models.TextChoices):
    """Where an alert is: pending (not yet counted), firing, or closed (resolved, expired)."""

    PENDING = "pending", _("Pending")
    FIRING = "firing", _("Firing")
    RESOLVED = "resolved", _("Resolved")
    EXPIRED = "expired", _("Expired")


OPEN_STATUSES = (AlertStatus.PENDING, AlertStatus.FIRING)


class Severity(models.TextChoices):
    """Normalised severity of an alert, most severe first."""

    CRITICAL = "critical", _("Critical")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    WARNING = "warning", _("Warning")
    INFO = "info", _("Information")
    OK = "ok", _("OK")


class Trend(models.TextChoices):
    """How the severity moved with the last change."""

    NONE = "", _("Unchanged")
    UP = "up", _("Worse")
    DOWN = "down", _("Better")


class DeliveryState(models.TextChoices):
    """What became of one received payload."""

    PENDING = "pending", pgettext_lazy("delivery state", "Waiting")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", pgettext_lazy("delivery state", "Rejected")


class EventKind(models.TextChoices):
    """What one event did to its alert (the append-only event log)."""

    OPENED = "opened", _("Opened")
    DUPLICATE = "duplicate", _("Repeated")
    SEVERITY = "severity", _("Severity changed")
    COUNTED = "counted", _("Lasted long enough to count")
    RESOLVED = "resolved", _("Resolved")
    EXPIRED = "expired", _("Expired")
    IGNORED = "ignored", _("Ignored (no open alert)")


class Suppression(models.TextChoices):
    """Why an alert did not open an incident."""

    NONE = "", _("Not suppressed")
    MAINTENANCE = "maintenance", _("Maintenance window")
    CHANGE = "change", _("Change in progress")
    INHIBITED = "inhibited", _("Upstream CI already alerting")
    SILENCED = "silenced", _("Silenced")
    BELOW = "below", _("Below the incident severity")
    DISABLED = "disabled", _("Incidents disabled for the integration")


class MatchField(models.TextChoices):
    """What part of an alert a CI mapping rule reads."""

    HOST = "host", _("Host name")
    ADDRESS = "address", _("IP address")
    RESOURCE = "resource", _("Resource")
    SERVICE = "service", _("Service name")
    LABEL = "label", pgettext_lazy("monitoring", "Label")


class CIField(models.TextChoices):
    """What a CI mapping rule compares with."""

    NAME = "name", _("CI name")
    NUMBER = "number", _("CI number")
    EXTERNAL_ID = "external_id", _("External id")
    ATTRIBUTE = "attribute", _("CI attribute")
