"""The real client: Debian's ``prometheus-alertmanager`` posts its webhooks to a live Kaizen.

Alertmanager runs on 127.0.0.1 with gossip off, its own free port and a temporary data directory;
alerts are pushed into it through its v2 API and its notifications (group wait and interval of
one second) must create, update and resolve exactly one incident. Skipped when the binary is not
installed (``scripts/ensure_test_tools.sh`` installs it, CI runs that first).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import QuerySet
from django.utils import timezone

from kaizen.core.testing.net import free_port
from kaizen.monitoring.choices import AlertStatus, DeliveryState
from kaizen.monitoring.models import Alert, Delivery, Integration
from kaizen.tickets.choices import Channel, StateCategory
from kaizen.tickets.models import Ticket

from .conftest import Shop

BINARY = Path("/usr/bin/prometheus-alertmanager")
if not BINARY.exists() and (found := shutil.which("prometheus-alertmanager")):
    BINARY = Path(found)

pytestmark = [
    pytest.mark.alertmanager,
    pytest.mark.django_db(transaction=True),  # the live server thread must see committed rows
    pytest.mark.skipif(
        not BINARY.exists(),
        reason="Debian's prometheus-alertmanager is not installed (run scripts/ensure_test_tools.sh)",
    ),
]

TIMEOUT = 20.0


def _stamp(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Alertmanager:
    """One Alertmanager process with a single ``kaizen`` webhook receiver."""

    def __init__(self, workdir: Path, *, webhook: str, token: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "alertmanager.log"
        config = {
            "route": {
                "receiver": "kaizen",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "kaizen",
                    "webhook_configs": [
                        {
                            "url": webhook,
                            "send_resolved": True,
                            "max_alerts": 0,
                            "http_config": {"authorization": {"type": "Bearer", "credentials": token}},
                        }
                    ],
                }
            ],
        }
        config_path = workdir / "am.yml"
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                str(BINARY),
                f"--config.file={config_path}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",  # empty: no gossip, no cluster port
                "--log.level=debug",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )

    def log(self) -> str:
        """The process output so far (its last 6,000 characters), for assertion messages."""
        self._log.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return text[-6000:]

    def wait_ready(self, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"alertmanager exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        pytest.fail(f"alertmanager not ready within {timeout:.0f} s:\n{self.log()}")

    def push(self, *alerts: dict[str, Any]) -> None:
        """POST alerts to ``/api/v2/alerts`` (Alertmanager answers 200 with an empty body)."""
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(list(alerts)).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 200
        except urllib.error.HTTPError as exc:
            pytest.fail(f"alertmanager refused the alerts ({exc.code}): {exc.read()!r}\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture
def integration(shop: Shop) -> tuple[Integration, str]:
    return shop.integration()


@pytest.fixture
def alertmanager(
    tmp_path: Path, live_server: Any, integration: tuple[Integration, str]
) -> Iterator[Alertmanager]:
    host, port = live_server.thread.httpd.server_address[:2]  # "localhost" is bound on IPv4
    webhook = f"http://{host}:{port}/api/v1/events/alertmanager/"
    server = Alertmanager(tmp_path, webhook=webhook, token=integration[1])
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        _settle()


def _settle(timeout: float = 5.0) -> None:
    """Wait until the live server has finished a webhook it was still handling when Alertmanager
    stopped: the database flush after the test would otherwise deadlock with its writes."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        count = Delivery.objects.count()
        if count == last and not Delivery.objects.filter(state=DeliveryState.PENDING).exists():
            return
        last = count
        time.sleep(0.5)


def _alert(ci: str, *, starts: dt.datetime, ends: dt.datetime | None = None) -> dict[str, Any]:
    alert: dict[str, Any] = {
        "labels": {"alertname": "HighCPU", "ci": ci, "severity": "warning", "job": "node"},
        "annotations": {"summary": f"CPU usage high on {ci}", "description": "CPU above 90% for 5 minutes."},
        "startsAt": _stamp(starts),
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=cpu",
    }
    if ends is not None:
        alert["endsAt"] = _stamp(ends)
    return alert


