"""Nagios Core (and Icinga 1, Naemon): the body posted by Kaizen's own notification script.

Nagios has no JSON notification: a contact's notification command runs Kaizen's script with
macros, and the script posts one object per notification::

    {"object": "service", "host": "$HOSTNAME$", "address": "$HOSTADDRESS$",
     "service": "$SERVICEDESC$", "state": "$SERVICESTATE$", "output": "$SERVICEOUTPUT$",
     "long_output": "$LONGSERVICEOUTPUT$", "notification_type": "$NOTIFICATIONTYPE$",
     "problem_id": "$SERVICEPROBLEMID$", "timestamp": $TIMET$}

For host notifications ``object`` is ``host``, ``service`` is empty and the host macros are used
(``$HOSTSTATE$``, ``$HOSTOUTPUT$``, ``$LONGHOSTOUTPUT$``, ``$HOSTPROBLEMID$``). Nagios sets the
problem id to 0 once the object has recovered, so for ``RECOVERY`` the script sends
``$LASTSERVICEPROBLEMID$`` (``$LASTHOSTPROBLEMID$``). ``host`` is required, ``service`` too for
service notifications; ``object`` may be left out (a non-empty ``service`` means a service).

- **dedup key**: ``host`` + ``service`` (``host`` alone for a host notification).
- **status and severity** from ``state``: CRITICAL, DOWN, UNREACHABLE → critical; WARNING →
  warning; UNKNOWN → minor; OK and UP → resolved (severity ``ok``). A ``RECOVERY`` notification
  is resolved whatever its state; any other state word is refused.
- ``notification_type`` (PROBLEM, RECOVERY, ACKNOWLEDGEMENT, FLAPPINGSTART, FLAPPINGSTOP,
  FLAPPINGDISABLED, DOWNTIMESTART, DOWNTIMEEND, DOWNTIMECANCELLED, CUSTOM; default PROBLEM)
  does not change the reading: an acknowledgement, a downtime or a flapping notice gives a
  signal with the object's current state. It is kept in the label ``notification_type`` (with
  ``state`` and ``object``) so that later steps can tell them apart.
- **title**: ``<host>/<service> is <STATE>`` (``<host> is <STATE>`` for hosts);
  **description**: ``output``, then ``long_output`` on the next line.
- **host**, **address** and **service** as given; **occurred at**: ``timestamp`` (Unix seconds,
  a number or a string); **source id**: ``problem_id`` (0 counts as none).

The body of the ``pd-nagios`` script (PagerDuty's Nagios integration) is accepted too, so that
a contact can be moved without rewriting it: ``event_type`` trigger/resolve/acknowledge (read as
PROBLEM/RECOVERY/ACKNOWLEDGEMENT), ``details.HOSTNAME``, ``SERVICEDESC``, ``SERVICESTATE`` or
``HOSTSTATE``, ``SERVICEOUTPUT`` or ``HOSTOUTPUT``, ``HOSTADDRESS``, ``pd_nagios_object``;
``incident_key`` is the source id; the other ``details`` entries become labels. Its dedup key is
built from host and service exactly as above, so alerts keep their keys across the move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import (
    CRITICAL,
    FIRING,
    MAX_ADDRESS,
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
    merge_labels,
    obj,
    parse_time,
    scalar,
    string_map,
    unix_time,
)

NAME = "nagios"
LABEL = _("Nagios")

STATES = {
    **dict.fromkeys(("CRITICAL", "DOWN", "UNREACHABLE"), CRITICAL),
    "WARNING": WARNING,
    "UNKNOWN": MINOR,
    **dict.fromkeys(("OK", "UP"), OK),
}
PD_EVENT_TYPES = {"trigger": "PROBLEM", "resolve": "RECOVERY", "acknowledge": "ACKNOWLEDGEMENT"}


def parse(body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn one notification (Kaizen's script or pd-nagios) into one signal.

    Raises:
        PayloadError: no host, an unknown state or object, or a field of the wrong type.
    """
    body = obj(body, what="Nagios notification body")
    if "event_type" in body and "details" in body:
        fields, extra, when = _from_pd_nagios(body)
        return [_signal(fields, extra, occurred_at=clamp_time(when, received_at=received_at))]
    when = unix_time(body.get("timestamp"))
    return [_signal(body, {}, occurred_at=clamp_time(when, received_at=received_at))]


