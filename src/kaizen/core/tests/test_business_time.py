"""Business time engine: a hand-worked corpus of edge cases, properties over random schedules, bad input.

Every expected value in the corpus was worked out by hand from the calendar's rules and the real
Japanese public holidays (``holidays.country_holidays("JP", years=...)``); the arithmetic is in each
case's description. Local times without an offset are read in the calendar's time zone; a time that
occurs twice (clocks turned back) is written with its offset.

The calendars are written as definitions in the format of ``kaizen.slm.calendars`` (core may not
import it, so :func:`build` turns them into schedules here with the ``holidays`` package; the slm
tests run the same corpus through ``calendars.schedule``).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import zoneinfo
from collections.abc import Callable
from typing import Any, NamedTuple

import holidays
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kaizen.core.lib.business_time import ALWAYS, EPOCH, US, Range, Schedule, ScheduleError, Timeline

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
ZERO = dt.timedelta(0)

WEEKDAYS = 5
NO_DAYS: list[list[list[str]]] = [[], []]


def _weekdays(*ranges: tuple[str, str]) -> list[list[list[str]]]:
    return [[list(r) for r in ranges] for _ in range(WEEKDAYS)] + NO_DAYS


def _sunday(*ranges: tuple[str, str]) -> list[list[list[str]]]:
    return [[] for _ in range(6)] + [[list(r) for r in ranges]]


def _plain(time_zone: str, hours: list[list[list[str]]], **more: Any) -> dict[str, Any]:
    """A definition without public holidays or year-end closure unless given."""
    return {
        "time_zone": time_zone,
        "hours": hours,
        "public_holidays": "",
        "year_end": False,
        "closed_dates": [],
        "closures": [],
        **more,
    }


ALL_DAY: list[list[list[str]]] = [[["00:00", "24:00"]] for _ in range(7)]
YEAR_END = ((1, 1), (1, 2), (1, 3), (12, 29), (12, 30), (12, 31))

# The sample calendar of a Japanese IT department (the product's default definition).
JP: dict[str, Any] = {
    "time_zone": "Asia/Tokyo",
    "hours": _weekdays(("09:00", "18:00")),
    "public_holidays": "JP",
    "year_end": True,  # closed 12/29–1/3
    "closed_dates": [],
    "closures": [],
}

CALENDARS: dict[str, dict[str, Any]] = {
    "jp": JP,
    "jp_lunch": {**JP, "hours": _weekdays(("09:00", "12:00"), ("13:00", "18:00"))},
    "jp_closure": {
        **JP,
        "closures": [
            {"start": "2026-06-10T13:00:00+09:00", "end": "2026-06-10T18:00:00+09:00", "name": "all-hands"},
            {"start": "2026-06-12T17:00:00+09:00", "end": "2026-06-15T10:00:00+09:00", "name": "DC move"},
        ],
    },
    "jp_evening": {**JP, "hours": _weekdays(("18:00", "24:00"))},
    # Night shift: Mon 18–24, Tue–Fri 00–06 and 18–24, Sat 00–06.
    "night_shift": _plain(
        "Asia/Tokyo",
        [[["18:00", "24:00"]]] + [[["00:00", "06:00"], ["18:00", "24:00"]]] * 4 + [[["00:00", "06:00"]], []],
    ),
    "tokyo_24x7": _plain("Asia/Tokyo", ALL_DAY),
    "ny_9_17": _plain("America/New_York", _weekdays(("09:00", "17:00"))),
    "ny_24x7": _plain("America/New_York", ALL_DAY),
    # Sunday-only calendars around the 2026 changes
    # (3/8: 02:00 EST -> 03:00 EDT; 11/1: 02:00 EDT -> 01:00 EST).
    "ny_sun_0_2": _plain("America/New_York", _sunday(("00:00", "02:00"))),
    "ny_sun_2_4": _plain("America/New_York", _sunday(("02:00", "04:00"))),
    "ny_sun_0_5": _plain("America/New_York", _sunday(("00:00", "05:00"))),
    "ny_sun_split_0230": _plain("America/New_York", _sunday(("00:00", "02:30"), ("02:30", "05:00"))),
    "ny_sun_shifts": _plain("America/New_York", _sunday(("00:00", "02:00"), ("02:00", "06:00"))),
    "ny_sun_1_2": _plain("America/New_York", _sunday(("01:00", "02:00"))),
    "ny_sun_0130": _plain("America/New_York", _sunday(("01:00", "01:30"))),
}


@functools.cache
def holiday_source(country: str, year_end: bool) -> Callable[[int], frozenset[dt.date]]:
    """Year -> public holidays of ``country`` (``holidays`` package) and the year-end closure."""

    def closed(year: int) -> frozenset[dt.date]:
        days = set(holidays.country_holidays(country, years=year)) if country else set()
        if year_end:
            days.update(dt.date(year, m, d) for m, d in YEAR_END)
        return frozenset(days)

    return closed


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def build(definition: dict[str, Any]) -> Schedule:
    """The schedule a calendar definition describes."""
    return Schedule(
        time_zone=definition["time_zone"],
        weekly={d: [(_minutes(s), _minutes(e)) for s, e in day] for d, day in enumerate(definition["hours"])},
        closed_dates=[dt.date.fromisoformat(d) for d in definition["closed_dates"]],
        closed_on=holiday_source(definition["public_holidays"], definition["year_end"]),
        closures=[
            (dt.datetime.fromisoformat(c["start"]), dt.datetime.fromisoformat(c["end"]))
            for c in definition["closures"]
        ],
    )


@functools.cache
def calendar(name: str) -> Schedule:
    return build(CALENDARS[name])


def local(name: str, text: str) -> dt.datetime:
    """``text`` as an aware datetime: its own offset if it has one, else the calendar's zone."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(CALENDARS[name]["time_zone"]))
    return moment


def shown(name: str, moment: dt.datetime) -> str:
    """An instant as local ISO text with its offset (distinguishes the two 01:30 of a fall-back day)."""
    return moment.astimezone(zoneinfo.ZoneInfo(CALENDARS[name]["time_zone"])).isoformat()


class AddCase(NamedTuple):
    description: str
    calendar: str
    start: str
    amount: dt.timedelta
    due: str


class ElapsedCase(NamedTuple):
    description: str
    calendar: str
    start: str
    end: str
    elapsed: dt.timedelta


