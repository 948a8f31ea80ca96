"""Reads of email intake for the pages and the API; always from what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import InboundMail, Mailbox


def mailboxes(user: Any) -> QuerySet[Mailbox]:
    """Return the mailboxes ``user`` may see."""
    return Mailbox.objects.visible_to(user).select_related("organisation")


def messages(user: Any) -> QuerySet[InboundMail]:
    """Return the received messages of the mailboxes ``user`` may see (without their raw bytes)."""
    return (
        InboundMail.objects.filter(mailbox__in=Mailbox.objects.visible_to(user).values("pk"))
        .defer("raw")
        .select_related("mailbox", "ticket")
    )


def recent(mailbox: Mailbox, limit: int = 50) -> list[InboundMail]:
    """Return the mailbox's latest messages, newest first."""
    return list(InboundMail.objects.filter(mailbox=mailbox).defer("raw").select_related("ticket")[:limit])


def of_ticket(user: Any, ticket_id: int) -> QuerySet[InboundMail]:
    """Return the messages that opened or followed up on a ticket, oldest first."""
    return messages(user).filter(ticket_id=ticket_id).order_by("id")
