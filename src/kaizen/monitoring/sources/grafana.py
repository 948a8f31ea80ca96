"""Grafana unified alerting: the "Webhook" contact point (payload ``"version": "1"``).

Add a contact point of type Webhook with the integration's URL. The body is Alertmanager's
(see :mod:`.alertmanager`) plus Grafana's fields: ``orgId``, ``title``, ``state``, ``message`` on
the group, and ``silenceURL``, ``dashboardURL``, ``panelURL``, ``values`` on each alert. The
group fields are ignored. ``version``, when present, must be ``"1"``; the legacy (pre-8)
Grafana alerting webhook, which has no ``alerts`` list, is refused.

Each alert is read exactly as an Alertmanager alert: the same **dedup key** (Grafana's
``fingerprint``, else the label fingerprint computed as Alertmanager does), per-alert **status**,
**severity** from ``labels.severity`` with the same word table, **title**, **description**,
**host**, **address**, **service**, **environment** and **occurred at**. Grafana adds:

- **metric** and **value**: the first entry of ``values`` (query ref id → number, for example
  ``{"B": 44.2, "C": 1}`` gives metric ``B``, value 44.2) whose value is a number; every other
  entry is kept as a label ``values.<ref id>`` with the value as text (the alert's own labels win
  on a clash).
- **link**: ``panelURL``, else ``dashboardURL``, else ``generatorURL`` (http and https only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import alertmanager
from .base import MAX_LABELS, MAX_NAME, Signal, merge_labels, number, obj, safe_url, string_map, text

NAME = "grafana"
LABEL = _("Grafana")


def parse(body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn one Grafana webhook body into one signal per alert.

    Raises:
        PayloadError: the body is not a Grafana unified alerting webhook.
    """
    alerts, group_status = alertmanager.alert_list(body, product="Grafana", versions=("1",))
    signals = []
    for index, alert in enumerate(alerts):
        signal = alertmanager.signal(alert, index=index, group_status=group_status, received_at=received_at)
        signals.append(_with_grafana_fields(signal, obj(alert, what=f"alerts[{index}]"), index=index))
    return signals


def _with_grafana_fields(signal: Signal, alert: Mapping[str, Any], *, index: int) -> Signal:
    raw_values = alert.get("values")
    values = {} if raw_values is None else obj(raw_values, what=f"alerts[{index}].values")
    metric, value, rest = "", None, {}
    for ref, raw in itertools.islice(values.items(), MAX_LABELS):
        found = number(raw) if value is None else None
        if found is not None:
            metric, value = text(ref, MAX_NAME), found
        else:
            rest[f"values.{ref}"] = raw
    url = safe_url(alert.get("panelURL")) or safe_url(alert.get("dashboardURL")) or signal.url
    return dataclasses.replace(
        signal,
        labels=merge_labels(signal.labels, string_map(rest, what=f"alerts[{index}].values")),
        metric=metric,
        value=value,
        url=url,
    )
