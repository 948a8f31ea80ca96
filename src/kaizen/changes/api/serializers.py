"""Serializers of the change enablement API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField
from kaizen.portfolio.models import Service
from kaizen.tickets.api.serializers import StrictSerializer, TicketSerializer

from ..choices import ChangeType, ReviewOutcome
from ..models import MAX_PLAN, Change, ChangeBoard, ChangeTemplate, ChangeWindow


class ChangeRecordSerializer(StrictSerializer):
    """What only a change has. Writable: type, reason, risk answers, plans, planned window."""

    change_type = serializers.ChoiceField(choices=ChangeType.choices, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)
    risk_answers = serializers.DictField(
        child=serializers.CharField(max_length=50), required=False, help_text="question code -> answer code"
    )
    implementation_plan = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)
    backout_plan = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)
    test_plan = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)
    communication_plan = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)


class ChangeReadSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Change
        fields = [
            "change_type",
            "template",
            "reason",
            "risk_answers",
            "risk_score",
            "risk_level",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "communication_plan",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "schedule_warnings",
            "override_reason",
            "outcome",
            "review_notes",
            "reviewed_at",
            "reviewed_by",
        ]
        read_only_fields = fields


class ChangeSerializer(TicketSerializer):
    """A change: the ticket's fields and ``change`` (its record); ``change_template`` for standard ones."""

    change = ChangeRecordSerializer(required=False)
    change_template = serializers.IntegerField(
        required=False, min_value=1, write_only=True, help_text="A standard change template id."
    )

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "change", "change_template"]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        record = getattr(instance, "change", None)
        data["change"] = ChangeReadSerializer(record).data if record is not None else None
        return data


class ReviewSerializer(StrictSerializer):
    version = serializers.IntegerField(required=False, min_value=1)
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_PLAN)


class TemplateSerializer(StrictModelSerializer):
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)

    class Meta:
        model = ChangeTemplate
        fields = [
            "id",
            "name",
            "name_en",
            "description",
            "service",
            "team",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "communication_plan",
            "max_duration_minutes",
            "is_active",
            "created_at",
            "version",
        ]
        read_only_fields = ["created_at"]


class BoardSerializer(StrictModelSerializer):
    members = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=20,
        write_only=True,
        help_text="Login ids (returned in responses too).",
    )

    class Meta:
        model = ChangeBoard
        fields = [
            "id",
            "name",
            "name_en",
            "kind",
            "members",
            "mode",
            "quorum",
            "meets_on",
            "is_active",
            "version",
        ]

    def validate_members(self, value: list[int]) -> list[Any]:
        users = {u.pk: u for u in get_user_model().objects.filter(pk__in=value, is_active=True)}
        missing = [v for v in value if v not in users]
        if missing:
            raise serializers.ValidationError(f"Unknown or disabled logins: {missing[:10]}")
        return [users[v] for v in value]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["members"] = sorted(instance.members.values_list("pk", flat=True))
        return data


class WindowSerializer(StrictModelSerializer):
    services = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=200, write_only=True
    )

    class Meta:
        model = ChangeWindow
        fields = [
            "id",
            "name",
            "name_en",
            "kind",
            "starts_at",
            "ends_at",
            "services",
            "reason",
            "is_active",
            "version",
        ]

    def validate_services(self, value: list[int]) -> list[Any]:
        request = self.context.get("request")
        visible = Service.objects.visible_to(getattr(request, "user", None))
        found = {s.pk: s for s in visible.filter(pk__in=value)}
        missing = [v for v in value if v not in found]
        if missing:
            raise serializers.ValidationError(f"Unknown services: {missing[:10]}")
        return [found[v] for v in value]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["services"] = sorted(instance.services.values_list("pk", flat=True))
        return data
