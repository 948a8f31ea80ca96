"""Domain events of the ticket core (delivered after commit through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    """A ticket was recorded."""

    topic: ClassVar[str] = "ticket.created"
    ticket_id: int
    number: str
    kind: str


@dataclass(frozen=True)
class TicketAssigned(DomainEvent):
    """A ticket got a new assignee or team."""

    topic: ClassVar[str] = "ticket.assigned"
    ticket_id: int
    number: str
    assignee_id: int | None
    team_id: int | None


@dataclass(frozen=True)
class TicketStateChanged(DomainEvent):
    """A workflow action moved a ticket to another state."""

    topic: ClassVar[str] = "ticket.state_changed"
    ticket_id: int
    number: str
    action: str
    from_state: str
    to_state: str
    to_category: str
    automatic: bool = False
    kind: str = ""
    """The ticket's kind, so subscribers of one kind skip the others without a query."""


@dataclass(frozen=True)
class TicketUpdated(DomainEvent):
    """Fields of a ticket changed (names only; values are in the audit trail)."""

    topic: ClassVar[str] = "ticket.updated"
    ticket_id: int
    number: str
    fields: list[str] = field(default_factory=list)
    kind: str = ""


@dataclass(frozen=True)
class CommentAdded(DomainEvent):
    """A public reply or a work note was added to a ticket."""

    topic: ClassVar[str] = "ticket.comment_added"
    ticket_id: int
    number: str
    comment_id: int
    visibility: str
    by_requester: bool


@dataclass(frozen=True)
class MajorIncidentDeclared(DomainEvent):
    """An incident was declared a major incident (managers are notified)."""

    topic: ClassVar[str] = "ticket.major_declared"
    ticket_id: int
    number: str
    reason: str


@dataclass(frozen=True)
class RuleNotification(DomainEvent):
    """A business or stale-ticket rule asked to notify people about a ticket."""

    topic: ClassVar[str] = "ticket.rule_notification"
    ticket_id: int
    number: str
    rule: str
    emails: list[str] = field(default_factory=list)
    team_id: int | None = None
    message: str = ""
    to_requester: bool = False
