"""Workflows as data: the states and transitions of each ticket kind, editable without code."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import READ_ROLES, AccessPolicy, Role
from kaizen.core.models import Record

from ..choices import Kind, StateCategory

ADMINS = frozenset({Role.ADMIN})
REFERENCE = AccessPolicy(
    org_field=None,
    actions={"view": READ_ROLES, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
    shared=True,
)
"""Shared configuration: everyone with a role reads it, administrators change it."""


class Named(models.Model):
    """A Japanese name with an optional English one, shown in the user's language."""

    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label()

    def label(self) -> str:
        """Return the name in the active language."""
        if (translation.get_language() or "ja").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class WorkflowState(Named, Record):
    """A state of one ticket kind. Its category tells queues, clocks and closure what it means."""

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices)
    code = models.SlugField(_("code"), max_length=50)
    category = models.CharField(_("category"), max_length=20, choices=StateCategory.choices)
    is_initial = models.BooleanField(
        _("initial state"), default=False, help_text=_("New tickets of this kind start here.")
    )
    pauses_clock = models.BooleanField(
        _("pauses service level clocks"),
        default=False,
        help_text=_(
            "Time in this state does not count towards service level targets, unless an agreement "
            "chooses its own pause states."
        ),
    )
    responds = models.BooleanField(
        _("counts as the response"),
        default=False,
        help_text=_("Entering this state stops the response clock (work started, waiting, resolved)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    access_policy: ClassVar[AccessPolicy] = REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "order", "code"]
        verbose_name = _("workflow state")
        verbose_name_plural = _("workflow states")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["kind", "code"], name="tickets_state_unique_code"),
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(is_initial=True),
                name="tickets_state_one_initial",
                violation_error_message=_("A ticket kind has exactly one initial state."),
            ),
        ]


class WorkflowTransition(Named, Record):
    """An action that moves a ticket of one kind from any of ``sources`` to ``target``.

    ``roles`` lists who may apply it: platform roles (``agent``, ``manager``, ...) held for the
    ticket's organisation, and the relations ``assignee``, ``requester`` and ``team`` (a member
    of the assigned team). ``system`` alone means only automation applies it. ``guards`` name
    conditions checked in code (a resolution note, the closure policy, ...).
    """

    kind = models.CharField(_("ticket kind"), max_length=20, choices=Kind.choices)
    code = models.SlugField(_("action"), max_length=50, help_text=_("Used in the API: /actions/<code>/."))
    sources = models.ManyToManyField(WorkflowState, related_name="outgoing", verbose_name=_("from states"))
    target = models.ForeignKey(
        WorkflowState, on_delete=models.PROTECT, related_name="incoming", verbose_name=_("to state")
    )
    roles = models.JSONField(_("who may apply it"), default=list, blank=True)
    guards = models.JSONField(_("conditions"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    access_policy: ClassVar[AccessPolicy] = REFERENCE

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "order", "code"]
        verbose_name = _("workflow transition")
        verbose_name_plural = _("workflow transitions")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["kind", "code"], name="tickets_transition_unique_code"),
        ]

    def clean(self) -> None:
        from .. import workflow

        problems = workflow.check_roles(self.roles) + workflow.check_guards(self.guards)
        if problems:
            raise ValidationError({"roles" if "role" in problems[0] else "guards": problems})
        if self.target_id is not None and self.target.kind != self.kind:
            raise ValidationError({"target": _("The state belongs to another ticket kind.")})
