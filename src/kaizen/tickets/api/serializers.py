"""Serializers of the desk API: tickets (read and write), comments, attachments, actions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from kaizen.accounts.models import Organisation, Person, Team
from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField
from kaizen.portfolio.models import Service

from ..choices import CauseClass, Visibility
from ..models import Attachment, Category, Comment, Ticket, TicketLink, TicketTemplate
from ..models.ticket import MAX_BODY
from ..services import MAX_BATCH


class StrictSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A plain serializer that refuses unknown fields and non-object bodies."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        _("Expected a JSON object, got %(type)s.") % {"type": type(data).__name__}
                    ]
                }
            )
        unknown = sorted(str(k) for k in data if k not in self.fields)
        if unknown:
            raise serializers.ValidationError({k: [_("Unknown field.")] for k in unknown})
        return super().to_internal_value(data)


class StateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    code = serializers.CharField()
    name = serializers.CharField(source="label")
    category = serializers.CharField()


class TicketSerializer(StrictModelSerializer):
    """A ticket: writable fields for create and update, the rest read-only."""

    requester = VisibleRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    organisation = VisibleRelatedField(queryset=Organisation.objects.all(), required=False)
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    category = VisibleRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    team = VisibleRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = VisibleRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    cis = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=50,
        write_only=True,
        help_text="Affected CI ids (returned in responses too).",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=20, write_only=True
    )
    watchers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=50, write_only=True
    )
    template = serializers.PrimaryKeyRelatedField(
        queryset=TicketTemplate.objects.filter(is_active=True), required=False, write_only=True
    )
    impact_reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    priority = serializers.IntegerField(required=False, min_value=1, max_value=4)
    priority_reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    state = StateSerializer(read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "description",
            "requester",
            "organisation",
            "service",
            "category",
            "channel",
            "team",
            "assignee",
            "cis",
            "tags",
            "watchers",
            "template",
            "state",
            "impact",
            "impact_suggested",
            "impact_reason",
            "urgency",
            "priority",
            "priority_reason",
            "major",
            "major_since",
            "resolution",
            "cause_class",
            "review_status",
            "review_reasons",
            "catalog_item",
            "form_values",
            "external_ref",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "confirmed_at",
            "reopen_count",
            "created_at",
            "updated_at",
            "version",
            "allowed_actions",
        ]
        read_only_fields = [
            "number",
            "kind",
            "impact_suggested",
            "major",
            "major_since",
            "review_status",
            "review_reasons",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "confirmed_at",
            "reopen_count",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "catalog_item": {"required": False, "allow_null": True},
            "title": {"required": False},
        }

    def get_allowed_actions(self, obj: Ticket) -> list[str]:
        from .. import services

        request = self.context.get("request")
        return services.allowed_actions(obj, getattr(request, "user", None)) if request else []

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        known = getattr(instance, "_kaizen_m2m", None)  # what the service just wrote
        if known is not None:
            data["cis"], data["tags"], data["watchers"] = known["cis"], known["tags"], known["watchers"]
        else:
            data["cis"] = [c.pk for c in instance.cis.all()]
            data["tags"] = [t.name for t in instance.tags.all()]
            data["watchers"] = [p.pk for p in instance.watchers.all()]
        return data


class TicketListSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A queue row: what the lists show, without per-row queries."""

    related: ClassVar[tuple[str, ...]] = ("state", "organisation", "assignee", "team")
    """The rows a queue row reads beside the ticket's (joined into the list's one query)."""
    columns: ClassVar[tuple[str, ...]] = (
        *("id", "number", "kind", "title", "state", "priority", "impact", "urgency", "major"),
        *("organisation", "requester", "team", "assignee", "service", "review_status"),
        *("created_at", "updated_at", "version"),
        *("state__code", "state__name", "state__name_en", "state__category", "organisation__name"),
        *("team__name", "assignee__name"),
    )
    """The columns a row reads (the list's ``only``): a page of 50 tickets with every column of
    five tables built 300 model instances and parsed 700 timestamps it never showed."""

    state = StateSerializer(read_only=True)
    assignee_name = serializers.CharField(source="assignee.name", default=None, read_only=True)
    team_name = serializers.CharField(source="team.name", default=None, read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "state",
            "priority",
            "impact",
            "urgency",
            "major",
            "organisation",
            "organisation_name",
            "requester",
            "team",
            "team_name",
            "assignee",
            "assignee_name",
            "service",
            "review_status",
            "created_at",
            "updated_at",
            "version",
        ]

    def to_representation(self, instance: Ticket) -> dict[str, Any]:
        """Write a row directly: a queue page is 50 of them, and DRF's field-by-field path (each
        value looked up through ``get_attribute``, then converted) was most of the page's time.
        The same keys and values as ``ModelSerializer.to_representation`` (``test_list_rows``);
        the two timestamps go through their fields, for the API's date format and time zone."""
        state, assignee, team = instance.state, instance.assignee, instance.team
        fields = self.fields
        return {
            "id": instance.pk,
            "number": instance.number,
            "kind": instance.kind,
            "title": instance.title,
            "state": {"code": state.code, "name": state.label(), "category": state.category},
            "priority": instance.priority,
            "impact": instance.impact,
            "urgency": instance.urgency,
            "major": instance.major,
            "organisation": instance.organisation_id,
            "organisation_name": instance.organisation.name,
            "requester": instance.requester_id,
            "team": instance.team_id,
            "team_name": team.name if team is not None else None,
            "assignee": instance.assignee_id,
            "assignee_name": assignee.name if assignee is not None else None,
            "service": instance.service_id,
            "review_status": instance.review_status,
            "created_at": fields["created_at"].to_representation(instance.created_at),
            "updated_at": fields["updated_at"].to_representation(instance.updated_at),
            "version": instance.version,
        }