# fmt: off
ADD_CASES: list[AddCase] = [
    # -- Friday before a Monday holiday (2026-07-20 Mon 海の日) -----------------------------------
    AddCase("fri-17:50-before-marine-day +10m: 10m left on Fri -> Fri 18:00 (earliest, not Tue 9:00)",
            "jp", "2026-07-17 17:50", 10 * M, "2026-07-17T18:00:00+09:00"),
    AddCase("fri-17:50-before-marine-day +20m: 10m Fri, Mon closed, 10m Tue -> Tue 9:10",
            "jp", "2026-07-17 17:50", 20 * M, "2026-07-21T09:10:00+09:00"),
    AddCase("fri-17:50-before-marine-day +4h: 10m Fri, 3h50 from Tue 9:00 -> Tue 12:50",
            "jp", "2026-07-17 17:50", 4 * H, "2026-07-21T12:50:00+09:00"),
    AddCase("fri-17:50-before-marine-day +18h: 10m Fri, 9h Tue, 8h50 Wed -> Wed 17:50",
            "jp", "2026-07-17 17:50", 18 * H, "2026-07-22T17:50:00+09:00"),
    AddCase("fri-17:00 +1h ends exactly at closing -> Fri 18:00",
            "jp", "2026-06-05 17:00", H, "2026-06-05T18:00:00+09:00"),
    AddCase("sat-10:00 +1h: weekend closed -> Mon 10:00",
            "jp", "2026-06-06 10:00", H, "2026-06-08T10:00:00+09:00"),
    # -- created at night on a holiday ------------------------------------------------------------
    AddCase("03:00-on-culture-day (Tue 11/3) +1h -> Wed 11/4 10:00",
            "jp", "2026-11-03 03:00", H, "2026-11-04T10:00:00+09:00"),
    AddCase("03:00-on-emperors-birthday (Mon 2/23) +18h: 9h Tue + 9h Wed -> Wed 2/25 18:00",
            "jp", "2026-02-23 03:00", 18 * H, "2026-02-25T18:00:00+09:00"),
    # -- Golden Week ------------------------------------------------------------------------------
    AddCase("gw-2019 (10 days 4/27-5/6): Fri 4/26 17:00 +2h: 1h Fri, 1h Tue 5/7 -> 5/7 10:00",
            "jp", "2019-04-26 17:00", 2 * H, "2019-05-07T10:00:00+09:00"),
    AddCase("gw-2019: Fri 4/26 17:30 +9h: 30m Fri, 8h30 Tue 5/7 -> 5/7 17:30",
            "jp", "2019-04-26 17:30", 9 * H, "2019-05-07T17:30:00+09:00"),
    AddCase("gw-2024: Fri 4/26 17:00 +2h: Sat, Sun, Mon 4/29 Showa Day -> Tue 4/30 10:00",
            "jp", "2024-04-26 17:00", 2 * H, "2024-04-30T10:00:00+09:00"),
    AddCase("gw-2024: Thu 5/2 17:00 +2h: 5/3-5/5, Mon 5/6 substitute -> Tue 5/7 10:00",
            "jp", "2024-05-02 17:00", 2 * H, "2024-05-07T10:00:00+09:00"),
    AddCase("gw-2025: Mon 4/28 17:00 +2h: Tue 4/29 Showa Day -> Wed 4/30 10:00",
            "jp", "2025-04-28 17:00", 2 * H, "2025-04-30T10:00:00+09:00"),
    AddCase("gw-2025: Fri 5/2 17:00 +2h: 5/3-5/5, Tue 5/6 substitute -> Wed 5/7 10:00",
            "jp", "2025-05-02 17:00", 2 * H, "2025-05-07T10:00:00+09:00"),
    AddCase("gw-2026: Tue 4/28 17:00 +2h: Wed 4/29 Showa Day -> Thu 4/30 10:00",
            "jp", "2026-04-28 17:00", 2 * H, "2026-04-30T10:00:00+09:00"),
    AddCase("gw-2026: Fri 5/1 17:00 +2h: 5/2-5/5, Wed 5/6 substitute for Sun 5/3 -> Thu 5/7 10:00",
            "jp", "2026-05-01 17:00", 2 * H, "2026-05-07T10:00:00+09:00"),
    # -- Silver Week: 敬老の日, 国民の休日 (citizens' holiday between two holidays), 秋分の日 ----------
    AddCase("silver-week-2015: Fri 9/18 17:00 +2h: 9/21 aged, 9/22 citizens', 9/23 equinox -> Thu 9/24 10:00",
            "jp", "2015-09-18 17:00", 2 * H, "2015-09-24T10:00:00+09:00"),
    AddCase("silver-week-2026: Fri 9/18 17:00 +2h: 9/21 aged, 9/22 citizens', 9/23 equinox -> Thu 9/24 10:00",
            "jp", "2026-09-18 17:00", 2 * H, "2026-09-24T10:00:00+09:00"),
    AddCase("silver-week-2026: Fri 9/18 17:00 +10h: 1h Fri, 9h Thu 9/24 -> Thu 18:00 (not Fri 9:00)",
            "jp", "2026-09-18 17:00", 10 * H, "2026-09-24T18:00:00+09:00"),
    # -- year-end closure 12/29-1/3 -----------------------------------------------------------------
    AddCase("year-end-2026: Mon 12/28 17:00 +2h: 1h, 12/29-1/3 closed, Mon 2027-01-04 open -> 1/4 10:00",
            "jp", "2026-12-28 17:00", 2 * H, "2027-01-04T10:00:00+09:00"),
    AddCase("year-end-2026: Mon 12/28 17:00 +11h: 1h, 9h Mon 1/4, 1h Tue -> 2027-01-05 10:00",
            "jp", "2026-12-28 17:00", 11 * H, "2027-01-05T10:00:00+09:00"),
    AddCase("year-end-2025: Fri 12/26 17:00 +2h: weekend, 12/29-1/3, Sun 1/4 -> Mon 2026-01-05 10:00",
            "jp", "2025-12-26 17:00", 2 * H, "2026-01-05T10:00:00+09:00"),
    AddCase("year-end-2019: Fri 12/27 17:00 +2h: 12/29-1/3, Sat 1/4, Sun 1/5 -> Mon 2020-01-06 10:00",
            "jp", "2019-12-27 17:00", 2 * H, "2020-01-06T10:00:00+09:00"),
    AddCase("year-end-2027: Tue 12/28 17:00 +2h: 12/29-1/3 -> Tue 2028-01-04 10:00",
            "jp", "2027-12-28 17:00", 2 * H, "2028-01-04T10:00:00+09:00"),
    AddCase("year-end: Tue 12/29 03:00 inside the closure +1h -> Mon 2027-01-04 10:00",
            "jp", "2026-12-29 03:00", H, "2027-01-04T10:00:00+09:00"),
    # -- two ranges a day (lunch closed) -----------------------------------------------------------
    AddCase("lunch: Mon 11:30 +1h: 30m before lunch, 30m after -> 13:30",
            "jp_lunch", "2026-06-01 11:30", H, "2026-06-01T13:30:00+09:00"),
    AddCase("lunch: Mon 11:30 +30m -> 12:00 (earliest, not 13:00)",
            "jp_lunch", "2026-06-01 11:30", 30 * M, "2026-06-01T12:00:00+09:00"),
    AddCase("lunch: Mon 12:30 during lunch +1h -> 14:00",
            "jp_lunch", "2026-06-01 12:30", H, "2026-06-01T14:00:00+09:00"),
    AddCase("lunch: Mon 17:30 +8h: 30m, Tue 9-12 3h, 4h30 from 13:00 -> Tue 17:30",
            "jp_lunch", "2026-06-01 17:30", 8 * H, "2026-06-02T17:30:00+09:00"),
    # -- one-off closures ------------------------------------------------------------------------
    AddCase("closure Wed 6/10 13-18: 12:00 +2h: 1h before, afternoon closed -> Thu 6/11 10:00",
            "jp_closure", "2026-06-10 12:00", 2 * H, "2026-06-11T10:00:00+09:00"),
    AddCase("closure Wed 6/10 13-18: 14:00 inside it +1h -> Thu 6/11 10:00",
            "jp_closure", "2026-06-10 14:00", H, "2026-06-11T10:00:00+09:00"),
    AddCase("closure Fri 6/12 17:00-Mon 6/15 10:00: Fri 16:00 +2h: 1h Fri, Mon from 10:00 -> Mon 11:00",
            "jp_closure", "2026-06-12 16:00", 2 * H, "2026-06-15T11:00:00+09:00"),
    # -- ranges ending at 24:00 ----------------------------------------------------------------------
    AddCase("evening 18-24: Mon 23:00 +1h -> Tue 00:00 (= Mon 24:00, earliest)",
            "jp_evening", "2026-06-01 23:00", H, "2026-06-02T00:00:00+09:00"),
    AddCase("evening 18-24: Mon 23:30 +1h: 30m Mon, Tue from 18:00 -> Tue 18:30",
            "jp_evening", "2026-06-01 23:30", H, "2026-06-02T18:30:00+09:00"),
    AddCase("night shift: Mon 23:30 +1h: Mon 18-24 and Tue 00-06 are contiguous -> Tue 00:30",
            "night_shift", "2026-06-01 23:30", H, "2026-06-02T00:30:00+09:00"),
    AddCase("night shift: Fri 23:00 +8h: 1h Fri, 6h Sat 00-06, Sun closed, Mon from 18:00 -> Mon 19:00",
            "night_shift", "2026-06-05 23:00", 8 * H, "2026-06-08T19:00:00+09:00"),
    # -- 24x7 ------------------------------------------------------------------------------------
    AddCase("tokyo 24x7: Tue 23:50 +20m across midnight -> Wed 00:10",
            "tokyo_24x7", "2026-06-02 23:50", 20 * M, "2026-06-03T00:10:00+09:00"),
    AddCase("tokyo 24x7: no holidays nor year end: 12/31 23:00 +4h -> 2027-01-01 03:00",
            "tokyo_24x7", "2026-12-31 23:00", 4 * H, "2027-01-01T03:00:00+09:00"),
    AddCase("tokyo 24x7: Sat 12:00 +24h -> Sun 12:00",
            "tokyo_24x7", "2026-06-06 12:00", 24 * H, "2026-06-07T12:00:00+09:00"),
    # -- America/New_York across the 2026 changes ----------------------------------------------------
    AddCase("ny 9-17 spring forward Sun 3/8: Fri 3/6 16:00 EST +2h -> Mon 3/9 10:00 EDT",
            "ny_9_17", "2026-03-06 16:00", 2 * H, "2026-03-09T10:00:00-04:00"),
    AddCase("ny 9-17 fall back Sun 11/1: Fri 10/30 16:00 EDT +2h -> Mon 11/2 10:00 EST",
            "ny_9_17", "2026-10-30 16:00", 2 * H, "2026-11-02T10:00:00-05:00"),
    AddCase("ny 24x7: Sun 3/8 00:00 EST +24h -> Mon 3/9 01:00 EDT (the day has 23h)",
            "ny_24x7", "2026-03-08 00:00", 24 * H, "2026-03-09T01:00:00-04:00"),
    AddCase("ny 24x7: Sun 11/1 00:00 EDT +24h -> Sun 11/1 23:00 EST (the day has 25h)",
            "ny_24x7", "2026-11-01 00:00", 24 * H, "2026-11-01T23:00:00-05:00"),
    AddCase("ny 24x7: Sun 3/8 01:30 EST +1h -> 03:30 EDT (02:00-03:00 does not exist)",
            "ny_24x7", "2026-03-08 01:30", H, "2026-03-08T03:30:00-04:00"),
    AddCase("ny 24x7: Sun 11/1 00:30 EDT +1h -> the first 01:30 (EDT)",
            "ny_24x7", "2026-11-01 00:30", H, "2026-11-01T01:30:00-04:00"),
    AddCase("ny 24x7: Sun 11/1 00:30 EDT +2h -> the second 01:30 (EST)",
            "ny_24x7", "2026-11-01 00:30", 2 * H, "2026-11-01T01:30:00-05:00"),
    # -- ranges touching the DST gap (3/8: local 02:00-03:00 does not exist) -----------------------------
    # Local 00:00 is 05:00Z, the clock reaches 02:00 (and jumps to 03:00 EDT) at 07:00Z: every instant
    # of 05:00Z-07:00Z reads 00:00-01:59 locally, so a 00:00-02:00 range is open for 2 real hours.
    AddCase("ny Sun 00:00-02:00 on 3/8: 00:00 EST +2h -> 03:00 EDT (= 02:00 EST, the jump)",
            "ny_sun_0_2", "2026-03-08 00:00", 2 * H, "2026-03-08T03:00:00-04:00"),
    # 02:00-04:00 on 3/8: local 02:00 is the jump (07:00Z = 03:00 EDT), 04:00 EDT is 08:00Z: 1 real hour.
    AddCase("ny Sun 02:00-04:00 on 3/8 opens at the jump: 00:00 +1h -> 04:00 EDT",
            "ny_sun_2_4", "2026-03-08 00:00", H, "2026-03-08T04:00:00-04:00"),
    # 00:00-02:30 + 02:30-05:00 touch: the same hours as 00:00-05:00 = 05:00Z-09:00Z = 4 real hours.
    AddCase("ny Sun 00:00-02:30 + 02:30-05:00 on 3/8 (split inside the gap) = 00:00-05:00: +4h -> 05:00 EDT",
            "ny_sun_split_0230", "2026-03-08 00:00", 4 * H, "2026-03-08T05:00:00-04:00"),
    AddCase("ny Sun 00:00-05:00 on 3/8: +4h -> 05:00 EDT (05:00Z-09:00Z)",
            "ny_sun_0_5", "2026-03-08 00:00", 4 * H, "2026-03-08T05:00:00-04:00"),
    # Two night shifts handing over at 02:00: open from 00:00 EST (05:00Z) to 06:00 EDT (10:00Z) = 5h.
    AddCase("ny Sun shifts 00:00-02:00 + 02:00-06:00 on 3/8: 00:00 EST +5h -> 06:00 EDT",
            "ny_sun_shifts", "2026-03-08 00:00", 5 * H, "2026-03-08T06:00:00-04:00"),
    # 11/1: 01:00 EDT is 05:00Z, 02:00 EST is 07:00Z: the range 01:00-02:00 holds 2 real hours.
    AddCase("ny Sun 01:00-02:00 on fall-back 11/1: 01:00 EDT +2h -> 02:00 EST",
            "ny_sun_1_2", "2026-11-01T01:00:00-04:00", 2 * H, "2026-11-01T02:00:00-05:00"),
    # 01:00-01:30 on 11/1: from the first 01:00 (05:00Z) to the second 01:30 (06:30Z) = 1h30.
    AddCase("ny Sun 01:00-01:30 on fall-back 11/1 keeps both passes: 01:00 EDT +90m -> 01:30 EST",
            "ny_sun_0130", "2026-11-01T01:00:00-04:00", 90 * M, "2026-11-01T01:30:00-05:00"),
]

