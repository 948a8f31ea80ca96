"""Serializers of the request catalogue API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from kaizen.accounts.models import Team, User
from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField
from kaizen.portfolio.models import Service
from kaizen.tickets.api.serializers import StrictSerializer

from ..models import CatalogItem, FulfilmentTask


class TaskTemplateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    title = serializers.CharField(max_length=200)
    team = VisibleRelatedField(queryset=Team.objects.all())


class CatalogItemSerializer(StrictModelSerializer):
    """A catalogue item with its form fields, approvers (login ids, in order) and tasks."""

    service = VisibleRelatedField(queryset=Service.objects.all())
    team = VisibleRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    approvers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=10, write_only=True
    )
    tasks = TaskTemplateSerializer(many=True, required=False, write_only=True)

    class Meta:
        model = CatalogItem
        fields = [
            "id",
            "service",
            "name",
            "name_en",
            "description",
            "form_schema",
            "approval_mode",
            "approvers",
            "tasks",
            "team",
            "is_active",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_approvers(self, value: list[int]) -> list[User]:
        users = {u.pk: u for u in User.objects.filter(pk__in=value, is_active=True)}
        missing = [v for v in value if v not in users]
        if missing:
            raise serializers.ValidationError(
                _("Unknown users: %(ids)s") % {"ids": ", ".join(map(str, missing))}
            )
        return [users[v] for v in value]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["approvers"] = [row.user_id for row in instance.approver_rows.all()]
        data["tasks"] = [{"title": t.title, "team": t.team_id} for t in instance.task_templates.all()]
        return data


class RequestItemSerializer(StrictSerializer):
    """Request a catalogue item: its form values and a note."""

    form_values = serializers.DictField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    urgency = serializers.IntegerField(required=False, min_value=1, max_value=4)


class TaskSerializer(StrictModelSerializer):
    assignee = VisibleRelatedField(
        queryset=FulfilmentTask._meta.get_field("assignee").related_model.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = FulfilmentTask
        fields = [
            "id",
            "ticket",
            "title",
            "team",
            "assignee",
            "order",
            "state",
            "note",
            "done_at",
            "created_at",
            "version",
        ]
        read_only_fields = ["ticket", "team", "order", "done_at", "created_at"]
