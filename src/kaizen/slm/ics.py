"""Import closed days and closures for a business calendar from an iCalendar file (pure).

An administrator uploads an ``.ics`` exported from Google Calendar, Outlook or a holiday calendar;
:func:`parse_ics` turns it into what a calendar definition holds (see :mod:`kaizen.slm.calendars`):
all-day events become ``closed_dates`` (one date per day covered, DTEND exclusive), timed events
become ``closures`` with the offsets of the calendar's zone, and what was left out is explained
in ``skipped``.

The file is hostile input until proven otherwise, so it is read in three steps:

1. cheap checks on the raw bytes: the size, that it starts like a calendar, a rough count of
   ``BEGIN:VEVENT`` (a 10,000-event file is refused before anything is parsed);
2. our own unfolding into logical lines, keeping the physical line numbers, and a structural
   check of every line (a name and a colon, BEGIN/END that nest and match, no truncation), so
   that most errors name their line. Only what the import reads goes on: the properties of the
   VEVENTs listed in :data:`_EVENT_PROPERTIES` and the VTIMEZONEs; descriptions, attendees,
   alarms and tasks are checked for syntax but not parsed, so they cost nothing and a broken
   one does not refuse a file whose dates are fine;
3. parsing by ``icalendar``, which is lenient inside a VEVENT: a broken property becomes a
   ``vBroken`` value and the problem is recorded in ``component.errors`` instead of raised.
   Those errors become :class:`IcsError` with the line they came from.

Time zones: floating times are read in the calendar's zone; a TZID is honoured when it names an
IANA (or Windows) zone, or a VTIMEZONE of the same file. icalendar caches custom VTIMEZONEs for
the whole process (the first file to define a TZID wins), so custom zones are rebuilt from this
file's own VTIMEZONE, and a TZID the file does not define is refused rather than borrowed from an
earlier upload.

Recurring events are expanded with dateutil within a window (by default one year back, three
years ahead), honouring EXDATE, RDATE and overridden occurrences (RECURRENCE-ID). Occurrences
count towards :data:`MAX_EVENTS`. dateutil can scan for a very long time (a rule that never
matches scans to the year 9999), so each rule is first checked on one 400-year cycle, and the
work of a whole file is bounded: past that, the file is refused with the line of the rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
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
_MAX_LINE = 64 * 1024  # characters of one kept property (an RDATE of 4,000 dates fits)
_PROBLEM_LENGTH = 200
_MAX_KEPT_LINES = 20_000  # lines given to icalendar, about 50 µs each (1,000 events need ~12,000)
_MAX_KEPT_CHARS = 1_000_000  # and their characters (long EXDATE lists cost about 30 µs a value)
_MAX_TIMEZONES = 100  # icalendar builds (and caches for the process) a zone per custom VTIMEZONE
_TIMEZONE_PROPERTIES = frozenset(
    {"TZID", "DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "RRULE", "RDATE", "TZNAME"}
)
# What the import reads of a VEVENT; the other properties are checked for syntax but not parsed.
_EVENT_PROPERTIES = frozenset({"UID", "SUMMARY", "STATUS", "TRANSP"}) | frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)
_DAY = dt.timedelta(days=1)
# Recurrence rules are expanded by dateutil, which scans period after period and checks UNTIL
# only on a match, so a rule that never matches (30 February) scans to the year 9999 (dateutil
# issues #1393, #1441). The Gregorian calendar repeats exactly every 400 years (146,097 days,
# 20,871 weeks): a rule that matches nothing in one cycle never matches, which bounds the check.
_CYCLE_DAYS = 146_097
_CYCLE_PERIODS = {"YEARLY": 400, "MONTHLY": 4800, "WEEKLY": 20_871, "DAILY": _CYCLE_DAYS}
_SCAN_COST = {"YEARLY": 0.2, "MONTHLY": 0.7, "WEEKLY": 1.5, "DAILY": 2.5}  # per day scanned, about µs
_YIELD_COST = 20  # per occurrence dateutil gives and the import handles
_MAX_COST = 2_000_000  # for a whole file: about two seconds of expansion
_MAX_PROBE_YEARS = 7000  # a phase-preserving cycle (INTERVAL=7 years gives 2,800 years) must fit before 9999
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
    lines, spans = _outline(_unfold(_check_bytes(data)))
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


def _check_bytes(data: bytes) -> bytes:
    """Refuse what is too large, has too many events or does not look like a calendar; drop the BOM."""
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
    return body


def _unfold(body: bytes) -> Iterator[Line]:
    """Yield the logical lines of the file (RFC 5545 3.1), each with the number of its first line.

    Lines are unfolded before decoding, since a fold may split a multi-octet UTF-8 character.
    """
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
            yield first, _decode(first, b"".join(parts))
        parts, first = [raw], number
    if parts:
        yield first, _decode(first, b"".join(parts))


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


_KEPT_COMPONENTS = {
    (): {"VCALENDAR"},
    ("VCALENDAR",): {"VEVENT", "VTIMEZONE"},
    ("VCALENDAR", "VTIMEZONE"): {"STANDARD", "DAYLIGHT"},
}
_KEPT_PROPERTIES = {
    ("VCALENDAR", "VEVENT"): _EVENT_PROPERTIES,
    ("VCALENDAR", "VTIMEZONE"): {"TZID"},
    ("VCALENDAR", "VTIMEZONE", "STANDARD"): _TIMEZONE_PROPERTIES,
    ("VCALENDAR", "VTIMEZONE", "DAYLIGHT"): _TIMEZONE_PROPERTIES,
}


def _outline(lines: Iterator[Line]) -> tuple[list[Line], list[Span]]:
    """Check that components nest and close; return the lines worth parsing and the events' spans.

    Every line is checked, but only what the import reads is kept for icalendar: the VCALENDAR,
    the properties its VTIMEZONEs and VEVENTs need. The rest (descriptions, attendees, alarms,
    tasks) costs parsing time and cannot change the result.
    """
    outline = _Outline()
    for number, text in lines:
        outline.read(number, text)
    return outline.finish()


class _Outline:
    """The state of :func:`_outline`: open components, kept lines, events found."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, int, int]] = []  # component, line of its BEGIN, index in kept or -1
        self.kept: list[Line] = []
        self.spans: list[Span] = []
        self.timezones = 0
        self.observances = 0  # STANDARD and DAYLIGHT parts of the open VTIMEZONE
        self.size = 0

    def read(self, number: int, text: str) -> None:
        """Check one logical line and keep it if icalendar needs it."""
        name = _property_name(number, text)
        value = text.partition(":")[2].strip().upper() if name in ("BEGIN", "END") else ""
        if not self.kept and (name, value) != ("BEGIN", "VCALENDAR"):
            raise _not_ical()
        if self.kept and not self.stack:
            raise _unreadable(number, _("nothing may follow END:VCALENDAR"))
        path = tuple(component for component, _number, _index in self.stack)
        if name == "BEGIN":
            self.begin(number, text, path, value)
        elif name == "END":
            self.end(number, text, value)
        elif name in _KEPT_PROPERTIES.get(path, ()):
            self.keep(number, text)

    def keep(self, number: int, text: str) -> None:
        """Keep a line for icalendar, within the limits of what it parses quickly."""
        if len(text) > _MAX_LINE:
            raise _unreadable(number, _("it is longer than %(limit)s characters") % {"limit": _MAX_LINE})
        self.kept.append((number, text))
        self.size += len(text)
        if len(self.kept) > _MAX_KEPT_LINES or self.size > _MAX_KEPT_CHARS:
            raise _at_line(number, _("the file has too many properties to import"))

    def begin(self, number: int, text: str, path: tuple[str, ...], value: str) -> None:
        """Open a component."""
        if not _NAME.fullmatch(value):
            raise _unreadable(number, _("BEGIN needs a component name"))
        if len(self.stack) >= _MAX_DEPTH:
            raise _unreadable(number, _("components are nested too deeply"))
        kept = value in _KEPT_COMPONENTS.get(path, ())
        self.stack.append((value, number, len(self.kept) if kept else -1))
        if not kept:
            return
        self.keep(number, text)
        if value == "VTIMEZONE":
            self.timezones, self.observances = self.timezones + 1, 0
            if self.timezones > _MAX_TIMEZONES:
                raise _at_line(number, _("the file has more than %(n)s time zones") % {"n": _MAX_TIMEZONES})
        elif value in ("STANDARD", "DAYLIGHT"):
            self.observances += 1

    def end(self, number: int, text: str, value: str) -> None:
        """Close the open component."""
        component, begin, index = self.stack.pop()
        if value != component:
            raise _unreadable(
                number,
                _("END:%(found)s does not close BEGIN:%(open)s of line %(begin)s")
                % {"found": value[:40], "open": component, "begin": begin},
            )
        if index < 0:
            return
        self.keep(number, text)
        if component == "VEVENT":
            self.spans.append((index, len(self.kept) - 1))
        elif component == "VTIMEZONE" and not self.observances:
            raise _at_line(begin, _("the time zone has neither a STANDARD nor a DAYLIGHT part"))

    def finish(self) -> tuple[list[Line], list[Span]]:
        """Return the kept lines and the spans of the events, once every line is read."""
        if not self.kept:
            raise _not_ical()
        if self.stack:
            component, begin, _index = self.stack[-1]
            raise IcsError(
                _("The file ends inside BEGIN:%(component)s of line %(line)s: it may be truncated.")
                % {"component": component, "line": begin}
            )
        return self.kept, self.spans