ELAPSED_CASES: list[ElapsedCase] = [
    ElapsedCase("fri-17:50-before-marine-day -> Tue 10:00: 10m Fri + 1h Tue = 1h10",
                "jp", "2026-07-17 17:50", "2026-07-21 10:00", 70 * M),
    ElapsedCase("marine-day Mon 7/20 all day = 0", "jp", "2026-07-20 00:00", "2026-07-21 00:00", ZERO),
    ElapsedCase("03:00 -> 23:00 on culture-day = 0", "jp", "2026-11-03 03:00", "2026-11-03 23:00", ZERO),
    ElapsedCase("03:00 on culture-day -> Wed 10:00 = 1h", "jp", "2026-11-03 03:00", "2026-11-04 10:00", H),
    ElapsedCase("an ordinary week Mon 6/1 00:00 -> Mon 6/8 00:00 = 5 x 9h",
                "jp", "2026-06-01 00:00", "2026-06-08 00:00", 45 * H),
    ElapsedCase("gw-2019: Fri 4/26 09:00 -> Tue 5/7 09:00 = only Fri 4/26, 9h",
                "jp", "2019-04-26 09:00", "2019-05-07 09:00", 9 * H),
    ElapsedCase("gw-2019: Sat 4/27 -> Tue 5/7 00:00 = 0 (ten closed days)",
                "jp", "2019-04-27 00:00", "2019-05-07 00:00", ZERO),
    ElapsedCase("gw-2024: Fri 4/26 09:00 -> Tue 5/7 09:00 = 4/26, 4/30, 5/1, 5/2 = 36h",
                "jp", "2024-04-26 09:00", "2024-05-07 09:00", 36 * H),
    ElapsedCase("gw-2025: Mon 4/28 09:00 -> Wed 5/7 09:00 = 4/28, 4/30, 5/1, 5/2 = 36h",
                "jp", "2025-04-28 09:00", "2025-05-07 09:00", 36 * H),
    ElapsedCase("gw-2026: Tue 4/28 09:00 -> Thu 5/7 09:00 = 4/28, 4/30, 5/1 = 27h",
                "jp", "2026-04-28 09:00", "2026-05-07 09:00", 27 * H),
    ElapsedCase("silver-week-2015: Fri 9/18 09:00 -> Thu 9/24 18:00 = 9h + 9h",
                "jp", "2015-09-18 09:00", "2015-09-24 18:00", 18 * H),
    ElapsedCase("silver-week-2026: Sat 9/19 -> Thu 9/24 00:00 = 0",
                "jp", "2026-09-19 00:00", "2026-09-24 00:00", ZERO),
    ElapsedCase("year-end-2026: Mon 12/28 09:00 -> Mon 2027-01-04 18:00 = 9h + 9h",
                "jp", "2026-12-28 09:00", "2027-01-04 18:00", 18 * H),
    ElapsedCase("year-end-2025: 12/29 -> 2026-01-05 00:00 = 0 (closure, then Sun 1/4)",
                "jp", "2025-12-29 00:00", "2026-01-05 00:00", ZERO),
    # 2026: 261 weekdays - 17 weekday holidays - 4 more year-end weekdays (1/2, 12/29, 12/30, 12/31) = 240.
    ElapsedCase("the whole of 2026 = 240 business days x 9h",
                "jp", "2026-01-01 00:00", "2027-01-01 00:00", 240 * 9 * H),
    ElapsedCase("lunch: Mon 11:00 -> 14:00 = 1h + 1h",
                "jp_lunch", "2026-06-01 11:00", "2026-06-01 14:00", 2 * H),
    ElapsedCase("lunch: 12:10 -> 12:50 = 0", "jp_lunch", "2026-06-01 12:10", "2026-06-01 12:50", ZERO),
    ElapsedCase("closure Wed 6/10 afternoon: 09:00 -> Thu 09:00 = 4h",
                "jp_closure", "2026-06-10 09:00", "2026-06-11 09:00", 4 * H),
    ElapsedCase("closure Fri 17:00-Mon 10:00: Fri 09:00 -> Mon 18:00 = 8h + 8h",
                "jp_closure", "2026-06-12 09:00", "2026-06-15 18:00", 16 * H),
    ElapsedCase("evening 18-24: Mon 18:00 -> Tue 00:00 = 6h",
                "jp_evening", "2026-06-01 18:00", "2026-06-02 00:00", 6 * H),
    ElapsedCase("evening 18-24: Mon 23:00 -> Tue 19:00 = 1h + 1h",
                "jp_evening", "2026-06-01 23:00", "2026-06-02 19:00", 2 * H),
    ElapsedCase("night shift: Mon 23:00 -> Tue 01:00 = 2h across midnight",
                "night_shift", "2026-06-01 23:00", "2026-06-02 01:00", 2 * H),
    ElapsedCase("tokyo 24x7: Tue 23:30 -> Wed 00:30 = 1h",
                "tokyo_24x7", "2026-06-02 23:30", "2026-06-03 00:30", H),
    ElapsedCase("tokyo 24x7: New Year's Eve day = 24h",
                "tokyo_24x7", "2026-12-31 00:00", "2027-01-01 00:00", 24 * H),
    ElapsedCase("tokyo 24x7: the whole of 2026 = 365 x 24h",
                "tokyo_24x7", "2026-01-01 00:00", "2027-01-01 00:00", 365 * 24 * H),
    ElapsedCase("ny 24x7: Sun 3/8 = 23h", "ny_24x7", "2026-03-08 00:00", "2026-03-09 00:00", 23 * H),
    ElapsedCase("ny 24x7: Sun 11/1 = 25h", "ny_24x7", "2026-11-01 00:00", "2026-11-02 00:00", 25 * H),
    ElapsedCase("ny 24x7: Sat 3/7 12:00 -> Sun 3/8 12:00 = 23h",
                "ny_24x7", "2026-03-07 12:00", "2026-03-08 12:00", 23 * H),
    ElapsedCase("ny 24x7: first 01:30 -> second 01:30 on 11/1 = 1h",
                "ny_24x7", "2026-11-01T01:30:00-04:00", "2026-11-01T01:30:00-05:00", H),
    ElapsedCase("ny 9-17: Fri 3/6 09:00 -> Mon 3/9 17:00 = 8h + 8h",
                "ny_9_17", "2026-03-06 09:00", "2026-03-09 17:00", 16 * H),
    ElapsedCase("ny 9-17: Fri 10/30 09:00 -> Mon 11/2 17:00 = 8h + 8h",
                "ny_9_17", "2026-10-30 09:00", "2026-11-02 17:00", 16 * H),
    ElapsedCase("ny 9-17: two weeks around the spring change = 10 x 8h",
                "ny_9_17", "2026-03-02 00:00", "2026-03-16 00:00", 80 * H),
    ElapsedCase("ny Sun 00:00-02:00 on 3/8 holds 2 real hours (05:00Z-07:00Z)",
                "ny_sun_0_2", "2026-03-08 00:00", "2026-03-09 00:00", 2 * H),
    ElapsedCase("ny Sun 00:00-02:00 on an ordinary Sunday 3/1 = 2h",
                "ny_sun_0_2", "2026-03-01 00:00", "2026-03-02 00:00", 2 * H),
    ElapsedCase("ny Sun shifts 00:00-02:00 + 02:00-06:00 on 3/8 = 05:00Z-10:00Z = 5h",
                "ny_sun_shifts", "2026-03-08 00:00", "2026-03-09 00:00", 5 * H),
    ElapsedCase("ny Sun 02:00-04:00 on 3/8 holds 1 real hour (07:00Z-08:00Z)",
                "ny_sun_2_4", "2026-03-08 00:00", "2026-03-09 00:00", H),
    ElapsedCase("ny Sun 00:00-02:30 + 02:30-05:00 on 3/8 = 00:00-05:00 = 4h",
                "ny_sun_split_0230", "2026-03-08 00:00", "2026-03-09 00:00", 4 * H),
    ElapsedCase("ny Sun 00:00-05:00 on 3/8 = 4h",
                "ny_sun_0_5", "2026-03-08 00:00", "2026-03-09 00:00", 4 * H),
    ElapsedCase("ny Sun 01:00-02:00 on 11/1 = 2h (both passes of 01:xx)",
                "ny_sun_1_2", "2026-11-01 00:00", "2026-11-02 00:00", 2 * H),
    ElapsedCase("ny Sun 01:00-01:30 on 11/1 = first 01:00 to second 01:30 = 1h30",
                "ny_sun_0130", "2026-11-01 00:00", "2026-11-02 00:00", 90 * M),
    ElapsedCase("start equals end = 0", "jp", "2026-06-01 10:00", "2026-06-01 10:00", ZERO),
    ElapsedCase("end before start = 0", "jp", "2026-06-01 12:00", "2026-06-01 10:00", ZERO),
]
# fmt: on


