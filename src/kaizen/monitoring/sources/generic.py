"""Kaizen's generic JSON format, close to Alerta's ``POST /alert`` body.

For tools with no module of their own (scripts, cron jobs, in-house monitoring). The body is one
alert object, a JSON array of them, or ``{"alerts": [...]}`` (an object with ``alerts`` and no
``resource``)::

    {"resource": "web01", "event": "HttpServerError", "environment": "Production",
     "severity": "major", "service": ["example.com"], "group": "Web", "value": "Bad Gateway (501)",
     "text": "Site is down.", "tags": ["dc1"], "attributes": {"region": "EU"}, "origin": "curl",
     "type": "exceptionAlert", "createTime": "2026-11-22T12:06:56Z", "timeout": 86400,
     "correlate": ["HttpServerError", "HttpServerOK"], "host": "web01", "ip": "192.0.2.10",
     "metric": "http_errors", "url": "https://example.com/status"}

- ``resource`` and ``event`` are required (non-empty); everything else is optional.
- **dedup key**: ``environment`` + ``resource`` + ``event``; ``environment`` defaults to
  ``Production`` as in Alerta.
- **severity** (Alerta's words, any case): security, critical → critical; major; minor;
  warning; indeterminate, informational, debug, trace, unknown → info; normal, ok, cleared →
  resolved (severity ``ok``). A missing or other word means warning (Alerta would say normal:
  here an alert with no severity is an alert). ``status`` ``closed`` or ``expired`` also
  resolves; other statuses are only kept as a label.
- **title**: ``<event> on <resource>``; **description**: ``text``.
- **service**: a string, or a list of strings joined with ", ". **host**, **ip** (the address),
  **metric**, **url** (http and https only) as given; **occurred at**: ``createTime`` (RFC 3339).
- **value**: ``value`` when it is a number or a numeric string, otherwise kept as the label
  ``value``.
- **labels**: ``attributes`` (an object; values as text), plus ``severity`` (the word as sent, lower
  case), ``status``, ``group``, ``origin``, ``type``, ``timeout``, ``correlate`` and ``tags`` (lists
  joined with ", "), which win over an attribute of the same name.
- Any other field is ignored: it is kept nowhere, so a typo in a field name loses that field
  silently. ``id``, ``rawData``, ``customer`` and Alerta's other server-side fields are among them.

Wrong types (``resource`` an object, ``tags`` not a list, ``attributes`` not an object, ...)
refuse the whole body, naming the alert (``alerts[3].tags``) and the field.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import (
    CRITICAL,
    FIRING,
    INFO,
    MAJOR,
    MAX_ADDRESS,
    MAX_ENVIRONMENT,
    MAX_LABEL_VALUE,
    MAX_LABELS,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    MINOR,
    OK,
    RESOLVED,
    WARNING,
    PayloadError,
    Signal,
    clamp_time,
    items,
    key,
    kind,
    merge_labels,
    number,
    obj,
    parse_time,
    safe_url,
    scalar,
    string_map,
)

NAME = "generic"
LABEL = _("Generic JSON")

DEFAULT_ENVIRONMENT = "Production"
SEVERITY_WORDS = {
    **dict.fromkeys(("security", "critical"), CRITICAL),
    "major": MAJOR,
    "minor": MINOR,
    "warning": WARNING,
    **dict.fromkeys(("indeterminate", "informational", "debug", "trace", "unknown"), INFO),
    **dict.fromkeys(("normal", "ok", "cleared"), OK),
}
CLOSED_STATUSES = ("closed", "expired")


def parse(body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn a generic alert, an array of them or ``{"alerts": [...]}`` into signals.

    Raises:
        PayloadError: not an object or array, more than 10,000 alerts, or a bad alert.
    """
    if isinstance(body, list):
        return [
            _signal(a, where=f"[{i}]", received_at=received_at)
            for i, a in enumerate(items(body, what="body"))
        ]
    body = obj(body, what="generic alert body")
    if "alerts" in body and "resource" not in body:
        alerts = items(body["alerts"], what="alerts")
        return [_signal(a, where=f"alerts[{i}]", received_at=received_at) for i, a in enumerate(alerts)]
    return [_signal(body, where="alert", received_at=received_at)]


def _signal(alert: Any, *, where: str, received_at: dt.datetime) -> Signal:
    alert = obj(alert, what=where)

    def field(name: str, limit: int = MAX_NAME) -> str:
        return scalar(alert.get(name), what=f"{where}.{name}", limit=limit)

    resource, event = field("resource", MAX_TEXT), field("event", MAX_TEXT)
    if not resource or not event:
        raise PayloadError(f"{where}: resource and event are required")
    environment = field("environment", MAX_TEXT) or DEFAULT_ENVIRONMENT
    word = field("severity").lower()
    mapped = SEVERITY_WORDS.get(word, WARNING)
    status_word = field("status").lower()
    resolved = mapped == OK or status_word in CLOSED_STATUSES
    value = number(alert.get("value"))
    own = {
        "severity": word,
        "status": status_word,
        "group": field("group"),
        "origin": field("origin"),
        "type": field("type"),
        "timeout": field("timeout"),
        "correlate": _joined(alert.get("correlate"), what=f"{where}.correlate"),
        "tags": _joined(alert.get("tags"), what=f"{where}.tags"),
        "value": "" if value is not None else field("value", MAX_LABEL_VALUE),
    }
    return Signal(
        dedup_key=key(environment, resource, event),
        status=RESOLVED if resolved else FIRING,
        severity=OK if resolved else mapped,
        title=f"{event} on {resource}"[:MAX_TITLE],
        description=field("text", MAX_TEXT),
        labels=merge_labels(own, string_map(alert.get("attributes"), what=f"{where}.attributes")),
        occurred_at=clamp_time(parse_time(alert.get("createTime")), received_at=received_at),
        host=field("host"),
        address=field("ip", MAX_ADDRESS),
        service=_joined(alert.get("service"), what=f"{where}.service", allow_text=True)[:MAX_NAME],
        resource=resource[:MAX_NAME],
        environment=environment[:MAX_ENVIRONMENT],
        metric=field("metric"),
        value=value,
        url=safe_url(alert.get("url")),
    )


def _joined(value: Any, *, what: str, allow_text: bool = False) -> str:
    """Return a list of strings (or, if allowed, one string) joined with ", "."""
    if value is None or (allow_text and isinstance(value, str)):
        return scalar(value, what=what, limit=MAX_LABEL_VALUE)
    if not isinstance(value, list):
        expected = "a string or a list of strings" if allow_text else "a list of strings"
        raise PayloadError(f"{what} must be {expected}, not {kind(value)}")
    parts = (scalar(v, what=f"{what}[{i}]", limit=MAX_LABEL_VALUE) for i, v in enumerate(value))
    return ", ".join(p for p in itertools.islice(parts, MAX_LABELS) if p)[:MAX_LABEL_VALUE]
