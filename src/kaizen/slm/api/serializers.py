"""Serializers of the service level API."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer

from ..models import Agreement, BusinessCalendar, Outage, ServiceTier

COMMON = ["id", "version", "created_at", "updated_at"]


class CalendarSerializer(StrictModelSerializer):
    """A business calendar; ``definition`` holds hours, time zone, holidays and closures."""

    definition = serializers.JSONField(
        required=False,
        help_text='{"time_zone": "Asia/Tokyo", "hours": [[["09:00", "18:00"]], ...7 days], '
        '"public_holidays": "JP", "year_end": true, "closed_dates": ["2026-08-14"], '
        '"closures": [{"start": "...+09:00", "end": "...+09:00", "name": "..."}]}',
    )

    class Meta:
        model = BusinessCalendar
        fields: ClassVar[list[str]] = ["name", "name_en", "description", "is_default", "definition", *COMMON]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class TierSerializer(StrictModelSerializer):
    """A service tier: targets in minutes of business time per priority."""

    targets = serializers.JSONField(help_text='{"1": {"response": 10, "resolution": 240, "update": 30}, ...}')

    class Meta:
        model = ServiceTier
        fields: ClassVar[list[str]] = [
            "name",
            "name_en",
            "description",
            "targets",
            "monthly_fee",
            "order",
            *COMMON,
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class AgreementSerializer(StrictModelSerializer):
    """An SLA, OLA or underpinning contract with its matching conditions and terms."""

    targets = serializers.JSONField(required=False)
    ticket_kinds = serializers.JSONField(required=False)
    priorities = serializers.JSONField(required=False)
    warn_at = serializers.JSONField(required=False)
    escalations = serializers.JSONField(required=False)

    class Meta:
        model = Agreement
        fields: ClassVar[list[str]] = [
            "name",
            "name_en",
            "description",
            "kind",
            "service",
            "customer",
            "team",
            "supplier",
            "ticket_kinds",
            "priorities",
            "calendar",
            "tier",
            "targets",
            "pause_states",
            "supplier_states",
            "warn_at",
            "escalations",
            "alert_outside_hours",
            "monthly_limit",
            "availability_target",
            "order",
            "is_active",
            *COMMON,
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class OutageSerializer(StrictModelSerializer):
    """A period a service was unavailable."""

    class Meta:
        model = Outage
        fields: ClassVar[list[str]] = ["service", "start", "end", "planned", "description", "ticket", *COMMON]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class ClockSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One clock of a ticket (computed now from its state history)."""

    kind = serializers.CharField()
    agreement = serializers.IntegerField()
    agreement_name = serializers.CharField()
    metric = serializers.CharField()
    state = serializers.CharField()
    target_seconds = serializers.IntegerField()
    elapsed_seconds = serializers.IntegerField()
    paused_seconds = serializers.IntegerField()
    remaining_seconds = serializers.IntegerField()
    percent = serializers.FloatField()
    due = serializers.DateTimeField(allow_null=True)
    stopped_at = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def row(item: Any) -> dict[str, Any]:
        """Return the serializable values of a ``queries.TicketClock``."""
        clock = item.clock
        return {
            "kind": item.kind,
            "agreement": item.agreement_id,
            "agreement_name": item.agreement_name,
            "metric": clock.metric,
            "state": clock.state,
            "target_seconds": int(clock.target.total_seconds()),
            "elapsed_seconds": int(clock.elapsed.total_seconds()),
            "paused_seconds": int(clock.paused.total_seconds()),
            "remaining_seconds": int(clock.remaining.total_seconds()),
            "percent": round(clock.percent, 1),
            "due": clock.due,
            "stopped_at": clock.stopped_at,
        }
