"""Serializers of the release API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kaizen.accounts.models import Organisation, Person
from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField
from kaizen.portfolio.models import Service
from kaizen.tickets.api.serializers import StrictSerializer

from .. import queries
from ..choices import ItemCategory, ItemKind
from ..models import MAX_EVIDENCE, MAX_ITEM, PLAN_FIELDS, AcceptanceItem, Checklist, ChecklistItem, Release

MAX_IDS = 200


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """A choice documented as a string (its codes are listed in the field description)."""


class ReleaseSerializer(StrictModelSerializer):
    """A release with its plan; ``changes`` and ``readiness`` are read-only (bundle through ``changes/``)."""

    organisation = VisibleRelatedField(queryset=Organisation.objects.all())
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    owner = VisibleRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    watchers = VisibleRelatedField(queryset=Person.objects.all(), many=True, required=False)
    state = serializers.CharField(
        read_only=True, help_text="planning, approved, live, rolled_back, cancelled"
    )
    changes = serializers.SerializerMethodField()
    readiness = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id",
            "number",
            "organisation",
            "title",
            "description",
            "service",
            "owner",
            "planned_at",
            "state",
            "watchers",
            *PLAN_FIELDS,
            "changes",
            "readiness",
            "approved_at",
            "approved_by",
            "went_live_at",
            "went_live_by",
            "closed_reason",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "approved_at",
            "approved_by",
            "went_live_at",
            "went_live_by",
            "closed_reason",
            "created_at",
            "updated_at",
        ]

    def validate_watchers(self, value: list[Any]) -> list[Any]:
        if len(value) > MAX_IDS:
            raise serializers.ValidationError(_("At most %(n)s.") % {"n": MAX_IDS})
        return value

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "number": {"type": "string"},
                    "title": {"type": "string"},
                    "state": {"type": "string"},
                    "state_name": {"type": "string"},
                },
            },
        }
    )
    def get_changes(self, obj: Release) -> list[dict[str, Any]]:
        return [
            {
                "id": t.pk,
                "number": t.number,
                "title": t.title,
                "state": t.state.code,
                "state_name": t.state.label(),
            }
            for t in obj.change_tickets.all()
        ]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_readiness(self, obj: Release) -> dict[str, Any]:
        return queries.readiness(obj).as_dict()


class ItemSerializer(StrictModelSerializer):
    """An acceptance item; PATCH ``checked`` (with ``evidence`` for mandatory items) to check it."""

    release = VisibleRelatedField(queryset=Release.objects.all(), required=False)
    kind = CodeField(choices=ItemKind.choices, required=False, help_text="service, operations")
    category = CodeField(
        choices=[("", ""), *ItemCategory.choices],
        required=False,
        allow_blank=True,
        help_text="contacts, emergency_contacts, monitoring, runbooks, backups, must_never_do, other",
    )
    text = serializers.CharField(max_length=MAX_ITEM, required=False)
    guidance = serializers.CharField(max_length=MAX_ITEM, required=False, allow_blank=True)
    evidence = serializers.CharField(max_length=MAX_EVIDENCE, required=False, allow_blank=True)
    mandatory = serializers.BooleanField(required=False)
    checked = serializers.BooleanField(required=False)
    order = serializers.IntegerField(required=False, min_value=0, max_value=32_767)

    class Meta:
        model = AcceptanceItem
        fields = [
            "id",
            "release",
            "kind",
            "category",
            "text",
            "guidance",
            "mandatory",
            "checked",
            "evidence",
            "checked_at",
            "checked_by",
            "from_checklist",
            "order",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["checked_at", "checked_by", "from_checklist", "created_at", "updated_at"]

    def validate_release(self, value: Release) -> Release:
        if self.instance is not None and value.pk != self.instance.release_id:
            raise serializers.ValidationError(_("An item stays with its release."))
        return value


class BundleSerializer(StrictSerializer):
    """Bundle changes into a release (``add``) or take them out (``remove``), by ticket id."""

    add = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=MAX_IDS
    )
    remove = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=MAX_IDS
    )
    version = serializers.IntegerField(required=False, min_value=1)


class MoveSerializer(StrictSerializer):
    """A move of a release; ``reason`` for cancel and roll-back."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_EVIDENCE)
    version = serializers.IntegerField(required=False, min_value=1)


class ApplyChecklistSerializer(StrictSerializer):
    """Copy an operations acceptance checklist into the release."""

    checklist = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ChecklistItemInputSerializer(StrictSerializer):
    category = CodeField(choices=ItemCategory.choices, required=False, default=ItemCategory.OTHER)
    text = serializers.CharField(max_length=MAX_ITEM)
    guidance = serializers.CharField(max_length=MAX_ITEM, required=False, allow_blank=True)
    mandatory = serializers.BooleanField(required=False, default=True)
    order = serializers.IntegerField(required=False, min_value=0, max_value=32_767)


class ChecklistSerializer(StrictModelSerializer):
    """An operations acceptance checklist; ``items`` on create only (omitted: the shipped minimum)."""

    organisation = VisibleRelatedField(queryset=Organisation.objects.all())
    items = ChecklistItemInputSerializer(many=True, required=False)

    class Meta:
        model = Checklist
        fields = [
            "id",
            "organisation",
            "name",
            "name_en",
            "description",
            "is_active",
            "items",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_items(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.instance is not None:
            raise serializers.ValidationError(_("Change the items at /api/v1/release-checklist-items/."))
        return value

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        data["items"] = [
            {
                "id": i.pk,
                "category": i.category,
                "text": i.text,
                "guidance": i.guidance,
                "mandatory": i.mandatory,
                "order": i.order,
            }
            for i in instance.items.all()
        ]
        return data


class ChecklistItemSerializer(StrictModelSerializer):
    """An item of an operations acceptance checklist."""

    checklist = VisibleRelatedField(queryset=Checklist.objects.all())
    category = CodeField(choices=ItemCategory.choices, required=False)
    mandatory = serializers.BooleanField(required=False)
    order = serializers.IntegerField(required=False, min_value=0, max_value=32_767)

    class Meta:
        model = ChecklistItem
        fields = [
            "id",
            "checklist",
            "category",
            "text",
            "guidance",
            "mandatory",
            "order",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
