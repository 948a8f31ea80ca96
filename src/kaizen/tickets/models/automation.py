"""Configuration of the desk as data: priority matrix, rules, templates, closure, stale tickets, reviews."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record

from ..choices import (
    AssignmentMode,
    CriterionType,
    Impact,
    Kind,
    Priority,
    ReviewOutcome,
    RuleTrigger,
    StaleAction,
    StaleMeasure,
    TimeUnit,
    Urgency,
)
from .ticket import MANAGERS, Category, Ticket
from .workflow import ADMINS, REFERENCE, Named

STAFF_REFERENCE = AccessPolicy(
    org_field=None,
    actions={"view": STAFF_ROLES, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    shared=True,
)
"""Configuration staff read and administrators change."""
MANAGED_REFERENCE = AccessPolicy(
    org_field=None,
    actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    shared=True,
)
"""Configuration service managers maintain (templates, rules, stale rules, criteria)."""


class PriorityRule(Record):
    """One cell of the impact × urgency matrix."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    access_policy: ClassVar[AccessPolicy] = REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["impact", "urgency"]
        verbose_name = _("priority matrix cell")
        verbose_name_plural = _("priority matrix")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="tickets_priority_cell_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.impact} × {self.urgency} → P{self.priority}"


class ClosurePolicy(Record):
    """Who may close resolved tickets of one kind and priority, and when they close by themselves.

    Seed 002: low-priority tickets are closed by the assignee alone; P1/P2 need a manager.
    """

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    roles = models.JSONField(
        _("who may close"), default=list, help_text=_("Roles or relations, e.g. assignee, manager.")
    )
    auto_close = models.BooleanField(
        _("close automatically"),
        default=True,
        help_text=_("Close after the confirmation period when the requester does not answer."),
    )
    confirm_days = models.PositiveSmallIntegerField(_("confirmation period (business days)"), default=3)
    reopen_days = models.PositiveSmallIntegerField(
        _("reopen window after closure (days)"),
        default=7,
        help_text=_("0: closed tickets cannot be reopened."),
    )

    access_policy: ClassVar[AccessPolicy] = STAFF_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "priority"]
        verbose_name = _("closure policy")
        verbose_name_plural = _("closure policies")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["kind", "priority"], name="tickets_closure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} P{self.priority}"

    def clean(self) -> None:
        from .. import workflow

        problems = workflow.check_roles(self.roles)
        if problems:
            raise ValidationError({"roles": problems})


class TeamAssignment(Record):
    """How a team's unassigned tickets get an assignee (round robin or least loaded)."""

    team = models.OneToOneField(
        "accounts.Team", on_delete=models.CASCADE, related_name="assignment", verbose_name=_("team")
    )
    mode = models.CharField(
        _("automatic assignment"), max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.NONE
    )
    last_assigned = models.ForeignKey(
        "accounts.Person", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="team__organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"last_assigned"}

    class Meta:
        ordering: ClassVar[list[str]] = ["team__name", "id"]
        verbose_name = _("team assignment")
        verbose_name_plural = _("team assignment")

    def __str__(self) -> str:
        return f"{self.team}: {self.get_mode_display()}"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.team.organisation_id)


