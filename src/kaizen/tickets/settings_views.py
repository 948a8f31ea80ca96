"""Pages that configure the desk without code: workflows, matrix, closure, rules, templates,
stale-ticket rules, improvement criteria, categories and team assignment.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from kaizen.cmdb.forms import JSONSchemaField
from kaizen.core import access
from kaizen.core.access import Role
from kaizen.core.forms import RecordForm
from kaizen.core.ui.registry import ModelUI

from . import services, workflow
from .models import (
    BusinessRule,
    Category,
    ClosurePolicy,
    PriorityRule,
    ReviewCriterion,
    StaleRule,
    TeamAssignment,
    TicketTemplate,
    WorkflowState,
    WorkflowTransition,
)


def _json(label: Any, help_text: Any) -> JSONSchemaField:
    field = JSONSchemaField(label=label, required=False, max_length=50_000, help_text=help_text)
    field.widget = forms.Textarea(attrs={"rows": 6, "class": "mono"})
    return field


def _form(model_: Any, field_names: list[str], **json_fields: Any) -> type[RecordForm]:
    attrs: dict[str, Any] = dict(json_fields)
    attrs["Meta"] = type("Meta", (), {"model": model_, "fields": field_names})
    return type(f"{model_.__name__}Form", (RecordForm,), attrs)


ROLE_HELP = _(
    "JSON list. Platform roles: agent, manager, admin, change_manager, cab_member, auditor, requester; "
    "relations: assignee, requester, team, system."
)

StateForm = _form(
    WorkflowState,
    ["kind", "code", "name", "name_en", "category", "is_initial", "pauses_clock", "responds", "order"],
)


class TransitionForm(RecordForm):
    """A transition with its source states, roles and conditions."""

    roles = _json(_("Who may apply it"), ROLE_HELP)
    guards = _json(_("Conditions"), "")

    class Meta:
        model = WorkflowTransition
        fields = [
            "kind",
            "code",
            "name",
            "name_en",
            "sources",
            "target",
            "roles",
            "guards",
            "order",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = ", ".join(f"{code} ({guard.label})" for code, guard in sorted(workflow.GUARDS.items()))
        self.fields["guards"].help_text = _("JSON list of conditions: %(names)s") % {"names": names}

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        return {"data": data, "sources": list(self.cleaned_data.get("sources") or [])}


MatrixForm = _form(PriorityRule, ["impact", "urgency", "priority"])
ClosureForm = _form(
    ClosurePolicy,
    ["kind", "priority", "roles", "auto_close", "confirm_days", "reopen_days"],
    roles=_json(_("Who may close"), ROLE_HELP),
)
RuleForm = _form(
    BusinessRule,
    ["name", "kind", "trigger", "match_all", "conditions", "actions", "order", "stop", "is_active"],
    conditions=_json(
        _("Conditions"),
        _(
            'JSON list, e.g. [{"field": "category", "op": "eq", "value": 3}, '
            '{"field": "title", "op": "contains", "value": "VPN"}]. '
            "Fields: kind, title, description, organisation, requester, service, category, channel, state, "
            "priority, impact, "
            "urgency, team, assignee, tags, major, ci_types. Operators: eq, ne, in, not_in, contains, "
            "not_contains, gte, lte, empty, not_empty."
        ),
    ),
    actions=_json(
        _("Actions"),
        _(
            'JSON list, e.g. [{"action": "set_team", "value": 2}, {"action": "add_tags", "value": ["vpn"]}, '
            '{"action": "escalate", "value": {"team": 3, "note": "2nd line"}}, '
            '{"action": "notify", "value": {"emails": ["noc@example.jp"]}}]. '
            "Actions: set_team, set_assignee, set_category, set_priority, set_urgency, set_impact, add_tags, "
            "notify, escalate, declare_major."
        ),
    ),
)
TemplateForm = _form(
    TicketTemplate,
    [
        "name",
        "name_en",
        "kind",
        "title",
        "description",
        "category",
        "service",
        "team",
        "impact",
        "urgency",
        "tags",
        "is_active",
    ],
)
StaleForm = _form(
    StaleRule,
    [
        "name",
        "kind",
        "states",
        "unassigned_only",
        "measure",
        "after",
        "unit",
        "action",
        "team",
        "transition",
        "message",
        "order",
        "is_active",
    ],
    states=_json(
        _("In states"), _('JSON list of state codes, e.g. ["pending_customer"]; empty: every open state.')
    ),
)
CriterionForm = _form(
    ReviewCriterion,
    ["name", "type", "priorities", "causes", "count", "days", "is_active"],
    priorities=_json(_("Priorities"), _("JSON list, e.g. [1, 2].")),
    causes=_json(_("Cause classes"), _('JSON list, e.g. ["operation", "design"].')),
)
CategoryForm = _form(Category, ["kind", "name", "name_en", "parent", "is_active"])
AssignmentForm = _form(TeamAssignment, ["team", "mode"])


def _ui(model_: Any, slug_: str, form: Any, cols: tuple[str, ...], **extra: Any) -> type[ModelUI]:
    create, update, delete = services.configuration_services(model_)
    attrs = {
        "model": model_,
        "slug": slug_,
        "namespace": "tickets",
        "form_class": form,
        "columns": cols,
        "detail_fields": extra.pop("detail", cols),
        "create_service": staticmethod(create),
        "update_service": staticmethod(update),
        "delete_service": staticmethod(delete),
        **extra,
    }
    return type(f"{model_.__name__}UI", (ModelUI,), attrs)


class TransitionUI(ModelUI):
    """Pages of workflow transitions (with their source states)."""

    model = WorkflowTransition
    slug = "workflow-transitions"
    namespace = "tickets"
    form_class = TransitionForm
    columns = ("__str__", "kind", "code", "target", "roles", "guards", "is_active")
    detail_fields = (
        "kind",
        "code",
        "name",
        "name_en",
        "sources",
        "target",
        "roles",
        "guards",
        "order",
        "is_active",
    )
    prefetch_related = ("sources",)
    select_related = ("target",)
    create_service = staticmethod(
        lambda *, actor, data, sources=(): services.save_transition(actor=actor, data=data, sources=sources)
    )
    update_service = staticmethod(
        lambda pk, *, actor, changes, version, sources=(): services.save_transition(
            actor=actor, data=changes, sources=sources, pk=pk, version=version
        )
    )
    delete_service = staticmethod(services.configuration_services(WorkflowTransition)[2])


StateUI = _ui(
    WorkflowState,
    "workflow-states",
    StateForm,
    ("__str__", "kind", "code", "category", "is_initial", "pauses_clock", "responds", "order"),
)
MatrixUI = _ui(PriorityRule, "priority-matrix", MatrixForm, ("__str__", "impact", "urgency", "priority"))
ClosureUI = _ui(
    ClosurePolicy,
    "closure-policies",
    ClosureForm,
    ("__str__", "roles", "auto_close", "confirm_days", "reopen_days"),
)
RuleUI = _ui(
    BusinessRule,
    "business-rules",
    RuleForm,
    ("name", "kind", "trigger", "order", "stop", "is_active"),
    detail=("name", "kind", "trigger", "match_all", "conditions", "actions", "order", "stop", "is_active"),
)
TemplateUI = _ui(
    TicketTemplate,
    "ticket-templates",
    TemplateForm,
    ("__str__", "kind", "title", "team", "is_active"),
    detail=(
        "name",
        "name_en",
        "kind",
        "title",
        "description",
        "category",
        "service",
        "team",
        "impact",
        "urgency",
        "tags",
        "is_active",
    ),
)
StaleUI = _ui(
    StaleRule,
    "stale-rules",
    StaleForm,
    ("name", "kind", "states", "after", "unit", "action", "is_active"),
    detail=(
        "name",
        "kind",
        "states",
        "unassigned_only",
        "measure",
        "after",
        "unit",
        "action",
        "team",
        "transition",
        "message",
        "order",
        "is_active",
    ),
)
CriterionUI = _ui(
    ReviewCriterion,
    "review-criteria",
    CriterionForm,
    ("name", "type", "priorities", "causes", "count", "days", "is_active"),
)
CategoryUI = _ui(Category, "categories", CategoryForm, ("__str__", "kind", "is_active"))
AssignmentUI = _ui(
    TeamAssignment, "team-assignment", AssignmentForm, ("__str__", "team", "mode"), select_related=("team",)
)

SETTINGS_PAGES: list[tuple[type[ModelUI], Any]] = [
    (StateUI, _("Workflow states")),
    (TransitionUI, _("Workflow transitions")),
    (MatrixUI, _("Priority matrix")),
    (ClosureUI, _("Closure policies")),
    (RuleUI, _("Business rules")),
    (TemplateUI, _("Ticket templates")),
    (StaleUI, _("Stale ticket rules")),
    (CriterionUI, _("Improvement criteria")),
    (CategoryUI, _("Categories")),
    (AssignmentUI, _("Automatic assignment")),
]


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The hub of the desk's configuration pages."""
    if not access.has_any_role(request.user, access.STAFF_ROLES):
        raise PermissionDenied
    can_admin = access.has_any_role(request.user, [Role.ADMIN])
    return render(
        request,
        "tickets/settings.html",
        {"pages": [(ui.url_name("list"), label) for ui, label in SETTINGS_PAGES], "can_admin": can_admin},
    )
