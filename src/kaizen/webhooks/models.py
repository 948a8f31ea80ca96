"""Webhook endpoints (administrator configuration) and their deliveries (one per event and endpoint)."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import AccessPolicy, Role, ScopedManager
from kaizen.core.models import Record

from . import policies
from .choices import DeliveryState

ADMINS = frozenset({Role.ADMIN})
ADMIN_POLICY = AccessPolicy(
    org_field=None,
    actions={"view": ADMINS, "add": ADMINS, "change": ADMINS, "delete": ADMINS},
)
"""Global administrators only: an endpoint receives the events of every organisation."""


def new_secret() -> str:
    """Return a fresh random signing secret."""
    return secrets.token_urlsafe(32)


def default_topics() -> list[str]:
    return ["*"]


class WebhookEndpoint(Record):
    """An address that receives domain events as signed HTTP POST requests."""

    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(
        _("URL"),
        max_length=policies.MAX_URL,
        help_text=_("http:// or https:// address that receives the events as POST requests."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=policies.MAX_SECRET,
        blank=True,
        help_text=_("Key of the HMAC-SHA256 signature; generated when left empty."),
    )
    secret_fingerprint = models.CharField(_("secret fingerprint"), max_length=12, blank=True, editable=False)
    topics = models.JSONField(
        _("topics"),
        default=default_topics,
        help_text=_("Events to send: exact topics (ticket.created), prefixes (ticket.*) or * for all."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    allow_private = models.BooleanField(
        _("allow private targets"),
        default=False,
        help_text=_(
            "Permit loopback, private and link-local addresses (e.g. an on-premises chat bridge). "
            "Leave off for anything on the internet."
        ),
    )
    description = models.TextField(_("description"), blank=True, max_length=2000)

    access_policy: ClassVar[AccessPolicy] = ADMIN_POLICY
    # The secret never enters the audit trail; its fingerprint shows that it changed.
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"secret"}

    class Meta:
        ordering: ClassVar[list[str]] = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        url_problems = policies.url_problems(self.url, allow_private=bool(self.allow_private))
        if url_problems:
            errors["url"] = url_problems
        topic_problems = policies.topic_problems(self.topics)
        if topic_problems:
            errors["topics"] = topic_problems
        secret_problems = policies.secret_problems(self.secret)
        if secret_problems:
            errors["secret"] = secret_problems
        if errors:
            raise ValidationError(errors)
        self._ensure_secret()

    def _ensure_secret(self) -> None:
        if not self.secret:
            self.secret = new_secret()
        self.secret_fingerprint = policies.fingerprint(self.secret)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._ensure_secret()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "secret" in update_fields:
            kwargs["update_fields"] = {*update_fields, "secret_fingerprint"}
        super().save(*args, **kwargs)

    def wants(self, topic: str) -> bool:
        """Tell whether this endpoint subscribes to ``topic``."""
        return policies.topic_matches(self.topics if isinstance(self.topics, list) else [], topic)


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with its attempts.

    ``message_id`` is the outbox message: unique per endpoint, so an outbox message delivered
    twice (after a worker crash) never creates a second delivery. Test events have none.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    message_id = models.BigIntegerField(_("outbox message"), null=True, blank=True)
    topic = models.CharField(_("topic"), max_length=100)
    payload = models.JSONField(_("payload"), default=dict)
    state = models.CharField(
        _("state"), max_length=20, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()
    access_policy: ClassVar[AccessPolicy] = ADMIN_POLICY

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["endpoint", "message_id"], name="webhooks_delivery_once"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="webhooks_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"

    @property
    def can_redeliver(self) -> bool:
        return self.state in (DeliveryState.FAILED, DeliveryState.REFUSED)
