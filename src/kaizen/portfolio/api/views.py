"""API endpoints of the service portfolio and impact analysis."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.cmdb.models import ConfigurationItem
from kaizen.core.api.viewsets import RecordViewSet

from .. import filters, impact, services
from ..models import Service, ServiceDependency, ServicePackage
from . import serializers


class ServiceViewSet(RecordViewSet):
    """Services of the portfolio. Requesters see the live services of their organisations."""

    model = Service
    serializer_class = serializers.ServiceSerializer
    filterset_class = filters.ServiceFilter
    prefetch_related = ("customers",)
    create_service = staticmethod(services.create_service)
    update_service = staticmethod(services.update_service)
    delete_service = staticmethod(services.delete_service)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        customers = data.pop("customers", None)
        kwargs: dict[str, Any] = {"data": data}
        if customers is not None:
            kwargs["customers"] = customers
        return kwargs


class PackageViewSet(RecordViewSet):
    """Service packages (core, enabling and enhancing services)."""

    model = ServicePackage
    serializer_class = serializers.PackageSerializer
    filterset_class = filters.PackageFilter
    create_service = staticmethod(services.create_package)
    update_service = staticmethod(services.update_package)
    delete_service = staticmethod(services.delete_package)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        members = {role: data.pop(role) for role in ("core", "enabling", "enhancing") if role in data}
        kwargs: dict[str, Any] = {"data": data}
        if members:
            kwargs["members"] = members
        return kwargs


class DependencyViewSet(RecordViewSet):
    """What services need. DELETE ends a dependency (it stays for "as of" impact analysis)."""

    model = ServiceDependency
    serializer_class = serializers.DependencySerializer
    filterset_class = filters.DependencyFilter
    create_service = staticmethod(services.add_dependency)
    update_service = staticmethod(services.update_dependency)
    delete_service = staticmethod(services.end_dependency)

    def get_queryset(self) -> QuerySet[Any]:
        qs = super().get_queryset()
        if "current" not in self.request.query_params:
            qs = qs.filter(ended_at__isnull=True)
        return qs


IMPACT_PARAMETERS = [
    OpenApiParameter(
        "direction", str, enum=["up", "down"], description="up: what depends on it; down: what it needs"
    ),
    OpenApiParameter("depth", int, description="depth limit, 1-50 (default 10)"),
    OpenApiParameter("as_of", str, description="ISO 8601 date-time: the graph as it was then"),
]


class _ImpactView(APIView):
    kind: impact.Kind

    def lookup(self, request: Request, pk: int) -> Any:
        raise NotImplementedError

    def get(self, request: Request, pk: int) -> Response:
        obj = self.lookup(request, pk)
        if obj is None:
            raise Http404(_("No such record, or you may not see it."))
        params = serializers.ImpactQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        result = impact.traverse(
            (self.kind, obj.pk),
            direction=params.validated_data["direction"],
            max_depth=params.validated_data["depth"],
            as_of=params.validated_data.get("as_of"),
        )
        return Response(impact.describe(result, request.user))


class CIImpactView(_ImpactView):
    """Services, customers and CIs that depend on this CI (``up``), or what it needs (``down``)."""

    kind = "ci"

    def lookup(self, request: Request, pk: int) -> Any:
        return ConfigurationItem.objects.visible_to(request.user).filter(pk=pk).first()

    @extend_schema(parameters=IMPACT_PARAMETERS, responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)


class ServiceImpactView(_ImpactView):
    """Services and customers that depend on this service (``up``), or the services and CIs it needs."""

    kind = "service"

    def lookup(self, request: Request, pk: int) -> Any:
        return Service.objects.visible_to(request.user).filter(pk=pk).first()

    @extend_schema(parameters=IMPACT_PARAMETERS, responses={200: dict})
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)
