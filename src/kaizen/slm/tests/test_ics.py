"""Tests of the iCalendar import of closed days and closures (kaizen.slm.ics)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import translation

from kaizen.slm.ics import MAX_BYTES, MAX_EVENTS, IcsError, Imported, parse_ics

START = dt.date(2026, 1, 1)
END = dt.date(2028, 12, 31)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages in English, whatever the default language of the settings."""
    with translation.override("en"):
        yield


def ics(*lines: str, newline: str = "\r\n") -> bytes:
    """Return a calendar holding ``lines``; they start on line 4."""
    return newline.join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Kaizen//Test//EN", *lines, "END:VCALENDAR", ""]
    ).encode()


def event(*lines: str) -> list[str]:
    """Return the lines of one VEVENT holding ``lines``."""
    return ["BEGIN:VEVENT", *lines, "END:VEVENT"]


def parse(data: bytes, time_zone: str = "Asia/Tokyo") -> Imported:
    return parse_ics(data, time_zone=time_zone, start=START, end=END)


def error(data: bytes, time_zone: str = "Asia/Tokyo") -> str:
    with pytest.raises(IcsError) as caught:
        parse(data, time_zone)
    return str(caught.value)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- all-day events ------------------------------------------------------------------------------


def test_all_day_event_closes_its_day() -> None:
    data = ics(*event("SUMMARY:Company holiday", "DTSTART;VALUE=DATE:20260814", "DTEND;VALUE=DATE:20260815"))
    assert parse(data) == Imported(closed_dates=[day("2026-08-14")], closures=[], skipped=[])


def test_all_day_event_without_dtend_closes_one_day() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814"))
    assert parse(data).closed_dates == [day("2026-08-14")]


def test_multi_day_all_day_event_closes_each_day_dtend_excluded() -> None:
    data = ics(*event("SUMMARY:Year end", "DTSTART;VALUE=DATE:20261229", "DTEND;VALUE=DATE:20270104"))
    assert parse(data).closed_dates == [
        day("2026-12-29"),
        day("2026-12-30"),
        day("2026-12-31"),
        day("2027-01-01"),
        day("2027-01-02"),
        day("2027-01-03"),
    ]


def test_all_day_event_ending_when_it_starts_closes_one_day() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "DTEND;VALUE=DATE:20260814"))
    assert parse(data).closed_dates == [day("2026-08-14")]


def test_all_day_duration_closes_whole_days() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "DURATION:P2D"))
    assert parse(data).closed_dates == [day("2026-08-14"), day("2026-08-15")]


def test_overlapping_all_day_events_give_sorted_unique_dates() -> None:
    data = ics(
        *event("DTSTART;VALUE=DATE:20260815", "DTEND;VALUE=DATE:20260817"),
        *event("DTSTART;VALUE=DATE:20260814", "DTEND;VALUE=DATE:20260816"),
    )
    assert parse(data).closed_dates == [day("2026-08-14"), day("2026-08-15"), day("2026-08-16")]


def test_transparent_all_day_event_is_imported() -> None:
    # Google's holiday calendars and Outlook mark all-day events as free time.
    data = ics(
        *event(
            "SUMMARY:元日", "DTSTART;VALUE=DATE:20270101", "DTEND;VALUE=DATE:20270102", "TRANSP:TRANSPARENT"
        )
    )
    assert parse(data) == Imported(closed_dates=[day("2027-01-01")], closures=[], skipped=[])


def test_empty_calendar_imports_nothing() -> None:
    assert parse(ics()) == Imported(closed_dates=[], closures=[], skipped=[])


# -- timed events and time zones -----------------------------------------------------------------


def test_utc_time_becomes_closure_in_calendar_zone() -> None:
    data = ics(*event("SUMMARY:Maintenance", "DTSTART:20260310T010000Z", "DTEND:20260310T030000Z"))
    assert parse(data).closures == [
        {"start": "2026-03-10T10:00:00+09:00", "end": "2026-03-10T12:00:00+09:00", "name": "Maintenance"}
    ]


def test_tzid_asia_tokyo_is_honoured() -> None:
    data = ics(
        *event(
            "SUMMARY:訓練", "DTSTART;TZID=Asia/Tokyo:20261210T180000", "DTEND;TZID=Asia/Tokyo:20261210T210000"
        )
    )
    assert parse(data).closures == [
        {"start": "2026-12-10T18:00:00+09:00", "end": "2026-12-10T21:00:00+09:00", "name": "訓練"}
    ]


