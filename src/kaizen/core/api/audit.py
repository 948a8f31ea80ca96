"""``GET /api/v1/audit/``: the audit trail, filtered by record, actor and time."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import serializers, viewsets

from kaizen.core.filters import AuditFilter
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


class AuditViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Read the audit trail (auditors, admins and managers, within their organisations)."""

    serializer_class = AuditEntrySerializer
    filterset_class = AuditFilter
    lookup_field = "seq"

    def get_queryset(self) -> QuerySet[Any]:
        return AuditEntry.objects.visible_to(self.request.user, "view")
