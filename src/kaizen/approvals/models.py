"""Approvals of tickets: rounds of approvers deciding together (service requests, changes, ...).

A round belongs to one ticket and says how its approvers decide (in order, any one, all, a
quorum). Each approver has one row; a delegated row stays as ``delegated`` and the delegate
gets a new row that names the original approver in ``on_behalf_of``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record

from .choices import ApprovalMode, ApprovalState, RoundOutcome

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
MAX_COMMENT = 5000


def _own_round(user: Any) -> Q:
    return Q(approvals__approver_id=user.pk)


class ApprovalRound(Record):
    """One round of approvals of a ticket (a catalogue item's approvers, a CAB, an ECAB)."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="approval_rounds", verbose_name=_("ticket")
    )
    purpose = models.CharField(_("purpose"), max_length=100, blank=True)
    mode = models.CharField(_("approval"), max_length=20, choices=ApprovalMode.choices)
    quorum = models.PositiveSmallIntegerField(_("quorum"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=RoundOutcome.choices, default=RoundOutcome.OPEN
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    allow_self = models.BooleanField(
        _("the requester may approve"),
        default=False,
        help_text=_("Off: the person who raised the ticket cannot approve it."),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": MANAGERS, "delete": frozenset({Role.ADMIN})},
        own=_own_round,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]
        verbose_name = _("approval round")
        verbose_name_plural = _("approval rounds")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["ticket", "outcome"], name="approvals_round_ticket_idx")
        ]

    def __str__(self) -> str:
        return (
            f"{self.ticket.number}: {self.purpose or self.get_mode_display()} ({self.get_outcome_display()})"
        )

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)


def _own_approval(user: Any) -> Q:
    return Q(approver_id=user.pk)


class Approval(Record):
    """One approver's decision in a round."""

    round = models.ForeignKey(
        ApprovalRound, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("round")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="approvals", verbose_name=_("ticket")
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="approvals",
        verbose_name=_("approver"),
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("on behalf of"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    state = models.CharField(_("decision"), max_length=20, choices=ApprovalState.choices)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    comment = models.TextField(_("comment"), blank=True, max_length=MAX_COMMENT)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": frozenset({Role.ADMIN})},
        own=_own_approval,
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "id"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["approver", "state"], name="approvals_approver_idx"),
            models.Index(fields=["ticket", "state"], name="approvals_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.approver} ({self.get_state_display()})"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)