def test_tzid_america_new_york_is_converted_to_calendar_zone() -> None:
    data = ics(
        *event(
            "SUMMARY:US office closed",
            "DTSTART;TZID=America/New_York:20260703T090000",
            "DTEND;TZID=America/New_York:20260703T170000",
        )
    )
    assert parse(data).closures == [
        {"start": "2026-07-03T22:00:00+09:00", "end": "2026-07-04T06:00:00+09:00", "name": "US office closed"}
    ]


def test_tzid_america_new_york_in_winter_uses_standard_time() -> None:
    data = ics(
        *event("DTSTART;TZID=America/New_York:20260105T090000", "DTEND;TZID=America/New_York:20260105T100000")
    )
    assert parse(data).closures[0]["start"] == "2026-01-05T23:00:00+09:00"


def test_windows_tzid_is_resolved() -> None:
    data = ics(
        *event(
            "DTSTART;TZID=Tokyo Standard Time:20260310T100000",
            "DTEND;TZID=Tokyo Standard Time:20260310T110000",
        )
    )
    assert parse(data).closures[0]["start"] == "2026-03-10T10:00:00+09:00"


def test_floating_time_is_read_in_calendar_zone() -> None:
    data = ics(*event("DTSTART:20260310T100000", "DTEND:20260310T120000"))
    assert parse(data).closures[0] == {
        "start": "2026-03-10T10:00:00+09:00",
        "end": "2026-03-10T12:00:00+09:00",
        "name": "",
    }


def test_floating_time_follows_the_time_zone_argument() -> None:
    data = ics(*event("DTSTART:20260310T100000", "DTEND:20260310T120000"))
    assert parse(data, time_zone="America/New_York").closures[0] == {
        "start": "2026-03-10T10:00:00-04:00",
        "end": "2026-03-10T12:00:00-04:00",
        "name": "",
    }


def vtimezone(tzid: str, offset: str) -> list[str]:
    return [
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        "TZNAME:CT",
        "END:STANDARD",
        "END:VTIMEZONE",
    ]


def test_custom_vtimezone_of_the_file_is_used() -> None:
    data = ics(
        *vtimezone("Kaizen Plant Time", "+0530"),
        *event(
            "DTSTART;TZID=Kaizen Plant Time:20260310T100000", "DTEND;TZID=Kaizen Plant Time:20260310T110000"
        ),
    )
    assert parse(data).closures[0]["start"] == "2026-03-10T13:30:00+09:00"


def test_custom_vtimezone_of_an_earlier_file_is_not_reused() -> None:
    first = ics(
        *vtimezone("Kaizen Shared Time", "+0500"), *event("DTSTART;TZID=Kaizen Shared Time:20260310T100000")
    )
    second = ics(
        *vtimezone("Kaizen Shared Time", "-0300"),
        *event(
            "DTSTART;TZID=Kaizen Shared Time:20260310T100000", "DTEND;TZID=Kaizen Shared Time:20260310T110000"
        ),
    )
    parse(first)
    assert parse(second).closures[0]["start"] == "2026-03-10T22:00:00+09:00"


def test_tzid_defined_only_by_an_earlier_file_is_unknown() -> None:
    parse(
        ics(
            *vtimezone("Kaizen Earlier Time", "+0500"),
            *event("DTSTART;TZID=Kaizen Earlier Time:20260310T100000"),
        )
    )
    data = ics(*event("DTSTART;TZID=Kaizen Earlier Time:20260310T100000"))
    assert error(data) == "Line 5: unknown time zone Kaizen Earlier Time (TZID)."


def test_timed_event_spanning_midnight_is_one_closure() -> None:
    data = ics(*event("SUMMARY:Move", "DTSTART:20261231T220000", "DTEND:20270101T060000"))
    assert parse(data).closures == [
        {"start": "2026-12-31T22:00:00+09:00", "end": "2027-01-01T06:00:00+09:00", "name": "Move"}
    ]


def test_timed_duration_sets_the_end() -> None:
    data = ics(*event("DTSTART:20260310T100000", "DURATION:PT90M"))
    assert parse(data).closures[0]["end"] == "2026-03-10T11:30:00+09:00"