@pytest.mark.parametrize("case", ADD_CASES, ids=[c.description for c in ADD_CASES])
def test_add(case: AddCase) -> None:
    schedule = calendar(case.calendar)
    start = local(case.calendar, case.start)
    due = schedule.add(start, case.amount)
    assert shown(case.calendar, due) == case.due
    assert due.utcoffset() == ZERO  # add answers in UTC
    assert schedule.elapsed(start, due) == case.amount


@pytest.mark.parametrize("case", ELAPSED_CASES, ids=[c.description for c in ELAPSED_CASES])
def test_elapsed(case: ElapsedCase) -> None:
    schedule = calendar(case.calendar)
    start, end = local(case.calendar, case.start), local(case.calendar, case.end)
    assert schedule.elapsed(start, end) == case.elapsed
    if end >= start:
        assert sum((e - s for s, e in schedule.open_intervals(start, end)), ZERO) == case.elapsed


# -- the calendar rules behind the corpus ------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        ("2015-09-21", True),  # 敬老の日
        ("2015-09-22", True),  # 国民の休日 (between two holidays)
        ("2015-09-23", True),  # 秋分の日
        ("2015-09-24", False),
        ("2019-04-30", True),  # 国民の休日
        ("2019-05-01", True),  # 天皇の即位の日
        ("2019-05-02", True),  # 国民の休日
        ("2019-05-06", True),  # 振替休日
        ("2019-05-07", False),
        ("2026-05-06", True),  # 振替休日 for Sunday 5/3
        ("2026-09-22", True),  # 国民の休日
        ("2026-07-20", True),  # 海の日
        ("2026-07-21", False),
    ],
)
def test_japanese_closed_days(day: str, closed: bool) -> None:
    assert calendar("jp").is_closed_day(dt.date.fromisoformat(day)) is closed