def _state() -> str:
    deliveries = list(Delivery.objects.order_by("id").values_list("id", "state", "signals", "error"))
    alerts = list(
        Alert.objects.order_by("id").values_list("id", "host", "status", "is_open", "ci__name", "incident_id")
    )
    tickets = list(Ticket.objects.order_by("id").values_list("id", "channel", "state_category"))
    return f"deliveries={deliveries}\nalerts={alerts}\ntickets={tickets}"


def _wait(server: Alertmanager, what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if server.process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{_state()}\n--- alertmanager ---\n{server.log()}")


def _monitoring() -> QuerySet[Ticket]:
    return Ticket.objects.filter(channel=Channel.MONITORING)


def _open(host: str) -> Alert | None:
    return Alert.objects.filter(host=host, is_open=True).first()


def test_webhooks_create_update_and_resolve_one_incident(
    shop: Shop, integration: tuple[Integration, str], alertmanager: Alertmanager
) -> None:
    started = timezone.now() - dt.timedelta(seconds=30)

    # (a) one alert fires: one incident, the alert mapped to its CI and service
    alertmanager.push(_alert("web-01", starts=started))

    def opened() -> bool:
        alert = _open("web-01")
        return alert is not None and alert.incident_id is not None and _monitoring().count() == 1

    _wait(alertmanager, "the incident of web-01", opened)
    first = _open("web-01")
    assert first is not None
    assert (first.status, first.severity) == (AlertStatus.FIRING, "warning")
    assert (first.ci_id, first.service_id) == (shop.web1.pk, shop.service.pk)
    assert first.url.startswith("http://prometheus.example:9090/")
    incident = _monitoring().get()
    assert first.incident_id == incident.pk
    assert incident.service_id == shop.service.pk
    assert list(incident.cis.values_list("pk", flat=True)) == [shop.web1.pk]

    # (b) a second alert of the same group (same service) and a repeat of the first: same incident
    alertmanager.push(_alert("web-01", starts=started), _alert("web-02", starts=started))

    def joined() -> bool:
        alert = _open("web-02")
        return alert is not None and alert.incident_id is not None

    _wait(alertmanager, "the alert of web-02 joining the incident", joined)
    second = _open("web-02")
    assert second is not None
    assert second.status == AlertStatus.FIRING
    assert (second.ci_id, second.incident_id) == (shop.web2.pk, incident.pk)
    first.refresh_from_db()
    assert first.is_open and first.incident_id == incident.pk
    assert first.duplicates >= 1  # the group's notification repeats web-01 beside web-02
    assert _monitoring().count() == 1
    # Joining is not written as a note (a storm would bury the incident): the alert lists it.
    assert not incident.comments.filter(body__contains="web-02").exists()
    alertmanager.push(_alert("web-01", starts=started))  # a repeat: no change, no new incident
    time.sleep(1.5)  # more than one group interval
    assert _monitoring().count() == 1

    # (c) both alerts end: both closed as resolved, the incident resolved
    ended = timezone.now() - dt.timedelta(seconds=1)
    alertmanager.push(*(_alert(ci, starts=started, ends=ended) for ci in ("web-01", "web-02")))

    def resolved() -> bool:
        return _monitoring().filter(pk=incident.pk, state_category=StateCategory.RESOLVED).exists()

    _wait(alertmanager, "the incident to be resolved", resolved)
    alerts = list(Alert.objects.order_by("host"))
    assert [(a.host, a.status, a.is_open, a.incident_id) for a in alerts] == [
        ("web-01", AlertStatus.RESOLVED, False, incident.pk),
        ("web-02", AlertStatus.RESOLVED, False, incident.pk),
    ]
    assert _monitoring().count() == 1
    incident.refresh_from_db()
    assert incident.cause_class == "unknown"

    # every webhook was stored and processed in the live server (no failed, rejected or waiting one)
    states = list(Delivery.objects.values_list("state", flat=True))
    assert len(states) >= 3, _state()
    assert set(states) == {DeliveryState.PROCESSED}, _state()
    assert Delivery.objects.filter(remote_addr="127.0.0.1").count() == len(states)
    integration[0].refresh_from_db()
    assert integration[0].last_error == ""
    assert integration[0].last_received_at is not None
