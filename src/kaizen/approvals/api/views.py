"""API endpoints of approvals: the decisions of the caller, rounds of tickets, decide and delegate."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from ..choices import ApprovalState
from ..models import Approval, ApprovalRound
from . import serializers


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Approvals the user may see: their own, and those of their organisations' tickets for staff.

    ``?waiting=me`` lists only the approvals waiting for the caller's decision (the inbox).
    """

    serializer_class = serializers.ApprovalSerializer

    def get_queryset(self) -> Any:
        if self.request.query_params.get("waiting") == "me":
            return services.inbox(self.request.user)
        rows = Approval.objects.visible_to(self.request.user).select_related("ticket", "round")
        state = self.request.query_params.get("state")
        if state in ApprovalState.values:
            rows = rows.filter(state=state)
        return rows.order_by("-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("waiting", str, enum=["me"]),
            OpenApiParameter("state", str, enum=list(ApprovalState.values)),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=serializers.DecisionSerializer, responses={200: serializers.ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """Approve or reject (a rejection needs a comment)."""
        approval = self.get_object()
        body = serializers.DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.decide(
            approval.pk,
            actor=request.user,
            approve=body.validated_data["approve"],
            comment=body.validated_data.get("comment", ""),
        )
        done.refresh_from_db()
        return Response(serializers.ApprovalSerializer(done).data)

    @extend_schema(request=serializers.DelegationSerializer, responses={201: serializers.ApprovalSerializer})
    @action(detail=True, methods=["post"])
    def delegate(self, request: Request, pk: str) -> Response:
        """Hand the decision to another login; answers with the delegate's approval."""
        approval = self.get_object()
        body = serializers.DelegationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.delegate(
            approval.pk,
            actor=request.user,
            to=body.validated_data["to"],
            comment=body.validated_data.get("comment", ""),
        )
        return Response(serializers.ApprovalSerializer(done).data, status=201)


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Rounds of approvals with their approvers; ``?ticket=<id>`` for one ticket's."""

    serializer_class = serializers.RoundSerializer

    def get_queryset(self) -> Any:
        rows = (
            ApprovalRound.objects.visible_to(self.request.user)
            .select_related("ticket")
            .prefetch_related("approvals")
            .distinct()
        )
        ticket = self.request.query_params.get("ticket", "")
        if ticket.isdigit():
            rows = rows.filter(ticket_id=int(ticket))
        return rows.order_by("-id")
