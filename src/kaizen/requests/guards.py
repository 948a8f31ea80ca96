"""Workflow conditions and hooks service requests add to the ticket engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.tickets.models import Ticket
from kaizen.tickets.workflow import GuardResult, after_transition, guard

from .choices import ApprovalState, TaskState
from .models import Approval, FulfilmentTask


@guard("tasks_done", gettext_lazy("Every fulfilment task is done or cancelled"))
def tasks_done(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    """A request is fulfilled only when its tasks are."""
    open_tasks = FulfilmentTask.objects.filter(ticket=ticket, state=TaskState.OPEN).count()
    if open_tasks:
        return [(None, _("%(n)s fulfilment task(s) are still open.") % {"n": open_tasks})]
    return []


@after_transition
def withdraw_open_approvals(ticket: Ticket) -> None:
    """A request cancelled (or closed) while waiting for approval needs no more decisions."""
    if ticket.kind == "request" and ticket.state_category in ("cancelled", "closed"):
        Approval.objects.filter(
            ticket=ticket, state__in=[ApprovalState.WAITING, ApprovalState.PENDING]
        ).update(state=ApprovalState.SKIPPED)
