"""Pure decisions of the desk (no ORM): priority, impact from the CMDB, rule conditions and actions,
business days, stale-ticket timing and improvement criteria. Tested exhaustively.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

import holidays
from django.utils.translation import gettext as _

from .choices import CriterionType, Impact, TimeUnit

# -- priority ----------------------------------------------------------------------------------

DEFAULT_MATRIX: dict[tuple[int, int], int] = {
    (impact, urgency): priority
    for impact, row in enumerate(([1, 1, 2, 3], [1, 2, 3, 3], [2, 3, 3, 4], [3, 3, 4, 4]), start=1)
    for urgency, priority in enumerate(row, start=1)
}
"""Impact × urgency → priority (rows: impact 1–4, columns: urgency 1–4)."""


def priority_for(impact: int, urgency: int, matrix: Mapping[tuple[int, int], int]) -> int:
    """Return the priority of ``impact`` × ``urgency`` from ``matrix`` (the default for gaps)."""
    key = (int(impact), int(urgency))
    if key not in DEFAULT_MATRIX:
        raise ValueError(f"impact and urgency must be 1-4, got {key}")
    return int(matrix.get(key, DEFAULT_MATRIX[key]))


def impact_from_reach(services: int, customers: int) -> int:
    """Suggest an impact from how many services and customers the affected CIs reach.

    Extensive: three or more customers, or five or more services; significant: two customers or
    two services; moderate: one service; minor: nothing reached.
    """
    if customers >= 3 or services >= 5:
        return Impact.EXTENSIVE
    if customers >= 2 or services >= 2:
        return Impact.SIGNIFICANT
    if services >= 1 or customers >= 1:
        return Impact.MODERATE
    return Impact.MINOR


# -- business rules ----------------------------------------------------------------------------

RULE_FIELDS: dict[str, str] = {
    "kind": "text",
    "title": "text",
    "description": "text",
    "organisation": "id",
    "requester": "id",
    "service": "id",
    "category": "id",
    "channel": "text",
    "state": "text",
    "priority": "number",
    "impact": "number",
    "urgency": "number",
    "team": "id",
    "assignee": "id",
    "tags": "list",
    "major": "bool",
    "ci_types": "list",
}
"""Fields a rule condition may test, with the type of their value."""
OPERATORS = {
    "eq": {"text", "id", "number", "bool"},
    "ne": {"text", "id", "number", "bool"},
    "in": {"text", "id", "number"},
    "not_in": {"text", "id", "number"},
    "contains": {"text", "list"},
    "not_contains": {"text", "list"},
    "gte": {"number"},
    "lte": {"number"},
    "empty": {"text", "id", "list"},
    "not_empty": {"text", "id", "list"},
}
ACTIONS = {
    "set_team": "id",
    "set_assignee": "id",
    "set_category": "id",
    "set_priority": "priority",
    "set_urgency": "level",
    "set_impact": "level",
    "add_tags": "tags",
    "notify": "notify",
    "escalate": "escalate",
    "declare_major": "none",
}
"""Actions a rule may take, with the shape of their value."""
MAX_RULE_ITEMS = 20


def _scalar_ok(kind: str, value: Any) -> bool:
    if kind == "text":
        return isinstance(value, str) and len(value) <= 500
    if kind in ("id", "number"):
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**53
    if kind == "bool":
        return isinstance(value, bool)
    return False


def check_conditions(conditions: Any) -> list[str]:
    """Return the problems of a rule's conditions (empty when valid)."""
    if not isinstance(conditions, list) or len(conditions) > MAX_RULE_ITEMS:
        return [_("Conditions must be a list of at most %(n)s items.") % {"n": MAX_RULE_ITEMS}]
    problems: list[str] = []
    for index, item in enumerate(conditions, start=1):
        where = _("Condition %(n)s") % {"n": index}
        if not isinstance(item, dict) or set(item) - {"field", "op", "value"}:
            problems.append(_("%(where)s: give field, op and value.") % {"where": where})
            continue
        field, op, value = item.get("field"), item.get("op"), item.get("value")
        kind = RULE_FIELDS.get(field) if isinstance(field, str) else None
        if kind is None:
            problems.append(_("%(where)s: unknown field %(field)r.") % {"where": where, "field": field})
            continue
        if op not in OPERATORS or kind not in OPERATORS[op]:
            problems.append(
                _("%(where)s: the operator %(op)r does not apply to %(field)s.")
                % {"where": where, "op": op, "field": field}
            )
            continue
        if op in ("empty", "not_empty"):
            continue
        scalar = "text" if kind == "list" else kind
        if op in ("in", "not_in"):
            ok = (
                isinstance(value, list)
                and 0 < len(value) <= 100
                and all(_scalar_ok(scalar, v) for v in value)
            )
        else:
            ok = _scalar_ok(scalar, value)
        if not ok:
            problems.append(
                _("%(where)s: the value does not fit %(field)s.") % {"where": where, "field": field}
            )
    return problems


def check_actions(actions: Any) -> list[str]:
    """Return the problems of a rule's actions (empty when valid)."""
    if not isinstance(actions, list) or not actions or len(actions) > MAX_RULE_ITEMS:
        return [_("Actions must be a list of 1 to %(n)s items.") % {"n": MAX_RULE_ITEMS}]
    problems: list[str] = []
    for index, item in enumerate(actions, start=1):
        where = _("Action %(n)s") % {"n": index}
        if not isinstance(item, dict) or set(item) - {"action", "value"}:
            problems.append(_("%(where)s: give action and value.") % {"where": where})
            continue
        name = item.get("action")
        shape = ACTIONS.get(name) if isinstance(name, str) else None
        value = item.get("value")
        if shape is None:
            problems.append(_("%(where)s: unknown action %(a)r.") % {"where": where, "a": item.get("action")})
        elif not _action_value_ok(shape, value):
            problems.append(_("%(where)s: the value does not fit the action.") % {"where": where})
    return problems


