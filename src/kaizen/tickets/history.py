"""Record a ticket's state history and tell other domains what changed (service levels plug in here).

Ticket services call :func:`record` after every save. It appends a :class:`StateLog` row when the
state, priority, team or assignee changed, and calls the functions registered with
:func:`on_change` (inside the same transaction) when any of ``HISTORY_FIELDS`` changed, so that
service level management can match the agreement and keep its clocks without the ticket core
importing it.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

from django.utils import timezone

from kaizen.core import bulk

from .models import StateLog, Ticket
from .models.ticket import HISTORY_FIELDS

LOGGED = frozenset({"state_id", "priority", "team_id", "assignee_id"})
CREATED = "created"
"""Among the changed fields when the ticket was created in this transaction."""
UNSAVED = "_history_unsaved"
"""Set on a ticket recorded before its insert, until it is recorded again once stored."""

Hook = Callable[[Ticket, frozenset[str]], None]
HOOKS: list[Hook] = []
_deferred: contextvars.ContextVar[dict[int, tuple[Ticket, set[str]]] | None] = contextvars.ContextVar(
    "ticket_history_deferred", default=None
)

_logs: contextvars.ContextVar[list[StateLog] | None] = contextvars.ContextVar(
    "ticket_history_logs", default=None
)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Run the change hooks once per ticket at the end of the block (a ticket write saves several times).

    The history rows of the block are written first, in one statement, so the hooks read them.
    """
    if _deferred.get() is not None:
        yield
        return
    pending: dict[int, tuple[Ticket, set[str]]] = {}
    logs: list[StateLog] = []
    token, logs_token = _deferred.set(pending), _logs.set(logs)
    try:
        yield
        if logs:
            bulk.insert(StateLog, logs)
            logs.clear()
        while pending:
            ticket_id = next(iter(pending))
            ticket, changed = pending.pop(ticket_id)
            for hook in HOOKS:
                hook(ticket, frozenset(changed))
    finally:
        _deferred.reset(token)
        _logs.reset(logs_token)


def _run(ticket: Ticket, changed: frozenset[str]) -> None:
    pending = _deferred.get()
    if pending is not None:  # keep the latest instance and every field changed in the block
        pending[ticket.pk] = (ticket, (pending[ticket.pk][1] if ticket.pk in pending else set()) | changed)
        return
    for hook in HOOKS:
        hook(ticket, changed)


def on_change(fn: Hook) -> Hook:
    """Register ``fn(ticket, changed_fields)``, called after a ticket's tracked fields changed."""
    if fn not in HOOKS:
        HOOKS.append(fn)
    return fn


def record(ticket: Ticket) -> None:
    """Append the ticket's state history row if needed and run the change hooks (inside the transaction).

    A new ticket may be recorded once before it is stored (as it was filed, before automation
    changed it; inside :func:`deferred` only) and again once stored: the hooks then run once, as
    for a ticket created in this transaction.
    """
    values = tuple(getattr(ticket, f) for f in HISTORY_FIELDS)
    before = ticket._history_values
    unsaved_before = ticket.__dict__.pop(UNSAVED, False)
    if before == values and not unsaved_before:
        return
    changed = frozenset(
        f
        for f, old, new in zip(HISTORY_FIELDS, before or (None,) * len(values), values, strict=True)
        if old != new
    )
    if ticket.pk is None and _logs.get() is None:
        raise RuntimeError("an unsaved ticket's history is recorded only inside history.deferred()")
    if before is None or changed & LOGGED:
        log = StateLog(
            ticket=ticket,
            at=timezone.now(),
            state_id=ticket.state_id,
            category=ticket.state_category,
            priority=ticket.priority,
            team_id=ticket.team_id,
            assignee_id=ticket.assignee_id,
        )
        logs = _logs.get()
        if logs is None:
            log.save(force_insert=True)
        else:
            logs.append(log)
    ticket._history_values = values
    if ticket.pk is None:  # the row is written after the ticket's insert (it refers to the ticket)
        ticket.__dict__[UNSAVED] = True
        return
    created = before is None or unsaved_before
    _run(ticket, frozenset({*HISTORY_FIELDS, CREATED}) if created else changed)


def announce(ticket: Ticket, changed: frozenset[str]) -> None:
    """Run the change hooks for a change outside the history fields (a public reply of the desk)."""
    _run(ticket, changed)
