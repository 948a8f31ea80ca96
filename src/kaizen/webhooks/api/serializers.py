"""Serializers of the webhooks API."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer

from ..models import WebhookDelivery, WebhookEndpoint

SECRET_ACTIONS = frozenset({"create", "retrieve"})
"""The secret is shown in these answers only (not in lists, not after updates)."""


class EndpointSerializer(StrictModelSerializer):
    """A webhook endpoint. ``secret`` is generated when empty and only returned on create and detail."""

    secret = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text='HMAC-SHA256 signing key; empty generates one (send "" on update to rotate it).',
    )
    topics = serializers.JSONField(
        required=False, help_text='List of topics: exact ("ticket.created"), prefix ("ticket.*") or "*".'
    )

    class Meta:
        model = WebhookEndpoint
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "url",
            "topics",
            "is_active",
            "allow_private",
            "description",
            "secret",
            "secret_fingerprint",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["secret_fingerprint", "created_at", "updated_at"]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        view = self.context.get("view")
        if getattr(view, "action", None) not in SECRET_ACTIONS:
            data.pop("secret", None)
        return data


class DeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One delivery of one event to an endpoint, with its attempts (read-only)."""

    class Meta:
        model = WebhookDelivery
        fields: ClassVar[list[str]] = [
            "id",
            "endpoint",
            "message_id",
            "topic",
            "payload",
            "state",
            "attempts",
            "next_attempt_at",
            "last_status",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
