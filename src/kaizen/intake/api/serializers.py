"""Serializers of the mail intake API: mailboxes (the secrets are write-only), received mail."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer

from ..models import MAILBOX_FIELDS, InboundMail, Mailbox

COMMON = ["id", "version", "created_at", "updated_at"]


class MailboxSerializer(StrictModelSerializer):
    """A mailbox. Secrets are accepted, never returned; ``has_...`` tells whether one is set.

    ``imap_password``, ``oauth_client_secret`` and ``oauth_refresh_token`` are write-only; an
    empty or missing one keeps the stored value.
    """

    imap_password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500, style={"input_type": "password"}
    )
    oauth_client_secret = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2000, style={"input_type": "password"}
    )
    oauth_refresh_token = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=4000, style={"input_type": "password"}
    )
    has_password = serializers.SerializerMethodField()
    has_client_secret = serializers.SerializerMethodField()
    has_refresh_token = serializers.SerializerMethodField()

    class Meta:
        model = Mailbox
        fields: ClassVar[list[str]] = [
            *MAILBOX_FIELDS,
            "has_password",
            "has_client_secret",
            "has_refresh_token",
            "last_polled_at",
            "last_received_at",
            "last_error",
            "last_error_at",
            *COMMON,
        ]
        read_only_fields: ClassVar[list[str]] = [
            "last_polled_at",
            "last_received_at",
            "last_error",
            "last_error_at",
            "created_at",
            "updated_at",
        ]

    def get_has_password(self, obj: Mailbox) -> bool:
        """Tell whether an IMAP password is stored."""
        return bool(obj.imap_password)

    def get_has_client_secret(self, obj: Mailbox) -> bool:
        """Tell whether an OAuth client secret is stored."""
        return bool(obj.oauth_client_secret)

    def get_has_refresh_token(self, obj: Mailbox) -> bool:
        """Tell whether an OAuth refresh token is stored (then the refresh-token grant is used)."""
        return bool(obj.oauth_refresh_token)

    def validate_oauth_client_secret(self, value: str) -> str:
        return _one_line(value)

    def validate_oauth_refresh_token(self, value: str) -> str:
        return _one_line(value)


def _one_line(value: str) -> str:
    value = value.strip()
    if value and not value.isprintable():
        raise serializers.ValidationError(_("Paste the value on one line, without control characters."))
    return value


class InboundMailSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A received message and what became of it (read-only; the original is at ``original``)."""

    ticket_number = serializers.CharField(source="ticket.number", read_only=True, default=None)
    original = serializers.SerializerMethodField()

    class Meta:
        model = InboundMail
        fields: ClassVar[list[str]] = [
            "id",
            "mailbox",
            "transport",
            "received_at",
            "size",
            "message_id",
            "sender",
            "subject",
            "state",
            "reason",
            "spoofed",
            "ticket",
            "ticket_number",
            "comment",
            "processed_at",
            "original",
        ]
        read_only_fields = fields

    def get_original(self, obj: InboundMail) -> str:
        """Return where the message's original bytes are downloaded."""
        return f"/api/v1/mail-messages/{obj.pk}/original/"


def stored(mail: InboundMail, duplicate: bool) -> dict[str, Any]:
    """Return the answer to an upload: the stored message and whether it was a redelivery."""
    return {"id": mail.pk, "state": mail.state, "duplicate": duplicate, "message_id": mail.message_id}