def test_closures_are_sorted_by_start() -> None:
    data = ics(
        *event("SUMMARY:B", "DTSTART:20260311T100000", "DTEND:20260311T110000"),
        *event("SUMMARY:A", "DTSTART:20260310T100000", "DTEND:20260310T110000"),
    )
    assert [closure["name"] for closure in parse(data).closures] == ["A", "B"]


# -- recurring events ----------------------------------------------------------------------------


def foundation_day(*extra: str) -> bytes:
    return ics(
        *event("UID:foundation@example.com", "SUMMARY:創立記念日", "DTSTART;VALUE=DATE:20200701", *extra)
    )


def test_yearly_rule_is_expanded_within_the_window() -> None:
    assert parse(foundation_day("RRULE:FREQ=YEARLY")).closed_dates == [
        day("2026-07-01"),
        day("2027-07-01"),
        day("2028-07-01"),
    ]


def test_rule_repeating_outside_the_window_is_noted() -> None:
    assert parse(foundation_day("RRULE:FREQ=YEARLY")).skipped == [
        "創立記念日 (2020-07-01): repeats outside 2026-01-01 – 2028-12-31; only that period is imported."
    ]


def test_exdate_removes_an_occurrence() -> None:
    data = foundation_day("RRULE:FREQ=YEARLY", "EXDATE;VALUE=DATE:20270701")
    assert parse(data).closed_dates == [day("2026-07-01"), day("2028-07-01")]


def test_rule_with_count_stops_after_count() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260701", "RRULE:FREQ=YEARLY;COUNT=2"))
    assert parse(data) == Imported(
        closed_dates=[day("2026-07-01"), day("2027-07-01")], closures=[], skipped=[]
    )


def test_rule_with_until_stops_at_until() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260701", "RRULE:FREQ=YEARLY;UNTIL=20270701"))
    assert parse(data) == Imported(
        closed_dates=[day("2026-07-01"), day("2027-07-01")], closures=[], skipped=[]
    )


def test_rule_by_weekday_is_expanded() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260105", "RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=3"))
    assert parse(data).closed_dates == [day("2026-01-05"), day("2026-02-02"), day("2026-03-02")]


def test_multi_day_occurrences_close_each_day() -> None:
    data = ics(
        *event("DTSTART;VALUE=DATE:20261230", "DTEND;VALUE=DATE:20270101", "RRULE:FREQ=YEARLY;COUNT=2")
    )
    assert parse(data).closed_dates == [
        day("2026-12-30"),
        day("2026-12-31"),
        day("2027-12-30"),
        day("2027-12-31"),
    ]


def test_weekly_timed_rule_keeps_its_wall_clock_time_across_dst() -> None:
    data = ics(
        *event(
            "SUMMARY:NY standup",
            "DTSTART;TZID=America/New_York:20260302T090000",
            "DTEND;TZID=America/New_York:20260302T100000",
            "RRULE:FREQ=WEEKLY;COUNT=2",
        )
    )
    assert parse(data).closures == [
        {"start": "2026-03-02T23:00:00+09:00", "end": "2026-03-03T00:00:00+09:00", "name": "NY standup"},
        {"start": "2026-03-09T22:00:00+09:00", "end": "2026-03-09T23:00:00+09:00", "name": "NY standup"},
    ]


def test_timed_exdate_in_utc_removes_the_occurrence() -> None:
    data = ics(
        *event(
            "DTSTART;TZID=Asia/Tokyo:20260302T180000",
            "DTEND;TZID=Asia/Tokyo:20260302T190000",
            "RRULE:FREQ=DAILY;COUNT=3",
            "EXDATE:20260303T090000Z",
        )
    )
    assert [closure["start"] for closure in parse(data).closures] == [
        "2026-03-02T18:00:00+09:00",
        "2026-03-04T18:00:00+09:00",
    ]


def test_rdate_adds_an_occurrence() -> None:
    data = ics(
        *event("DTSTART;VALUE=DATE:20260701", "RRULE:FREQ=YEARLY;COUNT=1", "RDATE;VALUE=DATE:20261010")
    )
    assert parse(data).closed_dates == [day("2026-07-01"), day("2026-10-10")]


