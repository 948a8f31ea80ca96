"""Amazon CloudWatch alarms delivered by Amazon SNS to an HTTPS subscription.

Subscribe the integration's URL to the SNS topic the alarm notifies (raw message delivery off).
SNS posts an envelope whose ``Type`` says what it is:

- ``SubscriptionConfirmation`` and ``UnsubscribeConfirmation``: no signal (confirming the
  subscription and checking SNS signatures is done before parsing; :func:`envelope_type` tells
  that code which one it has).
- ``Notification``: ``Message`` is a JSON **string** holding the alarm: ``AlarmName``,
  ``AlarmArn``, ``AlarmDescription``, ``AWSAccountId``, ``Region``, ``NewStateValue``,
  ``NewStateReason``, ``StateChangeTime``, ``Trigger`` (``MetricName``, ``Namespace``,
  ``Dimensions`` as a list of ``{"name", "value"}``). A ``Message`` that is not JSON, or not an
  alarm (no ``AlarmName`` or ``NewStateValue``), is refused: "valid envelope with a broken inner
  message".

One notification gives one signal:

- **dedup key**: ``AlarmArn``; without it, ``AWSAccountId`` + ``Region`` + ``AlarmName``.
- **status and severity** from ``NewStateValue``: ``ALARM`` → firing, severity ``warning``
  unless the alarm description says otherwise; ``INSUFFICIENT_DATA`` → firing, severity
  ``info``; ``OK`` → resolved (severity ``ok``). The state is kept in the label
  ``cloudwatch_state``.
- **severity convention**: write ``severity=<word>`` anywhere in the alarm's description
  (for example "Disk almost full. severity=critical"); the word is one of critical, major,
  minor, warning, info or a synonym (page, error, high, medium, warn, low, ...). An unknown
  word means warning.
- **title**: ``AlarmName``; **description**: ``AlarmDescription`` and ``NewStateReason``.
- **labels**: each dimension (name → value), plus ``aws_account``, ``aws_region`` and
  ``aws_namespace``. The ``InstanceId`` dimension also gives the **resource** and **host**.
- **metric**: ``Trigger.MetricName``; **value**: the first datapoint quoted in
  ``NewStateReason`` (``[1062305.0 (...)]``), if any.
- **occurred at**: ``StateChangeTime`` (else the envelope's ``Timestamp``); **source id**:
  ``AlarmArn``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import (
    FIRING,
    INFO,
    MAX_LABELS,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    OK,
    RESOLVED,
    PayloadError,
    Signal,
    clamp_time,
    key,
    kind,
    merge_labels,
    number,
    obj,
    parse_time,
    scalar,
    severity_word,
    string_map,
    text,
)

NAME = "cloudwatch"
LABEL = _("Amazon CloudWatch (SNS)")

NOTIFICATION = "Notification"
CONFIRMATIONS = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
BROKEN = "valid envelope with a broken inner message"

_SEVERITY_HINT = re.compile(r"\bseverity\s*=\s*([A-Za-z]+)", re.IGNORECASE)
_DATAPOINT = re.compile(r"\[(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?) \(")


def envelope_type(body: Any) -> str:
    """Return the SNS message type of ``body`` (``Notification``, ``SubscriptionConfirmation``, ...).

    Raises:
        PayloadError: the body is not an SNS envelope.
    """
    body = obj(body, what="Amazon SNS message")
    message_type = body.get("Type")
    if not isinstance(message_type, str) or not message_type.strip():
        raise PayloadError('not an Amazon SNS message: no "Type" (turn raw message delivery off)')
    return text(message_type.strip(), 50)


def parse(body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn one SNS delivery into one signal, or none for subscription messages.

    Raises:
        PayloadError: not an SNS envelope, an unknown type, or a broken alarm in ``Message``.
    """
    message_type = envelope_type(body)
    if message_type in CONFIRMATIONS:
        return []
    if message_type != NOTIFICATION:
        raise PayloadError(f"Amazon SNS message type {message_type!r} is not supported")
    alarm = _alarm(body.get("Message"))
    try:
        return [_signal(alarm, envelope_time=body.get("Timestamp"), received_at=received_at)]
    except PayloadError as error:
        raise PayloadError(f"{BROKEN}: {error}") from None


