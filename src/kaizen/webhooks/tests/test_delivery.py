"""Delivery to a real HTTP server: signatures, retries, SSRF refusals, pinning, idempotency."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import shutil
import socket
import ssl
import subprocess

import pytest
import time_machine
from django.utils import timezone

from kaizen.core import events
from kaizen.core.models import AuditEntry, OutboxDelivery, OutboxMessage
from kaizen.webhooks import policies, services, tasks, transport
from kaizen.webhooks.choices import DeliveryState
from kaizen.webhooks.models import WebhookDelivery

from . import receiver as receiver_module
from .factories import EndpointFactory

SECRET = "s3cret-for-tests-0123456789abcdef"


@dataclasses.dataclass(frozen=True)
class TicketCreated(events.DomainEvent):
    """Shaped like the tickets app's event; webhooks never import that app."""

    topic = "ticket.created"
    ticket_id: int
    number: str


@dataclasses.dataclass(frozen=True)
class MembershipGranted(events.DomainEvent):
    topic = "accounts.membership_granted"
    membership_id: int


def _endpoint(receiver, **kwargs):
    receiver.secret = SECRET
    defaults = {"url": receiver.url(), "secret": SECRET, "allow_private": True, "topics": ["ticket.*"]}
    return EndpointFactory(**{**defaults, **kwargs})


pytestmark = pytest.mark.django_db


