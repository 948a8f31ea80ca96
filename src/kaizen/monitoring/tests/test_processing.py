"""From the intake to incidents: dedup, severity, resolve, reopen, flapping, CI mapping, inhibition."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from kaizen.monitoring import processing, services
from kaizen.monitoring.choices import AlertStatus, DeliveryState, EventKind, Suppression
from kaizen.monitoring.models import Alert, Delivery, Event, MaintenanceWindow
from kaizen.tickets.choices import Channel, StateCategory
from kaizen.tickets.models import Ticket

from .conftest import Shop, payload

pytestmark = pytest.mark.django_db


def _am(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {"version": "4", "status": status, "receiver": "kaizen", "groupKey": "g", "alerts": list(alerts)}


def _alert(
    name: str, ci: str, *, status: str = "firing", severity: str = "critical", fp: str | None = None
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "ci": ci, "severity": severity},
        "annotations": {"summary": f"{name} on {ci}"},
        "startsAt": "2026-11-22T12:06:56Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-22T12:30:00Z",
        "fingerprint": fp or f"{name}-{ci}",
    }


def test_sample_payload_opens_one_incident_per_service_with_the_cis(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    response = post("alertmanager", payload("alertmanager-webhook-v4.json"), token)
    assert response.status_code == 202, response.content
    assert response.json()["duplicate"] is False
    alerts = list(Alert.objects.order_by("dedup_key"))
    assert [a.dedup_key for a in alerts] == ["22bb82064964be17", "8c48c08e86e8f4dd"]
    assert {a.ci_id for a in alerts} == {shop.web1.pk, shop.web2.pk}
    assert {a.status for a in alerts} == {AlertStatus.FIRING}
    incidents = list(Ticket.objects.filter(channel=Channel.MONITORING))
    assert len(incidents) == 1  # both servers of one service, within the grouping window
    incident = incidents[0]
    assert incident.service_id == shop.service.pk
    assert incident.urgency == 1
    assert {a.incident_id for a in alerts} == {incident.pk}
    assert Delivery.objects.get().state == DeliveryState.PROCESSED
    assert Event.objects.filter(kind=EventKind.OPENED).count() == 2


def test_redelivery_is_stored_once(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    body = payload("alertmanager-webhook-v4.json")
    first = post("alertmanager", body, token).json()
    again = post("alertmanager", body, token).json()
    assert again == {**first, "duplicate": True}
    assert Delivery.objects.count() == 1
    assert Event.objects.count() == 2


def test_repeat_counts_as_duplicate_and_severity_change_is_noted(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Disk", "db-01", severity="warning")), token)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=1)):
        post(
            "alertmanager",
            _am(
                _alert("Disk", "db-01", severity="warning"),
                {**_alert("Disk", "db-01", severity="warning"), "startsAt": "2026-11-22T12:07:00Z"},
            ),
            token,
        )
    alert = Alert.objects.get()
    assert alert.duplicates == 2
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        post("alertmanager", _am(_alert("Disk", "db-01", severity="critical")), token)
    alert.refresh_from_db()
    assert (alert.previous_severity, alert.severity, alert.trend) == ("warning", "critical", "up")
    incident = Ticket.objects.get(pk=alert.incident_id)
    assert incident.comments.filter(body__contains="warning → critical").exists()


def test_severity_notes_are_written_at_most_once_a_minute_but_a_clear_still_resolves(
    shop: Shop, post: Any
) -> None:
    _integration, token = shop.integration()
    start = timezone.now()
    post("alertmanager", _am(_alert("Disk", "db-01", severity="warning")), token)
    incident = Ticket.objects.get(channel=Channel.MONITORING)
    for seconds, severity in ((60, "critical"), (80, "warning"), (100, "critical"), (125, "warning")):
        with time_machine.travel(start + dt.timedelta(seconds=seconds)):
            post("alertmanager", _am(_alert("Disk", "db-01", severity=severity)), token)
    notes = list(incident.comments.filter(channel=Channel.MONITORING).values_list("body", flat=True))
    assert len(notes) == 2, notes  # at 60 s and at 125 s: the two changes between are on the alert
    assert "warning → critical" in notes[0] and "critical → warning" in notes[1]
    assert Event.objects.filter(kind=EventKind.SEVERITY).count() == 4
    with time_machine.travel(start + dt.timedelta(seconds=130)):
        post("alertmanager", _am(_alert("Disk", "db-01", status="resolved")), token)
    incident.refresh_from_db()
    assert incident.state_category == StateCategory.RESOLVED


def test_resolved_clears_alerts_and_resolves_the_incident_then_a_refire_reopens_it(
    shop: Shop, post: Any
) -> None:
    _integration, token = shop.integration()
    post("alertmanager", payload("alertmanager-webhook-v4.json"), token)
    incident = Ticket.objects.get(channel=Channel.MONITORING)
    post("alertmanager", payload("alertmanager-webhook-v4-resolved.json"), token)
    assert not Alert.objects.filter(is_open=True).exists()
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.RESOLVED}
    incident.refresh_from_db()
    assert incident.state_category == StateCategory.RESOLVED
    assert incident.cause_class == "unknown"
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5)):
        post("alertmanager", _am(_alert("HighCPU", "web-01", fp="8c48c08e86e8f4dd")), token)
    incident.refresh_from_db()
    assert incident.state_category == StateCategory.OPEN  # reopened, not a second incident
    assert Ticket.objects.filter(channel=Channel.MONITORING).count() == 1
    assert Alert.objects.filter(is_open=True).get().incident_id == incident.pk


def test_flapping_key_gives_exactly_one_incident(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    start = timezone.now()
    for n in range(12):
        with time_machine.travel(start + dt.timedelta(minutes=n)):
            status = "firing" if n % 2 == 0 else "resolved"
            post("alertmanager", _am(_alert("Ping", "db-01", status=status)), token)
    assert Ticket.objects.filter(channel=Channel.MONITORING).count() == 1
    assert Alert.objects.filter(flapping=True).exists()
    incident = Ticket.objects.get(channel=Channel.MONITORING)
    assert incident.comments.count() < 12


def test_switch_down_inhibits_the_servers_behind_it(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    body = _am(
        _alert("Down", "web-01"),
        _alert("Down", "switch-01"),
        _alert("Down", "db-01"),
        _alert("Down", "web-02"),
    )
    post("alertmanager", body, token)
    assert Ticket.objects.filter(channel=Channel.MONITORING).count() == 1
    switch = Alert.objects.get(ci=shop.switch)
    behind = Alert.objects.exclude(pk=switch.pk)
    assert {a.suppressed for a in behind} == {Suppression.INHIBITED}
    assert {a.inhibited_by_id for a in behind} == {switch.pk}
    assert {a.incident_id for a in behind} == {switch.incident_id}


def test_maintenance_window_keeps_events_but_opens_no_incident(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    window = MaintenanceWindow.objects.create(
        organisation=shop.org,
        name="月次パッチ",
        starts_at=timezone.now() - dt.timedelta(minutes=5),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    window.cis.add(shop.db)
    post("alertmanager", _am(_alert("Reboot", "db-01")), token)
    alert = Alert.objects.get()
    assert alert.suppressed == Suppression.MAINTENANCE
    assert alert.incident_id is None
    assert Event.objects.filter(alert=alert).exists()
    assert not Ticket.objects.filter(channel=Channel.MONITORING).exists()


def test_change_in_progress_on_the_ci_opens_no_incident_and_notes_the_change(shop: Shop, post: Any) -> None:
    from kaizen.approvals import services as approvals
    from kaizen.approvals.models import Approval
    from kaizen.changes.choices import BoardKind
    from kaizen.changes.tests.factories import act, board, change, setup_changes, window
    from kaizen.tickets.models import Comment
    from kaizen.tickets.tests.factories import user_with_role

    setup_changes()
    ecab = user_with_role("manager", shop.org)
    board(BoardKind.ECAB, ecab)
    patch = change(
        shop.org,
        change_type="emergency",
        cis=[shop.db.pk],
        plans={"reason": "r", "implementation_plan": "p"},
        when=window(0.01, 2),
    )
    act(patch, "submit", override_reason="緊急")
    approvals.decide(Approval.objects.get(ticket=patch).pk, actor=ecab, approve=True)
    act(patch, "implement")
    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Reboot", "db-01")), token)
    alert = Alert.objects.get()
    assert alert.suppressed == Suppression.CHANGE and alert.incident_id is None
    assert not Ticket.objects.filter(channel=Channel.MONITORING).exists()
    assert Comment.objects.filter(ticket=patch, body__contains="Reboot").exists()
    act(patch, "complete")
    post("alertmanager", _am(_alert("Reboot", "db-01", severity="warning")), token)
    post("alertmanager", _am(_alert("Disk", "db-01")), token)
    assert Ticket.objects.filter(channel=Channel.MONITORING).count() == 1  # after the change: incidents again


def test_minimum_duration_holds_the_alert_until_it_lasts(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration(min_duration=300)
    post("alertmanager", _am(_alert("Slow", "db-01")), token)
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.PENDING
    assert not Ticket.objects.exists()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert processing.promote() == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING and alert.incident_id is not None


def test_short_blip_within_minimum_duration_opens_nothing(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration(min_duration=300)
    post("alertmanager", _am(_alert("Blip", "db-01")), token)
    post("alertmanager", _am(_alert("Blip", "db-01", status="resolved"), status="resolved"), token)
    assert not Ticket.objects.exists()
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_silent_alert_expires(shop: Shop, post: Any) -> None:
    integration, token = shop.integration(expire_after=60)
    post("alertmanager", _am(_alert("Stuck", "db-01")), token)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61)):
        assert processing.expire() == 1
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.EXPIRED and not alert.is_open
    assert Ticket.objects.get(pk=alert.incident_id).state_category == StateCategory.RESOLVED
    assert integration.alerts.count() == 1


def test_thresholds_with_hysteresis_set_the_severity(shop: Shop, post: Any) -> None:
    rules = [{"metric": "cpu", "warning": 80, "critical": 90, "hysteresis": 5}]
    _integration, token = shop.integration("generic", thresholds=rules)
    base = {"resource": "db-01", "event": "cpu", "metric": "cpu", "environment": "Production"}
    post("generic", {**base, "value": 92}, token)
    assert Alert.objects.get().severity == "critical"
    post("generic", {**base, "value": 88}, token)  # within the margin: stays critical
    assert Alert.objects.get().severity == "critical"
    post("generic", {**base, "value": 84}, token)
    assert Alert.objects.get().severity == "warning"
    post("generic", {**base, "value": 70}, token)
    assert not Alert.objects.filter(is_open=True).exists()


def test_broken_delivery_is_marked_and_others_still_processed(shop: Shop, post: Any) -> None:
    integration, token = shop.integration()
    response = post("alertmanager", {"version": "4", "alerts": "not a list"}, token)
    assert response.status_code == 202
    bad = Delivery.objects.get()
    assert bad.state == DeliveryState.REJECTED and bad.error
    integration.refresh_from_db()
    assert integration.last_error
    post("alertmanager", _am(_alert("Ok", "db-01")), token)
    assert Alert.objects.count() == 1


def test_resolved_without_open_alert_is_logged_and_ignored(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Gone", "db-01", status="resolved"), status="resolved"), token)
    assert not Alert.objects.exists()
    assert Event.objects.get().kind == EventKind.IGNORED


def test_ten_thousand_alerts_in_one_body(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration(create_incidents=False)
    body = _am(*[_alert("Storm", f"host-{n % 500}", fp=f"k{n % 500}") for n in range(10_000)])
    response = post("alertmanager", body, token)
    assert response.status_code == 202
    assert Alert.objects.filter(is_open=True).count() == 500
    assert Event.objects.count() == 10_000
    assert sum(Alert.objects.values_list("duplicates", flat=True)) == 9_500


def test_one_alert_per_key_when_applied_twice_concurrently_in_one_process(shop: Shop) -> None:
    integration, _token = shop.integration(create_incidents=False)
    from kaizen.monitoring.sources import parse

    signals = parse("alertmanager", _am(_alert("Race", "db-01")), received_at=timezone.now())
    processing.apply(integration, signals, delivery=None, now=timezone.now())
    processing.apply(integration, copy.deepcopy(signals), delivery=None, now=timezone.now())
    assert Alert.objects.filter(is_open=True).count() == 1
    assert Alert.objects.get().duplicates == 1


def test_acknowledge_and_silence_are_audited(shop: Shop, post: Any) -> None:
    from kaizen.core.models import AuditEntry

    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Ack", "db-01")), token)
    alert = Alert.objects.get()
    services.acknowledge(alert.pk, actor=shop.agent)
    services.silence(alert.pk, actor=shop.agent, until=timezone.now() + dt.timedelta(hours=1))
    actions = set(AuditEntry.objects.filter(record_type="monitoring.alert").values_list("action", flat=True))
    assert {"acknowledge", "silence"} <= actions


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_alert_concurrently_make_one_open_alert() -> None:
    import threading

    from django.db import connection, transaction

    from kaizen.monitoring.sources import parse

    shop = Shop()
    integration, _token = shop.integration(create_incidents=False)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            signals = parse("alertmanager", _am(_alert("Race", "db-01")), received_at=timezone.now())
            barrier.wait(timeout=10)
            with transaction.atomic():
                processing.apply(integration, signals, delivery=None, now=timezone.now())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert Alert.objects.filter(is_open=True).count() == 1
    alert = Alert.objects.get()
    assert alert.duplicates == 1
    assert Event.objects.count() == 2


def test_incident_page_lists_its_alerts(shop: Shop, post: Any, client: Any) -> None:
    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Panel", "db-01"), _alert("Panel2", "web-01")), token)
    incident = Ticket.objects.filter(channel=Channel.MONITORING).first()
    assert incident is not None
    client.force_login(shop.agent)
    page = client.get(f"/desk/tickets/{incident.pk}/").content.decode()
    assert "alerts-title" in page
    assert all(a.title in page for a in Alert.objects.filter(incident=incident))
    stranger = client.get(f"/desk/tickets/{incident.pk}/")
    assert stranger.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_batch_being_processed_does_not_hold_the_intake() -> None:
    """The claim locks the integration row without blocking the intake's foreign key check."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes the database write lock for the whole batch (one writer)")
    shop = Shop()
    integration, _token = shop.integration(create_incidents=False)
    Delivery.objects.create(  # pending, no wake-up: the thread below plays the drain job
        integration=integration, received_at=timezone.now(), body=json_body(_am(_alert("Held", "db-01")))
    )
    claimed, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            with transaction.atomic():
                assert len(processing.claim()) == 1
                claimed.set()
                release.wait(timeout=10)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=drain)
    thread.start()
    try:
        assert claimed.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            received = services.receive(integration, body=b'{"alerts": []}')
        assert not received.duplicate
    finally:
        release.set()
        thread.join(timeout=30)
    assert errors == []


