"""Business calendar definitions: validation, public holidays, and the schedule they describe (pure).

A calendar revision stores its definition as a small JSON document, so that a revision is
immutable and a clock can always be recomputed with the hours that were in force::

    {
      "time_zone": "Asia/Tokyo",
      "hours": [[["09:00", "18:00"]], [["09:00", "18:00"]], ..., [], []],   # Monday … Sunday
      "public_holidays": "JP",          # country code for the holidays package, "" for none
      "year_end": true,                 # closed 12/29–1/3
      "closed_dates": ["2026-08-14"],   # company holidays
      "closures": [{"start": "2026-12-10T18:00:00+09:00", "end": "...", "name": "..."}]
    }
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Callable, Mapping
from typing import Any

import holidays
from django.utils.translation import gettext as _

from kaizen.core.lib.business_time import DAY_MINUTES, Range, Schedule, ScheduleError, range_errors, zone

WEEKDAY_COUNT = 7
MAX_RANGES_PER_DAY = 8
MAX_CLOSED_DATES = 2000
MAX_CLOSURES = 2000
YEAR_END = ((12, 29), (12, 30), (12, 31), (1, 1), (1, 2), (1, 3))

DEFAULT_DEFINITION: dict[str, Any] = {
    "time_zone": "Asia/Tokyo",
    "hours": [[["09:00", "18:00"]]] * 5 + [[], []],
    "public_holidays": "JP",
    "year_end": True,
    "closed_dates": [],
    "closures": [],
}


def parse_hhmm(value: Any) -> int:
    """Return minutes after midnight of ``HH:MM`` (``24:00`` allowed).

    Raises:
        ValueError: not a time of day.
    """
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError(value)
    hours, minutes = int(value[:2]), int(value[3:])
    total = hours * 60 + minutes
    if not (0 <= minutes < 60) or not (0 <= total <= DAY_MINUTES):
        raise ValueError(value)
    return total


def hhmm(minutes: int) -> str:
    """Return ``HH:MM`` for minutes after midnight (1440 is ``24:00``)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@functools.lru_cache(maxsize=256)
def public_holidays(country: str, year: int) -> dict[dt.date, str]:
    """Return the public holidays of ``country`` in ``year`` (Japanese names for JP)."""
    if not country:
        return {}
    language = "ja" if country == "JP" else None
    found = holidays.country_holidays(country, years=year, language=language)
    return dict(sorted(found.items()))


def year_end_dates(year: int) -> list[dt.date]:
    """Return the days of ``year`` in the year-end closure (1/1–1/3 and 12/29–12/31)."""
    return sorted(dt.date(year, m, d) for m, d in YEAR_END)


@functools.lru_cache(maxsize=64)
def holiday_source(country: str, year_end: bool) -> Callable[[int], frozenset[dt.date]]:
    """Return year -> closed dates for public holidays of ``country`` and the year-end closure.

    One function per combination, so the schedule's per-year cache is shared between calendars.
    """

    @functools.lru_cache(maxsize=256)
    def closed(year: int) -> frozenset[dt.date]:
        days = set(public_holidays(country, year))
        if year_end:
            days.update(year_end_dates(year))
        return frozenset(days)

    return closed


