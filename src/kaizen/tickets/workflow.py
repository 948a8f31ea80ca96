"""The workflow engine: transitions from the tables, role checks and guards, the shipped defaults.

States and transitions are data (:class:`~kaizen.tickets.models.WorkflowState`,
:class:`~kaizen.tickets.models.WorkflowTransition`); an administrator changes them without code.
What code provides is the vocabulary: the relations a transition may name as roles
(``assignee``, ``requester``, ``team``, ``system``) and the guards (named conditions such as
"a resolution note is required"). Other domains register their own guards (service requests add
"every fulfilment task is done").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.core import access, memo
from kaizen.core.access import ALL, Role
from kaizen.core.services import ActionNotAllowed

from .choices import CauseClass, Kind, StateCategory
from .models import ClosurePolicy, Ticket, WorkflowState, WorkflowTransition

RELATIONS = {
    "assignee": gettext_lazy("the assignee"),
    "requester": gettext_lazy("the requester"),
    "team": gettext_lazy("a member of the assigned team"),
    "system": gettext_lazy("automation only"),
}
"""Role names a transition may list besides the platform roles."""

GuardResult = list[tuple[str | None, str]]
"""(field or None, message) pairs; empty when the guard passes."""
GuardFn = Callable[[Ticket, Mapping[str, Any], Any], GuardResult]


@dataclass(frozen=True)
class Guard:
    """A named condition a transition may require."""

    code: str
    label: str | Promise
    check: GuardFn
    reads_ticket_only: bool = False
    """The check reads only the ticket's own fields (and reference data), never its related rows:
    it may run on a ticket that is not yet stored, so a new ticket is stored once in its final state."""


GUARDS: dict[str, Guard] = {}
AFTER_TRANSITION: list[Callable[[Ticket], None]] = []
"""Hooks run in the transaction after every transition (a request withdraws its open approvals)."""


AfterAction = Callable[[Ticket, str, Mapping[str, Any], Any], None]
AFTER_ACTION: list[AfterAction] = []
"""Hooks run after every transition with its code, parameters and actor (changes keep their reasons)."""


def after_action(fn: AfterAction) -> AfterAction:
    """Register ``fn(ticket, code, params, actor)`` to run after each transition, in the same transaction."""
    if fn not in AFTER_ACTION:
        AFTER_ACTION.append(fn)
    return fn


def after_transition(fn: Callable[[Ticket], None]) -> Callable[[Ticket], None]:
    """Register ``fn(ticket)`` to run after each transition, inside the same transaction."""
    if fn not in AFTER_TRANSITION:
        AFTER_TRANSITION.append(fn)
    return fn


def guard(
    code: str, label: str | Promise, *, reads_ticket_only: bool = False
) -> Callable[[GuardFn], GuardFn]:
    """Register ``fn(ticket, params, actor)`` as the guard ``code`` (see :attr:`Guard.reads_ticket_only`)."""

    def register(fn: GuardFn) -> GuardFn:
        GUARDS[code] = Guard(code, label, fn, reads_ticket_only)
        return fn

    return register


def check_roles(roles: Any) -> list[str]:
    """Return the problems of a transition's role list (empty when valid)."""
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        return [_("The roles must be a list of role names.")]
    unknown = sorted(set(roles) - set(Role.values) - set(RELATIONS))
    if unknown:
        return [_("Unknown role names: %(names)s.") % {"names": ", ".join(unknown)}]
    return []


def check_guards(guards: Any) -> list[str]:
    """Return the problems of a transition's guard list (empty when valid)."""
    if not isinstance(guards, list) or not all(isinstance(g, str) for g in guards):
        return [_("The conditions must be a list of condition names.")]
    unknown = sorted(set(guards) - set(GUARDS))
    if unknown:
        return [_("Unknown conditions: %(names)s.") % {"names": ", ".join(unknown)}]
    return []


