"""The shipped change workflow (registered with the ticket core) and the conditions it names.

Normal: draft → assessment → awaiting approval (CAB) → scheduled → implementing → review → closed.
Standard: draft → scheduled directly from a pre-approved template (no CAB).
Emergency: draft → awaiting approval (ECAB, any one member) → scheduled → implementing; the plans
may be completed afterwards, but the change closes only with its documentation and the
retrospective review (seed 000: a slow approval delayed an emergency security patch).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.tickets.choices import Kind, StateCategory
from kaizen.tickets.models import Ticket
from kaizen.tickets.workflow import GuardResult, guard, register_defaults

from . import policies
from .choices import ChangeType, WindowKind
from .models import Change

S = StateCategory
WORKERS = ["agent", "manager", "change_manager", "admin"]

# (code, name, name_en, category, initial, pauses clock)
CHANGE_STATES = [
    ("new", "起票", "Draft", S.NEW, True, False),
    ("assessment", "評価中", "Assessment", S.OPEN, False, False),
    ("awaiting_approval", "承認待ち", "Awaiting approval", S.APPROVAL, False, False),
    ("scheduled", "実施予定", "Scheduled", S.OPEN, False, False),
    ("implementing", "実施中", "Implementing", S.OPEN, False, False),
    ("review", "実施後レビュー", "Post-implementation review", S.RESOLVED, False, False),
    ("closed", "完了", "Closed", S.CLOSED, False, False),
    ("rejected", "却下", "Rejected", S.CANCELLED, False, False),
    ("cancelled", "取消", "Cancelled", S.CANCELLED, False, False),
]
OPEN_CHANGE = ["new", "assessment", "awaiting_approval", "scheduled"]
# (code, name, name_en, sources, target, roles, guards)
CHANGE_TRANSITIONS = [
    ("assess", "評価開始", "Start assessment", ["new"], "assessment", WORKERS, []),
    (
        "submit",
        "承認申請",
        "Submit for approval",
        ["new", "assessment"],
        "awaiting_approval",
        WORKERS,
        ["change_ready", "change_window", "change_schedule", "change_board"],
    ),
    ("approve", "承認", "Approve", ["awaiting_approval"], "scheduled", ["system"], []),
    ("reject", "却下", "Reject", ["awaiting_approval"], "rejected", ["system"], []),
    (
        "schedule",
        "実施予定に登録",
        "Schedule (standard change)",
        ["new"],
        "scheduled",
        WORKERS,
        ["change_standard", "change_window", "change_schedule"],
    ),
    (
        "rework",
        "差し戻し",
        "Send back for rework",
        ["awaiting_approval", "scheduled"],
        "assessment",
        WORKERS,
        ["comment"],
    ),
    ("implement", "実施開始", "Start implementation", ["scheduled"], "implementing", WORKERS, []),
    ("complete", "実施完了", "Implementation finished", ["implementing"], "review", WORKERS, []),
    ("back_out", "切り戻し", "Backed out", ["implementing"], "review", WORKERS, ["comment"]),
    (
        "close",
        "完了",
        "Close",
        ["review"],
        "closed",
        WORKERS,
        ["change_reviewed", "change_documented"],
    ),
    ("cancel", "取消", "Cancel", OPEN_CHANGE, "cancelled", [*WORKERS, "requester"], ["comment"]),
]

register_defaults(Kind.CHANGE, CHANGE_STATES, CHANGE_TRANSITIONS, responding={"assessment", "scheduled"})


def change_of(ticket: Ticket) -> Change | None:
    """Return the change record of a change ticket (cached on the ticket)."""
    try:
        return ticket.change
    except Change.DoesNotExist:
        return None


PLAN_FIELDS = ("implementation_plan", "backout_plan", "test_plan", "communication_plan")


def missing_documentation(change: Change, *, emergency_minimum: bool = False) -> GuardResult:
    """Return what a change still lacks before approval (emergencies: the reason and how)."""
    out: GuardResult = []
    if not change.reason.strip():
        out.append(("reason", _("Say why the change is needed.")))
    fields = ("implementation_plan",) if emergency_minimum else PLAN_FIELDS
    labels = {
        "implementation_plan": _("Write the implementation plan."),
        "backout_plan": _("Write the back-out plan."),
        "test_plan": _("Write the test plan."),
        "communication_plan": _("Write the communication plan: who is told, when and how."),
    }
    out.extend((f, labels[f]) for f in fields if not getattr(change, f).strip())
    if not emergency_minimum and not change.risk_level:
        out.append(("risk_answers", _("Answer the risk questionnaire.")))
    return out


@guard("change_ready", gettext_lazy("The change is documented for its approvers"))
def _ready(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    change = change_of(ticket)
    if change is None:
        return [(None, _("This ticket has no change record."))]
    if change.change_type == ChangeType.STANDARD:
        return [(None, _("Standard changes are pre-approved: schedule them instead."))]
    return missing_documentation(change, emergency_minimum=change.change_type == ChangeType.EMERGENCY)


@guard("change_standard", gettext_lazy("The change comes from an active standard template"))
def _standard(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    change = change_of(ticket)
    if change is None or change.change_type != ChangeType.STANDARD:
        return [(None, _("Only standard changes are scheduled without approval."))]
    template = change.template
    if template is None or not template.is_active:
        return [("template", _("The standard change template no longer exists or was withdrawn."))]
    if change.planned_start and change.planned_end:
        minutes = (change.planned_end - change.planned_start).total_seconds() / 60
        if minutes > template.max_duration_minutes:
            return [
                (
                    "planned_end",
                    _("This template allows at most %(n)s minutes; raise a normal change for longer work.")
                    % {"n": template.max_duration_minutes},
                )
            ]
    return []


@guard("change_window", gettext_lazy("The change has a planned window"))
def _window(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    change = change_of(ticket)
    if change is None:
        return [(None, _("This ticket has no change record."))]
    if change.planned_start is None or change.planned_end is None:
        return [("planned_start", _("Plan the window (start and end) first."))]
    return list(policies.check_window(change.planned_start, change.planned_end).items())


@guard(
    "change_schedule", gettext_lazy("Conflicts and freeze windows are resolved or overridden with a reason")
)
def _schedule(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    from .schedule import warnings_for

    change = change_of(ticket)
    if change is None or change.planned_start is None or change.planned_end is None:
        return []
    found = warnings_for(change)
    if not found:
        return []
    reason = str(params.get("override_reason") or "").strip()
    blocking = [
        w for w in found if w.kind == WindowKind.BLACKOUT and change.change_type != ChangeType.EMERGENCY
    ]
    if blocking:
        return [("planned_start", w.message) for w in blocking]
    if reason:
        return []
    out: GuardResult = [("planned_start", w.message) for w in found]
    out.append(("override_reason", _("Move the window, or give the reason for going ahead anyway.")))
    return out


@guard("change_board", gettext_lazy("An approval board with members decides this type of change"))
def _board(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    from .schedule import board_for

    change = change_of(ticket)
    if change is None:
        return [(None, _("This ticket has no change record."))]
    board = board_for(change.change_type)
    if board is None or not board.members.filter(is_active=True).exists():
        return [
            (
                None,
                _("No active approval board with members decides %(type)s changes.")
                % {"type": change.get_change_type_display()},
            )
        ]
    return []


@guard("change_reviewed", gettext_lazy("The post-implementation review is recorded"))
def _reviewed(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    change = change_of(ticket)
    if change is None or not change.outcome:
        return [("outcome", _("Record the post-implementation review (outcome and notes) first."))]
    return []


@guard(
    "change_documented", gettext_lazy("The change's documentation is complete (emergencies: retrospectively)")
)
def _documented(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    change = change_of(ticket)
    if change is None:
        return [(None, _("This ticket has no change record."))]
    if change.change_type == ChangeType.STANDARD:
        return []
    missing = [(f, m) for f, m in missing_documentation(change) if f != "risk_answers"]
    if missing and change.change_type == ChangeType.EMERGENCY:
        missing.insert(0, (None, _("An emergency change closes only once its documentation is completed.")))
    return missing
