"""dates.formatter writes what Django's dateformat writes, for every format string."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import dateformat, formats, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen.core.lib.dates import formatter

FORMATS = [
    "Y/m/d G:i",
    "m/d/Y P",
    "Y-m-d H:i:s",
    "j.n.y",
    r"Y\年n\月j\日 G\時i\分",
    r"\Y\m \\d",
    "",
    "N j, Y, P",
    "c",
]
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # zoned datetimes draw slowly
@given(
    value=st.datetimes(
        min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31), timezones=st.just(TOKYO)
    ),
    format_string=st.sampled_from(FORMATS),
)
def test_formatter_writes_what_django_writes(value, format_string):
    assert formatter(format_string)(value) == dateformat.format(value, format_string)


def test_the_short_formats_of_both_languages_match_django():
    value = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=TOKYO)
    for language in ("ja", "en"):
        with translation.override(language):
            short = formats.get_format("SHORT_DATETIME_FORMAT")
            assert formatter(short)(value) == formats.date_format(value, "SHORT_DATETIME_FORMAT")
