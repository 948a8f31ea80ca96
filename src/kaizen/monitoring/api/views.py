"""API endpoints of monitoring: integrations (with token rotation) and alerts (with their actions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core.api.viewsets import RecordViewSet, etag, expected_version

from .. import queries, services
from ..filters import AlertFilter
from ..models import Integration
from . import serializers


class IntegrationViewSet(RecordViewSet):
    """Monitoring integrations. Creating one or rotating its token returns the token once."""

    model = Integration
    serializer_class = serializers.IntegrationSerializer
    create_service = staticmethod(services.create_integration)
    update_service = staticmethod(services.update_integration)
    delete_service = staticmethod(services.delete_integration)
    select_related = ("organisation",)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create an integration; the response carries its token (``token``), shown only now."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        integration, token = services.create_integration(actor=request.user, data=data)
        out = self.get_serializer(self._refetch(integration.pk)).data
        return Response(
            serializers.token_response(out, token),
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(integration.version)},
        )

    @extend_schema(
        request=serializers.AlertVersionSerializer, responses={200: serializers.IntegrationSerializer}
    )
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: Any = None) -> Response:
        """Issue a new token; the previous one stays valid for 24 hours (``grace_hours`` 0–168)."""
        instance = self.get_object()
        version = expected_version(request, request.data if isinstance(request.data, dict) else {})
        raw = request.data.get("grace_hours", 24) if isinstance(request.data, dict) else 24
        try:
            hours = float(raw)
        except (TypeError, ValueError):
            hours = -1.0
        if not 0 <= hours <= 168:
            from django.core.exceptions import ValidationError

            raise ValidationError({"grace_hours": "0 to 168"})
        integration, token = services.rotate_token(
            instance.pk, actor=request.user, version=version, grace=dt.timedelta(hours=hours)
        )
        out = self.get_serializer(self._refetch(integration.pk)).data
        return Response(serializers.token_response(out, token), headers={"ETag": etag(integration.version)})


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Alerts (open ones by default; ``?state=closed`` or ``all``). Act with acknowledge, silence, link."""

    serializer_class = serializers.AlertSerializer
    permission_classes = (IsAuthenticated,)
    filterset_class = AlertFilter

    def get_queryset(self) -> Any:
        return queries.alerts(self.request.user)

    def _done(self, alert: Any) -> Response:
        fresh = queries.alerts(self.request.user).get(pk=alert.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag(fresh.version)})

    @extend_schema(request=serializers.AlertVersionSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        """Acknowledge an open alert."""
        body = serializers.AlertVersionSerializer(data=request.data if isinstance(request.data, dict) else {})
        body.is_valid(raise_exception=True)
        alert = self.get_object()
        return self._done(
            services.acknowledge(alert.pk, actor=request.user, version=body.validated_data.get("version"))
        )

    @extend_schema(request=serializers.AlertSilenceSerializer)
    @action(detail=True, methods=["post"])
    def silence(self, request: Request, pk: Any = None) -> Response:
        """Silence an alert until a moment (no incident meanwhile), or lift it with null."""
        body = serializers.AlertSilenceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = self.get_object()
        return self._done(
            services.silence(
                alert.pk,
                actor=request.user,
                until=body.validated_data["until"],
                version=body.validated_data.get("version"),
            )
        )

    @extend_schema(request=serializers.AlertLinkSerializer)
    @action(detail=True, methods=["post"])
    def link(self, request: Request, pk: Any = None) -> Response:
        """Attach the alert to an incident (or detach it with null)."""
        body = serializers.AlertLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = self.get_object()
        return self._done(
            services.link_incident(
                alert.pk,
                actor=request.user,
                incident_id=body.validated_data["incident"],
                version=body.validated_data.get("version"),
            )
        )

    @extend_schema(responses={200: serializers.EventSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request: Request, pk: Any = None) -> Response:
        """The alert's newest 200 events."""
        alert = self.get_object()
        return Response(serializers.EventSerializer(queries.alert_events(alert), many=True).data)
