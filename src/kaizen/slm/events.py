"""Domain events of service level management (delivered after commit through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class AgreementChanged(DomainEvent):
    """Another agreement (or none) applies to a ticket from now on."""

    topic: ClassVar[str] = "sla.agreement_changed"
    ticket_id: int
    kind: str
    agreement_id: int | None
    previous_id: int | None


@dataclass(frozen=True)
class ClockWarning(DomainEvent):
    """A ticket's clock reached a warning threshold or its target (level 100)."""

    topic: ClassVar[str] = "sla.warning"
    ticket_id: int
    number: str
    agreement_id: int
    metric: str
    level: int
    due: str
    actions: tuple[str, ...]