def test_year_end_closure_dates() -> None:
    jp = calendar("jp")
    closed = [dt.date(2026, 12, d) for d in (29, 30, 31)] + [dt.date(2027, 1, d) for d in (1, 2, 3)]
    assert all(jp.is_closed_day(d) for d in closed)
    assert not jp.is_closed_day(dt.date(2026, 12, 28))
    assert not jp.is_closed_day(dt.date(2027, 1, 4))
    no_year_end = build({**JP, "year_end": False})
    assert not no_year_end.is_closed_day(dt.date(2026, 12, 29))
    assert no_year_end.is_closed_day(dt.date(2027, 1, 1))  # New Year's Day is a public holiday


@pytest.mark.parametrize(
    ("name", "moment", "expected"),
    [
        ("jp", "2026-07-17 17:59", "2026-07-17T17:59:00+09:00"),  # open: the moment itself
        ("jp", "2026-07-17 18:00", "2026-07-21T09:00:00+09:00"),  # closes at 18:00; Mon 7/20 holiday
        ("jp", "2026-12-28 18:00", "2027-01-04T09:00:00+09:00"),
        ("jp_lunch", "2026-06-01 12:00", "2026-06-01T13:00:00+09:00"),
        ("jp_closure", "2026-06-10 13:00", "2026-06-11T09:00:00+09:00"),
        ("ny_sun_2_4", "2026-03-08 00:00", "2026-03-08T03:00:00-04:00"),
    ],
)
def test_next_open(name: str, moment: str, expected: str) -> None:
    found = calendar(name).next_open(local(name, moment))
    assert found is not None
    assert shown(name, found) == expected


