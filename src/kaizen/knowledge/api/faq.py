"""API of FAQ candidates: ``/api/v1/faq-runs/`` (start, list, read with topics) and
``POST /api/v1/faq-runs/topics/{id}/draft/`` (draft an article from a topic)."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.accounts.models import Organisation
from kaizen.core import access

from .. import faq
from ..models import WRITERS, FaqCluster, FaqRun


class TopicSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One topic: size, unanswered questions, label, examples, covering article and draft."""

    class Meta:
        model = FaqCluster
        fields: ClassVar[list[str]] = [
            "id", "rank", "size", "questions", "label", "examples", "article", "coverage", "draft",
        ]  # fmt: skip
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A run; ``topics`` once it is done (largest first). Unknown fields are refused."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - {"organisation", "days"})
            if unknown:
                raise serializers.ValidationError({k: ["Unknown field."] for k in unknown})
        return super().to_internal_value(data)

    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    days = serializers.IntegerField(min_value=1, max_value=731, default=90)
    topics = TopicSerializer(source="clusters", many=True, read_only=True)

    class Meta:
        model = FaqRun
        fields: ClassVar[list[str]] = [
            "id", "organisation", "days", "state", "progress", "inquiries", "error", "created_at",
            "finished_at", "topics",
        ]  # fmt: skip
        read_only_fields: ClassVar[list[str]] = [
            "state", "progress", "inquiries", "error", "created_at", "finished_at",
        ]  # fmt: skip


class FaqRunViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Group a period's inquiries into FAQ candidates (a job: poll the run until ``state`` is done)."""

    serializer_class = RunSerializer
    permission_classes = (IsAuthenticated,)

    def get_queryset(self) -> Any:
        if not access.has_any_role(self.request.user, WRITERS):
            return FaqRun.objects.none()
        return faq.runs_for(self.request.user).prefetch_related("clusters")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        organisation = serializer.validated_data.get("organisation")
        if (
            organisation is not None
            and not Organisation.objects.visible_to(request.user).filter(pk=organisation.pk).exists()
        ):
            raise serializers.ValidationError(
                {"organisation": ["No such organisation, or you may not see it."]}
            )
        run = faq.start_run(
            actor=request.user, data={"days": serializer.validated_data["days"], "organisation": organisation}
        )
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={201: dict})
    @action(detail=False, methods=["post"], url_path=r"topics/(?P<topic>\d{1,15})/draft")
    def draft(self, request: Request, topic: str) -> Response:
        """Draft an article from a topic (the same draft on a second call); answers its id and number."""
        if not access.has_any_role(request.user, WRITERS):
            raise PermissionDenied()
        try:
            article = faq.draft_from_cluster(int(topic), actor=request.user)
        except FaqCluster.DoesNotExist:
            raise NotFound() from None
        return Response({"id": article.pk, "number": article.number}, status=status.HTTP_201_CREATED)