def test_cancelled_override_removes_the_occurrence() -> None:
    data = ics(
        *event("UID:u1", "SUMMARY:Stocktake", "DTSTART;VALUE=DATE:20260701", "RRULE:FREQ=YEARLY;COUNT=3"),
        *event(
            "UID:u1", "RECURRENCE-ID;VALUE=DATE:20270701", "DTSTART;VALUE=DATE:20270701", "STATUS:CANCELLED"
        ),
    )
    assert parse(data) == Imported(
        closed_dates=[day("2026-07-01"), day("2028-07-01")],
        closures=[],
        skipped=["untitled event of line 10 (2027-07-01): cancelled, not imported."],
    )


def test_moved_override_replaces_the_occurrence() -> None:
    data = ics(
        *event("UID:u1", "DTSTART;VALUE=DATE:20260701", "RRULE:FREQ=YEARLY;COUNT=2"),
        *event("UID:u1", "RECURRENCE-ID;VALUE=DATE:20270701", "DTSTART;VALUE=DATE:20270702"),
    )
    assert parse(data).closed_dates == [day("2026-07-01"), day("2027-07-02")]


def test_default_window_is_one_year_back_and_three_years_ahead() -> None:
    with time_machine.travel(dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        found = parse_ics(foundation_day("RRULE:FREQ=YEARLY"), time_zone="Asia/Tokyo")
    assert found.closed_dates == [day("2025-07-01"), day("2026-07-01"), day("2027-07-01"), day("2028-07-01")]


def test_expanded_occurrences_count_towards_the_event_limit() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=DAILY"))
    assert error(data) == (
        "Once repeating events are expanded, the file has more than 1000 events; "
        "at most 1000 can be imported at once."
    )


def test_rule_that_never_gives_a_date_is_noted() -> None:
    data = ics(
        *event("SUMMARY:Leap", "DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")
    )
    assert parse(data) == Imported(
        closed_dates=[],
        closures=[],
        skipped=["Leap (2026-01-01): its rule never gives a date, not imported."],
    )


def test_daily_rule_that_never_gives_a_date_is_noted() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3"))
    assert parse(data).skipped == [
        "untitled event of line 4 (2026-01-01): its rule never gives a date, not imported."
    ]


def test_rule_with_interval_out_of_phase_with_leap_years_never_gives_a_date() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20250301", "RRULE:FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29"))
    assert parse(data).closed_dates == []


def test_rule_with_interval_in_phase_with_leap_years_gives_leap_days() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20240301", "RRULE:FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29"))
    assert parse(data).closed_dates == [day("2028-02-29")]


def test_rule_scanning_too_far_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:10000101", "RRULE:FREQ=DAILY"))
    assert error(data) == "Line 6: the event repeats too often, over too long a period, to be expanded."


def test_interval_too_unusual_to_check_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20250301", "RRULE:FREQ=YEARLY;INTERVAL=23"))
    assert error(data) == "Line 6: INTERVAL=23 is too unusual a repetition to be expanded."


def test_sub_daily_rule_is_refused() -> None:
    data = ics(*event("DTSTART:20260101T000000", "DURATION:PT1S", "RRULE:FREQ=MINUTELY;COUNT=5"))
    assert error(data) == "Line 7: only daily, weekly, monthly and yearly repetitions can be imported."


def test_interval_zero_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=MONTHLY;INTERVAL=0;BYMONTHDAY=1"))
    assert error(data) == "Line 6 cannot be read: RRULE: INTERVAL must be a whole number of at least 1."


def test_rule_ending_inside_the_window_is_not_noted() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260701", "RRULE:FREQ=YEARLY;UNTIL=20290101"))
    assert parse(data).skipped == []


def test_rule_that_ended_before_the_window_is_noted() -> None:
    data = ics(*event("SUMMARY:Old", "DTSTART;VALUE=DATE:20200701", "RRULE:FREQ=YEARLY;COUNT=3"))
    assert parse(data) == Imported(
        closed_dates=[],
        closures=[],
        skipped=["Old (2020-07-01): repeats outside 2026-01-01 – 2028-12-31; only that period is imported."],
    )


def test_end_of_window_before_its_start_is_refused() -> None:
    with pytest.raises(IcsError, match=r"^The end of the period is before its start\.$"):
        parse_ics(ics(), time_zone="Asia/Tokyo", start=END, end=START)


# -- skipped events ------------------------------------------------------------------------------


def test_cancelled_event_is_skipped() -> None:
    data = ics(*event("SUMMARY:Old plan", "DTSTART;VALUE=DATE:20260814", "STATUS:CANCELLED"))
    assert parse(data) == Imported(
        closed_dates=[], closures=[], skipped=["Old plan (2026-08-14): cancelled, not imported."]
    )


def test_transparent_timed_event_is_skipped() -> None:
    data = ics(
        *event("SUMMARY:Lunch", "DTSTART:20260310T120000", "DTEND:20260310T130000", "TRANSP:TRANSPARENT")
    )
    assert parse(data) == Imported(
        closed_dates=[], closures=[], skipped=["Lunch (2026-03-10 12:00): marked as free time, not imported."]
    )


def test_zero_length_timed_event_is_skipped() -> None:
    data = ics(*event("SUMMARY:Reminder", "DTSTART:20260310T120000", "DTEND:20260310T120000"))
    assert parse(data).skipped == ["Reminder (2026-03-10 12:00): ends when it starts, not imported."]


def test_timed_event_without_end_is_zero_length() -> None:
    data = ics(*event("SUMMARY:Reminder", "DTSTART:20260310T120000Z"))
    assert parse(data).skipped == ["Reminder (2026-03-10 21:00): ends when it starts, not imported."]


# -- text and encodings --------------------------------------------------------------------------


def test_folded_summary_is_unfolded() -> None:
    data = ics(
        *event("SUMMARY:創立記念日（本社", " ・支社）", "DTSTART:20260701T090000", "DTEND:20260701T100000")
    )
    assert parse(data).closures[0]["name"] == "創立記念日（本社・支社）"


def test_folded_line_splitting_a_utf8_character_is_unfolded() -> None:
    summary = "創立記念日".encode()
    data = ics(*event("DTSTART:20260701T090000", "DTEND:20260701T100000", "SUMMARY:X")).replace(
        b"SUMMARY:X", b"SUMMARY:" + summary[:4] + b"\r\n " + summary[4:]
    )
    assert parse(data).closures[0]["name"] == "創立記念日"


def test_long_summary_is_truncated_to_200_characters() -> None:
    long = "休" * 250
    folded = [f"SUMMARY:{long[:60]}", *(f" {long[i : i + 60]}" for i in range(60, 250, 60))]
    data = ics(*event(*folded, "DTSTART:20260701T090000", "DTEND:20260701T100000"))
    assert parse(data).closures[0]["name"] == "休" * 200


def test_japanese_summary_is_kept() -> None:
    data = ics(*event("SUMMARY:創立記念日", "DTSTART:20260701T090000", "DTEND:20260701T180000"))
    assert parse(data).closures[0]["name"] == "創立記念日"


def test_html_in_summary_stays_text() -> None:
    summary = '<script>alert("x")</script><b>Closed</b>'
    data = ics(*event(f"SUMMARY:{summary}", "DTSTART:20260701T090000", "DTEND:20260701T100000"))
    assert parse(data).closures[0]["name"] == summary


def test_escaped_characters_in_summary_are_unescaped() -> None:
    data = ics(
        *event(
            r"SUMMARY:Inventory\, stock\; audit\nday 2", "DTSTART:20260701T090000", "DTEND:20260701T100000"
        )
    )
    assert parse(data).closures[0]["name"] == "Inventory, stock; audit day 2"


def test_lf_line_endings_are_accepted() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814"), newline="\n")
    assert parse(data).closed_dates == [day("2026-08-14")]


def test_crlf_and_lf_give_the_same_result() -> None:
    lines = event(
        "SUMMARY:Long name folded", " over two lines", "DTSTART:20260701T090000", "DTEND:20260701T100000"
    )
    assert parse(ics(*lines, newline="\r\n")) == parse(ics(*lines, newline="\n"))


def test_byte_order_mark_is_ignored() -> None:
    data = b"\xef\xbb\xbf" + ics(*event("DTSTART;VALUE=DATE:20260814"))
    assert parse(data).closed_dates == [day("2026-08-14")]


def test_text_that_is_not_utf8_names_its_line() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814")).replace(
        b"BEGIN:VEVENT", "SUMMARY:創立記念日\r\nBEGIN:VEVENT".encode("shift_jis")
    )
    assert error(data) == "Line 4 cannot be read: it is not UTF-8 text."


