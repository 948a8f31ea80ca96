"""Reactions of change enablement to events of the desk: link incidents to recent changes."""

from __future__ import annotations

from typing import Any

from kaizen.core import events
from kaizen.tickets.choices import Kind

from . import services


@events.handler("ticket.created")
def link_new_incident(payload: dict[str, Any]) -> None:
    """An incident on a CI that a change touched shortly before is linked to that change."""
    if payload.get("kind") == Kind.INCIDENT:
        services.link_caused_incidents(int(payload["ticket_id"]))