def _alarm(message: Any) -> Mapping[str, Any]:
    if not isinstance(message, str):
        raise PayloadError(
            f"{BROKEN}: Message must be a string holding the alarm as JSON, not {kind(message)}"
        )
    try:
        alarm = json.loads(message)
    except (ValueError, RecursionError):
        raise PayloadError(f"{BROKEN}: Message is not JSON") from None
    if not isinstance(alarm, dict) or "AlarmName" not in alarm or "NewStateValue" not in alarm:
        raise PayloadError(f"{BROKEN}: Message is not a CloudWatch alarm (no AlarmName or NewStateValue)")
    return alarm


def _signal(alarm: Mapping[str, Any], *, envelope_time: Any, received_at: dt.datetime) -> Signal:
    name = scalar(alarm.get("AlarmName"), what="AlarmName", limit=MAX_TEXT)
    if not name:
        raise PayloadError("AlarmName must not be empty")
    arn = scalar(alarm.get("AlarmArn"), what="AlarmArn", limit=MAX_TEXT)
    account = scalar(alarm.get("AWSAccountId"), what="AWSAccountId")
    region = scalar(alarm.get("Region"), what="Region")
    state = scalar(alarm.get("NewStateValue"), what="NewStateValue", limit=MAX_NAME).upper()
    about = scalar(alarm.get("AlarmDescription"), what="AlarmDescription", limit=MAX_TEXT)
    reason = scalar(alarm.get("NewStateReason"), what="NewStateReason", limit=MAX_TEXT)
    if state == "ALARM":
        hint = _SEVERITY_HINT.search(about)
        severity = severity_word(hint.group(1) if hint else None)
    elif state in ("OK", "INSUFFICIENT_DATA"):
        severity = OK if state == "OK" else INFO
    else:
        raise PayloadError(f'NewStateValue must be "ALARM", "OK" or "INSUFFICIENT_DATA", not {state[:20]!r}')
    trigger = obj(alarm.get("Trigger") or {}, what="Trigger")
    dimensions = _dimensions(trigger.get("Dimensions"))
    own = {
        "cloudwatch_state": state,
        "aws_account": account,
        "aws_region": region,
        "aws_namespace": scalar(trigger.get("Namespace"), what="Trigger.Namespace", limit=MAX_NAME),
    }
    datapoint = _DATAPOINT.search(reason)
    instance = dimensions.get("InstanceId", "")[:MAX_NAME]
    when = parse_time(alarm.get("StateChangeTime")) or parse_time(envelope_time)
    return Signal(
        dedup_key=key(arn) if arn else key(account, region, name),
        status=RESOLVED if state == "OK" else FIRING,
        severity=severity,
        title=name[:MAX_TITLE],
        description="\n\n".join(part for part in (about, reason) if part)[:MAX_TEXT],
        labels=merge_labels(own, dimensions),
        occurred_at=clamp_time(when, received_at=received_at),
        host=instance,
        resource=instance,
        metric=scalar(trigger.get("MetricName"), what="Trigger.MetricName", limit=MAX_NAME),
        value=number(datapoint.group(1)) if datapoint else None,
        external_id=arn[:MAX_NAME],
    )


def _dimensions(value: Any) -> dict[str, str]:
    """Return ``Trigger.Dimensions`` (``[{"name", "value"}]``, ``Name``/``Value`` also read) as labels."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise PayloadError(f"Trigger.Dimensions must be a list, not {kind(value)}")
    pairs = {}
    for index, entry in enumerate(itertools.islice(value, MAX_LABELS)):
        entry = obj(entry, what=f"Trigger.Dimensions[{index}]")
        name = scalar(entry.get("name", entry.get("Name")), what=f"Trigger.Dimensions[{index}].name")
        if name:
            pairs[name] = entry.get("value", entry.get("Value"))
    return string_map(pairs, what="Trigger.Dimensions")
