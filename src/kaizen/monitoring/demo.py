"""Demo monitoring: a Prometheus integration of the IT department with a few live alerts.

The alerts go through the real path (stored deliveries, processing, correlation): the database
of accounting A (``accounting-a-db01``) is slow, which opens one incident on its service; an
access switch is down and the VMs behind it are inhibited; a disk warning cleared again.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from kaizen.accounts.models import Organisation, User
from kaizen.core import context
from kaizen.core import demo as registry

from . import processing, services
from .models import Integration


def _alert(name: str, host: str, severity: str, summary: str, *, status: str = "firing") -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "instance": f"{host}:9100", "job": "node", "severity": severity},
        "annotations": {"summary": summary},
        "startsAt": "2026-12-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-12-01T00:10:00Z",
        "generatorURL": "http://prometheus.tokyo.kaizen.example:9090/graph",
    }


def _body(*alerts: dict[str, Any]) -> bytes:
    body = {
        "version": "4",
        "status": "firing",
        "receiver": "kaizen",
        "groupKey": "demo",
        "alerts": list(alerts),
    }
    return json.dumps(body, ensure_ascii=False).encode()


@registry.register("monitoring", order=62)
def load(*, password: str) -> None:
    """Create the demo integration and its alerts (skipped when an integration exists)."""
    it = Organisation.objects.filter(code="kaizen-it").first()
    manager = User.objects.filter(username="manager").first()
    if Integration.objects.exists() or it is None or manager is None:
        return
    with context.acting(user=manager, channel=context.Channel.WEB):
        integration, _token = services.create_integration(
            actor=manager,
            data={
                "name": "Prometheus 本番（東京DC）",
                "source": "alertmanager",
                "organisation": it,
                "description": "Alertmanager の webhook 受信。トークンは画面から再発行してください。",
            },
        )
    deliveries = [
        _body(
            _alert("DiskSpaceLow", "esx01.tokyo.kaizen.example", "warning", "ディスク残量 15% 未満"),
        ),
        _body(
            _alert(
                "PostgresSlowQueries",
                "accounting-a-db01.tokyo.kaizen.example",
                "major",
                "応答時間 p95 > 2 s",
            ),
        ),
        _body(
            _alert(
                "DiskSpaceLow",
                "esx01.tokyo.kaizen.example",
                "warning",
                "ディスク残量 15% 未満",
                status="resolved",
            ),
        ),
    ]
    with context.acting(channel=context.Channel.MONITORING, label=integration.name):
        for body in deliveries:
            with transaction.atomic():
                services.receive(
                    integration, body=body, content_type="application/json", remote_addr="127.0.0.1"
                )
            processing.drain()
