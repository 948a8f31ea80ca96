"""Import closed days and closures for a business calendar from an iCalendar file (pure).

An administrator uploads an ``.ics`` exported from Google Calendar, Outlook or a holiday calendar;
:func:`parse_ics` turns it into what a calendar definition holds (see :mod:`kaizen.slm.calendars`):
all-day events become ``closed_dates`` (one date per day covered, DTEND exclusive), timed events
become ``closures`` with explicit offsets, and what was left out is explained in ``skipped``.

The file is hostile input until proven otherwise, so the work is done in three steps:

1. cheap checks on the raw bytes: the size, that it starts like a calendar, a rough count of
   ``BEGIN:VEVENT`` (a 10,000-event file is refused before anything is parsed);
2. our own unfolding into logical lines that keeps the physical line numbers, with a structural
   check (every line has a name and a colon, BEGIN/END nest and match, the file is not truncated),
   so that most errors name their line;
3. parsing by ``icalendar``, which is lenient: a broken property inside a VEVENT is kept as a
   ``vBroken`` value and the problem recorded in ``component.errors`` instead of raised. Those
   errors are turned into :class:`IcsError` with the line they came from.

Time zones: floating times are read in the calendar's zone; a TZID is honoured when it names an
IANA (or Windows) zone or a VTIMEZONE of the same file. icalendar keeps a process-wide cache of
custom VTIMEZONEs (the first file to define a TZID wins), so custom zones are rebuilt from this
file's own VTIMEZONE and a TZID the file does not define is refused rather than taken from an
earlier upload.

Recurring events are expanded with dateutil within a window (by default one year back, three
years ahead), honouring EXDATE, RDATE and overridden occurrences (RECURRENCE-ID). Expansion is
bounded: occurrences count towards :data:`MAX_EVENTS`, and a rule that would make dateutil scan
too many periods (a daily rule since the year 1, an impossible rule) is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator, Mapping
from typing import Any

from dateutil import rrule as rrules
from django.utils.translation import gettext as _
from icalendar import Calendar, Component, vRecur
from icalendar.parser import Contentline
from icalendar.timezone import tzp

from kaizen.core.lib.business_time import ScheduleError, zone
from kaizen.slm.calendars import MAX_CLOSED_DATES, MAX_CLOSURES

MAX_BYTES = 2 * 1024 * 1024
MAX_EVENTS = 1000
SUMMARY_LENGTH = 200

_MAX_DEPTH = 8  # VCALENDAR > VEVENT > VALARM is 3; deeper nesting is an attack, not a calendar
_MAX_PERIODS = 200_000  # rule periods dateutil may scan for a whole file (about a second at worst)
_MAX_STEPS = 200_000  # occurrences dateutil may yield, before and inside the window
_PROBLEM_LENGTH = 200
_DAY = dt.timedelta(days=1)
_FREQ_SECONDS = {
    "YEARLY": 365 * 86400,
    "MONTHLY": 28 * 86400,
    "WEEKLY": 7 * 86400,
    "DAILY": 86400,
    "HOURLY": 3600,
    "MINUTELY": 60,
    "SECONDLY": 1,
}
_VEVENT = re.compile(rb"^[ \t]*BEGIN[ \t]*:[ \t]*VEVENT", re.IGNORECASE | re.MULTILINE)
_NEWLINE = re.compile(rb"\r\n|\n|\r")
_NAME = re.compile(r"[A-Za-z0-9-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

Line = tuple[int, str]  # physical number of the first line, unfolded text
Span = tuple[int, int]  # indexes of BEGIN:VEVENT and END:VEVENT in the list of lines


class IcsError(ValueError):
    """The file cannot be imported.

    ``str(exc)`` is a translated, user-readable message, with the line number where it is known.
    """


@dataclasses.dataclass(frozen=True)
class Imported:
    """What an iCalendar file adds to a calendar definition.

    Attributes:
        closed_dates: days closed all day (all-day events, one date per day covered); sorted, unique.
        closures: timed closures ``{"start", "end", "name"}``, ISO datetimes with the offset of the
            calendar's time zone; sorted by start.
        skipped: human-readable notes about events or occurrences left out, in file order.
    """

    closed_dates: list[dt.date]
    closures: list[dict[str, str]]
    skipped: list[str]


def parse_ics(
    data: bytes, *, time_zone: str, start: dt.date | None = None, end: dt.date | None = None
) -> Imported:
    """Return the closed days and closures an iCalendar file describes.

    Args:
        data: the uploaded file (UTF-8, with or without BOM; CRLF, LF or CR line ends).
        time_zone: IANA name of the calendar's zone; floating times are read in it and closures
            are given with its offsets.
        start: first day of the window in which recurring events are expanded (default: today
            in ``time_zone`` minus one year).
        end: last day of that window (default: today plus three years).

    Raises:
        IcsError: the file is too large, has too many events, is not an iCalendar file, or cannot
            be read; the message says why, with the line where it is known.
    """
    try:
        local = zone(time_zone)
    except ScheduleError as exc:
        raise IcsError(_("Unknown time zone: %(zone)s.") % {"zone": str(time_zone)[:80]}) from exc
    today = dt.datetime.now(local).date()
    first = start if start is not None else _add_years(today, -1)
    last = end if end is not None else _add_years(today, 3)
    if last < first:
        raise IcsError(_("The end of the period is before its start."))
    lines = _read_lines(data)
    spans = _check_structure(lines)
    calendar = _parse_calendar(lines)
    events = [component for component in calendar.subcomponents if component.name == "VEVENT"]
    if len(events) != len(spans):  # pragma: no cover - the structure check makes them agree
        raise IcsError(_("The file cannot be read: %(problem)s") % {"problem": "VEVENT"})
    return _Import(calendar, lines, local, first, last).run(list(zip(events, spans, strict=True)))


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _clip(text: str) -> str:
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= _PROBLEM_LENGTH else text[: _PROBLEM_LENGTH - 1] + "…"


def _unreadable(number: int, problem: str) -> IcsError:
    return IcsError(_("Line %(line)s cannot be read: %(problem)s.") % {"line": number, "problem": problem})


def _at_line(number: int, problem: str) -> IcsError:
    return IcsError(_("Line %(line)s: %(problem)s.") % {"line": number, "problem": problem})


def _too_often(number: int) -> IcsError:
    return _at_line(number, _("the event repeats too often, over too long a period, to be expanded"))


def _line_problem(text: str) -> str | None:
    """Return why icalendar cannot split a content line into name, parameters and value."""
    try:
        Contentline(text).parts()  # type: ignore[no-untyped-call]  # icalendar leaves it untyped
    except ValueError as exc:
        return str(exc)
    return None


def _rule_text(recur: vRecur) -> str:
    """Return an RRULE value without COUNT and UNTIL, which the expansion applies itself."""
    kept = vRecur({key: value for key, value in recur.items() if key not in ("COUNT", "UNTIL")})
    ical: bytes = kept.to_ical()  # type: ignore[no-untyped-call]  # icalendar leaves it untyped
    return ical.decode("ascii")


def _not_ical() -> IcsError:
    return IcsError(_("This is not an iCalendar file (it must start with BEGIN:VCALENDAR)."))


def _read_lines(data: bytes) -> list[Line]:
    """Check the raw bytes, decode them and unfold them into logical lines (RFC 5545 3.1)."""
    if len(data) > MAX_BYTES:
        raise IcsError(
            _("The file is larger than %(limit)s MB; split it or export a shorter period.")
            % {"limit": MAX_BYTES // (1024 * 1024)}
        )
    body = data.removeprefix(b"\xef\xbb\xbf")
    if not body.lstrip()[:15].upper() == b"BEGIN:VCALENDAR":
        raise _not_ical()
    count = len(_VEVENT.findall(body))
    if count > MAX_EVENTS:
        raise IcsError(
            _("The file has %(count)s events; at most %(limit)s can be imported at once.")
            % {"count": count, "limit": MAX_EVENTS}
        )
    # Unfold before decoding: a fold may split a multi-octet UTF-8 character (RFC 5545 3.1).
    lines: list[Line] = []
    parts: list[bytes] = []
    first = 0
    for number, raw in enumerate(_NEWLINE.split(body), start=1):
        if not raw:
            continue
        if raw[:1] in (b" ", b"\t"):
            if not parts:
                raise _unreadable(number, _("it continues a line that does not exist"))
            parts.append(raw[1:])
            continue
        if parts:
            lines.append((first, _decode(first, b"".join(parts))))
        parts, first = [raw], number
    if parts:
        lines.append((first, _decode(first, b"".join(parts))))
    return lines


def _decode(number: int, line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable(number, _("it is not UTF-8 text")) from exc


def _property_name(number: int, text: str) -> str:
    found = _NAME.match(text)
    if ":" not in text:
        raise _unreadable(number, _("no colon separates the name from the value"))
    if found is None or text[found.end()] not in ":;":
        raise _unreadable(number, _("it does not start with a property name"))
    return found.group().upper()


def _check_structure(lines: list[Line]) -> list[Span]:
    """Check that components nest and close; return the spans of the calendar's own VEVENTs."""
    stack: list[tuple[str, int]] = []
    spans: list[Span] = []
    for index, (number, text) in enumerate(lines):
        name = _property_name(number, text)
        value = text.partition(":")[2].strip().upper()
        if index == 0 and (name, value) != ("BEGIN", "VCALENDAR"):
            raise _not_ical()
        if index and not stack:
            raise _unreadable(number, _("nothing may follow END:VCALENDAR"))
        if name == "BEGIN":
            if not _NAME.fullmatch(value):
                raise _unreadable(number, _("BEGIN needs a component name"))
            if len(stack) >= _MAX_DEPTH:
                raise _unreadable(number, _("components are nested too deeply"))
            stack.append((value, index))
        elif name == "END":
            if value != stack[-1][0]:
                begin = lines[stack[-1][1]][0]
                raise _unreadable(
                    number,
                    _("END:%(found)s does not close BEGIN:%(open)s of line %(begin)s")
                    % {"found": value[:40], "open": stack[-1][0], "begin": begin},
                )
            component, begin_index = stack.pop()
            if component == "VEVENT" and len(stack) == 1:
                spans.append((begin_index, index))
    if not lines:
        raise _not_ical()
    if stack:
        component, begin_index = stack[-1]
        raise IcsError(
            _("The file ends inside BEGIN:%(component)s of line %(line)s: it may be truncated.")
            % {"component": component, "line": lines[begin_index][0]}
        )
    return spans


