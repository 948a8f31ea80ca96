"""Workflow conditions and hooks service requests add to the ticket engine."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.tickets.models import Ticket
from kaizen.tickets.workflow import GuardResult, guard

from .choices import TaskState
from .models import FulfilmentTask


@guard("tasks_done", gettext_lazy("Every fulfilment task is done or cancelled"))
def tasks_done(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    """A request is fulfilled only when its tasks are."""
    open_tasks = FulfilmentTask.objects.filter(ticket=ticket, state=TaskState.OPEN).count()
    if open_tasks:
        return [(None, _("%(n)s fulfilment task(s) are still open.") % {"n": open_tasks})]
    return []