class BusinessRule(Record):
    """If a ticket matches the conditions, apply the actions (set team, priority, tags, notify, ...).

    ``conditions``: ``[{"field": "category", "op": "eq", "value": 3}, ...]``; ``actions``:
    ``[{"action": "set_team", "value": 2}, ...]``. Both are validated by ``policies``. Rules run
    in ``order`` on create and/or update; their own changes never trigger rules again.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("ticket kind"), max_length=20, choices=Kind.choices, blank=True, help_text=_("Empty: every kind.")
    )
    trigger = models.CharField(
        _("runs"), max_length=10, choices=RuleTrigger.choices, default=RuleTrigger.CREATE
    )
    match_all = models.BooleanField(_("all conditions must match"), default=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    stop = models.BooleanField(_("stop here when it fires"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = MANAGED_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "name"]
        verbose_name = _("business rule")
        verbose_name_plural = _("business rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .. import policies

        errors: dict[str, list[str]] = {}
        if problems := policies.check_conditions(self.conditions):
            errors["conditions"] = problems
        if problems := policies.check_actions(self.actions):
            errors["actions"] = problems
        if errors:
            raise ValidationError(errors)


class TicketTemplate(Named, Record):
    """Pre-filled values for a common ticket (seed 002: templates saved hundreds of hours)."""

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices, default=Kind.INCIDENT)
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=10_000)
    category = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, null=True, blank=True)
    tags = models.CharField(_("tags"), max_length=500, blank=True, help_text=_("Separated by commas."))
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = MANAGED_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name"]
        verbose_name = _("ticket template")
        verbose_name_plural = _("ticket templates")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["kind", "name"], name="tickets_template_unique_name"),
        ]


class StaleRule(Record):
    """A rule for tickets nobody moves: after a time, remind, notify, escalate or act.

    Example: pending on the customer with no reply for 5 business days → remind; after 10 →
    close with a notice. Each rule acts once per ticket until the measured moment changes.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(
        _("ticket kind"), max_length=20, choices=Kind.choices, blank=True, help_text=_("Empty: every kind.")
    )
    states = models.JSONField(
        _("in states"), default=list, blank=True, help_text=_("State codes; empty: every active state.")
    )
    unassigned_only = models.BooleanField(_("only tickets without an assignee"), default=False)
    measure = models.CharField(
        _("measured from"), max_length=30, choices=StaleMeasure.choices, default=StaleMeasure.LAST_UPDATE
    )
    after = models.PositiveIntegerField(_("after"))
    unit = models.CharField(
        _("unit"), max_length=20, choices=TimeUnit.choices, default=TimeUnit.BUSINESS_DAYS
    )
    action = models.CharField(_("action"), max_length=20, choices=StaleAction.choices)
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate to team"),
    )
    transition = models.SlugField(
        _("workflow action"), max_length=50, blank=True, help_text=_("For the workflow action, e.g. close.")
    )
    message = models.TextField(
        _("message"), blank=True, max_length=5000, help_text=_("Text of the reminder or notice.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = MANAGED_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["order", "name"]
        verbose_name = _("stale ticket rule")
        verbose_name_plural = _("stale ticket rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.after is not None and not 1 <= self.after <= 100_000:
            raise ValidationError({"after": _("Give a number between 1 and 100000.")})
        if not isinstance(self.states, list) or not all(
            isinstance(s, str) and len(s) <= 50 for s in self.states
        ):
            raise ValidationError({"states": _("Give a list of state codes.")})
        if self.action == StaleAction.ESCALATE and self.team_id is None:
            raise ValidationError({"team": _("Choose the team to escalate to.")})
        if self.action == StaleAction.TRANSITION and not self.transition:
            raise ValidationError({"transition": _("Name the workflow action to apply.")})
        if self.action in (StaleAction.REMIND, StaleAction.TRANSITION) and not self.message.strip():
            raise ValidationError({"message": _("Write the text the requester receives.")})


class StaleMark(models.Model):
    """Records that a stale rule acted on a ticket for one measured moment (acts once)."""

    rule = models.ForeignKey(StaleRule, on_delete=models.CASCADE, related_name="marks")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="stale_marks")
    basis = models.DateTimeField()
    acted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["rule", "ticket", "basis"], name="tickets_stale_mark_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} → {self.ticket_id}"


class ReviewCriterion(Record):
    """An explicit criterion that sends a resolved incident to the improvement review (seed 003)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    type = models.CharField(_("criterion"), max_length=20, choices=CriterionType.choices)
    priorities = models.JSONField(
        _("priorities"), default=list, blank=True, help_text=_("For example [1, 2].")
    )
    causes = models.JSONField(_("cause classes"), default=list, blank=True)
    count = models.PositiveSmallIntegerField(
        _("incidents"), default=3, help_text=_("For repeats: this many incidents, this one included…")
    )
    days = models.PositiveSmallIntegerField(_("within days"), default=30)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = MANAGED_REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("improvement criterion")
        verbose_name_plural = _("improvement criteria")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from ..choices import CauseClass

        if not isinstance(self.priorities, list) or not all(p in Priority.values for p in self.priorities):
            raise ValidationError({"priorities": _("Give a list of priorities between 1 and 4.")})
        if not isinstance(self.causes, list) or not all(c in CauseClass.values for c in self.causes):
            raise ValidationError({"causes": _("Give a list of known cause classes.")})
        if self.type == CriterionType.PRIORITY and not self.priorities:
            raise ValidationError({"priorities": _("Choose at least one priority.")})
        if self.type == CriterionType.CAUSE and not self.causes:
            raise ValidationError({"causes": _("Choose at least one cause class.")})
        if self.type in (CriterionType.REPEAT_CI, CriterionType.REPEAT_SERVICE) and (
            not 2 <= self.count <= 1000 or not 1 <= self.days <= 3650
        ):
            raise ValidationError(_("Repeats need 2 to 1000 incidents within 1 to 3650 days."))


class ReviewDecision(Record):
    """The decision recorded for an incident flagged for the improvement review."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="review_decisions", verbose_name=_("incident")
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=ReviewOutcome.choices)
    problem = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("problem")
    )
    improvement = models.ForeignKey(
        "improvement.ImprovementItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("improvement"),
    )
    reason = models.TextField(_("reason"), blank=True, max_length=5000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="ticket__organisation",
        actions={"view": STAFF_ROLES, "add": MANAGERS | {Role.AGENT}, "change": ADMINS, "delete": ADMINS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")

    def __str__(self) -> str:
        return f"{self.ticket.number}: {self.get_outcome_display()}"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.ticket.organisation_id)
