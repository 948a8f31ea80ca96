"""Domain events of approvals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class ApprovalRequested(DomainEvent):
    """An approver's decision is now needed on a ticket."""

    topic: ClassVar[str] = "approval.requested"
    ticket_id: int
    approval_id: int


@dataclass(frozen=True)
class RoundDecided(DomainEvent):
    """A round of approvals was approved, rejected or withdrawn."""

    topic: ClassVar[str] = "approval.round_decided"
    ticket_id: int
    round_id: int
    outcome: str
