"""Every write of the webhooks domain: keyword-only, one transaction, authorised, audited.

Endpoints are records written through the core services. Deliveries are bookkeeping of the
delivery job (like the outbox itself); the administrator actions on them (test event, redeliver)
are authorised and audited on the endpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.core import access, audit
from kaizen.core.services import create_record, delete_record, update_record

from . import policies, transport
from .choices import DeliveryState
from .models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("kaizen.webhooks")

USER_AGENT = "Kaizen-Webhooks/1"
LEASE_MARGIN_SECONDS = 60
"""A claimed attempt is considered lost (worker crash) after the timeout plus this margin."""
DUE_BATCH = 500


def _require_private_right(actor: Any, data: Mapping[str, Any], current: WebhookEndpoint | None) -> None:
    """Only global administrators may let an endpoint reach private addresses."""
    wants = bool(data.get("allow_private", current.allow_private if current else False))
    had = bool(current.allow_private) if current else False
    if wants and not had and access.org_scope(actor, {access.Role.ADMIN}) is not access.ALL:
        raise PermissionDenied(_("Only administrators may allow private targets."))


def create_endpoint(*, actor: Any, data: Mapping[str, Any]) -> WebhookEndpoint:
    """Add a webhook endpoint (administrators); an empty secret is generated."""
    with transaction.atomic():
        _require_private_right(actor, data, None)
        return create_record(WebhookEndpoint, actor=actor, data=data)


def update_endpoint(
    endpoint_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> WebhookEndpoint:
    """Change an endpoint if ``version`` is current; ``secret=""`` generates a new secret."""
    with transaction.atomic():
        current = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
        if current is not None:
            _require_private_right(actor, changes, current)
        return update_record(
            WebhookEndpoint, endpoint_id, actor=actor, changes=changes, expected_version=version
        )


def delete_endpoint(endpoint_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete an endpoint and its delivery log."""
    delete_record(WebhookEndpoint, endpoint_id, actor=actor, expected_version=version)


def _queue_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    def _enqueue() -> None:
        from kaizen.webhooks.tasks import deliver_webhook

        for delivery_id in delivery_ids:
            try:
                deliver_webhook(delivery_id)
            except Exception:  # the broker may be down; the periodic job sends it later
                log.warning("could not queue webhook delivery %s", delivery_id, exc_info=True)

    transaction.on_commit(_enqueue)


def event_data(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return the event fields of an outbox payload (without ``_topic``, ``_message_id``, ...)."""
    return {k: v for k, v in payload.items() if not str(k).startswith("_")}


def queue_event(payload: Mapping[str, Any]) -> list[int]:
    """Create one delivery per active endpoint subscribed to the event's topic; queue them.

    Called by the wildcard outbox handler with the event fields plus ``_topic`` and
    ``_message_id``. A message handled twice creates no second delivery (unique per endpoint).
    """
    topic = str(payload.get("_topic") or "")
    message_id = payload.get("_message_id")
    if not topic or topic == policies.PING_TOPIC:
        return []
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(topic)]
    if not endpoints:
        return []
    data = event_data(payload)
    now = timezone.now()
    created: list[int] = []
    with transaction.atomic():
        for endpoint in endpoints:
            if (
                message_id is not None
                and WebhookDelivery.objects.filter(endpoint=endpoint, message_id=message_id).exists()
            ):
                continue
            try:
                with transaction.atomic():
                    delivery = WebhookDelivery.objects.create(
                        endpoint=endpoint,
                        message_id=message_id,
                        topic=topic,
                        payload=data,
                        next_attempt_at=now,
                    )
            except IntegrityError:
                continue  # created concurrently by another worker
            created.append(delivery.pk)
        _queue_after_commit(created)
    return created


def _require_change(actor: Any, endpoint: WebhookEndpoint) -> None:
    if not access.can(actor, "change", WebhookEndpoint, obj=endpoint):
        raise PermissionDenied(_("You do not have permission to do this."))


def send_test(endpoint_id: int, *, actor: Any) -> WebhookDelivery:
    """Queue a ``webhook.ping`` delivery to this endpoint only (also when it is inactive)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
        _require_change(actor, endpoint)
        now = timezone.now()
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            topic=policies.PING_TOPIC,
            payload={"endpoint": endpoint.pk, "message": "ping"},
            next_attempt_at=now,
        )
        audit.record(endpoint, action="webhook_test", meta={"delivery": delivery.pk})
        _queue_after_commit([delivery.pk])
    return delivery


