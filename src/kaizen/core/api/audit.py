"""``GET /api/v1/audit/``: the audit trail, filtered by record, actor and time."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from kaizen.core.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One audit row, with its chain hashes."""

    class Meta:
        model = AuditEntry
        fields: ClassVar[list[str]] = [
            "seq",
            "at",
            "actor_id",
            "actor_label",
            "channel",
            "action",
            "record_type",
            "record_id",
            "record_label",
            "organisation_id",
            "changes",
            "meta",
            "prev_hash",
            "hash",
        ]


class AuditFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter the audit trail."""

    record_type = django_filters.CharFilter(max_length=100, help_text="e.g. accounts.team")
    record_id = django_filters.CharFilter(max_length=64)
    actor = django_filters.NumberFilter(field_name="actor_id", help_text="user id")
    channel = django_filters.CharFilter(max_length=20)
    action = django_filters.CharFilter(max_length=60)
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields: ClassVar[list[str]] = [
            "record_type",
            "record_id",
            "actor",
            "channel",
            "action",
            "since",
            "until",
        ]


class AuditViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Read the audit trail (auditors, admins and managers, within their organisations)."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    lookup_field = "seq"

    def get_queryset(self) -> QuerySet[Any]:
        return AuditEntry.objects.visible_to(self.request.user, "view")
