"""Keep the index current: re-read a ticket after each write of it and index what it holds now.

Handlers run after commit through the outbox (at most once per message, re-delivered by the
sweep after a crash), so an index write never slows or breaks a ticket write, and a rolled-back
write indexes nothing. The ticket row is locked while it is read and indexed: two handlers of the
same ticket run one after the other, and the later one reads the later commit, so the index ends
with the latest text even when messages are delivered out of order.
"""

from __future__ import annotations

from typing import Any

from kaizen.core import events

from . import services, sources


def _reindex(payload: dict[str, Any]) -> None:
    services.reindex_record(sources.TICKETS.name, int(payload["ticket_id"]))


@events.handler("ticket.created")
def index_new_ticket(payload: dict[str, Any]) -> None:
    """Index a new ticket."""
    _reindex(payload)


@events.handler("ticket.updated")
def index_changed_ticket(payload: dict[str, Any]) -> None:
    """Index a ticket again after its fields changed (title, description, kind, organisation)."""
    _reindex(payload)


@events.handler("ticket.state_changed")
def index_moved_ticket(payload: dict[str, Any]) -> None:
    """Index a ticket again after a workflow action (a resolution note is searchable)."""
    _reindex(payload)
