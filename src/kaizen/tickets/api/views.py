"""API endpoints of the desk: incidents, service requests and problems, with their actions,
comments, attachments and links.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core import memo
from kaizen.core.api.serializers import VisibleRelatedField
from kaizen.core.api.viewsets import RecordViewSet, etag, expected_version
from kaizen.core.services import delete_record

from .. import downloads, queries, services
from ..choices import Kind
from ..filters import TicketFilter
from ..models import Attachment, Comment, Ticket, TicketLink
from . import serializers

WRITE_EXTRAS = ("cis", "tags", "watchers", "template", "impact_reason", "priority", "priority_reason")


def _delete_ticket(ticket_id: int, *, actor: Any, version: int | None = None) -> None:
    delete_record(Ticket, ticket_id, actor=actor, expected_version=version)


def _prefetch_references(user: Any, bodies: list[Any], serializer: Any) -> None:
    """Look up, one query per model, the records the items name through the serializer's
    visible references (what its fields would each look up alone)."""
    fields = serializer.fields.items()
    models = {name: f.unfiltered_model() for name, f in fields if isinstance(f, VisibleRelatedField)}
    wanted: dict[Any, set[int]] = {}
    for body in bodies:
        if not isinstance(body, dict):
            continue
        for name, model in models.items():
            value = body.get(name) if model is not None else None
            if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                wanted.setdefault(model, set()).add(value)
    for model, ids in wanted.items():
        memo.prefetch_visible(model, user, ids)


def _item_errors(index: int, errors: Any) -> dict[str, Any]:
    """A batch item's serializer errors under ``items[i].field`` keys."""
    if not isinstance(errors, dict):
        return {services.item_key(index): errors}
    return {services.item_key(index, field): messages for field, messages in errors.items()}


