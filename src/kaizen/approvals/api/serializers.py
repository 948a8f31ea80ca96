"""Serializers of the approvals API."""

from __future__ import annotations

from rest_framework import serializers

from kaizen.tickets.api.serializers import StrictSerializer

from ..models import MAX_COMMENT, Approval, ApprovalRound


class ApprovalSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    ticket_kind = serializers.CharField(source="ticket.kind", read_only=True)
    purpose = serializers.CharField(source="round.purpose", read_only=True)
    mode = serializers.CharField(source="round.mode", read_only=True)

    class Meta:
        model = Approval
        fields = [
            "id",
            "round",
            "ticket",
            "ticket_number",
            "ticket_kind",
            "purpose",
            "mode",
            "approver",
            "on_behalf_of",
            "order",
            "state",
            "decided_at",
            "comment",
            "version",
        ]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalRound
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "purpose",
            "mode",
            "quorum",
            "outcome",
            "decided_at",
            "allow_self",
            "approvals",
            "created_at",
            "version",
        ]
        read_only_fields = fields


class DecisionSerializer(StrictSerializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)


class DelegationSerializer(StrictSerializer):
    to = serializers.IntegerField(min_value=1, help_text="The login (user id) that decides instead.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT)
