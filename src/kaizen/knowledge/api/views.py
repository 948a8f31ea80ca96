"""API endpoints of knowledge management: articles with their moves, versions, differences, feedback
and drafts from tickets."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core import access
from kaizen.core.api.viewsets import RecordViewSet, etag, expected_version

from .. import queries, services
from ..filters import ArticleFilter
from ..models import Article
from . import serializers

MAX_VERSIONS = 500


def _counted(qs: QuerySet[Article]) -> QuerySet[Article]:
    """Annotate the feedback counts a list shows (one query for the page, not one per article)."""
    current = Q(feedback__revision=F("revision"))
    return qs.annotate(
        votes_helpful=Count("feedback", filter=Q(feedback__helpful=True)),
        votes_not_helpful=Count("feedback", filter=Q(feedback__helpful=False)),
        votes_revision_helpful=Count("feedback", filter=current & Q(feedback__helpful=True)),
        votes_revision_not_helpful=Count("feedback", filter=current & Q(feedback__helpful=False)),
    )


class ArticleViewSet(RecordViewSet):
    """Knowledge articles. ``?state=``, ``?audience=``, ``?service=``, ``?review=overdue``, ``?q=``.

    Moves: ``POST {id}/actions/{submit|publish|return|revise|reconfirm|retire}/`` with ``version``;
    a move that does not apply is 409 with the moves that do.
    """

    model = Article
    serializer_class = serializers.ArticleSerializer
    filterset_class = ArticleFilter
    select_related = ("organisation", "service", "owner", "category")
    prefetch_related = ("reviewers",)
    create_service = staticmethod(services.create_article)
    update_service = staticmethod(services.update_article)
    delete_service = staticmethod(services.delete_article)

    def get_queryset(self) -> QuerySet[Any]:
        qs = super().get_queryset()
        if self.action == "list":
            qs = _counted(qs)
        return qs

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"data": data}
        if "reviewers" in data:
            kwargs["reviewers"] = data.pop("reviewers")
        return kwargs

    def _staff_object(self) -> Article:
        article: Article = self.get_object()
        if not queries.staff_reads(article, self.request.user):
            raise PermissionDenied(_("Versions are for the staff who maintain the article."))
        return article

    def _fresh(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        article = self._refetch(pk)
        return Response(
            self.get_serializer(article).data, status=code, headers={"ETag": etag(article.version)}
        )

    @extend_schema(request=serializers.ArticleMoveSerializer, responses={200: serializers.ArticleSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<code>[A-Za-z0-9_-]{1,50})")
    def actions(self, request: Request, pk: str, code: str) -> Response:
        """Make a move of the article; 409 lists the moves that apply."""
        article = self.get_object()
        body = serializers.ArticleMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request, body.validated_data)
        done = services.transition(
            article.pk,
            code.replace("-", "_"),
            actor=request.user,
            version=version,
            note=body.validated_data.get("note", ""),
        )
        return self._fresh(done.pk)

    @extend_schema(request=None, responses={200: serializers.ArticleVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str) -> Response:
        """Every version of the article's title and text, newest first (staff of its organisation)."""
        article = self._staff_object()
        rows = queries.versions(article)[:MAX_VERSIONS]
        return Response(serializers.ArticleVersionSerializer(rows, many=True).data)

    @extend_schema(
        request=None,
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, description="the older version number"),
            OpenApiParameter("to", OpenApiTypes.INT, description="the newer version number"),
        ],
        responses={
            200: inline_serializer(
                "ArticleDiff",
                {
                    "from": drf.IntegerField(),
                    "to": drf.IntegerField(),
                    "lines": drf.ListField(child=drf.DictField()),
                },
            )
        },
    )
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, pk: str) -> Response:
        """The lines that differ between two versions (``?from=1&to=2``; title first; staff)."""
        article = self._staff_object()
        numbers: dict[str, int] = {}
        for name in ("from", "to"):
            raw = request.query_params.get(name, "")
            if not raw.isdigit() or len(raw) > 9:
                raise ApiValidationError({name: [_("Give a version number.")]})
            numbers[name] = int(raw)
        found = queries.diff(article, numbers["from"], numbers["to"])
        if found is None:
            raise ApiValidationError({"to": [_("No such version of this article.")]})
        lines = [
            {"kind": line.kind, "old": line.old_no, "new": line.new_no, "text": line.text}
            for line in found[2]
        ]
        return Response({"from": numbers["from"], "to": numbers["to"], "lines": lines})

    @extend_schema(
        request=serializers.ArticleFeedbackSerializer,
        responses={201: serializers.ArticleFeedbackResultSerializer},
    )
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, pk: str) -> Response:
        """Say whether the current revision helped (once per reader and revision; published articles)."""
        article = self.get_object()
        body = serializers.ArticleFeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        given = services.give_feedback(
            article.pk,
            actor=request.user,
            helpful=body.validated_data["helpful"],
            comment=body.validated_data.get("comment", ""),
        )
        out = {
            "id": given.pk,
            "revision": given.revision,
            "helpful": given.helpful,
            "comment": given.comment,
            "votes": queries.votes(Article.objects.get(pk=article.pk)).as_dict(),
        }
        return Response(out, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.ArticleDraftSerializer, responses={201: serializers.ArticleSerializer})
    @action(detail=False, methods=["post"], url_path="draft-from-ticket")
    def draft_from_ticket(self, request: Request) -> Response:
        """Draft an article from a resolved incident or a problem (``{"ticket": id}``)."""
        body = serializers.ArticleDraftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        article = services.draft_from_ticket(body.validated_data["ticket"], actor=request.user)
        return self._fresh(article.pk, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="The period, 1 to 366 days (default 30).")],
        responses={
            200: inline_serializer(
                "DeflectionRate",
                {
                    "days": drf.IntegerField(),
                    "answered": drf.IntegerField(),
                    "ticketed": drf.IntegerField(),
                    "percent": drf.IntegerField(allow_null=True),
                },
            )
        },
    )
    @action(detail=False, methods=["get"])
    def deflection(self, request: Request) -> Response:
        """Portal questions with suggested articles: answered by one, or ticketed anyway (staff)."""
        if not access.has_any_role(request.user, access.STAFF_ROLES):
            raise PermissionDenied(_("You do not have permission to do this."))
        raw = request.query_params.get("days", "30")
        if not (len(raw) <= 3 and raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 366):
            raise ApiValidationError({"days": [_("The period is 1 to 366 days.")]})
        rate = queries.deflection(request.user, days=int(raw))
        return Response(
            {"days": rate.days, "answered": rate.answered, "ticketed": rate.ticketed, "percent": rate.percent}
        )
