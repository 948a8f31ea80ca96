"""SLA clocks from ticket histories: a hand-worked corpus for a Japanese IT department, and properties.

The sample agreement: service hours weekdays 09:00–18:00 Asia/Tokyo, Japanese public holidays and
the year-end closure (12/29–1/3); P1 response 10 minutes, resolution 4 hours; P3 response 1 business
hour, resolution 2 business days (18 business hours). Pending customer and pending supplier pause the
clocks; pending change does not. Work started, the pendings, resolved and closed count as a response.

Every expected value was worked out by hand; the arithmetic is in each case's description. Local
times are Asia/Tokyo. 2026-06-01 is a Monday; the week of 6/1–6/5 and 6/8 has no holiday.

The calendar definitions behind the clocks (``kaizen.slm.calendars``) are tested here too: holidays,
the year-end closure, validation, and the business-time corpus of ``kaizen.core`` run through
``calendars.schedule``.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen.core.lib.business_time import US, Schedule, ScheduleError, Timeline
from kaizen.core.tests import test_business_time as corpus
from kaizen.slm import calendars
from kaizen.slm.clocks import (
    BREACHED,
    RESOLUTION,
    RESPONSE,
    RUNNING,
    SCOPE_SUPPLIER,
    SCOPE_TEAM,
    SCOPE_TICKET,
    UPDATE,
    Clock,
    Entry,
    Terms,
    compute,
)

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
ZERO = dt.timedelta(0)

STATES: dict[str, tuple[int, str]] = {
    "new": (1, "new"),
    "assigned": (2, "open"),
    "in_progress": (3, "open"),
    "pending_customer": (4, "pending"),
    "pending_supplier": (5, "pending"),
    "pending_change": (6, "pending"),
    "resolved": (7, "resolved"),
    "closed": (8, "closed"),
    "cancelled": (9, "cancelled"),
}
PAUSE = frozenset({4, 5})
RESPONDING = frozenset({3, 4, 5, 6, 7, 8})
DESK, L2 = 10, 20  # teams: service desk, second line
AGENT, ENGINEER = 100, 200  # people


def _sla(response: dt.timedelta | None, resolution: dt.timedelta | None, **more: Any) -> Terms:
    return Terms(
        response=response, resolution=resolution, pause_states=PAUSE, responding_states=RESPONDING, **more
    )


TERMS: dict[str, Terms] = {
    "P1": _sla(10 * M, 4 * H),
    "P3": _sla(H, 18 * H),
    "P3+update": _sla(H, 18 * H, update=2 * H),
    "P3 premium": _sla(30 * M, 16 * H),  # the agreement swapped in while pending
    "P3 strict": _sla(30 * M, 9 * H),
    "OLA L2": _sla(30 * M, 4 * H, scope=SCOPE_TEAM, team_id=L2),
    "OLA desk": _sla(30 * M, 4 * H, scope=SCOPE_TEAM, team_id=DESK),
    "UC": _sla(H, 4 * H, scope=SCOPE_SUPPLIER, supplier_states=frozenset({5})),
}


def t(text: str) -> dt.datetime:
    """A local Asia/Tokyo time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TOKYO)


EDIT = "2026-06-01 12:00"  # the calendar's hours are extended to 20:00 from this moment


@functools.cache
def calendar(name: str) -> Timeline:
    jp = calendars.schedule(calendars.DEFAULT_DEFINITION)
    if name == "jp":
        return Timeline([(None, jp)])
    if name == "24x7":
        always = {**calendars.DEFAULT_DEFINITION, "hours": calendars.hours_24x7(), "public_holidays": ""}
        return Timeline([(None, calendars.schedule({**always, "year_end": False}))])
    if name == "jp 20:00 from 6/1 12:00":
        longer = calendars.schedule(
            {**calendars.DEFAULT_DEFINITION, "hours": [[["09:00", "20:00"]]] * 5 + [[], []]}
        )
        return Timeline([(None, jp), (t(EDIT), longer)])
    raise KeyError(name)


class Row(NamedTuple):
    at: str
    state: str
    priority: int = 3
    team: int | None = None
    assignee: int | None = None


class Want(NamedTuple):
    state: str
    elapsed: dt.timedelta
    paused: dt.timedelta
    due: str | None
    stopped_at: str | None = None


class Case(NamedTuple):
    description: str
    terms: str
    history: list[Row]
    now: str
    want: dict[str, Want]
    calendar: str = "jp"
    first_response_at: str | None = None
    last_update_at: str | None = None


def entries(history: list[Row]) -> list[Entry]:
    return [
        Entry(at=t(r.at), state_id=STATES[r.state][0], category=STATES[r.state][1], priority=r.priority,
              team_id=r.team, assignee_id=r.assignee)
        for r in history
    ]  # fmt: skip


