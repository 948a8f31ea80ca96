"""Outbox handler of the webhooks domain: every domain event, filtered by each endpoint's topics."""

from __future__ import annotations

from typing import Any

from kaizen.core import events

from . import services


@events.handler("*")
def queue_webhooks(payload: dict[str, Any]) -> None:
    """Create and queue the deliveries of one event (idempotent per outbox message)."""
    services.queue_event(payload)
