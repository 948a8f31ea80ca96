"""Reads of email intake for the pages and the API; always from what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from kaizen.core import access
from kaizen.tickets.models import Ticket

from .models import InboundMail, Mailbox


def mailboxes(user: Any) -> QuerySet[Mailbox]:
    """Return the mailboxes ``user`` may see."""
    return Mailbox.objects.visible_to(user).select_related("organisation")


def messages(user: Any) -> QuerySet[InboundMail]:
    """Return the received messages of the mailboxes ``user`` may see (without their raw bytes).

    A mailbox for every organisation's mail shows staff of its own organisation only the messages
    whose ticket they may see (a customer's mail is that customer's), unless they see everything.
    """
    qs = InboundMail.objects.filter(mailbox__in=Mailbox.objects.visible_to(user).values("pk"))
    if access.org_scope(user, access.STAFF_ROLES) is not access.ALL:
        qs = qs.filter(
            Q(mailbox__serves_all=False) | Q(ticket__in=Ticket.objects.visible_to(user).values("pk"))
        )
    return qs.defer("raw").select_related("mailbox", "ticket")


def recent(user: Any, mailbox: Mailbox, limit: int = 50) -> list[InboundMail]:
    """Return the mailbox's latest messages ``user`` may see, newest first."""
    return list(messages(user).filter(mailbox=mailbox).order_by("-id")[:limit])


def of_ticket(user: Any, ticket_id: int) -> QuerySet[InboundMail]:
    """Return the messages that opened or followed up on a ticket, oldest first."""
    return messages(user).filter(ticket_id=ticket_id).order_by("id")