def shown(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(TOKYO).replace(tzinfo=None)
    return local.isoformat(sep=" ", timespec="minutes" if not (local.second or local.microsecond) else "auto")


# Shorthand for the rows of the common history "created Mon 6/1 09:00, work started 09:30".
STARTED = [Row("2026-06-01 09:00", "new"), Row("2026-06-01 09:30", "in_progress")]
# Created with the service desk, taken by an agent 9:15, handed to second line 10:00, an engineer takes it
# 10:20 and starts 10:30, handed back to the desk 13:00.
HAND_OVER = [
    Row("2026-06-01 09:00", "new", 3, DESK),
    Row("2026-06-01 09:15", "assigned", 3, DESK, AGENT),
    Row("2026-06-01 10:00", "assigned", 3, L2),
    Row("2026-06-01 10:20", "assigned", 3, L2, ENGINEER),
    Row("2026-06-01 10:30", "in_progress", 3, L2, ENGINEER),
    Row("2026-06-01 13:00", "assigned", 3, DESK, AGENT),
]

# fmt: off
CASES: list[Case] = [
    # -- created Friday 17:50 before Marine Day (Mon 2026-07-20) ------------------------------------
    Case("p1-fri-17:50-before-holiday: at 17:55 5m used; response due Fri 18:00; resolution 3h55 left: "
         "5m Fri, Mon holiday, 3h50 from Tue 9:00 -> Tue 12:50",
         "P1", [Row("2026-07-17 17:50", "new", 1)], "2026-07-17 17:55",
         {RESPONSE: Want(RUNNING, 5 * M, ZERO, "2026-07-17 18:00"),
          RESOLUTION: Want(RUNNING, 5 * M, ZERO, "2026-07-21 12:50")}),
    Case("p1-fri-17:50-still-new-tue-9:05: 10m Fri + 5m Tue = 15m > 10m, response breached at Fri 18:00; "
         "resolution due Tue 9:05 + 3h45 = 12:50",
         "P1", [Row("2026-07-17 17:50", "new", 1)], "2026-07-21 09:05",
         {RESPONSE: Want(BREACHED, 15 * M, ZERO, "2026-07-17 18:00"),
          RESOLUTION: Want(RUNNING, 15 * M, ZERO, "2026-07-21 12:50")}),
    Case("p1-fri-17:50-resolved-tue-12:00: response 8m met; resolution 10m Fri + 3h Tue = 3h10 met",
         "P1", [Row("2026-07-17 17:50", "new", 1), Row("2026-07-17 17:58", "in_progress", 1),
                Row("2026-07-21 12:00", "resolved", 1)], "2026-07-21 13:00",
         {RESPONSE: Want("met", 8 * M, ZERO, None, "2026-07-17 17:58"),
          RESOLUTION: Want("met", 3 * H + 10 * M, ZERO, None, "2026-07-21 12:00")}),
    Case("p3-fri-17:50-before-holiday, seen Sat: 10m used; response 50m left -> Tue 9:50; "
         "resolution 17h50 left: Tue 9h, Wed 8h50 -> Wed 17:50",
         "P3", [Row("2026-07-17 17:50", "new")], "2026-07-18 10:00",
         {RESPONSE: Want(RUNNING, 10 * M, ZERO, "2026-07-21 09:50"),
          RESOLUTION: Want(RUNNING, 10 * M, ZERO, "2026-07-22 17:50")}),
    # -- pending customer over a weekend -----------------------------------------------------------------
    Case("pending-customer-over-weekend: counted Thu 10-18 8h + Fri 9-14 5h + Mon 11-12 1h = 14h; paused "
         "Fri 14-18 4h + Mon 9-11 2h = 6h (weekend 0); due Mon 12:00 + 4h = 16:00",
         "P3", [Row("2026-06-04 10:00", "new"), Row("2026-06-04 10:30", "in_progress"),
                Row("2026-06-05 14:00", "pending_customer"), Row("2026-06-08 11:00", "in_progress")],
         "2026-06-08 12:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-04 10:30"),
          RESOLUTION: Want(RUNNING, 14 * H, 6 * H, "2026-06-08 16:00")}),
    Case("pending-customer-seen-on-sat: paused, 13h counted, paused Fri 14-18 = 4h, no due; the Monday "
         "row is after now and ignored",
         "P3", [Row("2026-06-04 10:00", "new"), Row("2026-06-04 10:30", "in_progress"),
                Row("2026-06-05 14:00", "pending_customer"), Row("2026-06-08 11:00", "in_progress")],
         "2026-06-06 12:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-04 10:30"),
          RESOLUTION: Want("paused", 13 * H, 4 * H, None)}),
    Case("pending-customer-still-pending-mon-10:00: paused 4h Fri + 1h Mon = 5h",
         "P3", [Row("2026-06-04 10:00", "new"), Row("2026-06-04 10:30", "in_progress"),
                Row("2026-06-05 14:00", "pending_customer")], "2026-06-08 10:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-04 10:30"),
          RESOLUTION: Want("paused", 13 * H, 5 * H, None)}),
    # -- agreement swapped while pending: recomputed from the start, pause history kept ----------------
    Case("sla-swapped-to-premium-while-pending: response 30m of 30m met, target used up at 10:30; "
         "resolution 14h of 16h, paused 6h kept, due Mon 12:00 + 2h = 14:00",
         "P3 premium", [Row("2026-06-04 10:00", "new"), Row("2026-06-04 10:30", "in_progress"),
                        Row("2026-06-05 14:00", "pending_customer"), Row("2026-06-08 11:00", "in_progress")],
         "2026-06-08 12:00",
         {RESPONSE: Want("met", 30 * M, ZERO, "2026-06-04 10:30", "2026-06-04 10:30"),
          RESOLUTION: Want(RUNNING, 14 * H, 6 * H, "2026-06-08 14:00")}),
    Case("sla-swapped-to-strict-while-pending: 13h > 9h breached although pending; 9h reached at "
         "Thu 10-18 8h + Fri 9-10 1h -> Fri 10:00; paused 4h",
         "P3 strict", [Row("2026-06-04 10:00", "new"), Row("2026-06-04 10:30", "in_progress"),
                       Row("2026-06-05 14:00", "pending_customer")], "2026-06-06 12:00",
         {RESPONSE: Want("met", 30 * M, ZERO, "2026-06-04 10:30", "2026-06-04 10:30"),
          RESOLUTION: Want(BREACHED, 13 * H, 4 * H, "2026-06-05 10:00")}),
    # -- priority raised from P3 to P1 after three business hours ----------------------------------------
    Case("priority-raised-p3-to-p1-at-12:00, seen 12:30: P1 from the start; response 20m > 10m breached at "
         "9:10; resolution 3h30 of 4h, due 12:30 + 30m = 13:00",
         "P1", [Row("2026-06-01 09:00", "new", 3), Row("2026-06-01 09:20", "in_progress", 3),
                Row("2026-06-01 12:00", "in_progress", 1)], "2026-06-01 12:30",
         {RESPONSE: Want(BREACHED, 20 * M, ZERO, "2026-06-01 09:10", "2026-06-01 09:20"),
          RESOLUTION: Want(RUNNING, 3 * H + 30 * M, ZERO, "2026-06-01 13:00")}),
    Case("priority-raised-p3-to-p1-at-12:00, seen 14:00: 5h > 4h breached, due the moment 4h was "
         "reached: 13:00",
         "P1", [Row("2026-06-01 09:00", "new", 3), Row("2026-06-01 09:20", "in_progress", 3),
                Row("2026-06-01 12:00", "in_progress", 1)], "2026-06-01 14:00",
         {RESPONSE: Want(BREACHED, 20 * M, ZERO, "2026-06-01 09:10", "2026-06-01 09:20"),
          RESOLUTION: Want(BREACHED, 5 * H, ZERO, "2026-06-01 13:00")}),
    # -- reopen after resolve ---------------------------------------------------------------------------
    Case("reopened-tue-10:00: Mon 9-12 3h + Tue 10-11 1h = 4h (resolved Mon 12:00-Tue 10:00 not counted, "
         "not paused); 14h left: Tue 11-18 7h, Wed 9:00 + 7h -> Wed 16:00",
         "P3", [*STARTED, Row("2026-06-01 12:00", "resolved"), Row("2026-06-02 10:00", "in_progress")],
         "2026-06-02 11:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 4 * H, ZERO, "2026-06-03 16:00")}),
    Case("resolved-mon-12:00, seen 15:00 (before the reopen): met with 3h, stopped at 12:00",
         "P3", [*STARTED, Row("2026-06-01 12:00", "resolved"), Row("2026-06-02 10:00", "in_progress")],
         "2026-06-01 15:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want("met", 3 * H, ZERO, None, "2026-06-01 12:00")}),
    Case("reopened-and-resolved-again-tue-11:00: 3h + 1h = 4h, stopped at the last resolution",
         "P3", [*STARTED, Row("2026-06-01 12:00", "resolved"), Row("2026-06-02 10:00", "in_progress"),
                Row("2026-06-02 11:00", "resolved")], "2026-06-02 15:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want("met", 4 * H, ZERO, None, "2026-06-02 11:00")}),
    Case("resolved-mon-12:00-then-closed-tue-12:00: the resolution clock stopped at the resolution, "
         "closing does not move it",
         "P3", [*STARTED, Row("2026-06-01 12:00", "resolved"), Row("2026-06-02 12:00", "closed")],
         "2026-06-03 09:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want("met", 3 * H, ZERO, None, "2026-06-01 12:00")}),
    # -- created at 03:00 on a holiday (Culture Day, Tue 2026-11-03) ---------------------------------------
    Case("p3-created-03:00-on-culture-day, seen 22:00: nothing counted; response Wed 9:00 + 1h -> 10:00; "
         "resolution Wed 9h + Thu 9h -> Thu 18:00",
         "P3", [Row("2026-11-03 03:00", "new")], "2026-11-03 22:00",
         {RESPONSE: Want(RUNNING, ZERO, ZERO, "2026-11-04 10:00"),
          RESOLUTION: Want(RUNNING, ZERO, ZERO, "2026-11-05 18:00")}),
    Case("p1-created-03:00-on-culture-day, seen Wed 9:05: 5m; response due 9:10, resolution 13:00",
         "P1", [Row("2026-11-03 03:00", "new", 1)], "2026-11-04 09:05",
         {RESPONSE: Want(RUNNING, 5 * M, ZERO, "2026-11-04 09:10"),
          RESOLUTION: Want(RUNNING, 5 * M, ZERO, "2026-11-04 13:00")}),
    # -- the response: first public reply or a responding state ----------------------------------------
    Case("response-by-public-reply-9:40-while-new: met 40m; assigned (open) at 10:30 is not a response; "
         "resolution 3h, 15h left: Mon 12-18 6h + Tue 9h -> Tue 18:00",
         "P3", [Row("2026-06-01 09:00", "new"), Row("2026-06-01 10:30", "assigned", 3, DESK, AGENT),
                Row("2026-06-01 11:00", "in_progress", 3, DESK, AGENT)], "2026-06-01 12:00",
         {RESPONSE: Want("met", 40 * M, ZERO, None, "2026-06-01 09:40"),
          RESOLUTION: Want(RUNNING, 3 * H, ZERO, "2026-06-02 18:00")},
         first_response_at="2026-06-01 09:40"),
    Case("response-by-in-progress-11:00 (no reply; assigned is not a response): 2h > 1h breached at 10:00",
         "P3", [Row("2026-06-01 09:00", "new"), Row("2026-06-01 10:30", "assigned", 3, DESK, AGENT),
                Row("2026-06-01 11:00", "in_progress", 3, DESK, AGENT)], "2026-06-01 12:00",
         {RESPONSE: Want(BREACHED, 2 * H, ZERO, "2026-06-01 10:00", "2026-06-01 11:00"),
          RESOLUTION: Want(RUNNING, 3 * H, ZERO, "2026-06-02 18:00")}),
    Case("reply-9:45-after-in-progress-9:30: the earlier one counts -> 30m; resolution 1h, due Tue 18:00",
         "P3", STARTED, "2026-06-01 10:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, H, ZERO, "2026-06-02 18:00")},
         first_response_at="2026-06-01 09:45"),
    Case("reply-recorded-after-now-ignored: at 9:30 30m used, response due 10:00",
         "P3", [Row("2026-06-01 09:00", "new")], "2026-06-01 09:30",
         {RESPONSE: Want(RUNNING, 30 * M, ZERO, "2026-06-01 10:00"),
          RESOLUTION: Want(RUNNING, 30 * M, ZERO, "2026-06-02 18:00")},
         first_response_at="2026-06-01 10:00"),
    Case("resolved-straight-from-new-9:20: resolving counts as the response (20m met)",
         "P3", [Row("2026-06-01 09:00", "new"), Row("2026-06-01 09:20", "resolved")], "2026-06-01 10:00",
         {RESPONSE: Want("met", 20 * M, ZERO, None, "2026-06-01 09:20"),
          RESOLUTION: Want("met", 20 * M, ZERO, None, "2026-06-01 09:20")}),
    # -- cancelled ----------------------------------------------------------------------------------------
    Case("cancelled-while-new-9:30: both clocks cancelled with 30m, stopped at 9:30",
         "P3", [Row("2026-06-01 09:00", "new"), Row("2026-06-01 09:30", "cancelled")], "2026-06-01 12:00",
         {RESPONSE: Want("cancelled", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want("cancelled", 30 * M, ZERO, None, "2026-06-01 09:30")}),
    Case("p1-cancelled-10:00-after-the-response-target: cancelled wins over breached; response 10m "
         "was used up at 9:10",
         "P1", [Row("2026-06-01 09:00", "new", 1), Row("2026-06-01 10:00", "cancelled", 1)],
         "2026-06-01 11:00",
         {RESPONSE: Want("cancelled", H, ZERO, "2026-06-01 09:10", "2026-06-01 10:00"),
          RESOLUTION: Want("cancelled", H, ZERO, None, "2026-06-01 10:00")}),
    Case("cancelled-10:00-after-work-started-9:15: the response was met, the resolution cancelled",
         "P3", [Row("2026-06-01 09:00", "new"), Row("2026-06-01 09:15", "in_progress"),
                Row("2026-06-01 10:00", "cancelled")], "2026-06-01 11:00",
         {RESPONSE: Want("met", 15 * M, ZERO, None, "2026-06-01 09:15"),
          RESOLUTION: Want("cancelled", H, ZERO, None, "2026-06-01 10:00")}),
    # -- 24x7 calendar for P1 --------------------------------------------------------------------------------
    Case("24x7-p1-across-midnight: Tue 23:30-Wed 01:00 = 1h30, due 23:30 + 4h = Wed 03:30",
         "P1", [Row("2026-06-02 23:30", "new", 1), Row("2026-06-02 23:35", "in_progress", 1)],
         "2026-06-03 01:00",
         {RESPONSE: Want("met", 5 * M, ZERO, None, "2026-06-02 23:35"),
          RESOLUTION: Want(RUNNING, 90 * M, ZERO, "2026-06-03 03:30")}, calendar="24x7"),
    Case("24x7-p1-new-years-eve: 12/31 23:00 + 4h = 1/1 03:00 (holidays do not apply), at 04:00 5h breached",
         "P1", [Row("2026-12-31 23:00", "new", 1), Row("2026-12-31 23:05", "in_progress", 1)],
         "2027-01-01 04:00",
         {RESPONSE: Want("met", 5 * M, ZERO, None, "2026-12-31 23:05"),
          RESOLUTION: Want(BREACHED, 5 * H, ZERO, "2027-01-01 03:00")}, calendar="24x7"),
    Case("24x7-p1-pending-customer-from-00:30: 1h counted, 2h paused round the clock",
         "P1", [Row("2026-06-02 23:30", "new", 1), Row("2026-06-02 23:35", "in_progress", 1),
                Row("2026-06-03 00:30", "pending_customer", 1)], "2026-06-03 02:30",
         {RESPONSE: Want("met", 5 * M, ZERO, None, "2026-06-02 23:35"),
          RESOLUTION: Want("paused", H, 2 * H, None)}, calendar="24x7"),
    # -- pause states ----------------------------------------------------------------------------------------
    Case("pending-change-does-not-pause: 9-15 = 6h counted, 0 paused; 12h left: Mon 3h + Tue 9h -> Tue 18:00",
         "P3", [*STARTED, Row("2026-06-01 10:00", "pending_change")], "2026-06-01 15:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 6 * H, ZERO, "2026-06-02 18:00")}),
    Case("pending-supplier-pauses: 9-10 = 1h counted, 10-15 = 5h paused",
         "P3", [*STARTED, Row("2026-06-01 10:00", "pending_supplier")], "2026-06-01 15:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want("paused", H, 5 * H, None)}),
    Case("year-end: P3 Mon 12/28 17:00, seen 2027-01-04 10:00: 1h + 1h = 2h, response breached at 12/28 "
         "18:00; 16h left: Mon 1/4 10-18 8h + Tue 8h -> 1/5 17:00",
         "P3", [Row("2026-12-28 17:00", "new")], "2027-01-04 10:00",
         {RESPONSE: Want(BREACHED, 2 * H, ZERO, "2026-12-28 18:00"),
          RESOLUTION: Want(RUNNING, 2 * H, ZERO, "2027-01-05 17:00")}),
    # -- OLA: only the spans the team held the ticket --------------------------------------------------
    Case("ola-l2-hand-over-and-back: L2 held it 10:00-13:00 = 3h; assigned someone at 10:20 (20m met); "
         "back with the desk -> paused, no paused time, no due",
         "OLA L2", HAND_OVER, "2026-06-01 15:00",
         {RESPONSE: Want("met", 20 * M, ZERO, None, "2026-06-01 10:20"),
          RESOLUTION: Want("paused", 3 * H, ZERO, None)}),
    Case("ola-desk-same-ticket: desk held it 9:00-10:00 and 13:00-15:00 = 3h; assigned at 9:15 (15m met); "
         "due 15:00 + 1h = 16:00",
         "OLA desk", HAND_OVER, "2026-06-01 15:00",
         {RESPONSE: Want("met", 15 * M, ZERO, None, "2026-06-01 09:15"),
          RESOLUTION: Want(RUNNING, 3 * H, ZERO, "2026-06-01 16:00")}),
    Case("ola-l2-gets-it-back-16:00, seen 17:30: 3h + 1h30 = 4h30 > 4h, 4h reached at 16:00 + 1h = 17:00",
         "OLA L2", [*HAND_OVER, Row("2026-06-01 16:00", "in_progress", 3, L2, ENGINEER)], "2026-06-01 17:30",
         {RESPONSE: Want("met", 20 * M, ZERO, None, "2026-06-01 10:20"),
          RESOLUTION: Want(BREACHED, 4 * H + 30 * M, ZERO, "2026-06-01 17:00")}),
    Case("ola-l2-handed-back-before-anyone-took-it: held 9:05-9:50 = 45m > 30m, breached at 9:35",
         "OLA L2", [Row("2026-06-01 09:00", "new", 3, DESK), Row("2026-06-01 09:05", "assigned", 3, L2),
                    Row("2026-06-01 09:50", "assigned", 3, DESK, AGENT)], "2026-06-01 11:00",
         {RESPONSE: Want(BREACHED, 45 * M, ZERO, "2026-06-01 09:35"),
          RESOLUTION: Want("paused", 45 * M, ZERO, None)}),
    Case("ola-l2-pending-customer-while-l2-holds-it: 9:00-10:00 counted 1h, 10-12 paused 2h",
         "OLA L2", [Row("2026-06-01 09:00", "new", 3, L2),
                    Row("2026-06-01 09:10", "in_progress", 3, L2, ENGINEER),
                    Row("2026-06-01 10:00", "pending_customer", 3, L2, ENGINEER)], "2026-06-01 12:00",
         {RESPONSE: Want("met", 10 * M, ZERO, None, "2026-06-01 09:10"),
          RESOLUTION: Want("paused", H, 2 * H, None)}),
    # -- underpinning contract: only the pending-supplier spans ---------------------------------------------
    Case("uc-two-supplier-spans: 10-12 2h + 14-15 1h = 3h, due 15:00 + 1h = 16:00; no response clock",
         "UC", [*STARTED, Row("2026-06-01 10:00", "pending_supplier"), Row("2026-06-01 12:00", "in_progress"),
                Row("2026-06-01 14:00", "pending_supplier")], "2026-06-01 15:00",
         {RESOLUTION: Want(RUNNING, 3 * H, ZERO, "2026-06-01 16:00")}),
    Case("uc-back-with-the-desk-13:00: 2h, not running (paused state, no paused time)",
         "UC", [*STARTED, Row("2026-06-01 10:00", "pending_supplier"), Row("2026-06-01 12:00", "in_progress"),
                Row("2026-06-01 14:00", "pending_supplier")], "2026-06-01 13:00",
         {RESOLUTION: Want("paused", 2 * H, ZERO, None)}),
    Case("uc-resolved-16:30: supplier spans 2h + 2h = 4h of 4h met, used up exactly at 14:00 + 2h = 16:00",
         "UC", [*STARTED, Row("2026-06-01 10:00", "pending_supplier"), Row("2026-06-01 12:00", "in_progress"),
                Row("2026-06-01 14:00", "pending_supplier"), Row("2026-06-01 16:00", "in_progress"),
                Row("2026-06-01 16:30", "resolved")], "2026-06-01 17:00",
         {RESOLUTION: Want("met", 4 * H, ZERO, "2026-06-01 16:00", "2026-06-01 16:30")}),
    # -- the update clock: 2 business hours since the last public update -------------------------------------
    Case("update-10:00-seen-11:30: 1h30 since, due 12:00; resolution 2h30, due Tue 18:00",
         "P3+update", STARTED, "2026-06-01 11:30",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 150 * M, ZERO, "2026-06-02 18:00"),
          UPDATE: Want(RUNNING, 90 * M, ZERO, "2026-06-01 12:00")},
         last_update_at="2026-06-01 10:00"),
    Case("update-10:00-seen-12:30: 2h30 > 2h breached at 12:00",
         "P3+update", STARTED, "2026-06-01 12:30",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 210 * M, ZERO, "2026-06-02 18:00"),
          UPDATE: Want(BREACHED, 150 * M, ZERO, "2026-06-01 12:00")},
         last_update_at="2026-06-01 10:00"),
    Case("update-with-pending-customer 11-13: update 10-11 + 13-13:30 = 1h30, paused 2h, due 14:00; "
         "resolution 2h + 30m = 2h30, 15h30 left: Mon 4h30 + Tue 9h + Wed 2h -> Wed 11:00",
         "P3+update", [*STARTED, Row("2026-06-01 11:00", "pending_customer"),
                       Row("2026-06-01 13:00", "in_progress")],
         "2026-06-01 13:30",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 150 * M, 2 * H, "2026-06-03 11:00"),
          UPDATE: Want(RUNNING, 90 * M, 2 * H, "2026-06-01 14:00")},
         last_update_at="2026-06-01 10:00"),
    Case("update-overnight: Mon 17:00 update, seen Tue 9:30: 1h + 30m = 1h30, due Tue 10:00",
         "P3+update", STARTED, "2026-06-02 09:30",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 570 * M, ZERO, "2026-06-02 18:00"),
          UPDATE: Want(RUNNING, 90 * M, ZERO, "2026-06-02 10:00")},
         last_update_at="2026-06-01 17:00"),
    Case("update-just-posted (last update = now 10:00): 0 used, running, due 12:00",
         "P3+update", STARTED, "2026-06-01 10:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, H, ZERO, "2026-06-02 18:00"),
          UPDATE: Want(RUNNING, ZERO, ZERO, "2026-06-01 12:00")},
         last_update_at="2026-06-01 10:00"),
    Case("update-never-given: counted from creation, 1h30 at 10:30, due 11:00; response 1h30 > 1h breached",
         "P3+update", [Row("2026-06-01 09:00", "new")], "2026-06-01 10:30",
         {RESPONSE: Want(BREACHED, 90 * M, ZERO, "2026-06-01 10:00"),
          RESOLUTION: Want(RUNNING, 90 * M, ZERO, "2026-06-02 18:00"),
          UPDATE: Want(RUNNING, 90 * M, ZERO, "2026-06-01 11:00")}),
    Case("update-clock-gone-once-resolved-11:00",
         "P3+update", [*STARTED, Row("2026-06-01 11:00", "resolved")], "2026-06-01 12:00",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 09:30"),
          RESOLUTION: Want("met", 2 * H, ZERO, None, "2026-06-01 11:00")},
         last_update_at="2026-06-01 10:00"),
    # -- the calendar edited mid-ticket: 09:00-20:00 from Mon 6/1 12:00 ------------------------------
    Case("hours-extended-mid-ticket: Mon 10-12 2h (old) + 12-19:30 7h30 (new) = 9h30; 8h30 left: "
         "19:30-20:00 30m + Tue 9:00 + 8h -> Tue 17:00",
         "P3", [Row("2026-06-01 10:00", "new"), Row("2026-06-01 10:30", "in_progress")], "2026-06-01 19:30",
         {RESPONSE: Want("met", 30 * M, ZERO, None, "2026-06-01 10:30"),
          RESOLUTION: Want(RUNNING, 570 * M, ZERO, "2026-06-02 17:00")}, calendar="jp 20:00 from 6/1 12:00"),
    Case("hours-extended-created-fri-17:00: Fri 17-18 1h + Mon 9-12 3h (old) + 12-19 7h (new) = 11h; "
         "7h left: 19-20 1h + Tue 9:00 + 6h -> Tue 15:00",
         "P3", [Row("2026-05-29 17:00", "new"), Row("2026-05-29 17:10", "in_progress")], "2026-06-01 19:00",
         {RESPONSE: Want("met", 10 * M, ZERO, None, "2026-05-29 17:10"),
          RESOLUTION: Want(RUNNING, 11 * H, ZERO, "2026-06-02 15:00")}, calendar="jp 20:00 from 6/1 12:00"),
    Case("hours-extended-seen-before-the-edit: Fri 17:30-18:00 30m (Fri 18-19 closed under old hours); "
         "response due Mon 9:30; resolution 17h30 left: Mon 9-12 3h old, 12-20 8h new, Tue 6h30 -> 15:30",
         "P3", [Row("2026-05-29 17:30", "new")], "2026-05-29 19:00",
         {RESPONSE: Want(RUNNING, 30 * M, ZERO, "2026-06-01 09:30"),
          RESOLUTION: Want(RUNNING, 30 * M, ZERO, "2026-06-02 15:30")}, calendar="jp 20:00 from 6/1 12:00"),
]
# fmt: on


