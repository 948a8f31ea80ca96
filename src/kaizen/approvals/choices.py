"""Choices of approvals, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalMode(models.TextChoices):
    """How the approvers of a round decide."""

    NONE = "none", _("No approval")
    SEQUENCE = "sequence", _("All approvers, in order")
    ANY = "any", _("Any one approver")
    ALL = "all", _("All approvers, in any order")
    QUORUM = "quorum", _("A quorum of the approvers")


class ApprovalState(models.TextChoices):
    """The decision of one approver."""

    WAITING = "waiting", _("Waiting")
    PENDING = "pending", _("Pending (not their turn yet)")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DELEGATED = "delegated", _("Delegated")
    SKIPPED = "skipped", _("No longer needed")


OPEN_STATES = frozenset({ApprovalState.WAITING, ApprovalState.PENDING})


class RoundOutcome(models.TextChoices):
    """Where a round of approvals stands."""

    OPEN = "open", _("Open")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
