"""Domain events of service requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class ApprovalRequested(DomainEvent):
    """An approver's decision is now needed on a request."""

    topic: ClassVar[str] = "request.approval_requested"
    ticket_id: int
    approval_id: int
