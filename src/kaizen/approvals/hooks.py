"""Workflow hooks of approvals: a ticket that is cancelled or closed needs no more decisions."""

from __future__ import annotations

from django.utils.translation import gettext as _

from kaizen.tickets.choices import FINAL_CATEGORIES
from kaizen.tickets.models import Ticket
from kaizen.tickets.workflow import after_transition

from .services import withdraw


@after_transition
def withdraw_open_rounds(ticket: Ticket) -> None:
    """Withdraw the open round of a ticket that was cancelled, rejected or closed."""
    if ticket.state_category in FINAL_CATEGORIES:
        withdraw(ticket, reason=_("The ticket was %(state)s.") % {"state": ticket.state.label()})