# -- broken files --------------------------------------------------------------------------------

NOT_ICAL = "This is not an iCalendar file (it must start with BEGIN:VCALENDAR)."


def test_binary_file_is_not_icalendar() -> None:
    assert error(bytes(range(256)) * 8) == NOT_ICAL


def test_html_file_is_not_icalendar() -> None:
    assert error(b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>") == NOT_ICAL


def test_empty_file_is_not_icalendar() -> None:
    assert error(b"") == NOT_ICAL


def test_vcard_is_not_icalendar() -> None:
    assert error(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Taro\r\nEND:VCARD\r\n") == NOT_ICAL


def test_truncated_file_is_refused() -> None:
    data = ics(*event("SUMMARY:Holiday", "DTSTART;VALUE=DATE:20260814"))
    truncated = data[: data.index(b"END:VEVENT")]
    assert error(truncated) == "The file ends inside BEGIN:VEVENT of line 4: it may be truncated."


def test_file_cut_inside_a_line_names_the_line() -> None:
    data = ics(*event("SUMMARY:Holiday", "DTSTART;VALUE=DATE:20260814"))
    truncated = data[: data.index(b"DTSTART") + 10]
    assert error(truncated) == "Line 6 cannot be read: no colon separates the name from the value."


def test_missing_end_vcalendar_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814")).replace(b"END:VCALENDAR\r\n", b"")
    assert error(data) == "The file ends inside BEGIN:VCALENDAR of line 1: it may be truncated."


def test_property_without_colon_names_its_line() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "SUMMARY Company holiday"))
    assert error(data) == "Line 6 cannot be read: no colon separates the name from the value."


