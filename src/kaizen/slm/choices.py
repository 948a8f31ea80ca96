"""Choices of service level management, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AgreementKind(models.TextChoices):
    """What an agreement is: with a customer, with an internal team, or with a supplier."""

    SLA = "sla", _("Service level agreement (SLA)")
    OLA = "ola", _("Operational level agreement (OLA)")
    UC = "uc", _("Underpinning contract")


class Metric(models.TextChoices):
    """What a clock measures."""

    RESPONSE = "response", pgettext_lazy("clock", "Response")
    RESOLUTION = "resolution", pgettext_lazy("clock", "Resolution")
    UPDATE = "update", pgettext_lazy("clock", "Update interval")


class ClockState(models.TextChoices):
    """Where a clock stands."""

    RUNNING = "running", pgettext_lazy("clock", "Running")
    PAUSED = "paused", pgettext_lazy("clock", "Paused")
    MET = "met", pgettext_lazy("clock", "Met")
    BREACHED = "breached", pgettext_lazy("clock", "Breached")
    CANCELLED = "cancelled", pgettext_lazy("clock", "Cancelled")


class AlertAction(models.TextChoices):
    """What a warning or a breach does."""

    NOTIFY = "notify", _("Notify the assignee and the team")
    ESCALATE = "escalate", _("Escalate to the managers")
    REASSIGN = "reassign", _("Hand over to a team")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority by one")
