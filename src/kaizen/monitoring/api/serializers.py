"""Serializers of the monitoring API: integrations (tokens shown once), alerts, their events."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer

from ..models import Alert, Event, Integration

COMMON = ["id", "version", "created_at", "updated_at"]


class IntegrationSerializer(StrictModelSerializer):
    """A monitoring integration. The token is never returned, except once by create and rotate."""

    thresholds = serializers.JSONField(
        required=False,
        help_text='[{"metric": "cpu", "warning": 80, "critical": 90, "hysteresis": 5, "direction": "above"}]',
    )
    sns_topics = serializers.JSONField(
        required=False, help_text='["arn:aws:sns:ap-northeast-1:123456789012:alarms"]'
    )
    endpoint = serializers.SerializerMethodField(help_text="Where the source posts its alerts.")

    class Meta:
        model = Integration
        fields: ClassVar[list[str]] = [
            "name",
            "source",
            "organisation",
            "description",
            "is_enabled",
            "default_service",
            "create_incidents",
            "incident_severity",
            "max_body_bytes",
            "min_duration",
            "expire_after",
            "group_window",
            "reopen_window",
            "flap_changes",
            "flap_window",
            "thresholds",
            "sns_topics",
            "token_prefix",
            "previous_valid_until",
            "last_received_at",
            "last_error",
            "last_error_at",
            "endpoint",
            *COMMON,
        ]
        read_only_fields: ClassVar[list[str]] = [
            "token_prefix",
            "previous_valid_until",
            "last_received_at",
            "last_error",
            "last_error_at",
            "created_at",
            "updated_at",
        ]

    def get_endpoint(self, obj: Integration) -> str:
        """Return the intake path of the integration's source."""
        return f"/api/v1/events/{obj.source}/"


class AlertSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An alert: the current state of one dedup key (read-only; act with the actions)."""

    integration_name = serializers.CharField(source="integration.name", read_only=True)
    incident_number = serializers.CharField(source="incident.number", read_only=True, default=None)
    ci_name = serializers.CharField(source="ci.name", read_only=True, default=None)

    class Meta:
        model = Alert
        fields: ClassVar[list[str]] = [
            "id",
            "version",
            "integration",
            "integration_name",
            "organisation",
            "dedup_key",
            "status",
            "is_open",
            "severity",
            "previous_severity",
            "trend",
            "title",
            "description",
            "labels",
            "annotations",
            "host",
            "address",
            "service_name",
            "resource",
            "environment",
            "metric",
            "value",
            "url",
            "external_id",
            "first_seen_at",
            "last_seen_at",
            "changed_at",
            "started_at",
            "closed_at",
            "duplicates",
            "events",
            "flapping",
            "ci",
            "ci_name",
            "service",
            "incident",
            "incident_number",
            "suppressed",
            "inhibited_by",
            "acknowledged_at",
            "acknowledged_by",
            "silenced_until",
        ]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One entry of an alert's event log."""

    class Meta:
        model = Event
        fields: ClassVar[list[str]] = [
            "id",
            "received_at",
            "occurred_at",
            "status",
            "severity",
            "kind",
            "title",
            "value",
        ]
        read_only_fields = fields


class AlertSilenceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Silence until a moment (ISO 8601 with offset), or null to lift the silence."""

    until = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class AlertLinkSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Attach to an incident (its id), or null to detach."""

    incident = serializers.IntegerField(allow_null=True, min_value=1)
    version = serializers.IntegerField(required=False, min_value=1)


class AlertVersionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Optionally the version the action is based on."""

    version = serializers.IntegerField(required=False, min_value=1)


def token_response(data: dict[str, Any], token: str) -> dict[str, Any]:
    """Add the one-time token to an integration's representation."""
    return {**data, "token": token}