def person_of(actor: Any) -> Any:
    """Return the person record of a user (None for users without one, and for automation)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    try:
        return actor.person
    except Exception:  # RelatedObjectDoesNotExist: a login without a person record
        return None


def holds(actor: Any, ticket: Ticket, roles: list[str]) -> bool:
    """Tell whether ``actor`` holds one of ``roles`` for ``ticket`` (platform role or relation)."""
    platform = [r for r in roles if r in Role.values]
    if platform:
        scope = access.org_scope(actor, platform)
        if scope is ALL or (isinstance(scope, frozenset) and ticket.organisation_id in scope):
            return True
    person = person_of(actor)
    if person is None:
        return False
    if "assignee" in roles and ticket.assignee_id == person.pk:
        return True
    if "requester" in roles and ticket.requester_id == person.pk:
        return True
    team = ticket.team if ticket.team_id is not None else None
    return bool("team" in roles and team is not None and team.members.filter(pk=person.pk).exists())


def initial_state(kind: str) -> WorkflowState:
    """Return the state new tickets of ``kind`` start in."""
    state = memo.remembered(
        ("tickets.initial-state", kind),
        lambda: WorkflowState.objects.filter(kind=kind, is_initial=True).first(),
    )
    if state is None:
        raise ActionNotAllowed(
            _("No workflow is defined for %(kind)s tickets; an administrator must load the defaults.")
            % {"kind": kind},
            allowed=[],
        )
    return state


TRANSITION_COLUMNS = (
    "id",
    "kind",
    "code",
    "name",
    "name_en",
    "roles",
    "guards",
    "order",
    "is_active",
    "target_id",
)
STATE_COLUMNS = (
    "id",
    "kind",
    "code",
    "name",
    "name_en",
    "category",
    "is_initial",
    "pauses_clock",
    "responds",
    "order",
)


def transitions_from(ticket: Ticket) -> list[WorkflowTransition]:
    """Return the active transitions leaving the ticket's current state, with their target states.

    One plain query: this runs on every ticket page, API answer and automatic action, and the ORM
    spent more time building the many-to-many join than the database spent running it.
    """
    return memo.remembered(
        ("tickets.transitions", ticket.kind, ticket.state_id),
        lambda: _transitions(ticket.kind, ticket.state_id),
    )


def _transitions(kind: str, state_id: int | None) -> list[WorkflowTransition]:
    t, s, m = (
        WorkflowTransition._meta.db_table,
        WorkflowState._meta.db_table,
        WorkflowTransition.sources.through._meta.db_table,
    )
    columns = ", ".join([*(f't."{c}"' for c in TRANSITION_COLUMNS), *(f's."{c}"' for c in STATE_COLUMNS)])
    sql = (
        f"SELECT {columns} FROM {t} t JOIN {m} m ON m.workflowtransition_id = t.id "  # noqa: S608 - model tables
        f"JOIN {s} s ON s.id = t.target_id "
        f'WHERE t.kind = %s AND t.is_active = %s AND m.workflowstate_id = %s ORDER BY t."order", t.code'
    )
    out = []
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, True, state_id])
        rows = cursor.fetchall()
    width = len(TRANSITION_COLUMNS)
    for row in rows:
        values = dict(zip(TRANSITION_COLUMNS, row[:width], strict=True))
        for key in ("roles", "guards"):
            raw = values[key]
            values[key] = json.loads(raw) if isinstance(raw, str | bytes) else raw
        transition = WorkflowTransition(**values)
        transition.target = WorkflowState(**dict(zip(STATE_COLUMNS, row[width:], strict=True)))
        out.append(transition)
    return out


def available(ticket: Ticket, actor: Any, *, system: bool = False) -> list[WorkflowTransition]:
    """Return the transitions ``actor`` may apply to ``ticket`` now (guards are checked on apply)."""
    out = []
    for transition in transitions_from(ticket):
        roles = list(transition.roles)
        if system or (roles != ["system"] and holds(actor, ticket, roles)):
            out.append(transition)
    return out


def unsaved_ok(ticket: Ticket, code: str) -> bool:
    """Tell whether the action ``code`` can be applied to ``ticket`` before it is first stored.

    True when every guard of the transition (from the ticket's state) reads only the ticket.
    """
    return all(
        GUARDS[name].reads_ticket_only
        for transition in transitions_from(ticket)
        if transition.code == code
        for name in transition.guards
        if name in GUARDS
    )


def apply(
    ticket: Ticket, code: str, *, actor: Any, params: Mapping[str, Any], system: bool = False
) -> WorkflowTransition:
    """Move ``ticket`` (locked by the caller) along the transition ``code``; the caller saves.

    Raises:
        ActionNotAllowed: no such transition from the current state, or the actor may not apply it.
        django.core.exceptions.ValidationError: a guard failed (field -> message).
    """
    from django.core.exceptions import ValidationError

    allowed = available(ticket, actor, system=system)
    transition = next((t for t in allowed if t.code == code), None)
    if transition is None:
        exists = any(t.code == code for t in transitions_from(ticket))
        message = (
            _("You may not apply %(action)s to this ticket.")
            if exists
            else _("The action %(action)s does not apply to a ticket in the state %(state)s.")
        )
        raise ActionNotAllowed(
            message % {"action": code, "state": ticket.state.label()}, allowed=[t.code for t in allowed]
        )
    errors: dict[str, list[str]] = {}
    for name in transition.guards:
        check = GUARDS.get(name)
        if check is None:
            continue
        for field, message in check.check(ticket, params, None if system else actor):
            errors.setdefault(field or "__all__", []).append(message)
    if errors:
        raise ValidationError(errors)
    enter(ticket, transition.target)
    return transition


def enter(ticket: Ticket, state: WorkflowState) -> None:
    """Put ``ticket`` into ``state`` and keep the timestamps its category implies."""
    now = timezone.now()
    leaving = ticket.state_category
    ticket.state = state
    ticket.state_category = state.category
    ticket.state_changed_at = now
    if state.category == StateCategory.RESOLVED:
        ticket.resolved_at = now
        ticket.confirmed_at = None
    elif state.category == StateCategory.CLOSED:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    elif state.category in (StateCategory.OPEN, StateCategory.NEW, StateCategory.PENDING) and leaving in (
        StateCategory.RESOLVED,
        StateCategory.CLOSED,
    ):
        ticket.reopen_count += 1
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.confirmed_at = None


def closure_policy(ticket: Ticket) -> ClosurePolicy | None:
    """Return the closure policy of the ticket's kind and priority."""
    return ClosurePolicy.objects.filter(kind=ticket.kind, priority=ticket.priority).first()


# -- guards ------------------------------------------------------------------------------------


@guard("resolution", gettext_lazy("A resolution note is written"), reads_ticket_only=True)
def _resolution(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    text = str(params.get("resolution") or ticket.resolution or "").strip()
    return [] if text else [("resolution", _("Describe how the ticket was resolved."))]


@guard("cause_class", gettext_lazy("A cause class is chosen"), reads_ticket_only=True)
def _cause(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    value = params.get("cause_class") or ticket.cause_class
    if value in CauseClass.values:
        return []
    return [("cause_class", _("Choose the cause class (an unknown cause is a valid choice)."))]


@guard("closure_policy", gettext_lazy("The closure policy allows the actor to close"), reads_ticket_only=True)
def _closure(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    policy = closure_policy(ticket)
    if policy is None:
        return []
    if actor is None:  # automation: only where the policy closes by itself
        if policy.auto_close:
            return []
        return [
            (None, _("Tickets of priority P%(p)s are not closed automatically.") % {"p": ticket.priority})
        ]
    if holds(actor, ticket, list(policy.roles)):
        return []
    names = ", ".join(
        str(RELATIONS.get(r) or Role(r).label) for r in policy.roles if r in RELATIONS or r in Role.values
    )
    return [
        (
            None,
            _("Tickets of priority P%(p)s may be closed by: %(who)s.") % {"p": ticket.priority, "who": names},
        )
    ]


@guard("review_decided", gettext_lazy("No improvement decision is outstanding"), reads_ticket_only=True)
def _review(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    from .choices import ReviewStatus

    if ticket.review_status == ReviewStatus.PENDING:
        return [
            (None, _("This incident meets an improvement criterion: record a decision before closing it."))
        ]
    return []


@guard(
    "reopen_window",
    gettext_lazy("The reopen window after closure has not passed"),
    reads_ticket_only=True,
)
def _reopen_window(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    if ticket.state_category != StateCategory.CLOSED or ticket.closed_at is None:
        return []
    policy = closure_policy(ticket)
    days = policy.reopen_days if policy is not None else 0
    if days and timezone.now() <= ticket.closed_at + dt.timedelta(days=days):
        return []
    return [(None, _("This ticket was closed too long ago to reopen; open a new one and link it."))]


@guard("comment", gettext_lazy("A comment explains the action"), reads_ticket_only=True)
def _comment(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    return [] if str(params.get("comment") or "").strip() else [("comment", _("Write a short explanation."))]


@guard("assignee", gettext_lazy("Someone is assigned"), reads_ticket_only=True)
def _assignee(ticket: Ticket, params: Mapping[str, Any], actor: Any) -> GuardResult:
    if ticket.assignee_id is not None or params.get("assignee"):
        return []
    return [("assignee", _("Assign the ticket to someone first."))]


# -- shipped defaults --------------------------------------------------------------------------

S = StateCategory
WORKERS = ["agent", "manager", "admin"]
EVERYONE = [*WORKERS, "requester"]

RESPONDING = frozenset(
    {
        "in_progress",
        "investigating",
        "known_error",
        "pending_customer",
        "pending_supplier",
        "pending_change",
        "resolved",
        "closed",
    }
)
"""Codes of the shipped states that count as the response (work started, waiting, resolved)."""

# (code, name, name_en, category, initial, pauses clock)
INCIDENT_STATES = [
    ("new", "新規", "New", S.NEW, True, False),
    ("assigned", "割当済", "Assigned", S.OPEN, False, False),
    ("in_progress", "対応中", "In progress", S.OPEN, False, False),
    ("pending_customer", "保留（顧客回答待ち）", "Pending customer", S.PENDING, False, True),
    ("pending_supplier", "保留（供給者待ち）", "Pending supplier", S.PENDING, False, True),
    ("pending_change", "保留（変更待ち）", "Pending change", S.PENDING, False, False),
    ("resolved", "解決済", "Resolved", S.RESOLVED, False, True),
    ("closed", "完了", "Closed", S.CLOSED, False, True),
    ("cancelled", "取消", "Cancelled", S.CANCELLED, False, True),
]
REQUEST_STATES = [
    ("new", "新規", "New", S.NEW, True, False),
    ("waiting_for_approval", "承認待ち", "Waiting for approval", S.APPROVAL, False, False),
    ("approved", "承認済", "Approved", S.OPEN, False, False),
    ("rejected", "却下", "Rejected", S.CANCELLED, False, True),
    ("assigned", "割当済", "Assigned", S.OPEN, False, False),
    ("in_progress", "対応中", "In progress", S.OPEN, False, False),
    ("pending_customer", "保留（依頼者回答待ち）", "Pending customer", S.PENDING, False, True),
    ("pending_supplier", "保留（供給者待ち）", "Pending supplier", S.PENDING, False, True),
    ("resolved", "完了報告済", "Fulfilled", S.RESOLVED, False, True),
    ("closed", "完了", "Closed", S.CLOSED, False, True),
    ("cancelled", "取消", "Cancelled", S.CANCELLED, False, True),
]
PROBLEM_STATES = [
    ("new", "新規", "New", S.NEW, True, False),
    ("investigating", "調査中", "Investigating", S.OPEN, False, False),
    ("known_error", "既知のエラー", "Known error", S.OPEN, False, False),
    ("resolved", "解決済", "Resolved", S.RESOLVED, False, False),
    ("closed", "完了", "Closed", S.CLOSED, False, False),
    ("cancelled", "取消", "Cancelled", S.CANCELLED, False, False),
]

OPEN_INCIDENT = ["new", "assigned", "in_progress", "pending_customer", "pending_supplier", "pending_change"]
WORKING = ["assigned", "in_progress"]
# (code, name, name_en, sources, target, roles, guards)
INCIDENT_TRANSITIONS = [
    ("assign", "割り当てる", "Assign", ["new"], "assigned", WORKERS, ["assignee"]),
    ("start", "対応開始", "Start work", ["new", "assigned"], "in_progress", WORKERS, []),
    ("pend_customer", "顧客回答待ち", "Wait for customer", WORKING, "pending_customer", WORKERS, ["comment"]),
    ("pend_supplier", "供給者待ち", "Wait for supplier", WORKING, "pending_supplier", WORKERS, ["comment"]),
    ("pend_change", "変更待ち", "Wait for change", WORKING, "pending_change", WORKERS, ["comment"]),
    (
        "resume",
        "再開",
        "Resume",
        ["pending_customer", "pending_supplier", "pending_change"],
        "in_progress",
        [*WORKERS, "system"],
        [],
    ),
    ("resolve", "解決", "Resolve", OPEN_INCIDENT, "resolved", WORKERS, ["resolution", "cause_class"]),
    (
        "close",
        "完了",
        "Close",
        ["resolved"],
        "closed",
        [*WORKERS, "assignee", "system"],
        ["closure_policy", "review_decided"],
    ),
    (
        "reopen",
        "再オープン",
        "Reopen",
        ["resolved", "closed"],
        "in_progress",
        EVERYONE,
        ["comment", "reopen_window"],
    ),
    ("cancel", "取消", "Cancel", OPEN_INCIDENT, "cancelled", [*WORKERS, "requester"], ["comment"]),
    (
        "close_no_reply",
        "回答なしで完了",
        "Close without reply",
        ["pending_customer"],
        "closed",
        ["system"],
        [],
    ),
]
OPEN_REQUEST = ["new", "approved", "assigned", "in_progress", "pending_customer", "pending_supplier"]
REQUEST_WORKING = ["approved", "assigned", "in_progress"]
REQUEST_TRANSITIONS = [
    ("submit_for_approval", "承認依頼", "Ask for approval", ["new"], "waiting_for_approval", ["system"], []),
    ("approve", "承認", "Approve", ["waiting_for_approval"], "approved", ["system"], []),
    ("reject", "却下", "Reject", ["waiting_for_approval"], "rejected", ["system"], []),
    ("assign", "割り当てる", "Assign", ["new", "approved"], "assigned", WORKERS, ["assignee"]),
    ("start", "対応開始", "Start work", ["new", "approved", "assigned"], "in_progress", WORKERS, []),
    (
        "pend_customer",
        "依頼者回答待ち",
        "Wait for customer",
        REQUEST_WORKING,
        "pending_customer",
        WORKERS,
        ["comment"],
    ),
    (
        "pend_supplier",
        "供給者待ち",
        "Wait for supplier",
        REQUEST_WORKING,
        "pending_supplier",
        WORKERS,
        ["comment"],
    ),
    (
        "resume",
        "再開",
        "Resume",
        ["pending_customer", "pending_supplier"],
        "in_progress",
        [*WORKERS, "system"],
        [],
    ),
    (
        "resolve",
        "完了報告",
        "Mark fulfilled",
        OPEN_REQUEST,
        "resolved",
        [*WORKERS, "system"],
        ["resolution", "tasks_done"],
    ),
    ("close", "完了", "Close", ["resolved"], "closed", [*WORKERS, "assignee", "system"], ["closure_policy"]),
    (
        "reopen",
        "再オープン",
        "Reopen",
        ["resolved", "closed"],
        "in_progress",
        EVERYONE,
        ["comment", "reopen_window"],
    ),
    (
        "cancel",
        "取消",
        "Cancel",
        [*OPEN_REQUEST, "waiting_for_approval"],
        "cancelled",
        [*WORKERS, "requester"],
        ["comment"],
    ),
    (
        "close_no_reply",
        "回答なしで完了",
        "Close without reply",
        ["pending_customer"],
        "closed",
        ["system"],
        [],
    ),
]
PROBLEM_TRANSITIONS = [
    ("start", "調査開始", "Start investigation", ["new"], "investigating", WORKERS, []),
    (
        "known_error",
        "既知のエラーとする",
        "Record known error",
        ["new", "investigating"],
        "known_error",
        WORKERS,
        ["comment"],
    ),
    (
        "resolve",
        "解決",
        "Resolve",
        ["new", "investigating", "known_error"],
        "resolved",
        WORKERS,
        ["resolution"],
    ),
    ("close", "完了", "Close", ["resolved"], "closed", ["manager", "admin"], []),
    ("reopen", "再オープン", "Reopen", ["resolved", "closed"], "investigating", WORKERS, ["comment"]),
    ("cancel", "取消", "Cancel", ["new", "investigating", "known_error"], "cancelled", WORKERS, ["comment"]),
]

DEFAULTS: dict[str, tuple[list[Any], list[Any]]] = {
    Kind.INCIDENT: (INCIDENT_STATES, INCIDENT_TRANSITIONS),
    Kind.REQUEST: (REQUEST_STATES, REQUEST_TRANSITIONS),
    Kind.PROBLEM: (PROBLEM_STATES, PROBLEM_TRANSITIONS),
}
"""Shipped states and transitions per kind; other domains add theirs with :func:`register_defaults`."""


def register_defaults(
    kind: str, states: list[Any], transitions: list[Any], responding: Iterable[str] = ()
) -> None:
    """Ship the default workflow of ``kind`` (change management registers the change workflow).

    ``states`` and ``transitions`` use the tuples of the shipped tables above; ``responding``
    names the states that count as a response for service level clocks.
    """
    global RESPONDING
    DEFAULTS[kind] = (states, transitions)
    RESPONDING = RESPONDING | frozenset(responding)
