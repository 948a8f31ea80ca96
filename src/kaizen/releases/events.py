"""Domain events of release management (delivered after commit through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class ReleaseCreated(DomainEvent):
    """A release was recorded."""

    topic: ClassVar[str] = "release.created"
    release_id: int
    number: str


@dataclass(frozen=True)
class ReleaseStateChanged(DomainEvent):
    """A release was approved, sent back to planning, put live, rolled back or cancelled."""

    topic: ClassVar[str] = "release.state_changed"
    release_id: int
    number: str
    action: str
    from_state: str
    to_state: str
