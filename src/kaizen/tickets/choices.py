"""Choices of the ticket core (incidents, service requests, problems, changes), with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """The work-item types sharing the ticket core; each has its own numbers and workflow."""

    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")


PREFIX = {Kind.INCIDENT: "INC", Kind.REQUEST: "REQ", Kind.PROBLEM: "PRB", Kind.CHANGE: "CHG"}
"""Human number prefix per kind (``INC-000123``)."""


class Channel(models.TextChoices):
    """Where a ticket came from (seed 002: one intake window for every channel)."""

    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("Email")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat")


class StateCategory(models.TextChoices):
    """What a workflow state means to the rest of the system (queues, clocks, closure)."""

    NEW = "new", _("New")
    APPROVAL = "approval", _("Awaiting approval")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


ACTIVE_CATEGORIES = frozenset(
    {StateCategory.NEW, StateCategory.APPROVAL, StateCategory.OPEN, StateCategory.PENDING}
)
"""Categories of tickets someone still has to work on."""
FINAL_CATEGORIES = frozenset({StateCategory.CLOSED, StateCategory.CANCELLED})


class Level(models.IntegerChoices):
    """Impact and urgency levels (1 is the highest)."""

    ONE = 1, "1"
    TWO = 2, "2"
    THREE = 3, "3"
    FOUR = 4, "4"


class Impact(models.IntegerChoices):
    """How widely a ticket's subject affects the business."""

    EXTENSIVE = 1, _("1 - Extensive (many customers or services)")
    SIGNIFICANT = 2, _("2 - Significant (several customers or services)")
    MODERATE = 3, _("3 - Moderate (one service)")
    MINOR = 4, _("4 - Minor (one user or no service)")


class Urgency(models.IntegerChoices):
    """How quickly the business needs a resolution."""

    CRITICAL = 1, _("1 - Critical (work has stopped)")
    HIGH = 2, _("2 - High")
    MEDIUM = 3, _("3 - Medium")
    LOW = 4, _("4 - Low (can wait)")


class Priority(models.IntegerChoices):
    """Priority from the impact × urgency matrix."""

    P1 = 1, _("P1 - Critical")
    P2 = 2, _("P2 - High")
    P3 = 3, _("P3 - Moderate")
    P4 = 4, _("P4 - Low")


class CauseClass(models.TextChoices):
    """Cause classes of resolved incidents: the KPI taxonomy of seed 002."""

    OPERATION = "operation", _("Operation mistake")
    CONFIGURATION = "configuration", _("Configuration or setting mistake")
    DESIGN = "design", _("Design mistake")
    PROGRAM = "program", _("Program bug")
    PLANNING = "planning", _("Planning or coordination miss")
    HARDWARE = "hardware", _("Hardware failure")
    MIDDLEWARE = "middleware", _("OS or middleware fault")
    EXTERNAL_PARTY = "external_party", _("External party")
    ENVIRONMENT = "environment", _("External or environmental")
    UNKNOWN = "unknown", _("Unknown")


HUMAN_OR_DESIGN = frozenset(
    {CauseClass.OPERATION, CauseClass.CONFIGURATION, CauseClass.DESIGN, CauseClass.PLANNING}
)


class Visibility(models.TextChoices):
    """Who may read a comment: public replies reach the requester, work notes stay with staff."""

    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal work note")


class LinkKind(models.TextChoices):
    """How two tickets relate (read from the ticket that holds the link)."""

    RELATES = "relates", _("relates to")
    DUPLICATES = "duplicates", _("duplicates")
    CAUSED_BY = "caused_by", _("is caused by")
    PART_OF = "part_of", _("is part of")
    FIXED_BY = "fixed_by", _("is fixed by")


class ReviewStatus(models.TextChoices):
    """Whether a resolved incident waits for an improvement decision (seed 003)."""

    NONE = "", _("Not needed")
    PENDING = "pending", _("Decision needed")
    DECIDED = "decided", _("Decided")


class ReviewOutcome(models.TextChoices):
    """The decision recorded for an incident flagged for review."""

    PROBLEM = "problem", _("Problem created or linked")
    IMPROVEMENT = "improvement", _("Added to the improvement register")
    DISMISSED = "dismissed", _("Dismissed with a reason")


class CriterionType(models.TextChoices):
    """Kinds of explicit improvement criteria."""

    PRIORITY = "priority", _("Priority is one of")
    SLA_BREACHED = "sla_breached", _("A service level target was missed")
    CAUSE = "cause", _("Cause class is one of")
    REPEAT_CI = "repeat_ci", _("The same CI had repeated incidents")
    REPEAT_SERVICE = "repeat_service", _("The same service had repeated incidents")
    MAJOR = "major", _("Major incident")


class AssignmentMode(models.TextChoices):
    """How tickets given to a team without a person get an assignee."""

    NONE = "none", _("Nobody (the team picks)")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded (fewest open tickets)")


class StaleMeasure(models.TextChoices):
    """What a stale-ticket rule measures its time from."""

    LAST_UPDATE = "last_update", _("Last update of the ticket")
    LAST_REQUESTER_REPLY = "last_requester_reply", _("Last reply from the requester")
    STATE_ENTERED = "state_entered", _("Entering the current state")
    CREATED = "created", _("Creation")


class TimeUnit(models.TextChoices):
    """Units of rule thresholds."""

    MINUTES = "minutes", _("minutes")
    HOURS = "hours", _("hours")
    BUSINESS_DAYS = "business_days", _("business days")
    DAYS = "days", _("calendar days")


class StaleAction(models.TextChoices):
    """What a stale-ticket rule does."""

    REMIND = "remind", _("Remind the requester (public reply and email)")
    NOTIFY = "notify", _("Notify the assignee or team")
    ESCALATE = "escalate", _("Escalate to another team")
    TRANSITION = "transition", _("Apply a workflow action (e.g. close with a notice)")


class RuleTrigger(models.TextChoices):
    """When a business rule runs."""

    CREATE = "create", _("On create")
    UPDATE = "update", _("On update")
    BOTH = "both", _("On create and update")