@pytest.mark.parametrize(
    ("name", "moment", "expected"),
    [
        ("jp", "2026-06-01 09:00", True),
        ("jp", "2026-06-01 18:00", False),  # ranges are half-open
        ("jp", "2026-06-01 17:59:59.999999", True),
        ("jp", "2026-07-20 10:00", False),
        ("jp_lunch", "2026-06-01 12:00", False),
        ("jp_closure", "2026-06-10 12:59", True),
        ("jp_closure", "2026-06-10 13:00", False),
        ("jp_evening", "2026-06-01 23:59:59.999999", True),
        ("jp_evening", "2026-06-02 00:00", False),
        ("night_shift", "2026-06-02 00:00", True),
        ("tokyo_24x7", "2027-01-01 00:00", True),
        ("ny_sun_0_2", "2026-03-08 01:30", True),  # 01:30 EST, inside 00:00-02:00 on the spring-forward day
        ("ny_sun_shifts", "2026-03-08 01:30", True),
        ("ny_sun_shifts", "2026-03-08 03:30", True),  # 03:30 EDT
        ("ny_sun_1_2", "2026-11-01T01:30:00-05:00", True),  # the second 01:30
    ],
)
def test_is_open(name: str, moment: str, expected: bool) -> None:
    assert calendar(name).is_open(local(name, moment)) is expected


def test_open_intervals_of_an_instant_are_empty() -> None:
    """An empty span has no open period, even at an open moment (a zero-length period is not one)."""
    jp = calendar("jp")
    moment = local("jp", "2026-06-01 10:00")
    assert list(jp.open_intervals(moment, moment)) == []
    assert list(jp.open_intervals(moment, moment - H)) == []


def test_open_intervals_lunch_day() -> None:
    jp = calendar("jp_lunch")
    got = [
        (shown("jp_lunch", s), shown("jp_lunch", e))
        for s, e in jp.open_intervals(
            local("jp_lunch", "2026-06-01 10:00"), local("jp_lunch", "2026-06-02 10:00")
        )
    ]
    assert got == [
        ("2026-06-01T10:00:00+09:00", "2026-06-01T12:00:00+09:00"),
        ("2026-06-01T13:00:00+09:00", "2026-06-01T18:00:00+09:00"),
        ("2026-06-02T09:00:00+09:00", "2026-06-02T10:00:00+09:00"),
    ]


def test_timeline_hours_extended_mid_day() -> None:
    """Hours extended to 20:00 from Mon 6/1 12:00: before the edit 9–18 counts, after it 9–20."""
    old = calendar("jp")
    new = build({**JP, "hours": _weekdays(("09:00", "20:00"))})
    edit = local("jp", "2026-06-01 12:00")
    line = Timeline([(None, old), (edit, new)])
    # Fri 5/29 17:00 -> Mon 6/1 19:00: Fri 17-18 1h (old), Mon 9-12 3h (old), 12-19 7h (new).
    assert line.elapsed(local("jp", "2026-05-29 17:00"), local("jp", "2026-06-01 19:00")) == 11 * H
    # Fri 5/29 19:00 + 5h: Mon 9-12 3h (old), then 2h from 12:00 -> Mon 14:00.
    assert shown("jp", line.add(local("jp", "2026-05-29 19:00"), 5 * H)) == "2026-06-01T14:00:00+09:00"
    # Fri 5/29 19:00 + 12h: 3h old, Mon 12-20 8h, 1h Tue -> Tue 10:00.
    assert shown("jp", line.add(local("jp", "2026-05-29 19:00"), 12 * H)) == "2026-06-02T10:00:00+09:00"
    # Fri 5/29 17:00 + 4h: 1h Fri, Mon 9:00 + 3h reaches exactly the edit -> Mon 12:00.
    assert shown("jp", line.add(local("jp", "2026-05-29 17:00"), 4 * H)) == "2026-06-01T12:00:00+09:00"
    assert line.is_open(local("jp", "2026-06-01 19:00"))
    assert not line.is_open(local("jp", "2026-05-29 19:00"))
    assert line.schedule_at(edit) is new
    assert line.schedule_at(edit - US) is old


# -- properties over random schedules ------------------------------------------------------------

ZONES = ["Asia/Tokyo", "America/New_York", "Europe/London", "UTC"]
FIRST = dt.date(2025, 1, 1)
LAST = dt.date(2027, 12, 31)
BASE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SPAN = 3 * 365 * 86_400 * 1_000_000  # microseconds
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def day_ranges(draw: st.DrawFn) -> list[Range]:
    points = sorted(draw(st.sets(st.integers(0, 1440), max_size=6)))
    ranges = list(zip(points[0::2], points[1::2], strict=False))
    if ranges and draw(st.booleans()):  # split one range into two touching ones
        start, end = ranges[0]
        if end - start >= 2:
            middle = draw(st.integers(start + 1, end - 1))
            ranges[0:1] = [(start, middle), (middle, end)]
    return ranges


@st.composite
def schedules(draw: st.DrawFn, zones: list[str] = ZONES, open_hours: bool = False) -> Schedule:
    time_zone = draw(st.sampled_from(zones))
    weekly = {d: draw(day_ranges()) for d in range(7)}
    if open_hours:
        assume(any(weekly.values()))
    closures = []
    for start, minutes in draw(
        st.lists(st.tuples(st.integers(0, SPAN), st.integers(1, 5 * 1440)), max_size=4)
    ):
        begin = BASE + dt.timedelta(microseconds=start)
        closures.append((begin, begin + dt.timedelta(minutes=minutes)))
    country = draw(st.sampled_from(["", "JP", "US", "GB"]))
    return Schedule(
        time_zone=time_zone,
        weekly=weekly,
        closed_dates=draw(st.lists(st.dates(FIRST, LAST), max_size=12)),
        closed_on=holiday_source(country, draw(st.booleans())) if country else None,
        closures=closures,
    )


