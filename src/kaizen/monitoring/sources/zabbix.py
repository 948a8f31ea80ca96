"""Zabbix: the body posted by Kaizen's own Zabbix webhook media type.

Zabbix has no fixed webhook body: a media type maps macros to parameters and its script posts
JSON. Kaizen's media type posts one object per problem event, update or recovery::

    {"event_id": "123", "trigger_id": "456", "status": "PROBLEM",
     "severity": "High", "nseverity": "4", "title": "High CPU on web-01",
     "message": "...", "host": "web-01", "host_name": "Web server 01", "ip": "192.0.2.10",
     "tags": [{"tag": "service", "value": "shop"}], "event_time": "2026-11-22 12:06:56",
     "url": "https://zabbix.example/tr_events.php?triggerid=456&eventid=123"}

Fields (numbers may be JSON numbers or strings; every field but ``status`` and one of the ids
is optional):

- ``event_id``: ``{EVENT.ID}``, the problem event's id, also in update and recovery messages
  (not ``{EVENT.RECOVERY.ID}``); ``trigger_id``: ``{TRIGGER.ID}``.
- ``status``: ``PROBLEM``, ``UPDATE`` (acknowledged, commented, severity changed: still firing)
  or ``RESOLVED`` (``OK``, ``RECOVERY`` and ``RECOVERED`` are read as ``RESOLVED``). The word is
  kept in the label ``zabbix_status`` so that updates can be told apart.
- ``severity``: ``{EVENT.SEVERITY}``; ``nseverity``: ``{EVENT.NSEVERITY}`` (0-5), which wins when
  it is a valid number. 5 Disaster → critical, 4 High → major, 3 Average → minor, 2 Warning →
  warning, 1 Information and 0 Not classified → info; neither given (or unknown) → warning.
  A resolved signal has severity ``ok``; the severity word is kept in ``zabbix_severity``.
- ``title``: ``{EVENT.NAME}``; ``message``: the message body (the description).
- ``host``: ``{HOST.HOST}``, the technical name (the signal's host); ``host_name``:
  ``{HOST.NAME}``, the visible name (label ``host_name``, and the host when ``host`` is empty);
  ``ip``: ``{HOST.IP}`` (the address).
- ``tags``: a list of ``{"tag", "value"}`` objects or the ``{EVENT.TAGSJSON}`` string; each tag
  becomes a label (values of a repeated tag joined with ", "); the tag ``service`` also gives
  the signal's service.
- ``event_time``: when this state began (``{EVENT.DATE} {EVENT.TIME}``, the recovery's or the
  update's time for those messages), ``YYYY-MM-DD HH:MM:SS`` (``.`` also accepted between date
  parts) in UTC, or RFC 3339 with an offset, or Unix seconds. The media type converts Zabbix's
  local time to UTC.
- ``url``: a link to the event in Zabbix's front end (http and https only).

**Dedup key**: ``trigger_id`` with ``host``; without a trigger id, ``event_id`` with ``host``.
**Source id**: ``event_id``.

For people moving from Zabbix's "Grafana OnCall" media type, its body is accepted too:
``{"alert_uid": "{EVENT.ID}", "title", "state": "alerting"|"ok", "message",
"link_to_upstream_details"}``. Its dedup key is ``alert_uid`` (like ``event_id`` without a host),
its severity the word of a ``Severity: <word>`` line of the message (that media type's default
message template has one), else warning.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import (
    CRITICAL,
    FIRING,
    INFO,
    MAJOR,
    MAX_ADDRESS,
    MAX_LABEL_KEY,
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
    key,
    kind,
    merge_labels,
    number,
    obj,
    parse_time,
    safe_url,
    scalar,
    severity_word,
    unix_time,
)

NAME = "zabbix"
LABEL = _("Zabbix")

STATUSES = {
    "PROBLEM": FIRING,
    "UPDATE": FIRING,
    **dict.fromkeys(("RESOLVED", "OK", "RECOVERY", "RECOVERED"), RESOLVED),
}
SEVERITY_NUMBERS = {5: CRITICAL, 4: MAJOR, 3: MINOR, 2: WARNING, 1: INFO, 0: INFO}
SEVERITY_WORDS = {
    "disaster": CRITICAL,
    "high": MAJOR,
    "average": MINOR,
    "warning": WARNING,
    "information": INFO,
    "not classified": INFO,
}

_DOTTED_DATE = re.compile(r"\d{4}\.\d{2}\.\d{2}[ T]")
_SEVERITY_LINE = re.compile(r"^[ \t]*Severity:(.*)$", re.MULTILINE)  # no nested repeats: linear time


def parse(body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn one Zabbix media type body (Kaizen's or Grafana OnCall's) into one signal.

    Raises:
        PayloadError: no ids, an unknown status or state, or a field of the wrong type.
    """
    body = obj(body, what="Zabbix webhook body")
    if "alert_uid" in body and "event_id" not in body and "trigger_id" not in body:
        return [_oncall(body)]
    return [_native(body, received_at=received_at)]