def test_line_without_property_name_names_its_line() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "<p>:</p>"))
    assert error(data) == "Line 6 cannot be read: it does not start with a property name."


def test_continuation_of_nothing_is_refused() -> None:
    assert (
        error(b" BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        == "Line 1 cannot be read: it continues a line that does not exist."
    )


def test_invalid_dtstart_names_its_line() -> None:
    data = ics(*event("SUMMARY:x", "DTSTART:2026-13-45"))
    assert (
        error(data) == "Line 6 cannot be read: DTSTART: Expected datetime, date, or time. Got: '2026-13-45'."
    )


def test_impossible_date_names_its_line() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260230"))
    assert error(data) == "Line 5 cannot be read: DTSTART: Wrong date format 20260230."


def test_empty_dtstart_names_its_line() -> None:
    data = ics(*event("DTSTART:"))
    assert error(data) == "Line 5 cannot be read: DTSTART: Expected datetime, date, or time. Got: ''."


def test_broken_parameter_names_its_line() -> None:
    data = ics(*event('DTSTART;TZID="Asia/Tokyo:20260101T100000'))
    assert error(data) == (
        "Line 5 cannot be read: Content line could not be parsed into parts: "
        "'DTSTART;TZID=\"Asia/Tokyo:20260101T100000': 'TZID=\"Asia/Tokyo:20260101T100000' "
        'is not a valid parameter string: "Asia/Tokyo:20260101T100000.'
    )


def test_broken_rrule_names_its_line() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=SOMETIMES"))
    assert error(data) == "Line 6 cannot be read: RRULE: Expected frequency, got: SOMETIMES."


def test_time_zone_without_parts_is_refused() -> None:
    data = ics("BEGIN:VTIMEZONE", "TZID:Kaizen Empty Time", "END:VTIMEZONE")
    assert error(data) == "Line 4: the time zone has neither a STANDARD nor a DAYLIGHT part."


def test_broken_time_zone_offset_names_its_line() -> None:
    data = ics(*vtimezone("Kaizen Broken Time", "+2500"))
    assert error(data) == "Line 8 cannot be read: Offset must be less than 24 hours, was +2500."


def test_time_zone_without_offset_is_refused() -> None:
    data = ics(
        *(line for line in vtimezone("Kaizen Partial Time", "+0900") if not line.startswith("TZOFFSETTO"))
    )
    assert error(data) == "The file cannot be read: mandatory TZOFFSETFROM not found"


def test_missing_dtstart_is_refused() -> None:
    data = ics(*event("SUMMARY:No date"))
    assert error(data) == "Line 4: the event has no start (DTSTART)."


def test_dtend_before_dtstart_is_refused() -> None:
    data = ics(*event("DTSTART:20260310T120000", "DTEND:20260310T110000"))
    assert error(data) == "Line 6: the event ends before it starts."


def test_all_day_dtend_before_dtstart_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "DTEND;VALUE=DATE:20260813"))
    assert error(data) == "Line 6: the event ends before it starts."