def redeliver(delivery_id: int, *, actor: Any) -> WebhookDelivery:
    """Send a failed or refused delivery again, with a fresh retry schedule."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery_id)
        _require_change(actor, delivery.endpoint)
        if delivery.state not in (DeliveryState.FAILED, DeliveryState.REFUSED):
            raise ValidationError(_("Only failed or refused deliveries can be sent again."))
        before = {"state": delivery.state, "attempts": delivery.attempts, "last_error": delivery.last_error}
        delivery.state = DeliveryState.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.last_error = ""
        delivery.last_status = None
        delivery.save(update_fields=["state", "attempts", "next_attempt_at", "last_error", "last_status"])
        audit.record(delivery.endpoint, action="webhook_redeliver", meta={"delivery": delivery.pk, **before})
        _queue_after_commit([delivery.pk])
    return delivery


def body_of(delivery: WebhookDelivery) -> bytes:
    """Return the JSON body sent for ``delivery`` (the same bytes on every attempt)."""
    document = {
        "id": delivery.pk,
        "topic": delivery.topic,
        "created_at": delivery.created_at.isoformat(),
        "data": event_data(delivery.payload if isinstance(delivery.payload, dict) else {}),
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def headers_of(delivery: WebhookDelivery, body: bytes, *, secret: str, timestamp: int) -> dict[str, str]:
    """Return the headers of one attempt, with the signature over ``timestamp`` and ``body``."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Kaizen-Event": delivery.topic,
        "X-Kaizen-Delivery": str(delivery.pk),
        "X-Kaizen-Timestamp": str(timestamp),
        "X-Kaizen-Signature": policies.signature(secret, timestamp, body),
    }


def _claim(delivery_id: int, now: Any, timeout: float) -> bool:
    """Take one due attempt of a delivery; False when it is not due or another worker has it.

    Test events go out even while their endpoint is inactive (to check it before enabling it).
    """
    lease = now + timedelta(seconds=timeout + LEASE_MARGIN_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, state=DeliveryState.PENDING)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .filter(Q(endpoint__is_active=True) | Q(topic=policies.PING_TOPIC))
        .update(next_attempt_at=lease, attempts=F("attempts") + 1)
    )
    return claimed == 1


def attempt(delivery_id: int) -> str:
    """Make one due attempt of a delivery and record its outcome; return the resulting state.

    The attempt is claimed first (a lease in ``next_attempt_at``), so concurrent jobs never send
    it twice at once and one lost with a crashed worker is picked up again by the periodic job.
    The HTTP request runs outside any transaction.
    """
    timeout = float(settings.WEBHOOK_TIMEOUT)
    now = timezone.now()
    if not _claim(delivery_id, now, timeout):
        state = WebhookDelivery.objects.filter(pk=delivery_id).values_list("state", flat=True).first()
        return str(state or "")
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:  # the endpoint was deleted meanwhile
        return ""
    endpoint = delivery.endpoint
    body = body_of(delivery)
    timestamp = int(timezone.now().timestamp())
    headers = headers_of(delivery, body, secret=endpoint.secret, timestamp=timestamp)
    try:
        answer = transport.post(
            endpoint.url, body, headers, allow_private=endpoint.allow_private, timeout=timeout
        )
    except transport.Refused as exc:
        return _finish(delivery, DeliveryState.REFUSED, error=str(exc))
    except transport.TransportError as exc:
        return _retry_or_fail(delivery, status=None, error=str(exc))
    except Exception as exc:  # never leave a claimed delivery without an outcome
        log.exception("webhook delivery %s failed unexpectedly", delivery_id)
        return _retry_or_fail(delivery, status=None, error=repr(exc))
    status = answer.status
    if 200 <= status < 300:
        return _finish(delivery, DeliveryState.DELIVERED, status=status)
    error = _("HTTP %(status)s") % {"status": status}
    if 300 <= status < 400:
        error = _("HTTP %(status)s: redirects are not followed") % {"status": status}
    if answer.excerpt:
        error = f"{error}: {answer.excerpt}"
    return _retry_or_fail(delivery, status=status, error=error)


def _finish(delivery: WebhookDelivery, state: str, *, status: int | None = None, error: str = "") -> str:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        state=state,
        last_status=status,
        last_error=error[:500],
        next_attempt_at=None,
        delivered_at=now if state == DeliveryState.DELIVERED else None,
    )
    if state == DeliveryState.REFUSED:
        log.warning("webhook delivery %s refused: %s", delivery.pk, error)
    return state


def _retry_or_fail(delivery: WebhookDelivery, *, status: int | None, error: str) -> str:
    wait = policies.backoff(delivery.attempts)
    if wait is None:
        log.warning("webhook delivery %s failed after %s attempts: %s", delivery.pk, delivery.attempts, error)
        return _finish(delivery, DeliveryState.FAILED, status=status, error=error)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        last_status=status, last_error=error[:500], next_attempt_at=timezone.now() + timedelta(seconds=wait)
    )
    return DeliveryState.PENDING


def due_deliveries(limit: int = DUE_BATCH) -> list[int]:
    """Return ids of pending deliveries whose next attempt is due (for the periodic job)."""
    now = timezone.now()
    qs = WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now).filter(
        Q(endpoint__is_active=True) | Q(topic=policies.PING_TOPIC)
    )
    return list(qs.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
