"""Choices of service requests: approval modes of catalogue items and fulfilment tasks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalMode(models.TextChoices):
    """How the approvers of a catalogue item decide."""

    NONE = "none", _("No approval")
    SEQUENCE = "sequence", _("All approvers, in order")
    ANY = "any", _("Any one approver")


class TaskState(models.TextChoices):
    """The state of a fulfilment task of a service request."""

    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
