"""Business time: when a calendar is open, how much open time lies between two moments, and due times.

A :class:`Schedule` is weekly service hours (several ranges a day, a range may end at 24:00) in a
time zone, closed days (public and company holidays) and one-off closures. It answers three
questions exactly, to the microsecond:

- :meth:`Schedule.elapsed` – open time between two moments;
- :meth:`Schedule.add` – the moment a given amount of open time after a start is used up;
- :meth:`Schedule.open_intervals` – the open periods between two moments (month views, tests).

Every answer comes from one cumulative function ``C(t)`` (open time since the start of ``t``'s
local year plus the totals of earlier years), so ``elapsed(a, b) == C(b) - C(a)``: elapsed time is
monotonic, additive over any split and zero inside a closed period by construction. A year's days
are laid out once (open intervals in UTC microseconds and prefix sums) and kept; a lookup is a
binary search plus the few ranges of one day, so a 30-day span costs the same as a 30-minute one.

Local times become instants through :mod:`zoneinfo`. Around a daylight-saving change the day has 23
or 25 hours and every open range covers the real time between its ends. A start that occurs twice
(clocks turned back) is taken at its first occurrence and an end at its second, so the range keeps
all of its hours; a local time that does not exist (clocks turned forward) is read with the offset in
force before the change, as Python does.

:class:`Timeline` chains schedules that each hold from a moment on (a calendar edited at 10:00
counts with its old hours before 10:00 and its new hours after), with the same three questions.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
US = dt.timedelta(microseconds=1)
DAY_MINUTES = 24 * 60
MAX_EMPTY_YEARS = 5
"""How many years without any open time :meth:`Schedule.add` looks through before it gives up."""

Range = tuple[int, int]
"""Open from ``start`` to ``end`` minutes after local midnight; ``end`` may be 1440 (24:00)."""


class ScheduleError(ValueError):
    """A schedule that cannot be used: bad ranges, an unknown time zone, never open."""


def to_us(moment: dt.datetime) -> int:
    """Return ``moment`` (aware) as microseconds since the Unix epoch."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ScheduleError("naive datetime: business time needs an aware datetime")
    return (moment - EPOCH) // US


def from_us(value: int) -> dt.datetime:
    """Return the aware UTC datetime ``value`` microseconds after the Unix epoch."""
    return EPOCH + dt.timedelta(microseconds=value)


def zone(name: str) -> zoneinfo.ZoneInfo:
    """Return the IANA time zone ``name``.

    Raises:
        ScheduleError: no such time zone.
    """
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ScheduleError(f"unknown time zone {name!r}") from exc


def range_errors(ranges: Iterable[Range]) -> list[str]:
    """Return what is wrong with one day's ranges (empty when they are usable).

    A range must lie within 0–1440 minutes and end after it starts; ranges may touch (9–12 and
    12–13) but not overlap.
    """
    errors = []
    ordered = sorted(ranges)
    for start, end in ordered:
        if not (0 <= start < DAY_MINUTES) or not (0 < end <= DAY_MINUTES):
            errors.append(f"{_hhmm(start)}–{_hhmm(end)}: outside 00:00–24:00")
        elif end <= start:
            errors.append(f"{_hhmm(start)}–{_hhmm(end)}: ends before it starts")
    for (s1, e1), (s2, e2) in itertools.pairwise(ordered):
        if s2 < e1:
            errors.append(f"{_hhmm(s1)}–{_hhmm(e1)} and {_hhmm(s2)}–{_hhmm(e2)} overlap")
    return errors


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the union of (start, end) intervals, sorted, without empty ones."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _subtract(
    intervals: Sequence[tuple[int, int]], closed: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return ``intervals`` minus the (sorted, merged) ``closed`` periods."""
    out = []
    for start, end in intervals:
        lo = bisect.bisect_right(closed, (start, end)) - 1
        cursor = start
        for c_start, c_end in closed[max(lo, 0) :]:
            if c_start >= end:
                break
            if c_end <= cursor:
                continue
            if c_start > cursor:
                out.append((cursor, c_start))
            cursor = max(cursor, c_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


@dataclass
class _Year:
    """One local year laid out: day starts, each day's open intervals and prefix sums (microseconds)."""

    starts: list[int]  # len = days + 1; the last is the start of the next year
    days: list[tuple[tuple[int, int], ...]]
    cum: list[int]  # len = days + 1; open time before each day

    @property
    def total(self) -> int:
        return self.cum[-1]

    def day_of(self, t: int) -> int:
        return bisect.bisect_right(self.starts, t) - 1

    def upto(self, t: int) -> int:
        """Open time from the start of the year until ``t`` (``t`` within the year)."""
        i = self.day_of(t)
        done = self.cum[i]
        for start, end in self.days[i]:
            if start >= t:
                break
            done += min(end, t) - start
        return done

    def at(self, amount: int) -> int:
        """The first moment by which ``amount`` (0 < amount <= total) of open time has passed."""
        i = bisect.bisect_left(self.cum, amount) - 1
        left = amount - self.cum[i]
        for start, end in self.days[i]:
            if left <= end - start:
                return start + left
            left -= end - start
        raise AssertionError("prefix sums and day intervals disagree")  # pragma: no cover