def definition_errors(definition: Mapping[str, Any]) -> dict[str, list[str]]:
    """Return what is wrong with a calendar definition, by field (empty when usable)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    try:
        zone(str(definition.get("time_zone", "")))
    except ScheduleError:
        add("time_zone", _("Unknown time zone: %(zone)s.") % {"zone": definition.get("time_zone")})
    hours = definition.get("hours")
    if not isinstance(hours, list) or len(hours) != WEEKDAY_COUNT:
        add("hours", _("Give the service hours of each of the seven weekdays."))
    else:
        for weekday, ranges in enumerate(hours):
            problems = _day_errors(ranges)
            for problem in problems:
                add("hours", _("%(day)s: %(problem)s") % {"day": weekday_name(weekday), "problem": problem})
    country = definition.get("public_holidays", "")
    if not isinstance(country, str) or (country and country not in holidays.list_supported_countries()):
        add("public_holidays", _("Unknown country for public holidays: %(code)s.") % {"code": country})
    dates = definition.get("closed_dates", [])
    if not isinstance(dates, list) or len(dates) > MAX_CLOSED_DATES:
        add("closed_dates", _("At most %(n)s closed dates.") % {"n": MAX_CLOSED_DATES})
    else:
        for value in dates:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                add("closed_dates", _("Not a date: %(value)s.") % {"value": str(value)[:40]})
    closures = definition.get("closures", [])
    if not isinstance(closures, list) or len(closures) > MAX_CLOSURES:
        add("closures", _("At most %(n)s closures.") % {"n": MAX_CLOSURES})
    else:
        for item in closures:
            problem = _closure_error(item)
            if problem:
                add("closures", problem)
    return errors


def _day_errors(ranges: Any) -> list[str]:
    if not isinstance(ranges, list) or len(ranges) > MAX_RANGES_PER_DAY:
        return [_("at most %(n)s ranges a day.") % {"n": MAX_RANGES_PER_DAY}]
    parsed: list[Range] = []
    for item in ranges:
        try:
            start, end = item
            parsed.append((parse_hhmm(start), parse_hhmm(end)))
        except (TypeError, ValueError):
            return [_("%(value)s is not a range HH:MM–HH:MM.") % {"value": str(item)[:40]}]
    messages = []
    ordered = sorted(parsed)
    for start, end in ordered:
        if end <= start:
            messages.append(
                _("%(start)s–%(end)s ends before it starts.") % {"start": hhmm(start), "end": hhmm(end)}
            )
        elif start >= DAY_MINUTES:
            messages.append(_("%(start)s is not a start time.") % {"start": hhmm(start)})
    for (s1, e1), (s2, e2) in itertools.pairwise(ordered):
        if s2 < e1 and e1 > s1 and e2 > s2:
            messages.append(
                _("%(a)s and %(b)s overlap.") % {"a": f"{hhmm(s1)}–{hhmm(e1)}", "b": f"{hhmm(s2)}–{hhmm(e2)}"}
            )
    if not messages and range_errors(parsed):  # pragma: no cover - the checks above are the same
        messages.extend(range_errors(parsed))
    return messages


def _closure_error(item: Any) -> str:
    if not isinstance(item, Mapping):
        return _("A closure needs a start and an end.")
    try:
        start = dt.datetime.fromisoformat(str(item.get("start")))
        end = dt.datetime.fromisoformat(str(item.get("end")))
    except ValueError:
        return _("A closure needs a start and an end date and time.")
    if start.tzinfo is None or end.tzinfo is None:
        return _("A closure's start and end need a time zone offset.")
    if end <= start:
        return _("The closure %(name)s ends before it starts.") % {"name": str(item.get("name", ""))[:80]}
    return ""


def weekday_name(weekday: int) -> str:
    """Return the translated name of weekday ``weekday`` (Monday 0)."""
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    return names[weekday]


def schedule(definition: Mapping[str, Any]) -> Schedule:
    """Return the schedule a (valid) definition describes.

    Raises:
        ScheduleError: the definition is not valid (check :func:`definition_errors` first).
    """
    errors = definition_errors(definition)
    if errors:
        raise ScheduleError("; ".join(m for messages in errors.values() for m in messages))
    weekly = {
        weekday: [(parse_hhmm(s), parse_hhmm(e)) for s, e in ranges]
        for weekday, ranges in enumerate(definition["hours"])
    }
    closures = [
        (dt.datetime.fromisoformat(c["start"]), dt.datetime.fromisoformat(c["end"]))
        for c in definition.get("closures", [])
    ]
    return Schedule(
        time_zone=definition["time_zone"],
        weekly=weekly,
        closed_dates=[dt.date.fromisoformat(d) for d in definition.get("closed_dates", [])],
        closed_on=holiday_source(definition.get("public_holidays", ""), bool(definition.get("year_end"))),
        closures=closures,
    )


def hours_24x7() -> list[list[list[str]]]:
    """Service hours open around the clock every day."""
    return [[["00:00", "24:00"]] for _ in range(WEEKDAY_COUNT)]