@st.composite
def moments(draw: st.DrawFn, time_zone: str) -> dt.datetime:
    """A random instant, or a local minute (often a range boundary) give or take a microsecond.

    Always in UTC: arithmetic and comparisons between datetimes of one ``ZoneInfo`` use wall time.
    """
    if draw(st.booleans()):
        return BASE + dt.timedelta(microseconds=draw(st.integers(0, SPAN)))
    day = draw(st.dates(FIRST, LAST))
    minute = draw(st.integers(0, 1439))
    naive = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    moment = naive.replace(tzinfo=zoneinfo.ZoneInfo(time_zone), fold=draw(st.integers(0, 1)))
    return moment.astimezone(dt.UTC) + draw(st.sampled_from([ZERO, US, -US]))


@st.composite
def scenarios(
    draw: st.DrawFn, count: int = 3, zones: list[str] = ZONES, open_hours: bool = False
) -> tuple[Schedule, list[dt.datetime]]:
    schedule = draw(schedules(zones=zones, open_hours=open_hours))
    found = sorted(draw(moments(schedule.time_zone)) for _ in range(count))
    return schedule, found


@PROPERTY
@given(scenarios())
def test_elapsed_is_additive(scenario: tuple[Schedule, list[dt.datetime]]) -> None:
    schedule, (a, b, c) = scenario
    assert schedule.elapsed(a, c) == schedule.elapsed(a, b) + schedule.elapsed(b, c)


@PROPERTY
@given(scenarios())
def test_elapsed_is_monotonic_and_bounded(scenario: tuple[Schedule, list[dt.datetime]]) -> None:
    schedule, (a, b, c) = scenario
    assert ZERO <= schedule.elapsed(a, b) <= schedule.elapsed(a, c)  # monotonic in the end
    assert schedule.elapsed(b, c) <= schedule.elapsed(a, c)  # antitone in the start
    assert schedule.elapsed(a, b) <= b - a
    assert schedule.elapsed(c, a) == ZERO


@PROPERTY
@given(schedules(), st.data())
def test_elapsed_is_zero_inside_a_closed_date(schedule: Schedule, data: st.DataObject) -> None:
    closed = sorted(d for d in schedule.closed_dates if FIRST <= d <= LAST)
    if schedule.closed_on is not None:
        closed += sorted(schedule.closed_on(2026))
    days = st.sampled_from(closed) if closed and data.draw(st.booleans()) else st.dates(FIRST, LAST)
    day = data.draw(days)
    assume(schedule.is_closed_day(day) or not schedule.weekly[day.weekday()])
    tz = schedule.zone
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
    length = (end - start) // US
    a_us, b_us = sorted(data.draw(st.integers(0, length)) for _ in range(2))
    a, b = start + a_us * US, start + b_us * US
    assert schedule.elapsed(a, b) == ZERO
    assert schedule.elapsed(start, end) == ZERO
    assert not schedule.is_open(a) or a == end


@PROPERTY
@given(schedules(), st.data())
def test_elapsed_is_zero_inside_a_closure(schedule: Schedule, data: st.DataObject) -> None:
    assume(schedule.closures)
    c_start, c_end = data.draw(st.sampled_from(schedule.closures))
    a_us, b_us = sorted(data.draw(st.integers(c_start, c_end)) for _ in range(2))
    a, b = EPOCH + a_us * US, EPOCH + b_us * US
    assert schedule.elapsed(a, b) == ZERO
    if a_us < c_end:
        assert not schedule.is_open(a)


@PROPERTY
@given(scenarios(count=1, open_hours=True), st.integers(1, 60 * 3_600_000_000))
def test_add_is_the_earliest_moment(scenario: tuple[Schedule, list[dt.datetime]], amount_us: int) -> None:
    schedule, (a,) = scenario
    amount = amount_us * US
    due = schedule.add(a, amount)
    assert due > a
    assert schedule.elapsed(a, due) == amount
    assert schedule.elapsed(a, due - US) < amount
    assert schedule.is_open(due - US)
    assert schedule.add(a, ZERO) == a


@PROPERTY
@given(scenarios(count=2))
def test_open_intervals_sum_to_elapsed(scenario: tuple[Schedule, list[dt.datetime]]) -> None:
    schedule, (a, b) = scenario
    assume(a < b)
    intervals = list(schedule.open_intervals(a, b))
    assert sum((e - s for s, e in intervals), ZERO) == schedule.elapsed(a, b)
    for s, e in intervals:
        assert a <= s < e <= b
        assert schedule.is_open(s)
        assert schedule.is_open(e - US)
    for (_, e1), (s2, _) in itertools.pairwise(intervals):
        assert e1 <= s2


@PROPERTY
@given(scenarios(count=1))
def test_is_open_and_next_open_agree_with_elapsed(scenario: tuple[Schedule, list[dt.datetime]]) -> None:
    schedule, (a,) = scenario
    assert schedule.is_open(a) == (schedule.elapsed(a, a + US) == US)
    found = schedule.next_open(a)
    if schedule.is_open(a):
        assert found == a
    elif found is not None:
        assert found > a
        assert schedule.elapsed(a, found) == ZERO
        assert schedule.is_open(found)


@PROPERTY
@given(scenarios(count=2, zones=["Asia/Tokyo", "UTC"]), st.integers(0, 6), st.data())
def test_touching_ranges_equal_their_union(
    scenario: tuple[Schedule, list[dt.datetime]], weekday: int, data: st.DataObject
) -> None:
    """Splitting a range in two touching ranges changes nothing (zones without DST; see the corpus)."""
    schedule, (a, b) = scenario
    assume(schedule.weekly[weekday])
    ranges = list(schedule.weekly[weekday])
    start, end = ranges[0]
    assume(end - start >= 2)
    middle = data.draw(st.integers(start + 1, end - 1))
    split = Schedule(
        time_zone=schedule.time_zone,
        weekly={**dict(enumerate(schedule.weekly)), weekday: [(start, middle), (middle, end), *ranges[1:]]},
        closed_dates=schedule.closed_dates,
        closed_on=schedule.closed_on,
        closures=[(EPOCH + s * US, EPOCH + e * US) for s, e in schedule.closures],
    )
    assert split.elapsed(a, b) == schedule.elapsed(a, b)


