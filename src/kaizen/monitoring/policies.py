"""Pure decisions of event management: thresholds with hysteresis, urgency, flapping, mapping rules.

No ORM here: every function takes plain values so that the rules are tested exhaustively.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from .sources.base import CRITICAL, INFO, MAJOR, MINOR, OK, RANK, WARNING

URGENCY = {CRITICAL: 1, MAJOR: 2, MINOR: 3, WARNING: 3, INFO: 4}
"""Incident urgency (1 critical .. 4 low) from the alert severity; the impact comes from the CMDB."""

MAX_THRESHOLDS = 50
REDELIVERY_WINDOW = 300
"""Seconds within which a body identical to the integration's previous one is a sender's retry."""
NOTE_INTERVAL = dt.timedelta(minutes=1)
"""Least time between two plain monitoring notes on one incident (reopen and resolve always write)."""


def urgency(severity: str) -> int:
    """Return the incident urgency for an alert severity."""
    return URGENCY.get(severity, 3)


def worse(a: str, b: str) -> bool:
    """Tell whether severity ``a`` is worse than ``b``."""
    return RANK.get(a, 0) > RANK.get(b, 0)


def at_least(severity: str, floor: str) -> bool:
    """Tell whether ``severity`` reaches ``floor`` (the integration's lowest incident severity)."""
    return RANK.get(severity, 0) >= RANK.get(floor, 0)


def trend(previous: str, current: str) -> str:
    """Return "up" (worse), "down" (better) or "" for a severity change."""
    if worse(current, previous):
        return "up"
    if worse(previous, current):
        return "down"
    return ""


# -- thresholds -------------------------------------------------------------------------------


def threshold_errors(value: Any) -> list[str]:
    """Return what is wrong with an integration's thresholds (empty when usable).

    The format: a list of ``{"metric": "cpu", "warning": 80, "critical": 90, "hysteresis": 5,
    "direction": "above"}`` (``direction`` "below" for metrics that are bad when low).
    """
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        return [_("Thresholds must be a list of rules.")]
    if len(value) > MAX_THRESHOLDS:
        return [_("At most %(n)s threshold rules.") % {"n": MAX_THRESHOLDS}]
    errors: list[str] = []
    seen: set[str] = set()
    for n, rule in enumerate(value, start=1):
        errors += [f"{n}: {m}" for m in _rule_errors(rule, seen)]
    return errors


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _rule_errors(rule: Any, seen: set[str]) -> list[str]:
    if not isinstance(rule, dict):
        return [_("Each rule must be an object.")]
    unknown = set(rule) - {"metric", "warning", "critical", "hysteresis", "direction"}
    if unknown:
        return [_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))}]
    metric = rule.get("metric")
    if not isinstance(metric, str) or not metric.strip() or len(metric) > 255:
        return [_("Name the metric.")]
    if metric in seen:
        return [_("The metric %(m)s has two rules.") % {"m": metric}]
    seen.add(metric)
    warning, critical = _number(rule.get("warning")), _number(rule.get("critical"))
    hysteresis = _number(rule.get("hysteresis", 0))
    direction = rule.get("direction", "above")
    if direction not in ("above", "below"):
        return [_("The direction is above or below.")]
    if warning is None and critical is None:
        return [_("Give a warning or a critical level (numbers).")]
    if ("warning" in rule and warning is None) or ("critical" in rule and critical is None):
        return [_("Levels must be numbers.")]
    if hysteresis is None or hysteresis < 0:
        return [_("The hysteresis must be a number of zero or more.")]
    if (
        warning is not None
        and critical is not None
        and ((direction == "above" and critical < warning) or (direction == "below" and critical > warning))
    ):
        return [_("The critical level must be beyond the warning level.")]
    return []


def threshold_severity(
    rules: Sequence[Mapping[str, Any]], *, metric: str, value: float | None, previous: str
) -> str | None:
    """Return the severity of ``value`` for ``metric`` under ``rules``, or None when no rule applies.

    Hysteresis: a level once reached holds until the value has come back past the level by the
    rule's margin, so a value hovering at the threshold does not toggle the alert.
    """
    if value is None or not metric or not math.isfinite(value):
        return None
    rule = next((r for r in rules if r.get("metric") == metric), None)
    if rule is None:
        return None
    sign = 1.0 if rule.get("direction", "above") == "above" else -1.0
    margin = float(rule.get("hysteresis", 0) or 0)
    v = sign * value
    held = RANK.get(previous, 0)
    for severity, key in ((CRITICAL, "critical"), (WARNING, "warning")):
        level = rule.get(key)
        if level is None:
            continue
        edge = sign * float(level)
        if v >= edge or (held >= RANK[severity] and v > edge - margin):
            return severity
    return OK


# -- flapping ---------------------------------------------------------------------------------


def is_flapping(changes: Iterable[dt.datetime], *, now: dt.datetime, window: int, limit: int) -> bool:
    """Tell whether ``limit`` or more state changes happened in the last ``window`` minutes."""
    since = now - dt.timedelta(minutes=window)
    return sum(1 for at in changes if at >= since) >= limit


# -- CI mapping rules -------------------------------------------------------------------------

MATCH_FIELDS = ("host", "address", "resource", "service", "label")
CI_FIELDS = ("name", "number", "external_id", "attribute")
_ATTRIBUTE = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


def mapping_errors(
    *, match_field: str, label: str, pattern: str, ci_field: str, ci_attribute: str
) -> dict[str, str]:
    """Return field -> message for a CI mapping rule that cannot run (empty when usable)."""
    errors: dict[str, str] = {}
    if match_field == "label" and not label.strip():
        errors["label"] = _("Name the label to read.")
    if ci_field == "attribute" and not _ATTRIBUTE.match(ci_attribute or ""):
        errors["ci_attribute"] = _("Name the CI attribute (its code, e.g. hostname or ip_address).")
    if pattern:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            errors["pattern"] = _("Not a valid regular expression: %(e)s.") % {"e": exc}
        else:
            if compiled.groups < 1:
                errors["pattern"] = _("The pattern needs one group: the part compared with the CI.")
    return errors


def mapped_value(
    values: Mapping[str, str], labels: Mapping[str, str], *, match_field: str, label: str, pattern: str
) -> str:
    """Return what a mapping rule compares from an alert ("" when the alert has nothing there).

    ``values`` holds the alert's host, address, resource and service; ``labels`` its labels.
    """
    raw = labels.get(label, "") if match_field == "label" else values.get(match_field, "")
    raw = (raw or "").strip()
    if not raw or not pattern:
        return raw
    found = re.search(pattern, raw[:1000])
    return (found.group(1) or "").strip() if found else ""
