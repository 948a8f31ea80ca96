"""Platform tables: the audit chain, the event outbox, API tokens and the abstract base record."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import AccessPolicy, Role, ScopedManager
from kaizen.core.lib import text


class Record(models.Model):
    """Base of every mutable domain record: timestamps and an optimistic-locking ``version``.

    ``version`` starts at 1 and is incremented by :func:`kaizen.core.services.update_record` with a
    compare-and-swap, so a writer holding a stale copy gets a conflict instead of a lost update.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    objects = ScopedManager()

    access_policy: ClassVar[AccessPolicy]
    audit_exclude: ClassVar[frozenset[str]] = frozenset({"created_at", "updated_at", "version"})

    class Meta:
        abstract = True

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        """Validate fields, also refusing control characters in text (they corrupt exports) and
        text longer than a TextField's ``max_length``."""
        errors: dict[str, list[str]] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = {k: list(v) for k, v in exc.message_dict.items()}
        for f in self._meta.concrete_fields:
            if isinstance(f, models.CharField | models.TextField) and (not exclude or f.name not in exclude):
                value = getattr(self, f.attname)
                if isinstance(value, str) and text.has_control_characters(value):
                    errors.setdefault(f.name, []).append(str(_("Control characters are not allowed.")))
                # Django leaves a TextField's max_length to forms; enforce it for every write.
                if isinstance(f, models.TextField) and f.max_length and isinstance(value, str):
                    try:
                        MaxLengthValidator(f.max_length)(value)
                    except ValidationError as exc:
                        errors.setdefault(f.name, []).extend(exc.messages)
        if errors:
            raise ValidationError(errors)

    def organisation_id_for_audit(self) -> int | None:
        """Return the organisation an audit row of this record belongs to (for scoping)."""
        value = getattr(self, "organisation_id", None)
        return int(value) if value is not None else None


class AuditEntry(models.Model):
    """One append-only row of the audit trail, chained to the previous row by a SHA-256 hash.

    Database triggers refuse UPDATE and DELETE (see migration 0002); ``kaizen audit verify``
    recomputes the chain to detect edits made after the triggers were dropped.
    """

    seq = models.BigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    channel = models.CharField(_("channel"), max_length=20)
    action = models.CharField(_("action"), max_length=60)
    record_type = models.CharField(_("record type"), max_length=100)
    record_id = models.CharField(_("record id"), max_length=64)
    record_label = models.CharField(_("record"), max_length=300, blank=True)
    organisation_id = models.BigIntegerField(_("organisation id"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict)
    meta = models.JSONField(_("details"), default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = ScopedManager()
    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation_id",
        actions={"view": frozenset({Role.AUDITOR, Role.ADMIN, Role.MANAGER})},
        # Everyone may read what they did themselves ("my recent changes").
        own=lambda user: Q(actor_id=user.pk),
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-seq"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["record_type", "record_id", "seq"], name="core_audit_record_idx"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.record_type}:{self.record_id}"


class AuditHead(models.Model):
    """The chain head (single row): last sequence number and hash.

    Appending locks this row, which serialises chain appends; comparing it with the last entry
    also reveals rows deleted from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"head #{self.seq}"


class OutboxMessage(models.Model):
    """A domain event written in the same transaction as the change that caused it.

    Delivered to its handlers after commit by a job; a periodic sweep re-delivers messages a
    crashed worker left behind. Each handler runs at most once per message (OutboxDelivery).
    """

    topic = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class OutboxDelivery(models.Model):
    """Marks one handler as done for one outbox message, which makes redelivery idempotent."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["message", "handler"], name="core_outbox_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} <- {self.message_id}"


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored; it is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Sequence(models.Model):
    """A named counter for human-readable numbers (``CI-000123``, ``INC-000045``)."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