def _action_value_ok(shape: str, value: Any) -> bool:
    if shape == "id":
        return _scalar_ok("id", value)
    if shape in ("priority", "level"):
        return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4
    if shape == "tags":
        return (
            isinstance(value, list)
            and 0 < len(value) <= 20
            and all(isinstance(v, str) and 0 < len(v.strip()) <= 50 for v in value)
        )
    if shape == "notify":
        if not isinstance(value, dict) or set(value) - {"emails", "team", "message"}:
            return False
        emails = value.get("emails", [])
        return (
            isinstance(emails, list)
            and len(emails) <= 20
            and all(isinstance(e, str) and "@" in e and len(e) <= 254 for e in emails)
            and (value.get("team") is None or _scalar_ok("id", value.get("team")))
            and isinstance(value.get("message", ""), str)
            and (bool(emails) or value.get("team") is not None)
        )
    if shape == "escalate":
        return (
            isinstance(value, dict)
            and not set(value) - {"team", "note"}
            and _scalar_ok("id", value.get("team"))
            and isinstance(value.get("note", ""), str)
            and len(value.get("note", "")) <= 2000
        )
    return value in (None, True, "")


def _test(op: str, actual: Any, expected: Any) -> bool:
    if op == "empty":
        return actual in (None, "", [], ())
    if op == "not_empty":
        return actual not in (None, "", [], ())
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if op in ("contains", "not_contains"):
        if isinstance(actual, list | tuple | set | frozenset):
            found = str(expected).casefold() in {str(a).casefold() for a in actual}
        else:
            found = str(expected).casefold() in str(actual or "").casefold()
        return found if op == "contains" else not found
    if op == "gte":
        return actual is not None and actual >= expected
    if op == "lte":
        return actual is not None and actual <= expected
    return False


def matches(conditions: list[dict[str, Any]], facts: Mapping[str, Any], *, match_all: bool = True) -> bool:
    """Tell whether ``facts`` (field -> value of a ticket) meet the conditions (none: always)."""
    if not conditions:
        return True
    results = (_test(c["op"], facts.get(c["field"]), c.get("value")) for c in conditions)
    return all(results) if match_all else any(results)


# -- business days -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def is_business_day(day: dt.date) -> bool:
    """Tell whether ``day`` is a working day in Japan (Monday–Friday, not a public holiday).

    The SLA issue replaces this with configurable business calendars; the desk's stale rules and
    confirmation periods use the Japanese default until then.
    """
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_business_days(moment: dt.datetime, days: int, tz: str = "Asia/Tokyo") -> dt.datetime:
    """Return ``moment`` moved forward by ``days`` business days (same local time of day)."""
    zone = zoneinfo.ZoneInfo(tz)
    local = moment.astimezone(zone)
    day = local.date()
    left = days
    while left > 0:
        day += dt.timedelta(days=1)
        if is_business_day(day):
            left -= 1
    moved = dt.datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=zone)
    return moved.astimezone(dt.UTC)


def deadline(basis: dt.datetime, after: int, unit: str, tz: str = "Asia/Tokyo") -> dt.datetime:
    """Return when a threshold of ``after`` ``unit`` counted from ``basis`` is reached."""
    if unit == TimeUnit.MINUTES:
        return basis + dt.timedelta(minutes=after)
    if unit == TimeUnit.HOURS:
        return basis + dt.timedelta(hours=after)
    if unit == TimeUnit.DAYS:
        return basis + dt.timedelta(days=after)
    if unit == TimeUnit.BUSINESS_DAYS:
        return add_business_days(basis, after, tz)
    raise ValueError(f"unknown unit {unit!r}")


# -- improvement criteria ----------------------------------------------------------------------


def review_reasons(
    criteria: Iterable[Mapping[str, Any]],
    *,
    priority: int,
    cause_class: str,
    sla_breached: bool,
    major: bool,
    repeats: Mapping[tuple[str, int], int],
) -> list[str]:
    """Return why a resolved incident needs the improvement review: one line per criterion met.

    ``criteria`` rows carry ``name``, ``type``, ``priorities``, ``causes``, ``count``, ``days``.
    ``repeats`` maps (criterion type, days) to the highest number of incidents, this one
    included, on one of its CIs (``repeat_ci``) or on its service (``repeat_service``) within
    that many days; the caller counts them.
    """
    out: list[str] = []
    for c in criteria:
        kind, name = c["type"], c["name"]
        if kind == CriterionType.PRIORITY and priority in c.get("priorities", []):
            out.append(_("%(name)s: priority P%(p)s") % {"name": name, "p": priority})
        elif kind == CriterionType.CAUSE and cause_class in c.get("causes", []):
            out.append(_("%(name)s: cause class %(cause)s") % {"name": name, "cause": cause_class})
        elif kind == CriterionType.SLA_BREACHED and sla_breached:
            out.append(_("%(name)s: a service level target was missed") % {"name": name})
        elif kind == CriterionType.MAJOR and major:
            out.append(_("%(name)s: major incident") % {"name": name})
        elif kind in (CriterionType.REPEAT_CI, CriterionType.REPEAT_SERVICE):
            days = int(c.get("days", 30))
            count = repeats.get((kind, days), 0)
            if count >= int(c.get("count", 3)):
                out.append(
                    _("%(name)s: %(count)s incidents within %(days)s days")
                    % {"name": name, "count": count, "days": days}
                )
    return out
