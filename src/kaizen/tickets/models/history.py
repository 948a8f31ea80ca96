"""The state history of tickets: what service level clocks and time-in-state figures are computed from."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class StateLog(models.Model):
    """From ``at`` on, the ticket had this state, priority, team and assignee.

    Append-only: one row when a ticket is created and one each time any of these changes
    (``tickets.history.record``). Service level clocks are recomputed from these rows and never
    from a stored deadline; the audit trail keeps the full change record besides.
    """

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="state_log", verbose_name=_("ticket")
    )
    at = models.DateTimeField(_("from"))
    state = models.ForeignKey(
        "tickets.WorkflowState", on_delete=models.PROTECT, related_name="+", verbose_name=_("state")
    )
    category = models.CharField(_("category"), max_length=20)
    priority = models.PositiveSmallIntegerField(_("priority"))
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        "accounts.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("assignee"),
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["ticket", "at", "id"]
        verbose_name = _("state history entry")
        verbose_name_plural = _("state history")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["ticket", "at", "id"], name="tickets_statelog_idx")
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.at:%Y-%m-%d %H:%M} {self.category} P{self.priority}"
