"""Prometheus Alertmanager: the ``webhook_config`` receiver, payload version 4.

Point a ``webhook_configs`` entry of a receiver at the integration's URL. Alertmanager posts one
body per notification of an alert group::

    {"version": "4", "status": "firing", "receiver": "...", "groupKey": "...",
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
                 "startsAt": "RFC 3339", "endsAt": "RFC 3339", "generatorURL": "...",
                 "fingerprint": "8c48c08e86e8f4dd"}, ...], ...}

Only ``alerts`` is required. ``version``, when present, must be ``"4"``; group fields
(``groupLabels``, ``commonLabels``, ``notification_reason``, which 0.25 does not send, ...) are
ignored. Each alert gives one signal:

- **dedup key**: the alert's ``fingerprint``; without one, Alertmanager's own label fingerprint
  (FNV-1a 64 over the labels sorted by name, 16 hex digits) is computed, so it is the same key
  either way and never depends on the order of the labels.
- **status**: the alert's own ``status`` (``firing``/``resolved``), not the group's; the group
  ``status`` is used only for an alert that has none.
- **severity** from ``labels.severity``: critical, page, emergency, fatal → critical; error, high,
  major → major; minor, medium → minor; warning, warn → warning; info, informational, low,
  none → info; a missing or other word → warning. A resolved alert has severity ``ok``.
- **title**: ``annotations.summary``, else ``labels.alertname``; **description**:
  ``annotations.description``, else ``annotations.message``.
- **host**: the first of ``labels.host``, ``hostname``, ``nodename``, ``ci``; else the host part
  of ``labels.instance`` (``web-01:9100`` → ``web-01``, ``[::1]:9100`` → ``::1``,
  ``http://web-01:8080/health`` → ``web-01``). **address**: that instance host (else the host)
  when it is an IP address.
- **service**: ``labels.service``; **environment**: ``labels.environment``, else ``labels.env``.
- **occurred at**: ``startsAt`` when firing, ``endsAt`` when resolved (Alertmanager's
  ``0001-01-01T00:00:00Z``, "no end", and any time before 2000 or in the future count as none).
- **link**: ``generatorURL`` (http and https only); **source id**: ``fingerprint``.
- labels and annotations are kept as they came (at most 100 of each, values cut to 1,000
  characters).

A body whose structure is wrong (``alerts`` not a list, an alert or its ``labels`` not an object,
an ``annotations.summary`` that is an object, ...) is refused as a whole, naming the field.
A time or a link that cannot be read is dropped instead, and a label or annotation value that is
not a string is kept as its JSON text. NUL characters are removed from every string.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from .base import (
    FIRING,
    MAX_ADDRESS,
    MAX_ENVIRONMENT,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    OK,
    RESOLVED,
    PayloadError,
    Signal,
    clamp_time,
    items,
    key,
    obj,
    parse_time,
    safe_url,
    scalar,
    severity_word,
    string_map,
    text,
)

NAME = "alertmanager"
LABEL = _("Prometheus Alertmanager")

HOST_LABELS = ("host", "hostname", "nodename", "ci")

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = 2**64 - 1


def parse(body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn one Alertmanager webhook body into one signal per alert.

    Raises:
        PayloadError: the body is not an Alertmanager version 4 webhook.
    """
    alerts, group_status = alert_list(body, product="Alertmanager", versions=("4",))
    return [
        signal(alert, index=index, group_status=group_status, received_at=received_at)
        for index, alert in enumerate(alerts)
    ]


def alert_list(body: Any, *, product: str, versions: Collection[str]) -> tuple[list[Any], str]:
    """Return the ``alerts`` of an Alertmanager-shaped body and the group status.

    Raises:
        PayloadError: not an object, unsupported ``version``, no ``alerts`` list or too many alerts.
    """
    body = obj(body, what=f"{product} webhook body")
    version = body.get("version")
    if version is not None and (not isinstance(version, str) or version not in versions):
        expected = " or ".join(f'"{v}"' for v in versions)
        raise PayloadError(
            f"{product} webhook version {text(version, 20)!r} is not supported (expected {expected})"
        )
    if "alerts" not in body:
        raise PayloadError(f'not a {product} webhook: the body has no "alerts" list')
    group = body.get("status")
    return items(body["alerts"], what="alerts"), text(group, 20) if isinstance(group, str) else ""


