"""What every monitoring source module turns a payload into (pure: no ORM, no network).

A source module (``sources/<name>.py``) declares ``NAME``, ``LABEL`` (translated) and
``parse(body, *, received_at)``: the decoded JSON body of one delivery in, a list of
:class:`Signal` out. Everything source-specific (field names, state words, the dedup key) lives in
that module; everything after it (dedup, correlation, incidents) is shared.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FIRING, RESOLVED = "firing", "resolved"

# Severities from most to least severe; "ok" only on resolved signals.
CRITICAL, MAJOR, MINOR, WARNING, INFO, OK = "critical", "major", "minor", "warning", "info", "ok"
SEVERITIES = (CRITICAL, MAJOR, MINOR, WARNING, INFO)
RANK = {CRITICAL: 5, MAJOR: 4, MINOR: 3, WARNING: 2, INFO: 1, OK: 0}

MAX_SIGNALS = 10_000
"""Most signals one delivery may carry; a body with more is refused as a whole."""
MAX_KEY = 255
MAX_TITLE = 300
MAX_TEXT = 10_000
MAX_LABELS = 100
MAX_LABEL_KEY = 100
MAX_LABEL_VALUE = 1_000
MAX_URL = 2_000
MAX_NAME = 255
"""Host, service, resource, metric and external id are cut to this many characters."""
MAX_ADDRESS = 64
MAX_ENVIRONMENT = 100

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(minutes=10)


class PayloadError(ValueError):
    """The body is not what this source sends; the message says what is wrong (shown to admins)."""


@dataclass(frozen=True)
class Signal:
    """One alert as its source reported it, normalised.

    ``dedup_key`` identifies the alert within its integration (Alertmanager/Grafana label
    fingerprint, Zabbix trigger id, Nagios host + service, CloudWatch alarm ARN, generic
    environment + resource + event). ``occurred_at`` is the source's time of this state, already
    checked by :func:`clamp_time` (None when the source gave none or an unusable one).
    """

    dedup_key: str
    status: str  # FIRING or RESOLVED
    severity: str  # one of SEVERITIES, or OK when resolved
    title: str
    description: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    occurred_at: dt.datetime | None = None
    host: str = ""
    address: str = ""
    service: str = ""
    resource: str = ""
    environment: str = ""
    metric: str = ""
    value: float | None = None
    url: str = ""
    external_id: str = ""


def clamp_time(value: dt.datetime | None, *, received_at: dt.datetime) -> dt.datetime | None:
    """Return ``value`` if it is plausible, else None (before 2000, or more than 10 min ahead)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if value < EARLIEST or value > received_at + FUTURE_SLACK:
        return None
    return value


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """Return ``value`` as a string without NUL characters, cut to ``limit`` characters."""
    if value is None:
        return ""
    shown: str
    try:
        shown = value if isinstance(value, str) else str(value)
    except (ValueError, RecursionError):  # an int past Python's digit limit, absurdly deep lists
        shown = "(not representable)"
    return shown.replace("\x00", "")[:limit]


def key(*parts: Any) -> str:
    """Build a dedup key from ``parts``; keys longer than ``MAX_KEY`` become a SHA-256 digest."""
    joined = "\x1f".join(text(p, MAX_TEXT) for p in parts)
    if len(joined) <= MAX_KEY:
        return joined
    return "sha256:" + hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


def string_map(value: Any, *, what: str) -> dict[str, str]:
    """Return a flat str -> str mapping (at most ``MAX_LABELS`` entries, keys and values cut).

    Raises:
        PayloadError: ``value`` is not an object.
    """
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"{what} must be an object")
    out: dict[str, str] = {}
    for k, v in itertools.islice(value.items(), MAX_LABELS):
        out[text(k, MAX_LABEL_KEY)] = text(
            v if not isinstance(v, (dict, list)) else _json(v), MAX_LABEL_VALUE
        )
    return out


def _json(value: Any) -> str:
    # A decoded body may nest almost as deep as the recursion limit; encoding it again must not fail.
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)[:MAX_LABEL_VALUE]
    except (ValueError, TypeError, RecursionError):
        return "(not representable)"


