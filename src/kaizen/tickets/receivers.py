"""Reactions to ticket events, run after commit by the outbox: the mail notifications."""

from __future__ import annotations

from typing import Any

from kaizen.core import events

from . import notify
from .choices import StateCategory, Visibility
from .models import Comment, Ticket


def _ticket(payload: dict[str, Any]) -> Ticket | None:
    return (
        Ticket.objects.select_related("requester__user", "assignee__user", "team", "state", "organisation")
        .filter(pk=payload["ticket_id"])
        .first()
    )


@events.handler("ticket.created")
def acknowledge_new_ticket(payload: dict[str, Any]) -> None:
    """Tell the requester their ticket was received, with its number."""
    ticket = _ticket(payload)
    if ticket is not None and ticket.requester is not None:
        notify.send(notify.of_person(ticket.requester), "created", {"ticket": ticket})


@events.handler("ticket.assigned")
def tell_new_assignee(payload: dict[str, Any]) -> None:
    """Mail the new assignee (or the team when nobody is assigned)."""
    ticket = _ticket(payload)
    if ticket is None or not ticket.is_active:
        return
    recipients = (
        notify.of_person(ticket.assignee, staff=True) if ticket.assignee else notify.of_team(ticket.team)
    )
    notify.send(recipients, "assigned", {"ticket": ticket})


@events.handler("ticket.comment_added")
def forward_comment(payload: dict[str, Any]) -> None:
    """Public replies reach the requester and watchers; the requester's replies reach the assignee."""
    ticket = _ticket(payload)
    comment = Comment.objects.select_related("author").filter(pk=payload["comment_id"]).first()
    if ticket is None or comment is None:
        return
    author_email = comment.author.email if comment.author else ""
    watchers = [r for p in ticket.watchers.all() for r in notify.of_person(p)]
    if payload["by_requester"]:
        staff = (
            notify.of_person(ticket.assignee, staff=True) if ticket.assignee else notify.of_team(ticket.team)
        )
        notify.send(
            [*staff, *watchers], "reply", {"ticket": ticket, "comment": comment}, exclude=[author_email]
        )
    elif comment.visibility == Visibility.PUBLIC:
        requester = notify.of_person(ticket.requester, staff=False)
        notify.send(
            [*requester, *watchers], "reply", {"ticket": ticket, "comment": comment}, exclude=[author_email]
        )
    else:
        staff_watchers = [r for r in watchers if r.staff]
        assignee = notify.of_person(ticket.assignee, staff=True)
        notify.send(
            [*assignee, *staff_watchers],
            "note",
            {"ticket": ticket, "comment": comment},
            exclude=[author_email],
        )


@events.handler("ticket.state_changed")
def tell_requester_about_state(payload: dict[str, Any]) -> None:
    """Tell the requester when their ticket is resolved, closed, cancelled or reopened."""
    ticket = _ticket(payload)
    if ticket is None or ticket.requester is None:
        return
    category = payload["to_category"]
    reopened = payload["action"] == "reopen"
    if category in (StateCategory.RESOLVED, StateCategory.CLOSED, StateCategory.CANCELLED) or reopened:
        notify.send(
            notify.of_person(ticket.requester, staff=False), "state", {"ticket": ticket, "reopened": reopened}
        )


@events.handler("ticket.major_declared")
def alert_managers_of_major_incident(payload: dict[str, Any]) -> None:
    """Mail the managers and the team that a major incident was declared."""
    ticket = _ticket(payload)
    if ticket is None:
        return
    notify.send(
        [*notify.managers_of(ticket), *notify.of_team(ticket.team)],
        "major",
        {"ticket": ticket, "reason": payload["reason"]},
    )


@events.handler("ticket.rule_notification")
def send_rule_notification(payload: dict[str, Any]) -> None:
    """Mail whom a business or stale-ticket rule names."""
    ticket = _ticket(payload)
    if ticket is None:
        return
    from kaizen.accounts.models import Team

    recipients = [notify.Recipient(e, "ja", True) for e in payload.get("emails", [])]
    if payload.get("team_id"):
        recipients += notify.of_team(Team.objects.filter(pk=payload["team_id"]).first())
    if payload.get("to_requester"):
        recipients += notify.of_person(ticket.requester, staff=False)
    notify.send(
        recipients,
        "rule",
        {"ticket": ticket, "rule": payload.get("rule", ""), "message": payload.get("message", "")},
    )