@PROPERTY
@given(scenarios(count=2, zones=ZONES))
def test_24x7_is_never_closed(scenario: tuple[Schedule, list[dt.datetime]]) -> None:
    schedule, (a, b) = scenario
    always = Schedule(time_zone=schedule.time_zone, weekly=ALWAYS)
    assert always.elapsed(a, b) == b - a
    assert always.is_open(a)
    assert always.add(a, b - a) == b or b == a


@st.composite
def timelines(draw: st.DrawFn) -> tuple[Timeline, Schedule, Schedule, dt.datetime, list[dt.datetime]]:
    first = draw(schedules(open_hours=True))
    second = draw(schedules(open_hours=True))
    change = draw(moments(first.time_zone))
    found = sorted(draw(moments(first.time_zone)) for _ in range(3))
    return Timeline([(None, first), (change, second)]), first, second, change, found


@PROPERTY
@given(timelines())
def test_timeline_is_additive(
    scenario: tuple[Timeline, Schedule, Schedule, dt.datetime, list[dt.datetime]],
) -> None:
    line, _, _, _, (a, b, c) = scenario
    assert line.elapsed(a, c) == line.elapsed(a, b) + line.elapsed(b, c)
    assert line.elapsed(a, b) <= line.elapsed(a, c)
    assert line.elapsed(a, b) <= b - a


@PROPERTY
@given(timelines())
def test_timeline_equals_the_piece_in_force(
    scenario: tuple[Timeline, Schedule, Schedule, dt.datetime, list[dt.datetime]],
) -> None:
    line, first, second, change, (a, _, c) = scenario
    if c <= change:
        assert line.elapsed(a, c) == first.elapsed(a, c)
    elif a >= change:
        assert line.elapsed(a, c) == second.elapsed(a, c)
    else:
        assert line.elapsed(a, c) == first.elapsed(a, change) + second.elapsed(change, c)
    assert line.schedule_at(a) is (first if a < change else second)
    assert line.is_open(a) == (first if a < change else second).is_open(a)


@PROPERTY
@given(timelines(), st.integers(1, 60 * 3_600_000_000))
def test_timeline_add_is_the_earliest_moment(
    scenario: tuple[Timeline, Schedule, Schedule, dt.datetime, list[dt.datetime]], amount_us: int
) -> None:
    line, _, _, _, (a, _, _) = scenario
    amount = amount_us * US
    due = line.add(a, amount)
    assert line.elapsed(a, due) == amount
    assert line.elapsed(a, due - US) < amount


# -- bad input -----------------------------------------------------------------------------------

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    "weekly",
    [
        {0: [(540, 720), (700, 1080)]},  # 09:00-12:00 and 11:40-18:00 overlap
        {0: [(540, 1080), (540, 1080)]},  # the same range twice
        {2: [(600, 540)]},  # ends before it starts
        {2: [(540, 540)]},  # empty
        {3: [(0, 1441)]},  # past 24:00
        {3: [(-60, 60)]},  # before 00:00
        {4: [(1440, 1440)]},  # starts at 24:00
    ],
)
def test_bad_ranges(weekly: dict[int, list[Range]]) -> None:
    with pytest.raises(ScheduleError):
        Schedule(time_zone="Asia/Tokyo", weekly=weekly)


def test_touching_ranges_are_fine() -> None:
    schedule = Schedule(time_zone="Asia/Tokyo", weekly={0: [(540, 720), (720, 1080)]})
    monday = dt.datetime(2026, 6, 1, tzinfo=TOKYO)
    assert schedule.elapsed(monday, monday + 24 * H) == 9 * H
    assert [(s.hour, e.hour) for s, e in schedule.open_intervals(monday, monday + 24 * H)] == [(0, 9)]  # UTC


@pytest.mark.parametrize("name", ["Asia/Osaka", "", "Not/AZone", "../../etc/passwd"])
def test_unknown_time_zone(name: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule(time_zone=name, weekly={})


def test_naive_datetimes() -> None:
    jp = calendar("jp")
    naive, aware = dt.datetime(2026, 6, 1, 10), dt.datetime(2026, 6, 1, 10, tzinfo=TOKYO)
    with pytest.raises(ScheduleError):
        jp.elapsed(naive, aware)
    with pytest.raises(ScheduleError):
        jp.elapsed(aware, naive)
    with pytest.raises(ScheduleError):
        jp.add(naive, H)
    with pytest.raises(ScheduleError):
        jp.is_open(naive)
    with pytest.raises(ScheduleError):
        Schedule(time_zone="Asia/Tokyo", weekly={}, closures=[(naive, naive + H)])
    with pytest.raises(ScheduleError):
        Timeline([(None, jp), (naive, jp)])


def test_closure_ending_before_it_starts() -> None:
    start = dt.datetime(2026, 6, 10, 13, tzinfo=TOKYO)
    with pytest.raises(ScheduleError):
        Schedule(time_zone="Asia/Tokyo", weekly={}, closures=[(start, start - H)])
    with pytest.raises(ScheduleError):
        Schedule(time_zone="Asia/Tokyo", weekly={}, closures=[(start, start)])


def test_never_open() -> None:
    start = dt.datetime(2026, 6, 1, 10, tzinfo=TOKYO)
    empty = Schedule(time_zone="Asia/Tokyo", weekly={})
    with pytest.raises(ScheduleError):
        empty.add(start, US)
    assert empty.elapsed(start, start + 1000 * H) == ZERO
    assert empty.next_open(start) is None
    no_hours = build({**JP, "hours": [[] for _ in range(7)]})
    with pytest.raises(ScheduleError):
        no_hours.add(start, H)
    with pytest.raises(ScheduleError):
        Timeline([(None, empty)]).add(start, H)


def test_timeline_pieces() -> None:
    jp = calendar("jp")
    june, july = dt.datetime(2026, 6, 1, tzinfo=TOKYO), dt.datetime(2026, 7, 1, tzinfo=TOKYO)
    with pytest.raises(ScheduleError):
        Timeline([])
    with pytest.raises(ScheduleError):
        Timeline([(None, jp), (july, jp), (june, jp)])  # out of order
    with pytest.raises(ScheduleError):
        Timeline([(None, jp), (june, jp), (june, jp)])  # the same moment twice
    with pytest.raises(ScheduleError):
        Timeline([(None, jp), (None, jp)])  # only the first may hold from the beginning


def test_timeline_first_piece_after_the_second_is_out_of_order() -> None:
    jp = calendar("jp")
    june, july = dt.datetime(2026, 6, 1, tzinfo=TOKYO), dt.datetime(2026, 7, 1, tzinfo=TOKYO)
    with pytest.raises(ScheduleError):
        Timeline([(july, jp), (june, jp)])