class BatchSerializer(StrictSerializer):
    """A batch of new tickets: each item is the body of a single create."""

    items = serializers.ListField(
        child=serializers.JSONField(),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=f"1 to {MAX_BATCH} tickets, each as the body of a single create.",
    )


class BatchItemSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One ticket of a batch answer."""

    index = serializers.IntegerField(help_text="Position of the item in the request.")
    id = serializers.IntegerField()
    number = serializers.CharField()
    version = serializers.IntegerField()
    created = serializers.BooleanField(
        help_text="False when a ticket with the item's external_ref already existed (a retried batch)."
    )


class BatchResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What a batch create answers."""

    created = serializers.IntegerField(help_text="How many tickets the batch created.")
    items = BatchItemSerializer(many=True)


class ActionSerializer(StrictSerializer):
    """Parameters of a workflow action."""

    version = serializers.IntegerField(required=False, min_value=1)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_BODY)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=MAX_BODY)
    cause_class = serializers.ChoiceField(choices=CauseClass.choices, required=False)
    assignee = serializers.IntegerField(required=False, min_value=1)
    team = serializers.IntegerField(required=False, min_value=1)
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why the action goes ahead despite its warnings (a change in a freeze window).",
    )


class CommentSerializer(StrictModelSerializer):
    """A public reply or internal work note."""

    class Meta:
        model = Comment
        fields = [
            "id",
            "body",
            "visibility",
            "channel",
            "is_timeline",
            "author",
            "author_label",
            "created_at",
            "version",
        ]
        read_only_fields = ["author", "author_label", "created_at"]
        extra_kwargs = {"body": {"max_length": MAX_BODY}, "channel": {"required": False}}


class AttachmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An attachment's description (the content is at ``content_url``)."""

    content_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "name",
            "content_type",
            "size",
            "sha256",
            "comment",
            "uploaded_by",
            "created_at",
            "content_url",
        ]

    def get_content_url(self, obj: Attachment) -> str:
        return f"/api/v1/attachments/{obj.pk}/content/"


class LinkSerializer(StrictModelSerializer):
    """A link from one ticket to another."""

    from_ticket = VisibleRelatedField(queryset=Ticket.objects.all())
    to_ticket = VisibleRelatedField(queryset=Ticket.objects.all())

    class Meta:
        model = TicketLink
        fields = ["id", "from_ticket", "to_ticket", "kind", "created_at", "version"]
        read_only_fields = ["created_at"]


class MajorSerializer(StrictSerializer):
    version = serializers.IntegerField(required=False, min_value=1)
    major = serializers.BooleanField(default=True)
    reason = serializers.CharField(max_length=1000)


class ReviewDecisionSerializer(StrictSerializer):
    version = serializers.IntegerField(required=False, min_value=1)
    outcome = serializers.ChoiceField(choices=["problem", "improvement", "dismissed"])
    problem = serializers.IntegerField(required=False, min_value=1)
    problem_title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    improvement_title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)