def _parse_calendar(lines: list[Line]) -> Calendar:
    try:
        return Calendar.from_ical("\r\n".join(text for _number, text in lines) + "\r\n")
    except Exception as exc:  # icalendar raises what its parsers raise; none may escape as a 500
        for number, text in lines:
            if (problem := _line_problem(text)) is not None:
                raise _unreadable(number, _clip(problem)) from exc
        raise IcsError(_("The file cannot be read: %(problem)s") % {"problem": _clip(str(exc))}) from exc


def _first(component: Component, name: str) -> Any:
    value = component.get(name)
    return value[0] if isinstance(value, list) else value


def _all(component: Component, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(component: Component, name: str) -> str:
    value = _first(component, name)
    return "" if value is None else _CONTROL.sub(" ", str(value)).strip()


class _Import:
    """One import: the parsed calendar, its lines, the window, and what has been found so far."""

    def __init__(
        self, calendar: Calendar, lines: list[Line], local: dt.tzinfo, first: dt.date, last: dt.date
    ) -> None:
        self.calendar = calendar
        self.lines = lines
        self.local = local
        self.first = first
        self.last = last
        self.zones: dict[str, dt.tzinfo] = {}
        self.dates: set[dt.date] = set()
        self.closures: set[tuple[dt.datetime, dt.datetime, str]] = set()
        self.skipped: list[str] = []
        self.occurrences = 0
        self.periods = 0.0
        self.steps = 0

    def run(self, events: list[tuple[Component, Span]]) -> Imported:
        """Read every event and return the result."""
        replaced: dict[str, list[dt.date]] = {}
        for event, span in events:
            self.check_errors(event, span)
            if "RECURRENCE-ID" in event:
                prop = _first(event, "RECURRENCE-ID")
                moment = self.moment(prop.dt, prop.params, self.line(span, "RECURRENCE-ID"))
                if uid := _text(event, "UID"):
                    replaced.setdefault(uid, []).append(moment)
        for event, span in events:
            self.event(event, span, replaced)
        closures = sorted(self.closures, key=lambda item: (item[0], item[1], item[2]))
        return Imported(
            closed_dates=sorted(self.dates),
            closures=[{"start": s.isoformat(), "end": e.isoformat(), "name": n} for s, e, n in closures],
            skipped=self.skipped,
        )

    # -- lines and errors ------------------------------------------------------------------------

    def line(self, span: Span, name: str) -> int:
        """Return the number of the first line of property ``name`` in the event (else BEGIN's)."""
        for number, text in self.lines[span[0] : span[1]]:
            found = _NAME.match(text)
            if found and found.group().upper() == name:
                return number
        return self.lines[span[0]][0]

    def check_errors(self, event: Component, span: Span) -> None:
        """Raise the first problem icalendar recorded instead of raising (it keeps broken values)."""
        if not event.errors:
            return
        name, message = event.errors[0]
        if name is None:  # a line icalendar could not split; find it again
            for number, text in self.lines[span[0] : span[1]]:
                if _line_problem(text) is not None:
                    raise _unreadable(number, _clip(message))
            raise _unreadable(self.lines[span[0]][0], _clip(message))
        raise _unreadable(self.line(span, name.upper()), f"{name}: {_clip(message)}")

    # -- dates, times and zones ------------------------------------------------------------------

    def moment(self, value: Any, params: Mapping[str, Any], number: int) -> dt.date:
        """Return a date, or an aware datetime: floating in the calendar's zone, TZID resolved."""
        if isinstance(value, dt.datetime):
            tzid = str(params.get("TZID") or "")
            if tzid:
                if isinstance(value.tzinfo, zoneinfo.ZoneInfo):  # an IANA or Windows name
                    return value
                return value.replace(tzinfo=self.file_zone(tzid, number))
            return value if value.tzinfo is not None else value.replace(tzinfo=self.local)
        if isinstance(value, dt.date):
            return value
        raise _at_line(number, _("a date or a date and time is expected"))

    def file_zone(self, tzid: str, number: int) -> dt.tzinfo:
        """Return the zone this file's VTIMEZONE ``tzid`` defines (never icalendar's shared cache)."""
        if tzid not in self.zones:
            for component in self.calendar.timezones:
                if str(component.get("TZID", "")) == tzid:
                    try:
                        self.zones[tzid] = component.to_tz(tzp, lookup_tzid=False)
                    except Exception as exc:  # dateutil's parser of the VTIMEZONE raises freely
                        raise _at_line(
                            number, _("the time zone %(tzid)s cannot be read") % {"tzid": _clip(tzid)}
                        ) from exc
                    break
            else:
                raise _at_line(
                    number,
                    _("unknown time zone %(tzid)s (TZID)") % {"tzid": _clip(tzid)},
                )
        return self.zones[tzid]

    def timing(self, event: Component, span: Span) -> tuple[dt.date, dt.date]:
        """Return the start and (exclusive) end of the event: two dates or two aware datetimes."""
        prop = _first(event, "DTSTART")
        if prop is None:
            raise _at_line(self.lines[span[0]][0], _("the event has no start (DTSTART)"))
        start = self.moment(prop.dt, prop.params, self.line(span, "DTSTART"))
        timed = isinstance(start, dt.datetime)
        end_line = self.line(span, "DTEND")
        if (prop := _first(event, "DTEND")) is not None:
            end = self.moment(prop.dt, prop.params, end_line)
        elif (prop := _first(event, "DURATION")) is not None:
            end_line = self.line(span, "DURATION")
            delta = prop.dt
            if not isinstance(delta, dt.timedelta):
                raise _at_line(end_line, _("a duration is expected"))
            if not timed and delta % _DAY:
                raise _at_line(end_line, _("the duration of an all-day event must be whole days"))
            end = _shift(start, delta)
        else:
            end = start if timed else start + _DAY
        if timed != isinstance(end, dt.datetime):
            raise _at_line(end_line, _("the start and the end must both be dates, or both dates and times"))
        if end < start:
            raise _at_line(end_line, _("the event ends before it starts"))
        return start, end

    # -- events ----------------------------------------------------------------------------------

    def describe(self, name: str, start: dt.date, number: int) -> str:
        """Return how a note names an event: its summary (or line) and when it starts."""
        if isinstance(start, dt.datetime):
            when = start.astimezone(self.local).strftime("%Y-%m-%d %H:%M")
        else:
            when = start.isoformat()
        label = name or _("untitled event of line %(line)s") % {"line": number}
        return f"{label} ({when})"

    def event(self, event: Component, span: Span, replaced: Mapping[str, list[dt.date]]) -> None:
        """Add one VEVENT (every occurrence of it, if it repeats) or note why it is skipped."""
        number = self.lines[span[0]][0]
        name = _text(event, "SUMMARY")[:SUMMARY_LENGTH].rstrip()
        start, end = self.timing(event, span)
        what = self.describe(name, start, number)
        if _text(event, "STATUS").upper() == "CANCELLED":
            self.skipped.append(_("%(event)s: cancelled, not imported.") % {"event": what})
            return
        # Google and Outlook mark all-day events, holidays included, as free (TRANSPARENT) by
        # default, so transparency only rules out timed events.
        if isinstance(start, dt.datetime) and _text(event, "TRANSP").upper() == "TRANSPARENT":
            self.skipped.append(_("%(event)s: marked as free time, not imported.") % {"event": what})
            return
        if isinstance(start, dt.datetime) and end == start:
            self.skipped.append(_("%(event)s: ends when it starts, not imported.") % {"event": what})
            return
        if "RECURRENCE-ID" in event:  # one moved occurrence of a repeating event
            if self.in_window(start):
                self.add(start, end, name, number)
            return
        if "RRULE" not in event and "RDATE" not in event:
            self.add(start, end, name, number)
            return
        uid = _text(event, "UID")
        excluded = [*self.exdates(event, span), *(replaced.get(uid, []) if uid else [])]
        if self.expand(event, span, start, end, name, excluded):
            self.skipped.append(
                _("%(event)s: repeats outside %(start)s – %(end)s; only that period is imported.")
                % {"event": what, "start": self.first.isoformat(), "end": self.last.isoformat()}
            )

    def in_window(self, start: dt.date) -> bool:
        """Tell whether an occurrence starts on a day of the expansion window (calendar's zone)."""
        day = start.astimezone(self.local).date() if isinstance(start, dt.datetime) else start
        return self.first <= day <= self.last

    def add(self, start: dt.date, end: dt.date, name: str, number: int) -> None:
        """Add one occurrence: its days if it is all-day, else one closure."""
        self.occurrences += 1
        if self.occurrences > MAX_EVENTS:
            raise IcsError(
                _(
                    "Once repeating events are expanded, the file has more than %(limit)s events; "
                    "at most %(limit)s can be imported at once."
                )
                % {"limit": MAX_EVENTS}
            )
        if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
            if len(self.closures) >= MAX_CLOSURES:
                raise IcsError(_("At most %(n)s closures.") % {"n": MAX_CLOSURES})
            self.closures.add((start.astimezone(self.local), end.astimezone(self.local), name))
            return
        # DTEND equal to DTSTART is not valid for dates, but exporters write it for one-day events.
        days = max((end - start).days, 1)
        if days > MAX_CLOSED_DATES:
            raise _at_line(
                number,
                _("the event covers %(count)s days; at most %(limit)s can be imported")
                % {"count": days, "limit": MAX_CLOSED_DATES},
            )
        self.dates.update(start + dt.timedelta(days=offset) for offset in range(days))
        if len(self.dates) > MAX_CLOSED_DATES:
            raise IcsError(_("At most %(n)s closed dates.") % {"n": MAX_CLOSED_DATES})

    # -- recurrence ------------------------------------------------------------------------------

    def dates_of(self, event: Component, span: Span, name: str) -> Iterator[tuple[dt.date, Any]]:
        """Yield the values of every ``name`` (EXDATE, RDATE) property: (moment, period end or None)."""
        number = self.line(span, name)
        for prop in _all(event, name):
            for item in prop.dts:
                value = item.dt
                if isinstance(value, tuple):  # a PERIOD: start and end or duration
                    yield self.moment(value[0], prop.params, number), value[1]
                else:
                    yield self.moment(value, prop.params, number), None

    def exdates(self, event: Component, span: Span) -> list[dt.date]:
        """Return the excluded occurrences (EXDATE)."""
        return [moment for moment, _period in self.dates_of(event, span, "EXDATE")]

    def expand(
        self, event: Component, span: Span, start: dt.date, end: dt.date, name: str, excluded: list[dt.date]
    ) -> bool:
        """Add the occurrences of a repeating event inside the window; tell whether some lie outside."""
        number = self.lines[span[0]][0]
        duration = _length(start, end)
        starts: dict[dt.date, dt.date] = {}  # occurrence start -> end
        outside = False
        for recur in _all(event, "RRULE"):
            found, more = self.rule(recur, start, self.line(span, "RRULE"))
            outside = outside or more
            for moment in found:
                starts.setdefault(moment, _shift(moment, duration))
        for moment, period in self.dates_of(event, span, "RDATE"):
            if period is None:
                starts.setdefault(moment, _shift(moment, duration))
            elif isinstance(period, dt.timedelta):
                starts.setdefault(moment, _shift(moment, period))
            else:
                starts.setdefault(moment, self.moment(period, {}, self.line(span, "RDATE")))
        timed = isinstance(start, dt.datetime)
        for moment, until in sorted(starts.items(), key=lambda item: _sort_key(item[0])):
            if timed != isinstance(moment, dt.datetime) or timed != isinstance(until, dt.datetime):
                raise _at_line(self.line(span, "RDATE"), _("RDATE must be of the same kind as DTSTART"))
            if until < moment:
                raise _at_line(self.line(span, "RDATE"), _("the event ends before it starts"))
            if _matches(moment, excluded):
                continue
            if not self.in_window(moment):
                outside = True
                continue
            self.add(moment, until, name, number)
        return outside

    def rule(self, recur: vRecur, start: dt.date, number: int) -> tuple[list[dt.date], bool]:
        """Return the starts one RRULE gives up to the end of the window, and whether it goes on."""
        tz = start.tzinfo if isinstance(start, dt.datetime) else None
        base = _naive(start)
        horizon = dt.datetime.combine(self.last + 2 * _DAY, dt.time())
        count = recur.get("COUNT", [None])[0]
        until = recur.get("UNTIL", [None])[0]
        limit = horizon if until is None else min(horizon, self.naive_until(until, tz))
        more = count is None and (until is None or self.naive_until(until, tz) > horizon)
        freq = str(recur.get("FREQ", [""])[0]).upper()
        interval = int(recur.get("INTERVAL", [1])[0] or 1)
        self.periods += max((limit - base).total_seconds(), 0) / _FREQ_SECONDS.get(freq, 1) / max(interval, 1)
        if self.periods > _MAX_PERIODS:
            raise _too_often(number)
        try:
            parsed = rrules.rrulestr(_rule_text(recur), dtstart=base)
            if not isinstance(parsed, rrules.rrule):  # pragma: no cover - one rule gives one rrule
                raise TypeError(type(parsed).__name__)
            rule = parsed.replace(until=limit)
        except (ValueError, TypeError, KeyError) as exc:
            raise _unreadable(number, f"RRULE: {_clip(str(exc))}") from exc
        found: list[dt.date] = []
        for occurrence in rule:
            self.steps += 1
            if self.steps > _MAX_STEPS:
                raise _too_often(number)
            found.append(occurrence.replace(tzinfo=tz) if tz is not None else occurrence.date())
            if count is not None and len(found) >= int(count):
                break
        else:
            more = more or (count is not None and len(found) < int(count))
        return found, more

    def naive_until(self, until: dt.date, tz: dt.tzinfo | None) -> dt.datetime:
        """Return UNTIL as a wall-clock time of the event's zone (inclusive bound of dateutil)."""
        if isinstance(until, dt.datetime):
            if until.tzinfo is None:
                return until
            return until.astimezone(tz if tz is not None else self.local).replace(tzinfo=None)
        return dt.datetime.combine(until, dt.time.max if tz is not None else dt.time())


def _naive(moment: dt.date) -> dt.datetime:
    if isinstance(moment, dt.datetime):
        return moment.replace(tzinfo=None)
    return dt.datetime.combine(moment, dt.time())


def _length(start: dt.date, end: dt.date) -> dt.timedelta:
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        return end.astimezone(dt.UTC) - start.astimezone(dt.UTC)
    return end - start


def _shift(moment: dt.date, delta: dt.timedelta) -> dt.date:
    """Return ``moment + delta``, adding elapsed time (not wall-clock time) to datetimes."""
    if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
        return (moment.astimezone(dt.UTC) + delta).astimezone(moment.tzinfo)
    return moment + delta


def _sort_key(moment: dt.date) -> tuple[dt.datetime, int]:
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC).replace(tzinfo=None), 1
    return dt.datetime.combine(moment, dt.time()), 0


def _matches(moment: dt.date, excluded: list[dt.date]) -> bool:
    """Tell whether an occurrence is excluded: same instant, or same day for a date EXDATE."""
    for item in excluded:
        if isinstance(moment, dt.datetime):
            if isinstance(item, dt.datetime):
                if item == moment:
                    return True
            elif item == moment.date():
                return True
        elif (item.date() if isinstance(item, dt.datetime) else item) == moment:
            return True
    return False
