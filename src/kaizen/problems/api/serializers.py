"""Serializers of the problem management API: known errors, problem details, suggestions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from kaizen.accounts.models import Organisation, Person
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField
from kaizen.portfolio.models import Service
from kaizen.tickets.api.serializers import StrictSerializer
from kaizen.tickets.models import Ticket

from ..models import MAX_RANK, MAX_TEXT, KnownError
from ..services import MAX_INCIDENTS


class KnownErrorSerializer(StrictModelSerializer):
    """A known error; ``state`` changes through the publish and retire actions."""

    organisation = VisibleRelatedField(queryset=Organisation.objects.all(), required=False)
    problem = VisibleRelatedField(
        queryset=Ticket.objects.filter(kind="problem"), required=False, allow_null=True
    )
    services = VisibleRelatedField(queryset=Service.objects.all(), many=True, required=False)
    cis = VisibleRelatedField(queryset=ConfigurationItem.objects.all(), many=True, required=False)

    class Meta:
        model = KnownError
        fields: ClassVar[list[str]] = [
            "id",
            "number",
            "organisation",
            "problem",
            "title",
            "symptoms",
            "root_cause",
            "workaround",
            "keywords",
            "services",
            "cis",
            "state",
            "published_at",
            "retired_at",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields: ClassVar[list[str]] = [
            "number",
            "state",
            "published_at",
            "retired_at",
            "created_at",
            "updated_at",
        ]

    def validate_services(self, value: list[Any]) -> list[Any]:
        if len(value) > 50:
            raise serializers.ValidationError(_("At most %(n)s.") % {"n": 50})
        return value

    def validate_cis(self, value: list[Any]) -> list[Any]:
        if len(value) > 50:
            raise serializers.ValidationError(_("At most %(n)s.") % {"n": 50})
        return value


class StateChangeSerializer(StrictSerializer):
    """The version a publish or retire is based on (or If-Match), and a reason for retiring."""

    version = serializers.IntegerField(required=False, min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class SuggestionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A known error suggested for an incident: its fields, the score and what matched."""

    known_error = KnownErrorSerializer(read_only=True)
    score = serializers.IntegerField()
    reasons = serializers.ListField(child=serializers.CharField())
    problem_linked = serializers.BooleanField()


class DetailsSerializer(StrictSerializer):
    """The details of a problem (PATCH sends only what changes, with ``version`` or If-Match)."""

    version = serializers.IntegerField(required=False, min_value=1)
    owner = VisibleRelatedField(
        queryset=Person.objects.filter(is_active=True), required=False, allow_null=True
    )
    root_cause = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False
    )
    workaround = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_TEXT, trim_whitespace=False
    )
    shared_with_development = serializers.BooleanField(required=False)
    development_ref = serializers.CharField(required=False, allow_blank=True, max_length=200)
    rank = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_RANK)


class FromIncidentsSerializer(DetailsSerializer):
    """A problem recorded from incidents (ids): its ticket fields and its details."""

    version = None  # type: ignore[assignment]
    incidents = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), max_length=MAX_INCIDENTS, required=False
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=50_000)
    organisation = VisibleRelatedField(queryset=Organisation.objects.all(), required=False)
    service = VisibleRelatedField(queryset=Service.objects.all(), required=False, allow_null=True)
    cis = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62), max_length=50, required=False
    )
    urgency = serializers.IntegerField(required=False, min_value=1, max_value=4)
    impact = serializers.IntegerField(required=False, min_value=1, max_value=4)


class FixSerializer(StrictSerializer):
    """The change (id) that fixes the problem."""

    change = serializers.IntegerField(min_value=1, max_value=2**62)


class LinkedTicketSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A ticket linked to a problem (an incident it causes, the change that fixes it)."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()


class KnownErrorRefSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A known error of a problem."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()


class DetailsAnswerSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The details of a problem as the API answers them (documentation of the answer)."""

    problem = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    owner = serializers.IntegerField(allow_null=True)
    root_cause = serializers.CharField()
    workaround = serializers.CharField()
    shared_with_development = serializers.BooleanField()
    development_ref = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    last_moved_at = serializers.DateTimeField(allow_null=True)
    reminded_at = serializers.DateTimeField(allow_null=True)
    known_errors = KnownErrorRefSerializer(many=True)
    incidents = LinkedTicketSerializer(many=True)
    fixed_by = LinkedTicketSerializer(many=True)
    version = serializers.IntegerField()


class DebtRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One row of the debt list."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    organisation = serializers.IntegerField()
    service = serializers.IntegerField(allow_null=True)
    owner = serializers.IntegerField(allow_null=True)
    assignee = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()
    priority = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    last_moved_at = serializers.DateTimeField()
    incidents = serializers.IntegerField()
    known_error = serializers.BooleanField()
    shared_with_development = serializers.BooleanField()
    development_ref = serializers.CharField()


class DebtPageSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The debt list answer: at most 500 rows and whether there are more."""

    results = DebtRowSerializer(many=True)
    truncated = serializers.BooleanField()


def _ids(tickets: list[Ticket]) -> list[dict[str, Any]]:
    return [
        {"id": t.pk, "number": t.number, "title": t.title, "state": t.state.code if t.state_id else ""}
        for t in tickets
    ]


def details_body(summary: Any) -> dict[str, Any]:
    """Return the details answer of a problem (its record, known errors, incidents, fixing changes)."""
    record = summary.record
    ticket = summary.ticket
    return {
        "problem": ticket.pk,
        "number": ticket.number,
        "title": ticket.title,
        "state": ticket.state.code,
        "owner": record.owner_id if record else None,
        "root_cause": record.root_cause if record else "",
        "workaround": record.workaround if record else "",
        "shared_with_development": record.shared_with_development if record else False,
        "development_ref": record.development_ref if record else "",
        "rank": record.rank if record else None,
        "last_moved_at": serializers.DateTimeField().to_representation(record.last_moved_at)
        if record
        else None,
        "reminded_at": serializers.DateTimeField().to_representation(record.reminded_at)
        if record and record.reminded_at
        else None,
        "known_errors": [{"id": k.pk, "number": k.number, "state": k.state} for k in summary.known_errors],
        "incidents": _ids(summary.incidents),
        "fixed_by": _ids(summary.fixes),
        "version": record.version if record else 1,
    }