def test_event_is_posted_signed_with_the_documented_body_and_headers(receiver, emit):
    endpoint = _endpoint(receiver)
    message = emit(TicketCreated(ticket_id=7, number="INC-000007"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED, delivery.last_error
    assert delivery.endpoint == endpoint and delivery.message_id == message.pk
    assert delivery.attempts == 1 and delivery.last_status == 200 and delivery.delivered_at is not None
    [request] = receiver.requests
    assert request.signature_ok
    assert request.path == "/hook"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Kaizen-Webhooks/1"
    assert headers["x-kaizen-event"] == "ticket.created"
    assert headers["x-kaizen-delivery"] == str(delivery.pk)
    assert headers["x-kaizen-timestamp"].isdigit()
    assert abs(int(headers["x-kaizen-timestamp"]) - timezone.now().timestamp()) < 60
    assert headers["host"] == f"127.0.0.1:{receiver.port}"
    expected = hmac.new(
        SECRET.encode(), headers["x-kaizen-timestamp"].encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert headers["x-kaizen-signature"] == f"sha256={expected}"
    body = request.json()
    assert body == {
        "id": delivery.pk,
        "topic": "ticket.created",
        "created_at": delivery.created_at.isoformat(),
        "data": {"ticket_id": 7, "number": "INC-000007"},
    }


def test_only_active_endpoints_subscribed_to_the_topic_get_a_delivery(receiver, emit):
    prefix = _endpoint(receiver, topics=["ticket.*"])
    exact = _endpoint(receiver, topics=["ticket.created"])
    accounts = _endpoint(receiver, topics=["accounts.membership_granted"])
    _endpoint(receiver, topics=["*"], is_active=False)
    _endpoint(receiver, topics=["ticket.updated"])
    emit(TicketCreated(ticket_id=1, number="INC-1"))
    assert set(WebhookDelivery.objects.values_list("endpoint", flat=True)) == {prefix.pk, exact.pk}
    assert len(receiver.requests) == 2
    everything = _endpoint(receiver, topics=["*"])
    emit(MembershipGranted(membership_id=3))
    granted = WebhookDelivery.objects.filter(topic="accounts.membership_granted")
    assert set(granted.values_list("endpoint", flat=True)) == {accounts.pk, everything.pk}


def test_redelivered_outbox_message_creates_no_second_delivery(receiver, emit):
    _endpoint(receiver)
    message = emit(TicketCreated(ticket_id=2, number="INC-2"))
    assert WebhookDelivery.objects.count() == 1
    # As if the worker crashed after the handler's effect but before the bookkeeping.
    OutboxDelivery.objects.filter(message=message).delete()
    OutboxMessage.objects.filter(pk=message.pk).update(delivered_at=None)
    assert events.deliver(message.pk)
    payload = {**message.payload, "_topic": message.topic, "_message_id": message.pk}
    assert services.queue_event(payload) == []
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.requests) == 1


def test_a_500_is_retried_with_back_off_by_the_periodic_job(receiver, emit):
    receiver.statuses = [500]
    _endpoint(receiver)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        emit(TicketCreated(ticket_id=3, number="INC-3"))
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == DeliveryState.PENDING
        assert delivery.attempts == 1 and delivery.last_status == 500
        assert delivery.last_error.startswith("HTTP 500") and len(delivery.last_error) <= 250
        assert delivery.next_attempt_at == timezone.now() + dt.timedelta(seconds=60)
        tasks.send_due_webhooks.call_local()  # not due yet
        assert len(receiver.requests) == 1
        traveller.shift(dt.timedelta(seconds=61))
        tasks.send_due_webhooks.call_local()
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 2
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.signature_ok and second.signature_ok
    assert first.body == second.body
    assert first.headers["X-Kaizen-Delivery"] == second.headers["X-Kaizen-Delivery"]


def test_failing_endpoint_follows_the_schedule_then_fails(receiver, emit):
    receiver.statuses = [503] * 10
    _endpoint(receiver)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        emit(TicketCreated(ticket_id=4, number="INC-4"))
        for wait in policies.BACKOFF_SECONDS:
            delivery = WebhookDelivery.objects.get()
            assert delivery.state == DeliveryState.PENDING
            assert delivery.next_attempt_at == timezone.now() + dt.timedelta(seconds=wait)
            traveller.shift(dt.timedelta(seconds=wait - 1))
            tasks.send_due_webhooks.call_local()
            assert WebhookDelivery.objects.get().attempts == delivery.attempts  # one second early
            traveller.shift(dt.timedelta(seconds=1))
            tasks.send_due_webhooks.call_local()
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == DeliveryState.FAILED
        assert delivery.attempts == policies.MAX_ATTEMPTS == 6
        assert delivery.next_attempt_at is None and delivery.last_status == 503
        traveller.shift(dt.timedelta(days=2))
        tasks.send_due_webhooks.call_local()
    assert len(receiver.requests) == 6


def test_redirect_is_not_followed_and_counts_as_a_failure(receiver, emit):
    receiver.statuses = [302]
    _endpoint(receiver)
    emit(TicketCreated(ticket_id=5, number="INC-5"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and delivery.last_status == 302
    assert "redirect" in delivery.last_error.lower() or "リダイレクト" in delivery.last_error
    assert len(receiver.requests) == 1


def test_timeout_and_refused_connection_are_retried(emit, settings):
    settings.WEBHOOK_TIMEOUT = 1
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    try:
        EndpointFactory(url=f"http://127.0.0.1:{silent.getsockname()[1]}/", allow_private=True)
        EndpointFactory(url=f"http://127.0.0.1:{closed_port}/", allow_private=True)
        emit(TicketCreated(ticket_id=6, number="INC-6"))
    finally:
        silent.close()
    for delivery in WebhookDelivery.objects.all():
        assert delivery.state == DeliveryState.PENDING, delivery.last_error
        assert delivery.attempts == 1 and delivery.last_status is None and delivery.last_error
        assert delivery.next_attempt_at is not None


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.0.0.1",
        "169.254.169.254",
        "::1",
        "192.168.1.10",
        "0.0.0.0",
        "::ffff:127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
    ],
)
def test_private_targets_are_refused_without_allow_private(receiver, emit, host):
    # Written directly: model validation already refuses these, the delivery-time check is the guard.
    url = receiver.url(host=host)
    EndpointFactory(url=url, allow_private=False, secret=SECRET, topics=["*"])
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        emit(TicketCreated(ticket_id=8, number="INC-8"))
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == DeliveryState.REFUSED
        assert delivery.next_attempt_at is None and delivery.attempts == 1
        assert delivery.last_error
        traveller.shift(dt.timedelta(hours=12))
        tasks.send_due_webhooks.call_local()
    assert WebhookDelivery.objects.get().attempts == 1  # refused is final: no retry
    assert receiver.requests == []


def test_same_target_is_delivered_with_allow_private(receiver, emit):
    _endpoint(receiver, url=receiver.url(host="localhost"), topics=["*"])
    emit(TicketCreated(ticket_id=9, number="INC-9"))
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED
    assert receiver.requests[0].headers["Host"] == f"localhost:{receiver.port}"


def test_ipv6_loopback_is_delivered_with_allow_private(emit):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        context = receiver_module.running(host="::1")
        server = context.__enter__()
    except OSError:
        pytest.skip("no IPv6 loopback")
    try:
        _endpoint(server, url=server.url(host="::1"))
        emit(TicketCreated(ticket_id=10, number="INC-10"))
        assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED
        assert server.requests[0].headers["Host"] == f"[::1]:{server.port}"
    finally:
        context.__exit__(None, None, None)


@pytest.mark.parametrize(
    "addresses",
    [["10.20.30.40"], ["93.184.215.14", "192.168.0.1"], ["fd12:3456::1"], ["fe80::1"], ["100.64.0.1"]],
)
def test_names_resolving_to_any_private_address_are_refused(receiver, emit, fake_dns, addresses):
    fake_dns.answers["hooks.example.com"] = addresses
    EndpointFactory(url="https://hooks.example.com/in", allow_private=False)
    emit(TicketCreated(ticket_id=11, number="INC-11"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.REFUSED
    assert "hooks.example.com" in delivery.last_error


def test_connection_is_pinned_to_the_vetted_address(receiver, emit, fake_dns):
    # The name is rebound after the first answer: the request must still go to the vetted address.
    fake_dns.answers["chat.bridge.test"] = ["127.0.0.1"]
    fake_dns.later["chat.bridge.test"] = ["10.99.99.99"]
    _endpoint(receiver, url=f"http://chat.bridge.test:{receiver.port}/hook")
    emit(TicketCreated(ticket_id=12, number="INC-12"))
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED
    assert fake_dns.calls["chat.bridge.test"] == 1
    assert receiver.requests[0].headers["Host"] == f"chat.bridge.test:{receiver.port}"


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.test",
            "-addext", "subjectAltName=DNS:hooks.test",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def test_https_verifies_the_certificate_against_the_original_host_name(
    emit, fake_dns, certificate, monkeypatch
):
    cert, _key = certificate
    monkeypatch.setattr(transport, "_context", lambda: ssl.create_default_context(cafile=cert))
    fake_dns.answers["hooks.test"] = ["127.0.0.1"]
    fake_dns.answers["other.test"] = ["127.0.0.1"]
    with receiver_module.running(tls=certificate) as server:
        good = _endpoint(server, url=f"https://hooks.test:{server.port}/hook")
        bad = _endpoint(server, url=f"https://other.test:{server.port}/hook")
        emit(TicketCreated(ticket_id=13, number="INC-13"))
        assert WebhookDelivery.objects.get(endpoint=good).state == DeliveryState.DELIVERED
        wrong = WebhookDelivery.objects.get(endpoint=bad)
        assert wrong.state == DeliveryState.PENDING and "TLS" in wrong.last_error
        assert len(server.requests) == 1
        assert server.requests[0].headers["Host"] == f"hooks.test:{server.port}"


def test_test_event_goes_to_one_endpoint_even_when_inactive_and_is_audited(receiver, run_jobs, admin):
    endpoint = _endpoint(receiver, is_active=False, topics=["ticket.created"])
    _endpoint(receiver, topics=["*"])
    with run_jobs():
        delivery = services.send_test(endpoint.pk, actor=admin)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    [request] = receiver.requests
    assert request.headers["X-Kaizen-Event"] == "webhook.ping" and request.signature_ok
    assert request.json()["data"] == {"endpoint": endpoint.pk, "message": "ping"}
    assert AuditEntry.objects.filter(record_id=str(endpoint.pk), action="webhook_test").exists()


def test_deliveries_of_an_inactive_endpoint_wait(receiver, emit):
    endpoint = _endpoint(receiver)
    receiver.statuses = [500]
    emit(TicketCreated(ticket_id=14, number="INC-14"))
    type(endpoint).objects.filter(pk=endpoint.pk).update(is_active=False)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=2)):
        assert services.due_deliveries() == []
        tasks.send_due_webhooks.call_local()
    assert len(receiver.requests) == 1


def test_a_due_attempt_is_made_once_even_if_queued_twice(receiver, emit):
    receiver.statuses = [500]
    _endpoint(receiver)
    emit(TicketCreated(ticket_id=15, number="INC-15"))
    delivery = WebhookDelivery.objects.get()
    assert services.attempt(delivery.pk) == DeliveryState.PENDING  # not due: nothing sent
    assert len(receiver.requests) == 1


def test_refused_delivery_is_sent_again_after_the_endpoint_is_fixed(receiver, emit, run_jobs, admin):
    endpoint = EndpointFactory(url=receiver.url(), allow_private=False, secret=SECRET)
    receiver.secret = SECRET
    emit(TicketCreated(ticket_id=16, number="INC-16"))
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.REFUSED
    with run_jobs():
        services.update_endpoint(endpoint.pk, actor=admin, changes={"allow_private": True}, version=1)
        services.redeliver(delivery.pk, actor=admin)
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
    assert receiver.requests[0].signature_ok
    assert AuditEntry.objects.filter(record_id=str(endpoint.pk), action="webhook_redeliver").exists()
