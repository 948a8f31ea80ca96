"""Choices of service level management, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementKind(models.TextChoices):
    """What an agreement is: with a customer, with an internal team, or with a supplier."""

    SLA = "sla", _("Service level agreement (SLA)")
    OLA = "ola", _("Operational level agreement (OLA)")
    UC = "uc", _("Underpinning contract")


class Metric(models.TextChoices):
    """What a clock measures."""

    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")
    UPDATE = "update", _("Update interval")


class ClockState(models.TextChoices):
    """Where a clock stands."""

    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    BREACHED = "breached", _("Breached")
    CANCELLED = "cancelled", _("Cancelled")


class AlertAction(models.TextChoices):
    """What a warning or a breach does."""

    NOTIFY = "notify", _("Notify the assignee and the team")
    ESCALATE = "escalate", _("Escalate to the managers")
    REASSIGN = "reassign", _("Hand over to a team")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority by one")