def _parse_calendar(lines: list[Line]) -> Calendar:
    """Parse the kept lines; errors icalendar raises (outside VEVENTs) name their line when we can tell."""
    try:
        return Calendar.from_ical("\r\n".join(text for _number, text in lines) + "\r\n")
    except Exception as exc:  # icalendar raises what its parsers raise; none may escape as a 500
        message = str(exc)
        for number, text in lines:
            if (problem := _line_problem(text)) is not None:
                raise _unreadable(number, _clip(problem)) from exc
        for number, text in lines:  # the bad value is usually quoted in the message
            value = text.partition(":")[2]
            if len(value) >= 3 and value in message and not text.upper().startswith(("BEGIN:", "END:")):
                raise _unreadable(number, _clip(message)) from exc
        raise IcsError(_("The file cannot be read: %(problem)s") % {"problem": _clip(message)}) from exc


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
        self.cost = 0.0

    def run(self, events: list[tuple[Component, Span]]) -> Imported:
        """Read every event and return the result."""
        replaced: dict[str, _Excluded] = {}
        for event, span in events:
            self.check_errors(event, span)
            if "RECURRENCE-ID" in event:
                prop = _first(event, "RECURRENCE-ID")
                moment = self.moment(prop.dt, prop.params, self.line(span, "RECURRENCE-ID"))
                if uid := _text(event, "UID"):
                    replaced.setdefault(uid, _Excluded()).add(moment)
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

    def event(self, event: Component, span: Span, replaced: Mapping[str, _Excluded]) -> None:
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
        excluded = replaced.get(uid, _Excluded()) if uid else _Excluded()
        for moment, _period in self.dates_of(event, span, "EXDATE"):
            excluded.add(moment)
        outside, never = self.expand(event, span, start, end, name, excluded)
        if never:
            self.skipped.append(_("%(event)s: its rule never gives a date, not imported.") % {"event": what})
        elif outside:
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

    def expand(
        self, event: Component, span: Span, start: dt.date, end: dt.date, name: str, excluded: _Excluded
    ) -> tuple[bool, bool]:
        """Add the occurrences of a repeating event inside the window.

        Returns:
            Whether some occurrences lie outside the window, and whether the event never occurs.
        """
        number = self.lines[span[0]][0]
        duration = _length(start, end)
        starts: dict[dt.date, dt.date] = {}  # occurrence start -> end
        outside = False
        never = "RDATE" not in event
        for recur in _all(event, "RRULE"):
            result = self.rule(recur, start, self.line(span, "RRULE"))
            if result is None:
                continue
            found, more = result
            outside, never = outside or more, False
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
            if moment in excluded:
                continue
            if not self.in_window(moment):
                outside = True
                continue
            self.add(moment, until, name, number)
        return outside, never

    def rule(self, recur: vRecur, start: dt.date, number: int) -> tuple[list[dt.date], bool] | None:
        """Return the starts one RRULE gives in the window and whether it has others outside.

        Returns ``None`` for a rule that never gives a date.
        """
        tz = start.tzinfo if isinstance(start, dt.datetime) else None
        base = _naive(start)
        # Two days of margin: the window is in the calendar's zone, the rule in the event's.
        early = dt.datetime.combine(self.first - 2 * _DAY, dt.time())
        horizon = dt.datetime.combine(self.last + 2 * _DAY, dt.time())
        freq, interval = _frequency(recur, number)
        count = recur.get("COUNT", [None])[0]
        until = recur.get("UNTIL", [None])[0]
        last = None if until is None else self.naive_until(until, tz)
        limit = horizon if last is None else min(horizon, last)
        if base > limit:
            return [], base > horizon
        self.charge(freq, interval, (limit - base).days, number)
        if not self.occurs(recur, base, freq, interval, number):
            return None
        found: list[dt.date] = []
        outside = False
        for seen, occurrence in enumerate(_rrule(recur, base, number), start=1):
            if occurrence > limit:  # dateutil found it after scanning past the window: pay for that
                self.charge(freq, interval, (occurrence - limit).days, number)
                outside = limit == horizon and (last is None or occurrence <= last)
                break
            self.cost += _YIELD_COST
            if self.cost > _MAX_COST:
                raise _too_often(number)
            if occurrence < early:
                outside = True
            else:
                found.append(occurrence.replace(tzinfo=tz) if tz is not None else occurrence.date())
            if count is not None and seen >= int(count):
                break
        return found, outside

    def occurs(self, recur: vRecur, base: dt.datetime, freq: str, interval: int, number: int) -> bool:
        """Tell whether a rule ever gives a date, looking at one cycle of the calendar near 9999.

        The start moves by whole 400-year cycles (and whole intervals), which keeps every date's
        weekday and the rule's phase: the rule gives the same dates, shifted. dateutil then stops
        at the first match, or at the year 9999 at most one cycle later.
        """
        periods = _CYCLE_PERIODS[freq]
        years = 400 * (math.lcm(interval, periods) // periods)
        if years > _MAX_PROBE_YEARS:
            raise _at_line(
                number, _("INTERVAL=%(n)s is too unusual a repetition to be expanded") % {"n": interval}
            )
        probe = base.replace(year=base.year + years * ((9998 - years - base.year) // years))
        first = next(iter(_rrule(recur, probe, number)), None)
        scanned = (first if first is not None else dt.datetime(9999, 12, 31)) - probe
        self.charge(freq, interval, scanned.days, number)
        return first is not None

    def charge(self, freq: str, interval: int, days: int, number: int) -> None:
        """Count the work of dateutil scanning ``days`` of a rule; refuse a file that needs too much."""
        self.cost += max(days, 0) * _SCAN_COST[freq] / interval
        if self.cost > _MAX_COST:
            raise _too_often(number)

    def naive_until(self, until: dt.date, tz: dt.tzinfo | None) -> dt.datetime:
        """Return UNTIL as a wall-clock time of the event's zone (inclusive bound of dateutil)."""
        if isinstance(until, dt.datetime):
            if until.tzinfo is None:
                return until
            return until.astimezone(tz if tz is not None else self.local).replace(tzinfo=None)
        return dt.datetime.combine(until, dt.time.max if tz is not None else dt.time())


def _frequency(recur: vRecur, number: int) -> tuple[str, int]:
    """Return FREQ and INTERVAL of a rule the import can expand (daily at most, INTERVAL ≥ 1)."""
    freq = str(recur.get("FREQ", [""])[0]).upper()
    if freq not in _CYCLE_PERIODS:
        raise _at_line(number, _("only daily, weekly, monthly and yearly repetitions can be imported"))
    try:
        interval = int(recur.get("INTERVAL", [1])[0])
    except (TypeError, ValueError):
        interval = 0
    if interval < 1:
        raise _unreadable(number, _("RRULE: INTERVAL must be a whole number of at least 1"))
    return freq, interval


def _rrule(recur: vRecur, base: dt.datetime, number: int) -> rrules.rrule:
    """Return the dateutil rule of an RRULE from ``base`` (wall-clock), without COUNT and UNTIL.

    The caller applies COUNT and UNTIL: dateutil checks UNTIL only on a match, so it is no
    bound for a rule that stops matching.
    """
    try:
        parsed = rrules.rrulestr(_rule_text(recur), dtstart=base)
    except (ValueError, TypeError, KeyError) as exc:
        raise _unreadable(number, f"RRULE: {_clip(str(exc))}") from exc
    if not isinstance(parsed, rrules.rrule):  # pragma: no cover - one rule gives one rrule
        raise _unreadable(number, "RRULE")
    return parsed


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


class _Excluded:
    """Occurrences left out (EXDATE, overridden RECURRENCE-ID), as sets: files may list thousands."""

    def __init__(self) -> None:
        self.instants: set[dt.datetime] = set()  # in UTC
        self.days: set[dt.date] = set()  # DATE values
        self.days_of_instants: set[dt.date] = set()  # wall-clock days of the DATE-TIME values

    def add(self, moment: dt.date) -> None:
        """Leave out the occurrence starting at ``moment``."""
        if isinstance(moment, dt.datetime):
            self.instants.add(moment.astimezone(dt.UTC))
            self.days_of_instants.add(moment.date())
        else:
            self.days.add(moment)

    def __contains__(self, moment: object) -> bool:
        """Tell whether an occurrence is left out: same instant, or same day for a DATE value."""
        if isinstance(moment, dt.datetime):
            return moment.astimezone(dt.UTC) in self.instants or moment.date() in self.days
        return moment in self.days or moment in self.days_of_instants
