"""Models of the ticket core (split by aggregate; import from here)."""

from .automation import (
    BusinessRule,
    ClosurePolicy,
    PriorityRule,
    ReviewCriterion,
    ReviewDecision,
    StaleMark,
    StaleRule,
    TeamAssignment,
    TicketTemplate,
)
from .history import StateLog
from .ticket import Attachment, Category, Comment, SavedView, Tag, Ticket, TicketLink, normalise_tag
from .workflow import WorkflowState, WorkflowTransition

__all__ = [
    "Attachment",
    "BusinessRule",
    "Category",
    "ClosurePolicy",
    "Comment",
    "PriorityRule",
    "ReviewCriterion",
    "ReviewDecision",
    "SavedView",
    "StaleMark",
    "StaleRule",
    "StateLog",
    "Tag",
    "TeamAssignment",
    "Ticket",
    "TicketLink",
    "TicketTemplate",
    "WorkflowState",
    "WorkflowTransition",
    "normalise_tag",
]
