"""API endpoints of the CMDB."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kaizen.core.api.viewsets import RecordViewSet

from .. import filters, services
from ..models import (
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipRule,
    RelationshipType,
    SoftwareInstallation,
)
from . import serializers


class CITypeViewSet(RecordViewSet):
    """CI types and their attribute schemas (administrators change them; all staff read them)."""

    model = CIType
    serializer_class = serializers.CITypeSerializer
    filterset_class = filters.CITypeFilter
    create_service = staticmethod(services.create_ci_type)
    update_service = staticmethod(services.update_ci_type)
    delete_service = staticmethod(services.delete_ci_type)


class RelationshipTypeViewSet(RecordViewSet):
    """Relationship types and how failures propagate along them."""

    model = RelationshipType
    serializer_class = serializers.RelationshipTypeSerializer
    filterset_class = filters.RelationshipTypeFilter
    create_service = staticmethod(services.create_relationship_type)
    update_service = staticmethod(services.update_relationship_type)
    delete_service = staticmethod(services.delete_relationship_type)


class RelationshipRuleViewSet(RecordViewSet):
    """Which CI types a relationship type may join."""

    model = RelationshipRule
    serializer_class = serializers.RelationshipRuleSerializer
    create_service = staticmethod(services.create_rule)
    update_service = staticmethod(services.update_rule)
    delete_service = staticmethod(services.delete_rule)


class CIViewSet(RecordViewSet):
    """Configuration items. Updates of strict CIs need ``reason``; deleting one needs ``?reason=``."""

    model = ConfigurationItem
    serializer_class = serializers.CISerializer
    filterset_class = filters.CIFilter
    create_service = staticmethod(services.create_ci)
    update_service = staticmethod(services.update_ci)
    delete_service = staticmethod(services.delete_ci)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        reason = data.pop("reason", "")
        if self.action in ("update", "partial_update"):
            return {"data": data, "reason": reason}
        return {"data": data}

    def delete_kwargs(self) -> dict[str, Any]:
        return {"reason": str(self.request.query_params.get("reason", ""))[:1000]}


class RelationshipViewSet(RecordViewSet):
    """Relationships between CIs. DELETE ends a relationship (it stays for "as of" impact)."""

    model = Relationship
    serializer_class = serializers.RelationshipSerializer
    filterset_class = filters.RelationshipFilter
    select_related = ("source", "target", "relationship_type")
    create_service = staticmethod(services.relate)
    update_service = staticmethod(services.update_relationship)
    delete_service = staticmethod(services.end_relationship)

    def get_queryset(self) -> QuerySet[Any]:
        qs = super().get_queryset()
        if "current" not in self.request.query_params:
            qs = qs.filter(ended_at__isnull=True)
        return qs


class SoftwareViewSet(RecordViewSet):
    """Software inventory of CIs (package URLs)."""

    model = SoftwareInstallation
    serializer_class = serializers.SoftwareSerializer
    filterset_class = filters.SoftwareFilter
    select_related = ("ci",)
    create_service = staticmethod(services.add_software)
    update_service = staticmethod(services.update_software)
    delete_service = staticmethod(services.remove_software)
