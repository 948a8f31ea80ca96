"""Serializers of the knowledge API."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kaizen.accounts.models import Organisation, Person
from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField
from kaizen.portfolio.models import Service
from kaizen.tickets.api.serializers import StrictSerializer
from kaizen.tickets.models import Category

from .. import queries
from ..choices import Audience
from ..models import MAX_BODY, MAX_COMMENT, MAX_TITLE, Article, ArticleVersion
from ..services import MAX_REVIEWERS

MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """A choice documented as a string (its codes are listed in the field description)."""


class ArticleSerializer(StrictModelSerializer):
    """An article; ``state`` moves through ``actions/``, ``body_html`` is the sanitised rendering."""

    organisation = VisibleRelatedField(queryset=Organisation.objects.all())
    title = serializers.CharField(max_length=MAX_TITLE)
    body = serializers.CharField(max_length=MAX_BODY, required=False, allow_blank=True, trim_whitespace=False)
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    category = VisibleRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    owner = VisibleRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    reviewers = VisibleRelatedField(queryset=Person.objects.all(), many=True, required=False)
    audience = CodeField(choices=Audience.choices, required=False, help_text="requesters, agents")
    state = serializers.CharField(read_only=True, help_text="draft, in_review, published, retired")
    votes = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "number",
            "organisation",
            "title",
            "body",
            "service",
            "category",
            "audience",
            "owner",
            "reviewers",
            "state",
            "revision",
            "review_interval_days",
            "review_due_on",
            "published_at",
            "published_by",
            "retired_at",
            "source_ticket",
            "view_count",
            "votes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "number",
            "revision",
            "review_due_on",
            "published_at",
            "published_by",
            "retired_at",
            "source_ticket",
            "view_count",
            "created_at",
            "updated_at",
        ]

    def validate_reviewers(self, value: list[Any]) -> list[Any]:
        if len(value) > MAX_REVIEWERS:
            raise serializers.ValidationError(_("At most %(n)s.") % {"n": MAX_REVIEWERS})
        return value

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "helpful": {"type": "integer"},
                "not_helpful": {"type": "integer"},
                "revision_helpful": {"type": "integer"},
                "revision_not_helpful": {"type": "integer"},
            },
        }
    )
    def get_votes(self, obj: Article) -> dict[str, int]:
        if hasattr(obj, "votes_helpful"):  # annotated by the list (api.views._counted)
            names = ("helpful", "not_helpful", "revision_helpful", "revision_not_helpful")
            return {name: int(getattr(obj, f"votes_{name}")) for name in names}
        return queries.votes(obj).as_dict()


class ArticleVersionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One version of an article's title and text."""

    class Meta:
        model = ArticleVersion
        fields = ["number", "title", "body", "author", "author_label", "at", "published"]
        read_only_fields = fields


class ArticleMoveSerializer(StrictSerializer):
    """A move of an article, with an optional note for the audit trail."""

    note = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
    version = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class ArticleFeedbackSerializer(StrictSerializer):
    """A reader's feedback on the current revision of a published article."""

    helpful = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)

    def to_internal_value(self, data: Any) -> Any:
        # "yes", 1 and "true" would be coerced by BooleanField; feedback takes JSON true or false only.
        if isinstance(data, dict) and "helpful" in data and not isinstance(data["helpful"], bool):
            raise serializers.ValidationError({"helpful": [_("Expected true or false.")]})
        return super().to_internal_value(data)


class ArticleFeedbackResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The feedback recorded and the article's counts after it."""

    id = serializers.IntegerField()
    revision = serializers.IntegerField()
    helpful = serializers.BooleanField()
    comment = serializers.CharField()
    votes = serializers.DictField(child=serializers.IntegerField())


class ArticleDraftSerializer(StrictSerializer):
    """Draft an article from a resolved incident or a problem."""

    ticket = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("ticket"), bool | float):
            raise serializers.ValidationError({"ticket": [_("Expected a ticket id.")]})
        return super().to_internal_value(data)
