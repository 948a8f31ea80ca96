"""Domain events of problem management (delivered after commit through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from kaizen.core.events import DomainEvent


@dataclass(frozen=True)
class ProblemDetailsChanged(DomainEvent):
    """The owner, root cause, workaround or debt-list data of a problem changed (names only)."""

    topic: ClassVar[str] = "problem.details_changed"
    ticket_id: int
    number: str
    fields: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class KnownErrorPublished(DomainEvent):
    """A known error was published: agents now get it suggested on matching incidents."""

    topic: ClassVar[str] = "problem.known_error_published"
    known_error_id: int
    number: str
    problem_id: int | None


@dataclass(frozen=True)
class ProblemReminderDue(DomainEvent):
    """A problem has not moved for the configured time; its owner is mailed."""

    topic: ClassVar[str] = "problem.reminder_due"
    ticket_id: int
    number: str
    days: int
    last_moved_at: str
    owner_id: int | None