class Schedule:
    """Weekly service hours in a time zone with closed days and one-off closures."""

    def __init__(
        self,
        *,
        time_zone: str,
        weekly: Mapping[int, Iterable[Range]],
        closed_dates: Iterable[dt.date] = (),
        closed_on: Callable[[int], Iterable[dt.date]] | None = None,
        closures: Iterable[tuple[dt.datetime, dt.datetime]] = (),
    ) -> None:
        """Build a schedule.

        Args:
            time_zone: IANA name, for example ``Asia/Tokyo``.
            weekly: weekday (Monday 0 … Sunday 6) -> open ranges in minutes after local midnight.
            closed_dates: local dates on which the calendar is closed all day.
            closed_on: year -> more closed dates (public holidays computed per year).
            closures: one-off closed periods (aware datetimes, end after start).

        Raises:
            ScheduleError: an unknown zone, a bad range or closure.
        """
        self.zone = zone(time_zone)
        self.time_zone = time_zone
        days: list[tuple[Range, ...]] = []
        for weekday in range(7):
            ranges = [(int(s), int(e)) for s, e in weekly.get(weekday, ())]
            errors = range_errors(ranges)
            if errors:
                raise ScheduleError("; ".join(errors))
            days.append(tuple(sorted(ranges)))
        self.weekly = tuple(days)
        self.closed_dates = frozenset(closed_dates)
        self.closed_on = closed_on
        cut = []
        for start, end in closures:
            s, e = to_us(start), to_us(end)
            if e <= s:
                raise ScheduleError(f"closure {start.isoformat()} – {end.isoformat()} ends before it starts")
            cut.append((s, e))
        self.closures = merge(cut)
        self._years: dict[int, _Year] = {}
        self._last: tuple[int, int, int] = (0, 0, 0)  # start, end, year of the last year looked up

    # -- layout ------------------------------------------------------------------------------

    def is_closed_day(self, day: dt.date) -> bool:
        """Tell whether ``day`` is closed all day (a holiday or company closed day)."""
        return day in self.closed_dates or day in self._closed_in(day.year)

    def _closed_in(self, year: int) -> frozenset[dt.date]:
        if self.closed_on is None:
            return frozenset()
        return _closed_cache(self.closed_on, year)

    def _instant(self, day: dt.date, minutes: int, *, fold: int) -> int:
        if minutes == DAY_MINUTES:
            day, minutes = day + dt.timedelta(days=1), 0
            fold = 0
        first = dt.datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=self.zone)
        u0, u1 = to_us(first), to_us(first.replace(fold=1))
        if u1 < u0:  # in the gap of clocks turned forward: the offset before the change
            return u0
        return u1 if fold else u0

    def _year(self, year: int) -> _Year:
        laid = self._years.get(year)
        if laid is not None:
            return laid
        closed = self._closed_in(year) | self.closed_dates
        first = dt.date(year, 1, 1)
        count = (dt.date(year + 1, 1, 1) - first).days
        starts, days, cum = [], [], [0]
        for n in range(count):
            day = first + dt.timedelta(days=n)
            starts.append(self._instant(day, 0, fold=0))
            intervals: list[tuple[int, int]] = []
            if day not in closed:
                for start, end in self.weekly[day.weekday()]:
                    s = self._instant(day, start, fold=0)
                    e = self._instant(day, end, fold=1)
                    if e > s:
                        intervals.append((s, e))
                intervals = merge(intervals)
                if self.closures:
                    intervals = _subtract(intervals, self.closures)
            days.append(tuple(intervals))
            cum.append(cum[-1] + sum(e - s for s, e in intervals))
        starts.append(self._instant(dt.date(year + 1, 1, 1), 0, fold=0))
        laid = _Year(starts=starts, days=days, cum=cum)
        self._years[year] = laid
        return laid

    def _year_of(self, t: int) -> int:
        start, end, known = self._last
        if start <= t < end:
            return known
        year = self._locate(t)
        laid = self._year(year)
        self._last = (laid.starts[0], laid.starts[-1], year)
        return year

    def _locate(self, t: int) -> int:
        year = from_us(t).astimezone(self.zone).year
        laid = self._year(year)
        if t < laid.starts[0]:
            return year - 1
        if t >= laid.starts[-1]:
            return year + 1
        return year

    # -- questions ---------------------------------------------------------------------------

    def elapsed_us(self, start: int, end: int) -> int:
        """Open time in microseconds from ``start`` to ``end`` (0 when ``end`` is not after it)."""
        if end <= start:
            return 0
        y1, y2 = self._year_of(start), self._year_of(end)
        if y1 == y2:
            laid = self._year(y1)
            return laid.upto(end) - laid.upto(start)
        total = self._year(y1).total - self._year(y1).upto(start)
        for year in range(y1 + 1, y2):
            total += self._year(year).total
        return total + self._year(y2).upto(end)

    def add_us(self, start: int, amount: int) -> int:
        """The moment (microseconds) at which ``amount`` of open time after ``start`` is used up.

        Raises:
            ScheduleError: the schedule has no open time for years after ``start``.
        """
        if amount <= 0:
            return start
        year = self._year_of(start)
        target = self._year(year).upto(start) + amount
        empty = 0
        while target > self._year(year).total:
            total = self._year(year).total
            empty = empty + 1 if total == 0 else 0
            if empty > MAX_EMPTY_YEARS:
                raise ScheduleError("the calendar has no open hours")
            target -= total
            year += 1
        return self._year(year).at(target)

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Return the open time between ``start`` and ``end``."""
        return dt.timedelta(microseconds=self.elapsed_us(to_us(start), to_us(end)))

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """Return when ``amount`` of open time after ``start`` is used up (UTC)."""
        return from_us(self.add_us(to_us(start), amount // US))

    def is_open(self, moment: dt.datetime) -> bool:
        """Tell whether the calendar is open at ``moment``."""
        t = to_us(moment)
        laid = self._year(self._year_of(t))
        return any(s <= t < e for s, e in laid.days[laid.day_of(t)])

    def open_intervals_us(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Yield the open periods (microseconds) between ``start`` and ``end``, clipped to them."""
        year = self._year_of(start)
        while True:
            laid = self._year(year)
            if laid.starts[0] >= end:
                return
            first = laid.day_of(max(start, laid.starts[0]))
            for intervals in laid.days[first:]:
                for s, e in intervals:
                    if s >= end:
                        return
                    if e > start and max(s, start) < min(e, end):
                        yield max(s, start), min(e, end)
            year += 1

    def open_intervals(
        self, start: dt.datetime, end: dt.datetime
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Yield the open periods between ``start`` and ``end`` (UTC), clipped to them."""
        for s, e in self.open_intervals_us(to_us(start), to_us(end)):
            yield from_us(s), from_us(e)

    def next_open(self, moment: dt.datetime) -> dt.datetime | None:
        """Return ``moment`` if open, else when the calendar next opens (None within five years)."""
        t = to_us(moment)
        limit = t + (MAX_EMPTY_YEARS + 1) * 366 * 86_400_000_000
        for s, _e in self.open_intervals_us(t, limit):
            return from_us(s)
        return None


@functools.lru_cache(maxsize=512)
def _closed_cache(source: Callable[[int], Iterable[dt.date]], year: int) -> frozenset[dt.date]:
    return frozenset(source(year))


class Timeline:
    """Schedules that each hold from a moment on: answers span the changes."""

    def __init__(self, pieces: Sequence[tuple[dt.datetime | None, Schedule]]) -> None:
        """``pieces``: (holds from, schedule), the first from the beginning of time (None allowed).

        Raises:
            ScheduleError: no pieces, or pieces out of order.
        """
        if not pieces:
            raise ScheduleError("a timeline needs at least one schedule")
        bounds = [to_us(p[0]) if p[0] is not None else None for p in pieces]
        if any(b is None for b in bounds[1:]):
            raise ScheduleError("only the first schedule may hold from the beginning")
        later = [b for b in bounds[1:] if b is not None]
        first = bounds[0]
        if (
            later != sorted(later)
            or len(set(later)) != len(later)
            or (first is not None and later and first >= later[0])
        ):
            raise ScheduleError("schedules out of order")
        self.froms = [-(2**62), *later]
        self.schedules = [p[1] for p in pieces]

    def _piece(self, t: int) -> int:
        return bisect.bisect_right(self.froms, t) - 1

    def _end(self, i: int) -> int:
        return self.froms[i + 1] if i + 1 < len(self.froms) else 2**62

    def elapsed_us(self, start: int, end: int) -> int:
        """Open time in microseconds from ``start`` to ``end``."""
        if end <= start:
            return 0
        if len(self.schedules) == 1:
            return self.schedules[0].elapsed_us(start, end)
        total, i = 0, self._piece(start)
        cursor = start
        while cursor < end:
            stop = min(end, self._end(i))
            total += self.schedules[i].elapsed_us(cursor, stop)
            cursor, i = stop, i + 1
        return total

    def add_us(self, start: int, amount: int) -> int:
        """The moment at which ``amount`` of open time after ``start`` is used up."""
        if amount <= 0:
            return start
        if len(self.schedules) == 1:
            return self.schedules[0].add_us(start, amount)
        i, cursor, left = self._piece(start), start, amount
        while i + 1 < len(self.froms):
            available = self.schedules[i].elapsed_us(cursor, self._end(i))
            if left <= available:
                break
            left -= available
            cursor, i = self._end(i), i + 1
        return self.schedules[i].add_us(cursor, left)

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Return the open time between ``start`` and ``end``."""
        return dt.timedelta(microseconds=self.elapsed_us(to_us(start), to_us(end)))

    def add(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """Return when ``amount`` of open time after ``start`` is used up (UTC)."""
        return from_us(self.add_us(to_us(start), amount // US))

    def schedule_at(self, moment: dt.datetime) -> Schedule:
        """Return the schedule in force at ``moment``."""
        return self.schedules[self._piece(to_us(moment))]

    def is_open(self, moment: dt.datetime) -> bool:
        """Tell whether the calendar is open at ``moment``."""
        return self.schedule_at(moment).is_open(moment)


WEEKDAYS_9_TO_18: dict[int, list[Range]] = {d: [(9 * 60, 18 * 60)] for d in range(5)}
ALWAYS: dict[int, list[Range]] = {d: [(0, DAY_MINUTES)] for d in range(7)}