def _signal(
    fields: Mapping[str, Any], extra: Mapping[str, str], *, occurred_at: dt.datetime | None
) -> Signal:
    host = scalar(fields.get("host"), what="host")
    if not host:
        raise PayloadError("host is required ($HOSTNAME$)")
    service = scalar(fields.get("service"), what="service")
    what = scalar(fields.get("object"), what="object", limit=MAX_NAME).lower()
    what = what or ("service" if service else "host")
    if what not in ("host", "service"):
        raise PayloadError(f'object must be "host" or "service", not {what[:20]!r}')
    if what == "host":
        service = ""
    elif not service:
        raise PayloadError("service is required for a service notification ($SERVICEDESC$)")
    notification = scalar(fields.get("notification_type"), what="notification_type", limit=MAX_NAME).upper()
    state = scalar(fields.get("state"), what="state", limit=MAX_NAME).upper()
    if state not in STATES and notification != "RECOVERY":
        raise PayloadError(f"state must be one of {', '.join(STATES)}, not {state[:20]!r}")
    resolved = notification == "RECOVERY" or STATES[state] == OK
    output = scalar(fields.get("output"), what="output", limit=MAX_TEXT)
    long_output = scalar(fields.get("long_output"), what="long_output", limit=MAX_TEXT)
    problem_id = scalar(fields.get("problem_id"), what="problem_id", limit=MAX_NAME)
    subject = f"{host}/{service}" if service else host
    own = {"notification_type": notification or "PROBLEM", "state": state, "object": what}
    return Signal(
        dedup_key=key(host, service) if service else key(host),
        status=RESOLVED if resolved else FIRING,
        severity=OK if resolved else STATES[state],
        title=f"{subject} is {state or 'OK'}"[:MAX_TITLE],
        description="\n".join(part for part in (output, long_output) if part)[:MAX_TEXT],
        labels=merge_labels(own, extra),
        occurred_at=occurred_at,
        host=host[:MAX_NAME],
        address=scalar(fields.get("address"), what="address", limit=MAX_ADDRESS),
        service=service[:MAX_NAME],
        external_id="" if problem_id == "0" else problem_id,
    )


def _from_pd_nagios(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str], dt.datetime | None]:
    """Return a pd-nagios body in Kaizen's shape, its details as labels, and its queue time."""
    details = obj(body.get("details"), what="details")
    event_type = scalar(body.get("event_type"), what="event_type", limit=MAX_NAME).lower()
    if event_type not in PD_EVENT_TYPES:
        expected = '"trigger", "resolve" or "acknowledge"'
        raise PayloadError(f"event_type must be {expected}, not {event_type[:20]!r}")
    service = details.get("SERVICEDESC")
    is_service = bool(service) or details.get("pd_nagios_object") == "service"
    fields = {
        "object": details.get("pd_nagios_object"),
        "host": details.get("HOSTNAME"),
        "address": details.get("HOSTADDRESS"),
        "service": service,
        "state": details.get("SERVICESTATE" if is_service else "HOSTSTATE"),
        "output": details.get("SERVICEOUTPUT" if is_service else "HOSTOUTPUT") or body.get("description"),
        "notification_type": PD_EVENT_TYPES[event_type],
        "problem_id": body.get("incident_key"),
    }
    agent = body.get("agent")
    queued = parse_time(agent.get("queued_at")) if isinstance(agent, Mapping) else None
    return fields, string_map(details, what="details"), queued
