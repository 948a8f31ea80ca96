"""Choices of change enablement and releases, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeType(models.TextChoices):
    """The three kinds of change of ITIL 4 change enablement (seed 000)."""

    STANDARD = "standard", _("Standard (pre-approved template)")
    NORMAL = "normal", _("Normal (assessed, approved by the CAB)")
    EMERGENCY = "emergency", _("Emergency (ECAB fast path)")


class RiskLevel(models.TextChoices):
    """The risk of a change, scored from the questionnaire and the impact."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class ReviewOutcome(models.TextChoices):
    """The result recorded by the post-implementation review."""

    SUCCESS = "success", _("Successful")
    PARTIAL = "partial", _("Partially successful")
    FAILED = "failed", _("Failed")
    BACKED_OUT = "backed_out", _("Backed out")


UNSUCCESSFUL = frozenset({ReviewOutcome.FAILED, ReviewOutcome.BACKED_OUT})


class BoardKind(models.TextChoices):
    """Which changes an approval board decides."""

    CAB = "cab", _("Change advisory board (normal changes)")
    ECAB = "ecab", _("Emergency change advisory board (emergency changes)")


class WindowKind(models.TextChoices):
    """What a change window means for scheduling."""

    FREEZE = "freeze", _("Freeze (no changes, e.g. month-end closing)")
    BLACKOUT = "blackout", _("Blackout (no changes at all, not even emergency ones)")
    MAINTENANCE = "maintenance", _("Maintenance window (changes preferred here)")
