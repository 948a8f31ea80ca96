"""API endpoints of approvals: the decisions of the caller, rounds of tickets, decide and delegate."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from .. import services
from ..choices import ApprovalState
from ..models import Approval, ApprovalRound
from . import serializers


def _ticket_param(request: Request) -> int | None:
    """The ``?ticket=<id>`` filter (None when absent); 400 when it is not a ticket id."""
    raw = request.query_params.get("ticket", "")
    if raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError({"ticket": [_("Give a ticket id.")]})
    return int(raw)


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Approvals the user may see: their own, and those of their organisations' tickets for staff.

    ``?waiting=me`` lists only the approvals waiting for the caller's decision (the inbox);
    ``?ticket=<id>`` one ticket's approvals; ``?state=`` those in one state.
    """

    serializer_class = serializers.ApprovalSerializer

    def get_queryset(self) -> Any:
        params = self.request.query_params
        waiting = params.get("waiting")
        if waiting not in (None, "me"):
            raise ValidationError({"waiting": [_("Expected one of: %(choices)s.") % {"choices": "me"}]})
        state = params.get("state")
        if state is not None and state not in ApprovalState.values:
            raise ValidationError(
                {"state": [_("Expected one of: %(choices)s.") % {"choices": ", ".join(ApprovalState.values)}]}
            )
        ticket = _ticket_param(self.request)
        if waiting == "me":
            rows = services.inbox(self.request.user)
        else:
            rows = Approval.objects.visible_to(self.request.user).select_related("ticket", "round")
        if state is not None:
            rows = rows.filter(state=state)
        if ticket is not None:
            rows = rows.filter(ticket_id=ticket)
        return rows if waiting == "me" else rows.order_by("-id")

    @extend_schema(
        parameters=[
            OpenApiParameter("waiting", str, enum=["me"]),
            OpenApiParameter("state", str, enum=list(ApprovalState.values)),
            OpenApiParameter("ticket", int),
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
        ticket = _ticket_param(self.request)
        if ticket is not None:
            rows = rows.filter(ticket_id=ticket)
        return rows.order_by("-id")
