"""API endpoints of mail intake: mailboxes, an upload of raw messages, received mail."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, UnsupportedMediaType, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core import access
from kaizen.core.api.viewsets import RecordViewSet
from kaizen.mail.limits import DEFAULT_LIMITS

from .. import downloads, queries, services
from ..choices import MailState, Transport
from ..models import Mailbox
from . import serializers

RAW_TYPES = ("message/rfc822", "application/octet-stream")


class RawMessageParser(BaseParser):
    """Hand over the request body as bytes (``message/rfc822``), bounded by the message size limit."""

    media_type = "message/rfc822"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> bytes:
        data = stream.read(DEFAULT_LIMITS.max_bytes + 1) if stream is not None else b""
        if len(data) > DEFAULT_LIMITS.max_bytes:
            raise ValidationError({"message": f"At most {DEFAULT_LIMITS.max_bytes} bytes."})
        return bytes(data)


class OctetParser(RawMessageParser):
    media_type = "application/octet-stream"


class MailboxViewSet(RecordViewSet):
    """Mailboxes. ``POST .../{id}/messages/`` stores a raw message (``message/rfc822``) for it."""

    model = Mailbox
    serializer_class = serializers.MailboxSerializer
    create_service = staticmethod(services.create_mailbox)
    update_service = staticmethod(services.update_mailbox)
    delete_service = staticmethod(services.delete_mailbox)
    select_related = ("organisation",)

    @extend_schema(request={"message/rfc822": OpenApiTypes.BINARY}, responses={202: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], parser_classes=[RawMessageParser, OctetParser])
    def messages(self, request: Request, pk: Any = None) -> Response:
        """Store one raw message as if received (for a mail server's pipe or a migration); 202."""
        mailbox = self.get_object()
        if not access.can(request.user, "change", Mailbox, obj=mailbox):
            raise PermissionDenied()
        body = request.data
        if not body and (request.content_type or "").split(";")[0].strip().lower() in RAW_TYPES:
            body = b""  # DRF hands an empty body over as an empty form, not as bytes
        if not isinstance(body, bytes):
            raise UnsupportedMediaType(
                request.content_type or "", detail=f"Send the message as {RAW_TYPES[0]}."
            )
        received = services.receive(
            mailbox=mailbox,
            raw=body,
            transport=Transport.API,
            remote_addr=request.META.get("REMOTE_ADDR", ""),
        )
        code = status.HTTP_200_OK if received.duplicate else status.HTTP_202_ACCEPTED
        return Response(serializers.stored(received.mail, received.duplicate), status=code)


class MailMessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Received messages of the mailboxes you may see, newest first (``?state=``, ``?mailbox=``)."""

    serializer_class = serializers.InboundMailSerializer
    permission_classes = (IsAuthenticated,)

    def get_queryset(self) -> Any:
        if not access.has_any_role(self.request.user, access.STAFF_ROLES):
            return queries.messages(self.request.user).none()
        qs = queries.messages(self.request.user).order_by("-id")
        state = self.request.query_params.get("state")
        if state:
            if state not in MailState.values:
                raise ValidationError({"state": f"One of: {', '.join(MailState.values)}."})
            qs = qs.filter(state=state)
        mailbox = self.request.query_params.get("mailbox")
        if mailbox:
            if not mailbox.isdigit() or len(mailbox) > 15:
                raise ValidationError({"mailbox": "A mailbox id."})
            qs = qs.filter(mailbox_id=int(mailbox))
        return qs

    @extend_schema(responses={200: OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def original(self, request: Request, pk: Any = None) -> HttpResponse:
        """Download the message exactly as received."""
        mail = self.get_queryset().defer(None).filter(pk=self.get_object().pk).get()
        return downloads.original_response(mail)