def _native(body: Mapping[str, Any], *, received_at: dt.datetime) -> Signal:
    event_id = scalar(body.get("event_id"), what="event_id")
    trigger_id = scalar(body.get("trigger_id"), what="trigger_id")
    if not event_id and not trigger_id:
        raise PayloadError("a Zabbix webhook body needs trigger_id or event_id")
    word = scalar(body.get("status"), what="status", limit=MAX_NAME).upper()
    if word not in STATUSES:
        raise PayloadError(f'status must be "PROBLEM", "UPDATE" or "RESOLVED", not {word[:20]!r}')
    status = STATUSES[word]
    severity_name = scalar(body.get("severity"), what="severity", limit=MAX_LABEL_VALUE)
    host = scalar(body.get("host"), what="host")
    visible = scalar(body.get("host_name"), what="host_name", limit=MAX_NAME)
    tags = _tags(body.get("tags"))
    own = {"zabbix_status": word, "zabbix_severity": severity_name, "host_name": visible}
    title = scalar(body.get("title"), what="title", limit=MAX_TITLE)
    title = title or f"Zabbix problem on {host or visible or trigger_id or event_id}"[:MAX_TITLE]
    return Signal(
        dedup_key=key("trigger", host, trigger_id) if trigger_id else key("event", host, event_id),
        status=status,
        severity=OK if status == RESOLVED else _severity(body.get("nseverity"), severity_name),
        title=title,
        description=scalar(body.get("message"), what="message", limit=MAX_TEXT),
        labels=merge_labels(own, tags),
        occurred_at=clamp_time(_time(body.get("event_time")), received_at=received_at),
        host=(host or visible)[:MAX_NAME],
        address=scalar(body.get("ip"), what="ip", limit=MAX_ADDRESS),
        service=tags.get("service", "")[:MAX_NAME],
        url=safe_url(body.get("url")),
        external_id=event_id[:MAX_NAME],
    )


def _oncall(body: Mapping[str, Any]) -> Signal:
    uid = scalar(body.get("alert_uid"), what="alert_uid")
    if not uid:
        raise PayloadError("alert_uid must not be empty")
    state = scalar(body.get("state"), what="state", limit=MAX_NAME).lower()
    if state not in ("alerting", "ok"):
        raise PayloadError(f'state must be "alerting" or "ok", not {state[:20]!r}')
    message = scalar(body.get("message"), what="message", limit=MAX_TEXT)
    line = _SEVERITY_LINE.search(message)
    severity = WARNING if line is None else severity_word(line.group(1).strip(), words=SEVERITY_WORDS)
    return Signal(
        dedup_key=key("event", "", uid),
        status=FIRING if state == "alerting" else RESOLVED,
        severity=severity if state == "alerting" else OK,
        title=scalar(body.get("title"), what="title", limit=MAX_TITLE) or f"Zabbix problem {uid}"[:MAX_TITLE],
        description=message,
        url=safe_url(body.get("link_to_upstream_details")),
        external_id=uid[:MAX_NAME],
    )


def _severity(nseverity: Any, word: str) -> str:
    level = number(nseverity)
    if level is not None and level in SEVERITY_NUMBERS:
        return SEVERITY_NUMBERS[int(level)]
    return severity_word(word, words=SEVERITY_WORDS)


def _time(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and _DOTTED_DATE.match(value):
        value = value[:10].replace(".", "-") + value[10:]
    return parse_time(value) or unix_time(value)


def _tags(value: Any) -> dict[str, str]:
    """Return Zabbix tags as labels, from a list of {tag, value} or its JSON text ({EVENT.TAGSJSON})."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise PayloadError("tags is a string but not the JSON list of {EVENT.TAGSJSON}") from None
    if not isinstance(value, list):
        raise PayloadError(f"tags must be a list of {{tag, value}} objects, not {kind(value)}")
    labels: dict[str, str] = {}
    for index, entry in enumerate(value):
        entry = obj(entry, what=f"tags[{index}]")
        name = scalar(entry.get("tag"), what=f"tags[{index}].tag", limit=MAX_LABEL_KEY)
        tag_value = scalar(entry.get("value"), what=f"tags[{index}].value", limit=MAX_LABEL_VALUE)
        if not name or (name not in labels and len(labels) >= MAX_LABELS):
            continue
        joined = f"{labels[name]}, {tag_value}" if name in labels else tag_value
        labels[name] = joined[:MAX_LABEL_VALUE]
    return labels
