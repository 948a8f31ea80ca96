"""API endpoints of outbound webhooks (administrators only)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core.api.viewsets import RecordViewSet

from .. import filters, services
from ..models import WebhookDelivery, WebhookEndpoint
from . import serializers


class EndpointViewSet(RecordViewSet):
    """Webhook endpoints: where domain events are POSTed, signed with the endpoint's secret."""

    model = WebhookEndpoint
    serializer_class = serializers.EndpointSerializer
    filterset_class = filters.EndpointFilter
    create_service = staticmethod(services.create_endpoint)
    update_service = staticmethod(services.update_endpoint)
    delete_service = staticmethod(services.delete_endpoint)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=["pending", "delivered", "failed", "refused"]),
            OpenApiParameter("topic", str),
        ],
        responses={200: serializers.DeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], filterset_class=None)
    def deliveries(self, request: Request, pk: str) -> Response:
        """Deliveries of this endpoint, newest first (read-only)."""
        endpoint = self.get_object()
        rows = WebhookDelivery.objects.visible_to(request.user).filter(endpoint=endpoint)
        filterset = filters.DeliveryFilter(request.query_params, queryset=rows, request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors or {"non_field_errors": [_("Invalid filter.")]})
        page = self.paginate_queryset(filterset.qs)
        data = serializers.DeliverySerializer(
            page if page is not None else filterset.qs[:200], many=True
        ).data
        return self.get_paginated_response(data) if page is not None else Response(data)