class TicketViewSet(RecordViewSet):
    """Base of the ticket endpoints; each kind has its own collection."""

    kind: ClassVar[str]
    model = Ticket
    serializer_class = serializers.TicketSerializer
    filterset_class = TicketFilter
    select_related = queries.LIST_RELATED
    prefetch_related = ("cis", "tags", "watchers")
    create_service = staticmethod(services.create_ticket)
    update_service = staticmethod(services.update_ticket)
    delete_service = staticmethod(_delete_ticket)

    def get_queryset(self) -> QuerySet[Any]:
        if self.action == "list":
            name = self.request.query_params.get("queue", "all")
            rows = serializers.TicketListSerializer
            queue = queries.queue(self.request.user, name if name in queries.QUEUES else "all", rows.related)
            return queue.filter(kind=self.kind).only(*rows.columns)
        return super().get_queryset().filter(kind=self.kind)

    def get_serializer_class(self) -> Any:
        return serializers.TicketListSerializer if self.action == "list" else super().get_serializer_class()

    def _split(self, data: dict[str, Any]) -> dict[str, Any]:
        extras = {k: data.pop(k) for k in WRITE_EXTRAS if k in data}
        return extras

    @extend_schema(parameters=[OpenApiParameter("queue", str, enum=list(queries.QUEUES))])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def _item(self, validated: Any) -> services.BatchItem:
        data = dict(validated)
        data.pop("version", None)
        extras = self._split(data)
        return services.BatchItem(data=data, extras=extras)

    @staticmethod
    def _title_missing(item: services.BatchItem) -> bool:
        intake = item.data.get("catalog_item") is not None
        return not intake and not item.data.get("title") and "template" not in item.extras

    def _intake(self, item: services.BatchItem) -> Ticket | None:
        if item.data.get("catalog_item") is not None and self.kind in services.INTAKE:
            ticket: Ticket = services.INTAKE[self.kind](actor=self.request.user, data=item.data)
            return ticket
        return None

    def _create_one(self, item: services.BatchItem) -> Ticket:
        made = self._intake(item)
        if made is not None:
            return made
        return services.create_ticket(actor=self.request.user, kind=self.kind, data=item.data, **item.extras)

    def _file_one(self, item: services.BatchItem) -> Ticket | services.Filed:
        """A batch item: a catalogue request is recorded at once, the others are stored together."""
        made = self._intake(item)
        if made is not None:
            return made
        return services.file_ticket(actor=self.request.user, kind=self.kind, data=item.data, **item.extras)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = self._item(serializer.validated_data)
        if self._title_missing(item):
            raise drf_serializers.ValidationError({"title": [_("This field is required.")]})
        ticket = self._create_one(item)
        # The service's own instance holds everything the answer shows (no second read).
        out = self.get_serializer(ticket if hasattr(ticket, "_kaizen_m2m") else self._refetch(ticket.pk))
        return Response(out.data, status=status.HTTP_201_CREATED, headers={"ETag": etag(ticket.version)})

    @extend_schema(request=serializers.BatchSerializer, responses={201: serializers.BatchResultSerializer})
    @action(detail=False, methods=["post"])
    def batch(self, request: Request) -> Response:
        """Create up to 100 tickets in one transaction: all of them, or none (errors: ``items[i].field``).

        Items are single-create bodies. An item whose ``external_ref`` is already on a ticket of
        this kind in its organisation is answered with that ticket (``created: false``), so a
        batch may be retried safely.
        """
        envelope = serializers.BatchSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        raw = envelope.validated_data["items"]
        with memo.batch():
            child = self.get_serializer()  # one set of fields for every item, as many=True does
            _prefetch_references(request.user, raw, child)
            items, errors = [], {}
            for index, body in enumerate(raw):
                try:
                    validated = child.run_validation(body)
                except drf_serializers.ValidationError as exc:
                    errors.update(_item_errors(index, exc.detail))
                    continue
                item = self._item(validated)
                if self._title_missing(item):
                    errors[services.item_key(index, "title")] = [_("This field is required.")]
                items.append(item)
            if errors:
                raise drf_serializers.ValidationError(errors)
            done = services.create_batch(
                actor=request.user, kind=self.kind, items=items, create=self._file_one
            )
        answer = {
            "created": sum(1 for d in done if d.created),
            "items": [
                {
                    "index": index,
                    "id": d.ticket.pk,
                    "number": d.ticket.number,
                    "version": d.ticket.version,
                    "created": d.created,
                }
                for index, d in enumerate(done)
            ],
        }
        code = status.HTTP_201_CREATED if answer["created"] else status.HTTP_200_OK
        return Response(answer, status=code)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        version = expected_version(request, request.data if isinstance(request.data, dict) else {})
        data = dict(serializer.validated_data)
        data.pop("version", None)
        extras = self._split(data)
        extras.pop("template", None)
        ticket = services.update_ticket(
            instance.pk, actor=request.user, changes=data, version=version, **extras
        )
        out = self.get_serializer(self._refetch(ticket.pk))
        return Response(out.data, headers={"ETag": etag(ticket.version)})

    def _ticket(self) -> Ticket:
        ticket: Ticket = self.get_object()
        return ticket

    @extend_schema(request=serializers.ActionSerializer, responses={200: serializers.TicketSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<code>[A-Za-z0-9_-]{1,50})")
    def actions(self, request: Request, pk: str, code: str) -> Response:
        """Apply a workflow action (``resolve``, ``close``, ...); 409 lists the allowed ones."""
        ticket = self._ticket()
        params = serializers.ActionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        values = dict(params.validated_data)
        version = expected_version(request, values)
        values.pop("version", None)
        done = services.apply_action(ticket.pk, code, actor=request.user, version=version, params=values)
        return Response(
            self.get_serializer(self._refetch(done.pk)).data, headers={"ETag": etag(done.version)}
        )

    @extend_schema(
        request=serializers.CommentSerializer, responses={200: serializers.CommentSerializer(many=True)}
    )
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str) -> Response:
        """The conversation: public replies and (for staff) internal work notes."""
        ticket = self._ticket()
        if request.method == "GET":
            rows = (
                Comment.objects.visible_to(request.user)
                .filter(ticket=ticket)
                .order_by("created_at", "id")[:500]
            )
            return Response(serializers.CommentSerializer(rows, many=True).data)
        body = serializers.CommentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        comment = services.add_comment(
            ticket.pk,
            actor=request.user,
            body=values["body"],
            visibility=values.get("visibility", "public"),
            channel=values.get("channel", "api"),
            is_timeline=values.get("is_timeline", False),
        )
        return Response(serializers.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        }
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser, JSONParser])
    def attachments(self, request: Request, pk: str) -> Response:
        """Files attached to the ticket; POST one file as multipart ``file``."""
        ticket = self._ticket()
        if request.method == "GET":
            rows = Attachment.objects.visible_to(request.user).filter(ticket=ticket)[:500]
            return Response(serializers.AttachmentSerializer(rows, many=True).data)
        upload = request.FILES.get("file") if hasattr(request, "FILES") else None
        if upload is None:
            raise drf_serializers.ValidationError({"file": [_("Send one file as multipart field 'file'.")]})
        if upload.size is not None and upload.size > 0 and upload.size > self._limit():
            raise drf_serializers.ValidationError({"file": [_("The file is too large.")]})
        attachment = services.add_attachment(
            ticket.pk, actor=request.user, name=upload.name or "file", data=upload.read()
        )
        return Response(serializers.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @staticmethod
    def _limit() -> int:
        from django.conf import settings

        return int(settings.ATTACHMENT_MAX_BYTES)

    @extend_schema(request=serializers.MajorSerializer, responses={200: serializers.TicketSerializer})
    @action(detail=True, methods=["post"])
    def major(self, request: Request, pk: str) -> Response:
        """Declare (or end) a major incident; managers are notified."""
        ticket = self._ticket()
        body = serializers.MajorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request, body.validated_data)
        done = services.declare_major(
            ticket.pk,
            actor=request.user,
            version=version,
            reason=body.validated_data["reason"],
            major=body.validated_data["major"],
        )
        return Response(self.get_serializer(self._refetch(done.pk)).data)

    @extend_schema(request=serializers.ReviewDecisionSerializer)
    @action(detail=True, methods=["post"], url_path="review-decision")
    def review_decision(self, request: Request, pk: str) -> Response:
        """Record the improvement decision of an incident that needs review."""
        ticket = self._ticket()
        body = serializers.ReviewDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        version = values.pop("version", None)
        decision = services.record_review_decision(ticket.pk, actor=request.user, version=version, **values)
        return Response(
            {
                "id": decision.pk,
                "outcome": decision.outcome,
                "problem": decision.problem_id,
                "improvement": decision.improvement_id,
            },
            status=status.HTTP_201_CREATED,
        )

    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str) -> Response:
        """The requester confirms the resolution (the ticket closes when its policy lets it)."""
        ticket = self._ticket()
        done = services.confirm_resolution(ticket.pk, actor=request.user)
        return Response(self.get_serializer(self._refetch(done.pk)).data)


class IncidentViewSet(TicketViewSet):
    """Incidents: unplanned interruptions or quality losses of a service."""

    kind = Kind.INCIDENT


class RequestViewSet(TicketViewSet):
    """Service requests (from the catalogue or free form)."""

    kind = Kind.REQUEST


class ProblemViewSet(TicketViewSet):
    """Problems: the causes of incidents (the "debt list")."""

    kind = Kind.PROBLEM


class TicketLinkViewSet(RecordViewSet):
    """Links between tickets. DELETE removes a link."""

    model = TicketLink
    serializer_class = serializers.LinkSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    @staticmethod
    def _create(*, actor: Any, data: dict[str, Any]) -> TicketLink:
        return services.link_tickets(
            actor=actor,
            from_ticket=data["from_ticket"],
            to_ticket=data["to_ticket"],
            kind=data.get("kind", "relates"),
        )

    @staticmethod
    def _delete(link_id: int, *, actor: Any, version: int | None = None) -> None:
        services.unlink_tickets(link_id, actor=actor)

    create_service = _create
    delete_service = _delete


class AttachmentContentView(APIView):
    """The content of an attachment, with headers that keep browsers from running it."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> Any:
        return downloads.attachment_response(request.user, pk)