def test_the_drain_job_looks_again_after_clearing_its_flag(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A delivery committed while the flag was still set (no job queued for it) is processed."""
    from huey.contrib.djhuey import HUEY

    from kaizen.monitoring import tasks

    integration, _token = shop.integration(create_incidents=False)
    real, calls = processing.drain, []

    def drain(**kwargs: Any) -> int:
        done = real(**kwargs)
        calls.append(done)
        if len(calls) == 1:  # after the job's last claim, before it clears the flag
            services.receive(integration, body=json_body(_am(_alert("Late", "db-01"))))
        return done

    monkeypatch.setattr(processing, "drain", drain)
    HUEY.storage.pop_data(tasks.FLAG)
    assert HUEY.storage.put_if_empty(tasks.FLAG, b"1")  # as the intake does before queuing the job
    assert tasks.drain_deliveries.call_local() == 1
    assert not Delivery.objects.filter(state=DeliveryState.PENDING).exists()
    assert Alert.objects.count() == 1
    assert HUEY.storage.put_if_empty(tasks.FLAG, b"1")  # the flag was cleared: the next wake queues
    HUEY.storage.pop_data(tasks.FLAG)


def json_body(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


def _alert_updates(queries: Any) -> list[str]:
    """The UPDATEs of alerts among captured queries (an executemany is captured as "N times: ...")."""
    sqls = [re.sub(r"^\d+ times: ", "", q["sql"]) for q in queries]
    return [sql for sql in sqls if sql.startswith('UPDATE "monitoring_alert"')]


def test_a_repeat_writes_only_what_changed_and_every_change_is_stored(shop: Shop, post: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Load", "db-01", severity="warning")), token)
    repeat_body = {**_alert("Load", "db-01", severity="warning"), "startsAt": "2026-11-22T12:07:00Z"}
    with CaptureQueriesContext(connection) as repeat:  # a new body (not a retry), the same alert
        post("alertmanager", _am(repeat_body), token)
    updates = _alert_updates(repeat.captured_queries)
    assert len(updates) == 1
    assert '"duplicates"' in updates[0] and '"last_seen_at"' in updates[0]
    assert '"labels"' not in updates[0] and '"annotations"' not in updates[0] and '"title"' not in updates[0]
    alert = Alert.objects.get()
    assert (alert.duplicates, alert.events) == (1, 2)

    changed = _alert("Load", "db-01", severity="warning")
    changed["labels"] = {**changed["labels"], "team": "dba"}
    changed["annotations"] = {"summary": "負荷が高い db-01"}
    with CaptureQueriesContext(connection) as second:
        post("alertmanager", _am(changed), token)
    updates = _alert_updates(second.captured_queries)
    assert len(updates) == 1 and '"labels"' in updates[0] and '"annotations"' in updates[0]
    alert.refresh_from_db()
    assert alert.labels["team"] == "dba"
    assert alert.annotations == {"summary": "負荷が高い db-01"}
    assert alert.title == "負荷が高い db-01"
    assert (alert.duplicates, alert.events, alert.severity) == (2, 3, "warning")

    post("alertmanager", _am(_alert("Load", "db-01", severity="critical")), token)
    alert.refresh_from_db()
    assert (alert.previous_severity, alert.severity, alert.trend, alert.labels.get("team")) == (
        "warning",
        "critical",
        "up",
        None,
    )
    post("alertmanager", _am(_alert("Load", "db-01", status="resolved")), token)
    alert.refresh_from_db()
    assert (alert.is_open, alert.status) == (False, AlertStatus.RESOLVED)
    assert alert.closed_at is not None


def test_a_new_alert_is_stored_with_its_ci_and_service_in_its_insert(shop: Shop, post: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _integration, token = shop.integration()
    with CaptureQueriesContext(connection) as opened:
        post("alertmanager", _am(_alert("Down", "web-01")), token)
    assert not [sql for sql in _alert_updates(opened.captured_queries) if '"ci_id"' in sql]
    alert = Alert.objects.get()
    assert (alert.ci_id, alert.service_id) == (shop.web1.pk, shop.service.pk)
    assert alert.incident_id is not None


def test_alerts_of_one_service_in_later_deliveries_join_its_open_incident(shop: Shop, post: Any) -> None:
    _integration, token = shop.integration()
    post("alertmanager", _am(_alert("Down", "web-01")), token)
    first = Alert.objects.get()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        post("alertmanager", _am(_alert("Down", "web-02"), _alert("Disk", "db-01")), token)
    second = Alert.objects.get(dedup_key="Down-web-02")
    assert second.incident_id == first.incident_id  # same service, within the grouping window
    other = Alert.objects.get(dedup_key="Disk-db-01")
    assert other.incident_id not in (None, first.incident_id)  # db-01 serves no service: its own
    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        post("alertmanager", _am(_alert("Disk", "db-01", fp="Disk-db-01-b")), token)
    later = Alert.objects.get(dedup_key="Disk-db-01-b")
    assert later.incident_id not in (None, other.incident_id)  # outside the window: a new incident