def run(case: Case) -> list[Clock]:
    return compute(
        entries(case.history),
        terms=TERMS[case.terms],
        calendar=calendar(case.calendar),
        now=t(case.now),
        first_response_at=t(case.first_response_at) if case.first_response_at else None,
        last_update_at=t(case.last_update_at) if case.last_update_at else None,
    )


@pytest.mark.parametrize("case", CASES, ids=[c.description.split(": ")[0] for c in CASES])
def test_clocks(case: Case) -> None:
    clocks = run(case)
    got = {c.metric: Want(c.state, c.elapsed, c.paused, shown(c.due), shown(c.stopped_at)) for c in clocks}
    assert got == case.want
    assert [c.metric for c in clocks] == list(case.want)  # response, resolution, update in that order
    terms = TERMS[case.terms]
    targets = {RESPONSE: terms.response, RESOLUTION: terms.resolution, UPDATE: terms.update}
    for clock in clocks:
        assert clock.target == targets[clock.metric]
        assert clock.remaining == clock.target - clock.elapsed
        assert clock.met is {"met": True, BREACHED: False}.get(clock.state)


def test_ids_are_unique() -> None:
    ids = [c.description.split(": ")[0] for c in CASES]
    assert len(ids) == len(set(ids))


def test_no_history() -> None:
    assert compute([], terms=TERMS["P3"], calendar=calendar("jp"), now=t("2026-06-01 10:00")) == []
    later = entries([Row("2026-06-01 11:00", "new")])
    assert compute(later, terms=TERMS["P3"], calendar=calendar("jp"), now=t("2026-06-01 10:00")) == []


