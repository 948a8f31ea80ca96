"""Pure decisions of service level management: which agreement applies, target checks, summaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from django.utils.translation import gettext as _

from . import clocks
from .choices import AgreementKind, AlertAction, Metric

PRIORITIES = ("1", "2", "3", "4")
MAX_TARGET_MINUTES = 366 * 24 * 60
TICKET_KINDS = ("incident", "request", "problem")


class Matchable(Protocol):
    """What matching reads of an agreement."""

    pk: Any
    kind: str
    service_id: int | None
    customer_id: int | None
    team_id: int | None
    ticket_kinds: list[str]
    priorities: list[int]
    order: int

    def target(self, priority: int, metric: str) -> int | None: ...


def _fits(agreement: Matchable, ticket: Any) -> bool:
    if agreement.service_id is not None and agreement.service_id != ticket.service_id:
        return False
    if agreement.customer_id is not None and agreement.customer_id not in _customers(ticket):
        return False
    if agreement.ticket_kinds and ticket.kind not in agreement.ticket_kinds:
        return False
    if agreement.priorities and ticket.priority not in agreement.priorities:
        return False
    if agreement.kind == AgreementKind.OLA and agreement.team_id != ticket.team_id:
        return False
    return any(agreement.target(ticket.priority, m) for m in Metric.values)


def _customers(ticket: Any) -> Sequence[int]:
    found = getattr(ticket, "_customer_chain", None)
    return found if found is not None else [ticket.organisation_id]


def match(agreements: Iterable[Matchable], ticket: Any) -> dict[str, Any]:
    """Return, per agreement kind, the first agreement (by ``order``, then the most specific) that fits."""
    ranked = sorted(
        agreements,
        key=lambda a: (a.order, -(a.service_id is not None) - (a.customer_id is not None), a.pk),
    )
    chosen: dict[str, Any] = {}
    for agreement in ranked:
        if agreement.kind not in chosen and _fits(agreement, ticket):
            chosen[agreement.kind] = agreement
    return chosen


def why(agreement: Any, ticket: Any) -> str:
    """Explain in one line why ``agreement`` applies to ``ticket`` (recorded on the ticket)."""
    parts = []
    if agreement.service_id is not None:
        parts.append(_("service %(s)s") % {"s": getattr(ticket.service, "name", agreement.service_id)})
    if agreement.customer_id is not None:
        parts.append(_("customer %(c)s") % {"c": getattr(ticket.organisation, "name", agreement.customer_id)})
    parts.append(_("priority P%(p)s") % {"p": ticket.priority})
    return _("Matched %(name)s on %(what)s.") % {"name": agreement.name, "what": ", ".join(parts)}


def target_errors(targets: Any, *, required: bool) -> list[str]:
    """Return what is wrong with a targets document (priority -> metric -> minutes)."""
    if targets in (None, "", {}):
        return [_("Give at least one target.")] if required else []
    if not isinstance(targets, Mapping):
        return [_("Targets must map priorities (1–4) to response, resolution and update minutes.")]
    errors = []
    for priority, values in targets.items():
        if str(priority) not in PRIORITIES:
            errors.append(_("Unknown priority %(p)s: use 1 to 4.") % {"p": str(priority)[:10]})
            continue
        if not isinstance(values, Mapping):
            errors.append(_("P%(p)s: give minutes per clock.") % {"p": priority})
            continue
        for metric, minutes in values.items():
            if metric not in Metric.values:
                errors.append(_("P%(p)s: unknown clock %(m)s.") % {"p": priority, "m": str(metric)[:20]})
            elif minutes is None:
                continue
            elif isinstance(minutes, bool) or not isinstance(minutes, int):
                errors.append(_("P%(p)s %(m)s: whole minutes expected.") % {"p": priority, "m": metric})
            elif minutes <= 0:
                errors.append(
                    _("P%(p)s %(m)s: a target must be more than zero.") % {"p": priority, "m": metric}
                )
            elif minutes > MAX_TARGET_MINUTES:
                errors.append(_("P%(p)s %(m)s: at most one year.") % {"p": priority, "m": metric})
    return errors


def threshold_errors(values: Any) -> list[str]:
    """Return what is wrong with warning thresholds (percentages between 1 and 99)."""
    if not isinstance(values, list) or len(values) > 5:
        return [_("Give up to five percentages, for example [75, 90].")]
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 99]
    return [_("Thresholds are whole percentages from 1 to 99.")] if bad else []


def escalation_errors(values: Any) -> list[str]:
    """Return what is wrong with escalation steps (``at`` a level, ``metric``, ``action``, ``team``)."""
    if not isinstance(values, list) or len(values) > 20:
        return [_("Escalations are a list of at most 20 steps.")]
    errors = []
    for step in values:
        if not isinstance(step, Mapping):
            errors.append(_("Each escalation step is an object with at, metric and action."))
            continue
        at = step.get("at")
        if isinstance(at, bool) or not isinstance(at, int) or not 1 <= at <= 100:
            errors.append(_("An escalation's level is a percentage from 1 to 100."))
        if step.get("metric", "any") not in [*Metric.values, "any"]:
            errors.append(_("Unknown clock %(m)s.") % {"m": str(step.get("metric"))[:20]})
        if step.get("action") not in AlertAction.values:
            errors.append(_("Unknown escalation action %(a)s.") % {"a": str(step.get("action"))[:30]})
        if step.get("action") == AlertAction.REASSIGN and not isinstance(step.get("team"), int):
            errors.append(_("Handing over needs the team's id."))
    return errors


STATE_RANK = {
    clocks.BREACHED: 0,
    clocks.RUNNING: 1,
    clocks.PAUSED: 2,
    clocks.MET: 3,
    clocks.CANCELLED_STATE: 4,
}


def summary(found: Sequence[clocks.Clock]) -> tuple[dt.datetime | None, str]:
    """Return the next due time of the running clocks and the most urgent state (for queues)."""
    if not found:
        return None, ""
    running = [c.due for c in found if c.state == clocks.RUNNING and c.due is not None]
    worst = min(found, key=lambda c: STATE_RANK.get(c.state, 9)).state
    return (min(running) if running else None), worst


def projection(found: Sequence[Any], *, breached: bool) -> tuple[dt.datetime | None, str, bool]:
    """Return what the queues keep of a ticket's clocks: next due time, state, target ever missed.

    ``found``: the ticket's clocks with their agreement kind (``queries.TicketClock``); the SLA's
    clocks decide when the ticket has one, else every clock. ``breached`` is what was stored before:
    a missed target stays missed.
    """
    sla = [f.clock for f in found if f.kind == AgreementKind.SLA]
    due, state = summary(sla or [f.clock for f in found])
    return due, state, breached or any(c.state == clocks.BREACHED for c in sla)
