"""Warnings and breaches: the periodic check over every open ticket under an agreement.

Each threshold of each clock is raised once per ticket, agreement and target (a unique
``ClockAlert``), so the job can run every minute, on several workers, or again after a crash
without repeating an action. A warning that falls outside the calendar's open hours waits for the
next open minute unless the agreement says otherwise. Every alert is audited on the ticket with
what it did; mail goes out after commit through the outbox (``receivers``).

Actions: without configured escalation steps a warning notifies the assignee and the team and a
breach also escalates to the managers. Configured steps (``Agreement.escalations``: ``at`` a level,
``metric`` or ``any``, ``action``) replace that default: notify, escalate, hand over to a team,
raise the priority by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Team
from kaizen.core import audit, events
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import ACTIVE_CATEGORIES
from kaizen.tickets.models import Ticket

from . import clocks, policies, queries
from .choices import AlertAction, Metric
from .events import ClockWarning
from .models import Agreement, ClockAlert

CHUNK = 2000
DEFAULT_STEPS = (
    {"at": 0, "metric": "any", "action": AlertAction.NOTIFY},
    {"at": 100, "metric": "any", "action": AlertAction.ESCALATE},
)


def levels(item: queries.TicketClock) -> list[int]:
    """Return every level the clock has reached: its warning thresholds and 100 once breached."""
    clock = item.clock
    if clock.state not in (clocks.RUNNING, clocks.PAUSED, clocks.BREACHED):
        return []
    reached = [w for w in item.warn_at if clock.percent >= w and clock.elapsed <= clock.target]
    if clock.elapsed > clock.target:
        reached = [*item.warn_at, 100]
    return sorted(set(reached))


def steps_for(agreement: Agreement, metric: str, level: int) -> list[Mapping[str, Any]]:
    """Return the escalation steps that apply when ``metric`` reaches ``level``."""
    configured = agreement.escalations or []
    if not configured:
        return [s for s in DEFAULT_STEPS if s["at"] in (0, level) and (s["at"] == 0 or level == 100)]
    return [s for s in configured if s.get("at") == level and s.get("metric", "any") in ("any", metric)]


def check(*, now: dt.datetime | None = None) -> int:
    """Raise the warnings and breaches due now and refresh the queues' due times; return how many alerts."""
    now = now or timezone.now()
    ids = list(
        Ticket.objects.filter(state_category__in=ACTIVE_CATEGORIES, agreements__until__isnull=True)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    raised = 0
    for start in range(0, len(ids), CHUNK):
        raised += _check_chunk(ids[start : start + CHUNK], now)
    return raised


def _check_chunk(ids: list[int], now: dt.datetime) -> int:
    found = queries.ticket_clocks(ids, now=now)
    done = set(
        ClockAlert.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "agreement_id", "metric", "level", "target_minutes"
        )
    )
    cached = {
        pk: (due, state, breached)
        for pk, due, state, breached in Ticket.objects.filter(pk__in=ids).values_list(
            "pk", "sla_due_at", "sla_state", "sla_breached"
        )
    }
    agreements = queries.config().agreements
    open_now: dict[int, bool] = {}
    raised = 0
    for tid, items in found.items():
        due: list[tuple[queries.TicketClock, int]] = []
        for item in items:
            minutes = int(item.clock.target.total_seconds() // 60)
            for level in levels(item):
                if (tid, item.agreement_id, item.clock.metric, level, minutes) in done:
                    continue
                agreement = agreements[item.agreement_id]
                if not agreement.alert_outside_hours and not _open(agreement, now, open_now):
                    continue
                due.append((item, level))
        projected = policies.projection(items, breached=cached[tid][2])
        if due or projected != cached[tid]:
            raised += _act(tid, due, agreements, now, projected)
    return raised


def _open(agreement: Agreement, now: dt.datetime, memo: dict[int, bool]) -> bool:
    if agreement.calendar_id not in memo:
        timeline, _zone = queries.timeline(agreement.calendar_id)
        memo[agreement.calendar_id] = timeline.is_open(now)
    return memo[agreement.calendar_id]


def _act(
    ticket_id: int,
    due: Iterable[tuple[queries.TicketClock, int]],
    agreements: Mapping[int, Agreement],
    now: dt.datetime,
    projected: tuple[dt.datetime | None, str, bool],
) -> int:
    raised = 0
    with tickets.writing():
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).select_related("state", "team").get(pk=ticket_id)
        )
        version = ticket.version
        for item, level in due:
            agreement = agreements[item.agreement_id]
            minutes = int(item.clock.target.total_seconds() // 60)
            try:
                with transaction.atomic():
                    alert = ClockAlert.objects.create(
                        ticket=ticket,
                        agreement=agreement,
                        metric=item.clock.metric,
                        level=level,
                        target_minutes=minutes,
                        at=now,
                    )
            except IntegrityError:
                continue  # another worker raised it
            actions = [
                _apply(ticket, agreement, step, item, level)
                for step in steps_for(agreement, item.clock.metric, level)
            ]
            alert.actions = [a for a in actions if a]
            ClockAlert.objects.filter(pk=alert.pk).update(actions=alert.actions)
            audit.record(
                ticket,
                action="sla_breach" if level == 100 else "sla_warning",
                changes={},
                meta={
                    "agreement": agreement.name,
                    "agreement_id": agreement.pk,
                    "clock": item.clock.metric,
                    "level": level,
                    "due": item.clock.due.isoformat() if item.clock.due else None,
                    "actions": alert.actions,
                    "rule": agreement.name,
                    "version": ticket.version,
                },
            )
            events.emit(
                ClockWarning(
                    ticket_id=ticket.pk,
                    number=ticket.number,
                    agreement_id=agreement.pk,
                    metric=item.clock.metric,
                    level=level,
                    due=item.clock.due.isoformat() if item.clock.due else "",
                    actions=tuple(a.split(":", 1)[0] for a in alert.actions),
                )
            )
            raised += 1
        if ticket.version == version:  # an action that changed the ticket refreshed its clocks already
            due_at, state, breached = projected
            tickets.set_service_level(ticket, due_at=due_at, state=state, breached=breached)
    return raised


def _apply(
    ticket: Ticket, agreement: Agreement, step: Mapping[str, Any], item: queries.TicketClock, level: int
) -> str:
    """Carry out one escalation step; return what was done (empty when nothing)."""
    action = step.get("action")
    label = _("%(agreement)s: %(clock)s at %(level)s%%") % {
        "agreement": agreement.name,
        "clock": Metric(item.clock.metric).label,
        "level": level,
    }
    if action in (AlertAction.NOTIFY, AlertAction.ESCALATE):
        return str(action)
    if action == AlertAction.RAISE_PRIORITY:
        return f"raise_priority:P{ticket.priority}" if tickets.raise_priority(ticket, rule=label) else ""
    if action == AlertAction.REASSIGN:
        team_id = step.get("team")
        team = Team.objects.filter(pk=team_id).first() if isinstance(team_id, int) else None
        if team is None or team.pk == ticket.team_id:
            return ""
        tickets.route(ticket, team=team, rule=label)
        return f"reassign:{team.name}"
    return ""