def test_percent_and_level() -> None:
    (response, resolution) = run(CASES[1])  # P1 still new on Tue 9:05: 15m of 10m, 15m of 4h
    assert response.percent == 150.0
    assert response.level((75, 90)) == 100
    assert resolution.percent == 6.25
    assert resolution.level((75, 90)) == 0


# -- properties --------------------------------------------------------------------------------------

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TICKET_TERMS = [name for name, terms in TERMS.items() if terms.scope == SCOPE_TICKET]


@st.composite
def histories(
    draw: st.DrawFn, start: dt.datetime | None = None, within: dt.timedelta | None = None
) -> list[Entry]:
    """A random ticket history: creation, then up to eight changes of state, team and assignee."""
    if start is None:
        day = draw(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
        start = dt.datetime.combine(day, dt.time(), tzinfo=TOKYO) + draw(st.integers(0, 1439)) * M
    limit = within if within is not None else 5 * 24 * H
    offsets = sorted(draw(st.lists(st.integers(0, limit // M), max_size=8)))
    changes = draw(st.lists(st.sampled_from(list(STATES)), min_size=len(offsets), max_size=len(offsets)))
    names = ["new", *changes]
    people = [(DESK, None), (DESK, AGENT), (L2, None), (L2, ENGINEER)]
    found = []
    for offset, name in zip([0, *offsets], names, strict=True):
        team, assignee = draw(st.sampled_from(people))
        state_id, category = STATES[name]
        found.append(
            Entry(start + offset * M, state_id, category, draw(st.sampled_from([1, 3])), team, assignee)
        )
    return found


@st.composite
def moment_after(draw: st.DrawFn, start: dt.datetime, within: dt.timedelta) -> dt.datetime:
    return start + draw(st.integers(0, within // dt.timedelta(seconds=1))) * dt.timedelta(seconds=1)


@PROPERTY
@given(
    histories(),
    st.sampled_from(list(TERMS)),
    st.sampled_from(["jp", "24x7", "jp 20:00 from 6/1 12:00"]),
    st.data(),
)
def test_elapsed_never_decreases_as_now_advances(
    history: list[Entry], terms: str, name: str, data: st.DataObject
) -> None:
    created = history[0].at
    first, second = sorted(data.draw(moment_after(created, 7 * 24 * H)) for _ in range(2))
    reply = data.draw(st.none() | moment_after(created, 7 * 24 * H))
    before = compute(history, terms=TERMS[terms], calendar=calendar(name), now=first, first_response_at=reply)
    after = compute(history, terms=TERMS[terms], calendar=calendar(name), now=second, first_response_at=reply)
    earlier = {c.metric: c for c in before}
    for clock in after:
        if clock.metric in (RESPONSE, RESOLUTION):
            assert earlier[clock.metric].elapsed <= clock.elapsed


@PROPERTY
@given(
    histories(),
    st.sampled_from(list(TERMS)),
    st.sampled_from(["jp", "24x7", "jp 20:00 from 6/1 12:00"]),
    st.data(),
)
def test_elapsed_and_paused_fit_in_the_business_time_since_creation(
    history: list[Entry], terms: str, name: str, data: st.DataObject
) -> None:
    created = history[0].at
    now = data.draw(moment_after(created, 7 * 24 * H))
    reply = data.draw(st.none() | moment_after(created, 7 * 24 * H))
    update = data.draw(st.none() | moment_after(created, now - created))
    line = calendar(name)
    clocks = compute(
        history, terms=TERMS[terms], calendar=line, now=now, first_response_at=reply, last_update_at=update
    )
    available = line.elapsed(created, now)
    by_metric = {c.metric: c for c in clocks}
    for clock in clocks:
        assert clock.elapsed >= ZERO
        assert clock.paused >= ZERO
        assert clock.elapsed + clock.paused <= available
        if clock.state == RUNNING and clock.elapsed < clock.target:
            assert clock.due is not None
            assert line.elapsed(now, clock.due) == clock.target - clock.elapsed
        if clock.state == BREACHED:
            assert clock.elapsed > clock.target or clock.stopped_at is not None
    if TERMS[terms].scope == SCOPE_TICKET and RESPONSE in by_metric and RESOLUTION in by_metric:
        assert by_metric[RESPONSE].elapsed <= by_metric[RESOLUTION].elapsed
    if UPDATE in by_metric:
        assert by_metric[UPDATE].elapsed <= by_metric[RESOLUTION].elapsed


CLOSED_WINDOWS = [
    ("2026-06-05 18:00", "2026-06-08 09:00"),  # a weekend
    ("2026-06-01 18:00", "2026-06-02 09:00"),  # a night
    ("2026-05-01 18:00", "2026-05-07 09:00"),  # Golden Week 2026
    ("2026-09-18 18:00", "2026-09-24 09:00"),  # Silver Week 2026
    ("2026-12-28 18:00", "2027-01-04 09:00"),  # the year-end closure
]


@PROPERTY
@given(st.sampled_from(CLOSED_WINDOWS), st.sampled_from(list(TERMS)), st.data())
def test_history_inside_closed_hours_counts_nothing(
    window: tuple[str, str], terms: str, data: st.DataObject
) -> None:
    start, end = t(window[0]), t(window[1])
    history = data.draw(histories(start=start, within=end - start))
    now = data.draw(moment_after(history[-1].at, end - history[-1].at))
    reply = data.draw(st.none() | moment_after(start, end - start))
    update = data.draw(st.none() | moment_after(start, now - start))
    clocks = compute(
        history,
        terms=TERMS[terms],
        calendar=calendar("jp"),
        now=now,
        first_response_at=reply,
        last_update_at=update,
    )
    assert clocks
    for clock in clocks:
        assert clock.elapsed == ZERO
        assert clock.paused == ZERO
        assert clock.state != BREACHED


# -- the calendar definitions behind the clocks ------------------------------------------------------


def test_default_definition_is_the_sample_calendar() -> None:
    assert calendars.DEFAULT_DEFINITION == corpus.JP
    assert calendars.hours_24x7() == corpus.ALL_DAY


DEFINED = [name for name in corpus.CALENDARS if name.startswith(("jp", "tokyo", "night"))]


@functools.cache
def defined(name: str) -> Schedule:
    return calendars.schedule(corpus.CALENDARS[name])


@pytest.mark.parametrize(
    "case", [c for c in corpus.ADD_CASES if c.calendar in DEFINED], ids=lambda c: str(c.description)
)
def test_corpus_add_through_definitions(case: corpus.AddCase) -> None:
    due = defined(case.calendar).add(corpus.local(case.calendar, case.start), case.amount)
    assert corpus.shown(case.calendar, due) == case.due


@pytest.mark.parametrize(
    "case", [c for c in corpus.ELAPSED_CASES if c.calendar in DEFINED], ids=lambda c: str(c.description)
)
def test_corpus_elapsed_through_definitions(case: corpus.ElapsedCase) -> None:
    start, end = corpus.local(case.calendar, case.start), corpus.local(case.calendar, case.end)
    assert defined(case.calendar).elapsed(start, end) == case.elapsed


@pytest.mark.parametrize(
    ("day", "name"),
    [
        ("2015-09-21", "敬老の日"),
        ("2015-09-22", "国民の休日"),
        ("2015-09-23", "秋分の日"),
        ("2019-04-30", "国民の休日"),
        ("2019-05-01", "天皇の即位の日"),
        ("2019-05-02", "国民の休日"),
        ("2019-05-06", "振替休日"),
        ("2024-05-06", "振替休日"),
        ("2025-05-06", "振替休日"),
        ("2026-05-06", "振替休日"),
        ("2026-07-20", "海の日"),
        ("2026-09-22", "国民の休日"),
    ],
)
def test_japanese_holiday_names(day: str, name: str) -> None:
    date = dt.date.fromisoformat(day)
    assert calendars.public_holidays("JP", date.year)[date] == name
    assert defined("jp").is_closed_day(date)


def test_year_end_closure() -> None:
    assert calendars.year_end_dates(2026) == [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 2),
        dt.date(2026, 1, 3),
        dt.date(2026, 12, 29),
        dt.date(2026, 12, 30),
        dt.date(2026, 12, 31),
    ]
    jp = defined("jp")
    assert not jp.is_closed_day(dt.date(2026, 12, 28))
    assert all(jp.is_closed_day(dt.date(2026, 12, d)) for d in (29, 30, 31))
    assert all(jp.is_closed_day(dt.date(2027, 1, d)) for d in (1, 2, 3))
    assert not jp.is_closed_day(dt.date(2027, 1, 4))
    without = calendars.schedule({**corpus.JP, "year_end": False})
    assert not without.is_closed_day(dt.date(2026, 12, 29))
    assert without.is_closed_day(dt.date(2027, 1, 1))  # New Year's Day is a public holiday
    company = calendars.schedule({**corpus.JP, "closed_dates": ["2026-08-14"]})  # a company holiday (Obon)
    assert company.elapsed(t("2026-08-13 09:00"), t("2026-08-17 09:00")) == 9 * H  # Thu only; 8/14 Fri closed


def test_good_definitions() -> None:
    for name, definition in corpus.CALENDARS.items():
        assert calendars.definition_errors(definition) == {}, name
    assert calendars.parse_hhmm("24:00") == 1440
    assert calendars.hhmm(1440) == "24:00"


def _hours(*ranges: tuple[str, str]) -> list[list[list[str]]]:
    return [[list(r) for r in ranges] for _ in range(5)] + [[], []]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hours": _hours(("09:00", "12:00"), ("11:00", "18:00"))}, "hours"),  # overlap
        ({"hours": _hours(("18:00", "09:00"))}, "hours"),  # ends before it starts
        ({"hours": _hours(("09:00", "09:00"))}, "hours"),  # empty
        ({"hours": _hours(("9:00", "18:00"))}, "hours"),  # not HH:MM
        ({"hours": _hours(("09:00", "24:30"))}, "hours"),  # past 24:00
        ({"hours": _hours(("09:60", "18:00"))}, "hours"),  # minute 60
        ({"hours": [[["09:00", "18:00"]]] * 5}, "hours"),  # five weekdays only
        ({"hours": [[["09:00", "10:00"]] * 9] + [[]] * 6}, "hours"),  # more than 8 ranges a day
        ({"time_zone": "Asia/Osaka"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"public_holidays": "XX"}, "public_holidays"),
        ({"public_holidays": 81}, "public_holidays"),
        ({"closed_dates": ["2026-02-30"]}, "closed_dates"),
        ({"closed_dates": "2026-08-14"}, "closed_dates"),
        ({"closures": [{"start": "2026-06-10T13:00:00", "end": "2026-06-10T18:00:00+09:00"}]}, "closures"),
        (
            {"closures": [{"start": "2026-06-10T18:00:00+09:00", "end": "2026-06-10T13:00:00+09:00"}]},
            "closures",
        ),
        ({"closures": [{"start": "2026-06-10T13:00:00+09:00"}]}, "closures"),
        ({"closures": ["2026-06-10"]}, "closures"),
    ],
)
def test_definition_errors(change: dict[str, Any], field: str) -> None:
    definition = {**corpus.JP, **change}
    errors = calendars.definition_errors(definition)
    assert list(errors) == [field]
    with pytest.raises(ScheduleError):
        calendars.schedule(definition)


def test_definition_never_open() -> None:
    never = calendars.schedule({**corpus.JP, "hours": [[] for _ in range(7)]})
    with pytest.raises(ScheduleError):
        never.add(t("2026-06-01 10:00"), US)
    assert never.next_open(t("2026-06-01 10:00")) is None


def test_ola_of_a_team_that_never_held_the_ticket_does_not_apply() -> None:
    history = [*STARTED, Row("2026-06-01 11:00", "resolved")]
    clocks_ = compute(
        entries(history), terms=TERMS["OLA L2"], calendar=calendar("jp"), now=t("2026-06-01 12:00")
    )
    assert {c.metric: c.state for c in clocks_} == {"response": "cancelled", "resolution": "cancelled"}


def test_contract_the_supplier_was_never_involved_in_does_not_apply() -> None:
    history = [*STARTED, Row("2026-06-01 11:00", "resolved")]
    clocks_ = compute(entries(history), terms=TERMS["UC"], calendar=calendar("jp"), now=t("2026-06-01 12:00"))
    assert [(c.metric, c.state) for c in clocks_] == [("resolution", "cancelled")]