def test_date_start_with_datetime_end_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "DTEND:20260814T120000"))
    assert error(data) == "Line 6: the start and the end must both be dates, or both dates and times."


def test_all_day_duration_of_hours_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260814", "DURATION:PT3H"))
    assert error(data) == "Line 6: the duration of an all-day event must be whole days."


def test_mismatched_end_is_refused() -> None:
    data = ics("BEGIN:VEVENT", "DTSTART;VALUE=DATE:20260814", "END:VTODO")
    assert error(data) == "Line 6 cannot be read: END:VTODO does not close BEGIN:VEVENT of line 4."


def test_content_after_end_vcalendar_is_refused() -> None:
    data = ics() + ics()
    assert error(data) == "Line 5 cannot be read: nothing may follow END:VCALENDAR."


def test_deep_nesting_is_refused() -> None:
    data = ics(*(["BEGIN:VEVENT"] * 500), *(["END:VEVENT"] * 500))
    assert error(data) == "Line 11 cannot be read: components are nested too deeply."


def test_event_covering_too_many_days_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20000101", "DTEND;VALUE=DATE:20100101"))
    assert error(data) == "Line 4: the event covers 3653 days; at most 2000 can be imported."


# -- limits and zones ----------------------------------------------------------------------------


def test_too_many_properties_are_refused() -> None:
    data = ics(
        *event("DTSTART;VALUE=DATE:20260101", "RRULE:FREQ=YEARLY", *["EXDATE;VALUE=DATE:20270101"] * 20_000)
    )
    assert error(data) == "Line 20003: the file has too many properties to import."


def test_overlong_property_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260101", "SUMMARY:" + "x" * 70_000))
    assert error(data) == "Line 6 cannot be read: it is longer than 65536 characters."


def test_properties_the_import_does_not_read_are_not_parsed() -> None:
    data = ics(
        *event(
            "DTSTART;VALUE=DATE:20260101",
            "LAST-MODIFIED:not a date",
            'ATTENDEE;CN="broken:mailto:a@example.com',
            "BEGIN:VALARM",
            "TRIGGER:soon",
            "END:VALARM",
        ),
        "BEGIN:VTODO",
        "DUE:never",
        "END:VTODO",
    )
    assert parse(data).closed_dates == [day("2026-01-01")]


def test_event_nested_in_a_time_zone_is_ignored() -> None:
    data = ics(
        *vtimezone("Kaizen Nested Time", "+0100")[:-1], *event("DTSTART;VALUE=DATE:20260101"), "END:VTIMEZONE"
    )
    assert parse(data) == Imported(closed_dates=[], closures=[], skipped=[])


def test_ten_thousand_events_are_refused() -> None:
    data = ics(*(line for _ in range(10_000) for line in event("DTSTART;VALUE=DATE:20260101")))
    assert len(data) < MAX_BYTES
    assert error(data) == f"The file has 10000 events; at most {MAX_EVENTS} can be imported at once."


def test_exactly_max_events_are_accepted() -> None:
    data = ics(*(line for _ in range(MAX_EVENTS) for line in event("DTSTART;VALUE=DATE:20260101")))
    assert parse(data).closed_dates == [day("2026-01-01")]


def test_oversized_file_is_refused() -> None:
    data = ics(*event("DTSTART;VALUE=DATE:20260101", "DESCRIPTION:" + "x" * MAX_BYTES))
    assert error(data) == "The file is larger than 2 MB; split it or export a shorter period."


def test_unknown_tzid_is_refused() -> None:
    data = ics(*event("SUMMARY:x", "DTSTART;TZID=Mars/Olympus_Mons:20260310T100000"))
    assert error(data) == "Line 6: unknown time zone Mars/Olympus_Mons (TZID)."


def test_unknown_time_zone_argument_is_refused() -> None:
    assert error(ics(), time_zone="Mars/Olympus_Mons") == "Unknown time zone: Mars/Olympus_Mons."