def safe_url(value: Any) -> str:
    """Return ``value`` if it is an http(s) URL of sane length, else an empty string."""
    url = text(value, MAX_URL + 1)
    if len(url) > MAX_URL or not url.lower().startswith(("http://", "https://")):
        return ""
    return url


# Severity words most tools use (Alertmanager/Grafana labels, CloudWatch descriptions), lower case.
SEVERITY_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("critical", "page", "emergency", "fatal"), CRITICAL),
    **dict.fromkeys(("error", "high", "major"), MAJOR),
    **dict.fromkeys(("minor", "medium"), MINOR),
    **dict.fromkeys(("warning", "warn"), WARNING),
    **dict.fromkeys(("info", "informational", "low", "none"), INFO),
}

_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,12}))?"
    r" ?(?:(Z|z|UTC)|([+-])(\d{2}):?(\d{2})?)?"
)


def kind(value: Any) -> str:
    """Name the JSON type of ``value`` for error messages ("an object", "a list", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__


def obj(value: Any, *, what: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object.

    Raises:
        PayloadError: it is anything else.
    """
    if not isinstance(value, Mapping):
        raise PayloadError(f"{what} must be an object, not {kind(value)}")
    return value


def items(value: Any, *, what: str) -> list[Any]:
    """Return ``value`` if it is a JSON array of at most ``MAX_SIGNALS`` entries.

    Raises:
        PayloadError: it is not an array, or it is too long (the whole body is refused).
    """
    if not isinstance(value, list):
        raise PayloadError(f"{what} must be a list, not {kind(value)}")
    if len(value) > MAX_SIGNALS:
        raise PayloadError(
            f"{what} holds {len(value):,} entries; at most {MAX_SIGNALS:,} alerts are accepted per delivery"
        )
    return value


def scalar(value: Any, *, what: str, limit: int = MAX_TEXT) -> str:
    """Return a string, number or boolean as text (``limit`` characters, no NUL); null is "".

    Raises:
        PayloadError: ``value`` is an object or a list.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, (str, int, float)):
        return text(value, limit).strip()
    raise PayloadError(f"{what} must be a string, not {kind(value)}")


def number(value: Any) -> float | None:
    """Return a finite number given as a JSON number or a numeric string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > 64:
            return None
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, (int, float)):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None


def severity_word(value: Any, *, words: Mapping[str, str] = SEVERITY_WORDS, default: str = WARNING) -> str:
    """Map a severity word (any case, surrounding blanks ignored) to one of ``SEVERITIES``."""
    if not isinstance(value, str):
        return default
    return words.get(value.strip().lower(), default)


def parse_time(value: Any) -> dt.datetime | None:
    """Parse an RFC 3339 time into an aware UTC datetime; None when absent or unusable.

    Also accepted: a space instead of ``T``, ``+hhmm``/``+hh`` offsets, up to 12 fraction digits
    (Go sends nanoseconds; microseconds are kept). A time without offset is taken as UTC.
    """
    if not isinstance(value, str) or len(value) > 64:
        return None
    match = _TIME.fullmatch(value.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _utc, sign, off_h, off_m = match.groups()
    try:
        offset = dt.timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
        zone = dt.timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        date = dt.date(int(year), int(month), int(day))
        moment = dt.datetime.combine(date, dt.time(int(hour), int(minute), int(second), micro), tzinfo=zone)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):  # 2026-02-30, hour 24, offset of a day, year 1 east of UTC
        return None


def unix_time(value: Any) -> dt.datetime | None:
    """Turn Unix seconds (a number or a numeric string) into an aware UTC datetime, else None."""
    seconds = number(value)
    if seconds is None:
        return None
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (ValueError, OverflowError, OSError):
        return None


def merge_labels(own: Mapping[str, str], theirs: Mapping[str, str]) -> dict[str, str]:
    """Return ``own`` labels (winning on a clash) plus ``theirs``, at most ``MAX_LABELS`` in all."""
    out = {text(k, MAX_LABEL_KEY): text(v, MAX_LABEL_VALUE) for k, v in own.items() if v}
    for k, v in theirs.items():
        if len(out) >= MAX_LABELS:
            break
        out.setdefault(k, v)
    return dict(itertools.islice(out.items(), MAX_LABELS))
