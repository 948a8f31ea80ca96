"""Serializers of the portfolio API."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField

from ..models import PackageMember, Service, ServiceDependency, ServicePackage


class ServiceSerializer(StrictModelSerializer):
    """A service of the portfolio with its customers (organisation ids)."""

    class Meta:
        model = Service
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "name",
            "description",
            "organisation",
            "owner_team",
            "owner",
            "provider_kind",
            "supplier",
            "lifecycle",
            "planned_live_on",
            "live_since",
            "retired_on",
            "service_hours",
            "customers",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class PackageSerializer(StrictModelSerializer):
    """A service package; ``core``, ``enabling`` and ``enhancing`` list service ids."""

    core = serializers.ListField(
        child=VisibleRelatedField(queryset=Service.objects.all()), required=False, max_length=500
    )
    enabling = serializers.ListField(
        child=VisibleRelatedField(queryset=Service.objects.all()), required=False, max_length=500
    )
    enhancing = serializers.ListField(
        child=VisibleRelatedField(queryset=Service.objects.all()), required=False, max_length=500
    )

    class Meta:
        model = ServicePackage
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "name",
            "description",
            "organisation",
            "core",
            "enabling",
            "enhancing",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        for role in ("core", "enabling", "enhancing"):
            data[role] = [m.service_id for m in PackageMember.objects.filter(package=instance, role=role)]
        return data


class DependencySerializer(StrictModelSerializer):
    """A service needs a service (``depends_on_service``) or a CI (``depends_on_ci``)."""

    class Meta:
        model = ServiceDependency
        fields: ClassVar[list[str]] = [
            "id",
            "service",
            "depends_on_service",
            "depends_on_ci",
            "organisation",
            "description",
            "started_at",
            "ended_at",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = [
            "organisation",
            "started_at",
            "ended_at",
            "created_at",
            "updated_at",
        ]


class ImpactQuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Query parameters of the impact endpoints."""

    direction = serializers.ChoiceField(
        choices=["up", "down"], default="up", help_text="up: what depends on it; down: what it needs"
    )
    depth = serializers.IntegerField(min_value=1, max_value=50, default=10)
    as_of = serializers.DateTimeField(required=False, help_text="replay the graph as it was at this moment")
