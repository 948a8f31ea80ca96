"""API endpoints of the request catalogue and fulfilment tasks (approvals: kaizen.approvals.api)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core.api.viewsets import RecordViewSet
from kaizen.tickets.api.serializers import TicketSerializer
from kaizen.tickets.models import Ticket

from .. import services
from ..models import CatalogItem, FulfilmentTask
from . import serializers


class CatalogItemViewSet(RecordViewSet):
    """The request catalogue. Requesters see the items of live services of their organisations."""

    model = CatalogItem
    serializer_class = serializers.CatalogItemSerializer
    select_related = ("service", "team")
    prefetch_related = ("approver_rows", "task_templates")
    create_service = staticmethod(services.create_item)
    update_service = staticmethod(services.update_item)
    delete_service = staticmethod(services.delete_item)

    def get_queryset(self) -> Any:
        return super().get_queryset().distinct()

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"data": data}
        if "approvers" in data:
            kwargs["approvers"] = data.pop("approvers")
        if "tasks" in data:
            kwargs["tasks"] = [(t["title"], t["team"]) for t in data.pop("tasks")]
        return kwargs

    @extend_schema(request=serializers.RequestItemSerializer, responses={201: TicketSerializer})
    @action(detail=True, methods=["post"], url_path="request")
    def submit(self, request: Request, pk: str) -> Response:
        """Request this item: its form values are validated against the item's fields."""
        item = self.get_object()
        body = serializers.RequestItemSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        ticket = services.request_item(
            actor=request.user,
            item=item,
            values=values.get("form_values", {}),
            description=values.get("description", ""),
            urgency=values.get("urgency"),
            channel="api",
        )
        fresh = Ticket.objects.get(pk=ticket.pk)
        return Response(
            TicketSerializer(fresh, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class TaskViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):  # type: ignore[type-arg]
    """Fulfilment tasks; PATCH ``state`` to ``done`` (the request is fulfilled with its last task)."""

    serializer_class = serializers.TaskSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return FulfilmentTask.objects.visible_to(self.request.user).select_related("ticket").order_by("-id")

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        from kaizen.core.api.viewsets import expected_version

        task = self.get_object()
        body = self.get_serializer(task, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        version = expected_version(request, request.data if isinstance(request.data, dict) else {})
        changes = {k: v for k, v in body.validated_data.items() if k != "version"}
        done = services.update_task(task.pk, actor=request.user, changes=changes, version=version)
        return Response(self.get_serializer(done).data)