def signal(alert: Any, *, index: int, group_status: str, received_at: dt.datetime) -> Signal:
    """Build the signal of ``alerts[index]`` (shared with Grafana, which adds its own fields).

    Raises:
        PayloadError: the alert or one of its fields has the wrong type or status.
    """
    where = f"alerts[{index}]"
    alert = obj(alert, what=where)
    raw_labels, raw_annotations = alert.get("labels"), alert.get("annotations")
    labels = string_map(raw_labels, what=f"{where}.labels")
    annotations = string_map(raw_annotations, what=f"{where}.annotations")
    status = _status(alert.get("status"), group_status, where=where)
    given = scalar(alert.get("fingerprint"), what=f"{where}.fingerprint")
    summary = _annotation(raw_annotations, "summary", where=where, limit=MAX_TITLE)
    description = _annotation(raw_annotations, "description", where=where, limit=MAX_TEXT)
    description = description or _annotation(raw_annotations, "message", where=where, limit=MAX_TEXT)
    host, address = host_of(labels)
    when = alert.get("startsAt") if status == FIRING else alert.get("endsAt")
    return Signal(
        dedup_key=key(given) if given else fingerprint(raw_labels or {}),
        status=status,
        severity=OK if status == RESOLVED else severity_word(labels.get("severity")),
        title=text(summary or labels.get("alertname", "").strip() or "Unnamed alert", MAX_TITLE),
        description=description,
        labels=labels,
        annotations=annotations,
        occurred_at=clamp_time(parse_time(when), received_at=received_at),
        host=host,
        address=address,
        service=text(labels.get("service"), MAX_NAME),
        environment=text(labels.get("environment") or labels.get("env"), MAX_ENVIRONMENT),
        url=safe_url(alert.get("generatorURL")),
        external_id=given[:MAX_NAME],
    )


def fingerprint(labels: Mapping[Any, Any]) -> str:
    """Return Alertmanager's fingerprint of a label set (FNV-1a 64, names sorted, 0xff separators)."""
    digest = _FNV_OFFSET
    for name, value in sorted((_plain(k), _plain(v)) for k, v in labels.items()):
        for byte in b"".join((name, b"\xff", value, b"\xff")):
            digest = ((digest ^ byte) * _FNV_PRIME) & _MASK
    return f"{digest:016x}"


def host_of(labels: Mapping[str, str]) -> tuple[str, str]:
    """Return (host, IP address or "") named by the labels, as documented above."""
    instance = _instance_host(labels.get("instance", ""))
    host = next((labels[n] for n in HOST_LABELS if labels.get(n, "").strip()), "") or instance
    address = next((h for h in (instance, host) if _is_ip(h)), "")
    return text(host.strip(), MAX_NAME), text(address, MAX_ADDRESS)


def _status(value: Any, group: str, *, where: str) -> str:
    word = group if value is None else scalar(value, what=f"{where}.status", limit=20)
    if word not in (FIRING, RESOLVED):
        raise PayloadError(f'{where}.status must be "firing" or "resolved", not {word!r}')
    return word


def _annotation(raw: Any, name: str, *, where: str, limit: int) -> str:
    # Read from the raw annotations: the kept copy is cut to the label limit, a description may be longer.
    return scalar(raw.get(name), what=f"{where}.annotations.{name}", limit=limit) if raw else ""


def _plain(value: Any) -> bytes:
    # The exact string (NUL included) so that distinct label sets never share a fingerprint input.
    return (value if isinstance(value, str) else text(value, MAX_TEXT)).encode("utf-8", "surrogatepass")


def _instance_host(instance: str) -> str:
    value = instance.strip()
    if "://" in value:
        try:
            return urlsplit(value).hostname or ""
        except ValueError:  # "http://[::1" and other broken URLs
            return ""
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else ""
    return value.split(":", 1)[0] if value.count(":") == 1 else value


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
