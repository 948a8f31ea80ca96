"""Reactions of problem management (after commit, through the outbox): movement and reminder mail.

A problem "moves" when its state changes, its fields change or a person writes on it; the
moment recorded is when the event was written, so a late delivery does not make a problem look
fresher than it is. Automatic notes (reminders, rules) are not movement.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kaizen.core import events
from kaizen.core.models import OutboxMessage
from kaizen.tickets import notify
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Comment, Ticket

from . import services


def _other_kind(payload: dict[str, Any]) -> bool:
    """Tell whether the event is about a ticket that is not a problem (older events carry no kind)."""
    return payload.get("kind", Kind.PROBLEM) != Kind.PROBLEM


def _moment(payload: dict[str, Any]) -> Any:
    return (
        OutboxMessage.objects.filter(pk=int(payload.get("_message_id") or 0))
        .values_list("created_at", flat=True)
        .first()
    )


@events.handler("ticket.created")
def record_problem_details(payload: dict[str, Any]) -> None:
    """Give every new problem ticket its (empty) details row, whoever recorded it."""
    if payload.get("kind") == Kind.PROBLEM and Ticket.objects.filter(pk=payload["ticket_id"]).exists():
        services.ensure_record(payload["ticket_id"])


@events.handler("ticket.state_changed")
def problem_state_changed(payload: dict[str, Any]) -> None:
    """A state change moves a problem."""
    if _other_kind(payload):
        return
    services.note_movement(payload["ticket_id"], at=_moment(payload))


@events.handler("ticket.updated")
def problem_fields_changed(payload: dict[str, Any]) -> None:
    """An edit of the ticket's fields moves a problem."""
    if _other_kind(payload):
        return
    services.note_movement(payload["ticket_id"], at=_moment(payload))


@events.handler("ticket.comment_added")
def problem_commented(payload: dict[str, Any]) -> None:
    """A reply or work note written by a person moves a problem (automatic notes do not)."""
    if Comment.objects.filter(
        pk=payload["comment_id"], author__isnull=False, ticket__kind=Kind.PROBLEM
    ).exists():
        services.note_movement(payload["ticket_id"], at=_moment(payload))


@events.handler("problem.reminder_due")
def mail_reminder(payload: dict[str, Any]) -> None:
    """Mail the owner of a problem that has not moved (the assignee or the team without an owner)."""
    ticket = (
        Ticket.objects.select_related(
            "assignee__user", "team", "state", "organisation", "problem_record__owner__user"
        )
        .filter(pk=payload["ticket_id"])
        .first()
    )
    if ticket is None:
        return
    record = getattr(ticket, "problem_record", None)
    owner = record.owner if record is not None else None
    if owner is not None:
        recipients = notify.of_person(owner, staff=True)
    elif ticket.assignee is not None:
        recipients = notify.of_person(ticket.assignee, staff=True)
    else:
        recipients = notify.of_team(ticket.team)
    notify.send(
        recipients,
        "problem_reminder",
        {
            "ticket": ticket,
            "record": record,
            "days": payload["days"],
            "since": dt.datetime.fromisoformat(payload["last_moved_at"]),
        },
    )
