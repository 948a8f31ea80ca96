"""Monitoring sources: one small declarative parser module per tool, and the dispatcher.

Each module documents its tool's contract (fields read, dedup key, severity words) in its
docstring; :func:`parse` picks the module by the integration's source name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from django.utils.functional import Promise

from . import alertmanager, cloudwatch, generic, grafana, nagios, zabbix
from .base import MAX_SIGNALS, PayloadError, Signal

__all__ = ["SOURCES", "PayloadError", "Signal", "Source", "parse"]


class Source(Protocol):
    """What a source module declares (see :mod:`.base`)."""

    @property
    def NAME(self) -> str: ...

    @property
    def LABEL(self) -> Promise: ...

    def parse(self, body: Any, *, received_at: dt.datetime) -> list[Signal]: ...


SOURCES: dict[str, Source] = {
    module.NAME: module for module in (alertmanager, grafana, zabbix, nagios, cloudwatch, generic)
}
"""Source modules by name (the values of ``monitoring.choices.Source``)."""


def parse(source: str, body: Any, *, received_at: dt.datetime) -> list[Signal]:
    """Turn the decoded JSON body of one delivery from ``source`` into signals.

    ``received_at`` (aware) bounds the source's times: see :func:`.base.clamp_time`.

    Raises:
        PayloadError: unknown source, a body this source does not send, or more than
            ``MAX_SIGNALS`` alerts (the whole body is refused then).
    """
    module = SOURCES.get(source) if isinstance(source, str) else None
    if module is None:
        raise PayloadError(f"unknown monitoring source {str(source)[:40]!r} (known: {', '.join(SOURCES)})")
    signals = module.parse(body, received_at=received_at)
    if len(signals) > MAX_SIGNALS:
        raise PayloadError(
            f"the body carries {len(signals):,} alerts; at most {MAX_SIGNALS:,} are accepted per delivery"
        )
    return signals
