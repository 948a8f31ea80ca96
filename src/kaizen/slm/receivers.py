"""Reactions of service level management: mail for warnings and breaches (after commit).

Importing ``services`` registers the ticket-change hook that keeps agreements and clocks current.
"""

from __future__ import annotations

from typing import Any

from kaizen.core import events
from kaizen.tickets import notify
from kaizen.tickets.models import Ticket

from . import services  # noqa: F401 - registers the ticket-change hook
from .choices import Metric
from .models import Agreement


@events.handler("sla.warning")
def mail_clock_warning(payload: dict[str, Any]) -> None:
    """Mail the assignee and team (notify) and the managers (escalate) about a warning or breach."""
    ticket = Ticket.objects.select_related("assignee__user", "team").filter(pk=payload["ticket_id"]).first()
    agreement = Agreement.objects.filter(pk=payload["agreement_id"]).first()
    if ticket is None or agreement is None:
        return
    actions = set(payload.get("actions", []))
    recipients: list[notify.Recipient] = []
    if "notify" in actions:
        recipients += [*notify.of_person(ticket.assignee, staff=True), *notify.of_team(ticket.team)]
    if "escalate" in actions:
        recipients += notify.managers_of(ticket)
    if not recipients:
        return
    notify.send(
        recipients,
        "sla_warning",
        {
            "ticket": ticket,
            "agreement": agreement,
            "metric": Metric(payload["metric"]).label if payload["metric"] in Metric.values else "",
            "level": payload["level"],
            "due": payload.get("due", ""),
        },
    )
