"""States and categories of release management, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReleaseState(models.TextChoices):
    """Where a release stands: planned, approved for go-live, live, rolled back or cancelled."""

    PLANNING = "planning", _("Planning")
    APPROVED = "approved", _("Approved for go-live")
    LIVE = "live", _("Live")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    CANCELLED = "cancelled", _("Cancelled")


class ItemKind(models.TextChoices):
    """Who accepts a release by an item: the customer (service acceptance) or operations."""

    SERVICE = "service", _("Service acceptance criterion")
    OPERATIONS = "operations", _("Operations acceptance")


class ItemCategory(models.TextChoices):
    """What an operations acceptance item is about (seed 002: the handover from development)."""

    CONTACTS = "contacts", _("Contacts")
    EMERGENCY_CONTACTS = "emergency_contacts", _("Emergency contacts")
    MONITORING = "monitoring", _("Monitoring")
    RUNBOOKS = "runbooks", _("Runbooks")
    BACKUPS = "backups", _("Backups")
    MUST_NEVER_DO = "must_never_do", _('"Must never do" list')
    OTHER = "other", _("Other")


class ReleaseAction(models.TextChoices):
    """The moves of a release (``POST /api/v1/releases/{id}/actions/<code>/`` with hyphens)."""

    APPROVE = "approve", _("Approve for go-live")
    REPLAN = "replan", _("Back to planning")
    GO_LIVE = "go_live", _("Go live")
    ROLL_BACK = "roll_back", _("Roll back")
    CANCEL = "cancel", _("Cancel the release")
