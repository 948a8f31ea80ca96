"""API endpoints of problem management: known errors, problem details, problems from incidents,
the fixing change, suggestions for an incident and the debt list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core import access
from kaizen.core.api.viewsets import RecordViewSet, etag, expected_version
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

from .. import queries, services
from ..choices import DebtView
from ..filters import DebtFilter, KnownErrorFilter
from ..models import KnownError
from . import serializers

MAX_DEBT_ROWS = 500


def _body(request: Request) -> Mapping[str, Any]:
    return request.data if isinstance(request.data, Mapping) else {}


def _require_staff(request: Request) -> None:
    if not access.has_any_role(request.user, access.STAFF_ROLES):
        raise PermissionDenied(_("Problem management is for staff."))


class KnownErrorViewSet(RecordViewSet):
    """Known errors (``?q=`` searches their text; ``?state=published``). Publish and retire are actions."""

    model = KnownError
    serializer_class = serializers.KnownErrorSerializer
    filterset_class = KnownErrorFilter
    select_related = ("organisation", "problem")
    prefetch_related = ("services", "cis")
    create_service = staticmethod(services.create_known_error)
    update_service = staticmethod(services.update_known_error)
    delete_service = staticmethod(services.delete_known_error)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        scope: dict[str, Any] = {name: data.pop(name) for name in ("services", "cis") if name in data}
        return {"data": data, **scope}

    def _state(self, request: Request, publish: bool) -> Response:
        instance = self.get_object()
        body = serializers.StateChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request, body.validated_data)
        if publish:
            done = services.publish_known_error(instance.pk, actor=request.user, version=version)
        else:
            done = services.retire_known_error(
                instance.pk, actor=request.user, version=version, reason=body.validated_data.get("reason", "")
            )
        out = self.get_serializer(self._refetch(done.pk))
        return Response(out.data, headers={"ETag": etag(done.version)})

    @extend_schema(
        request=serializers.StateChangeSerializer, responses={200: serializers.KnownErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: Any = None) -> Response:
        """Publish the known error: agents get it suggested on matching incidents (needs a workaround)."""
        return self._state(request, publish=True)

    @extend_schema(
        request=serializers.StateChangeSerializer, responses={200: serializers.KnownErrorSerializer}
    )
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: Any = None) -> Response:
        """Retire the known error (it no longer applies); ``reason`` is optional."""
        return self._state(request, publish=False)


def _problem(request: Request, pk: int) -> Ticket:
    _require_staff(request)
    found = queries.problems(request.user).select_related("state").filter(pk=pk).first()
    if found is None:
        raise Ticket.DoesNotExist(_("No such problem, or you may not see it."))
    return found


def _details(request: Request, ticket: Ticket, code: int = status.HTTP_200_OK) -> Response:
    fresh = queries.problems(request.user).select_related("state").get(pk=ticket.pk)
    body = serializers.details_body(queries.summary(request.user, fresh))
    return Response(body, status=code, headers={"ETag": etag(body["version"])})


class ProblemDetailsView(APIView):
    """The details of a problem: owner, root cause, workaround, sharing, rank, known errors, links."""

    @extend_schema(responses={200: serializers.DetailsAnswerSerializer})
    def get(self, request: Request, pk: int) -> Response:
        """Return the problem's details (``version`` 1 until someone writes them)."""
        return _details(request, _problem(request, pk))

    @extend_schema(
        request=serializers.DetailsSerializer, responses={200: serializers.DetailsAnswerSerializer}
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Change the details; send ``version`` (or If-Match): stale is 409 with ``changes_since``."""
        ticket = _problem(request, pk)
        body = serializers.DetailsSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        version = expected_version(request, _body(request))
        changes = {k: v for k, v in body.validated_data.items() if k != "version"}
        services.update_details(ticket.pk, actor=request.user, changes=changes, version=version)
        return _details(request, ticket)


class ProblemFromIncidentsView(APIView):
    """Record a problem from incidents (ids), each linked as "is caused by" the problem."""

    @extend_schema(
        request=serializers.FromIncidentsSerializer, responses={201: serializers.DetailsAnswerSerializer}
    )
    def post(self, request: Request) -> Response:
        """Create the problem; another organisation's incident (or an unknown id) is a 400."""
        _require_staff(request)
        body = serializers.FromIncidentsSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        incidents = data.pop("incidents", [])
        cis = data.pop("cis", None)
        ticket = services.create_problem(actor=request.user, incidents=incidents, data=data, cis=cis)
        return _details(request, ticket, status.HTTP_201_CREATED)


class ProblemFixView(APIView):
    """Link the change that fixes the problem (the problem "is fixed by" the change)."""

    @extend_schema(request=serializers.FixSerializer, responses={201: serializers.DetailsAnswerSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Link the fixing change (idempotent)."""
        ticket = _problem(request, pk)
        body = serializers.FixSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.link_fix(ticket.pk, actor=request.user, change=body.validated_data["change"])
        return _details(request, ticket, status.HTTP_201_CREATED)


class IncidentKnownErrorsView(APIView):
    """Published known errors matching an incident (its CIs, service and words), best first."""

    @extend_schema(responses={200: serializers.SuggestionSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        """Return at most 10 suggestions with their score and what matched."""
        _require_staff(request)
        incident = Ticket.objects.visible_to(request.user).filter(pk=pk, kind=Kind.INCIDENT).first()
        if incident is None:
            raise Ticket.DoesNotExist(_("No such incident, or you may not see it."))
        linked = queries.linked_problem_ids(incident)
        rows = [
            {
                "known_error": s.known_error,
                "score": s.score,
                "reasons": list(s.reasons),
                "problem_linked": s.known_error.problem_id in linked,
            }
            for s in queries.suggestions(request.user, incident, limit=10)
        ]
        return Response(serializers.SuggestionSerializer(rows, many=True, context={"request": request}).data)


class DebtListView(APIView):
    """The debt list: open problems by rank, priority and age (the filters of the page)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("view", str, enum=list(DebtView.values)),
            OpenApiParameter("service", int),
            OpenApiParameter("owner", int),
            OpenApiParameter("organisation", int),
            OpenApiParameter("shared", bool),
            OpenApiParameter("known_error", bool),
            OpenApiParameter("q", str),
        ],
        responses={200: serializers.DebtPageSerializer},
    )
    def get(self, request: Request) -> Response:
        """Return at most 500 rows in the list's order (``truncated`` tells when there are more)."""
        _require_staff(request)
        qs = queries.debt_list(request.user)
        params = request.query_params.copy()
        if params.pop("view", [DebtView.ALL])[-1] == DebtView.DEVELOPMENT:
            qs = qs.filter(problem_record__shared_with_development=True)
        filterset = DebtFilter(params, queryset=qs, request=request)
        if not filterset.is_valid():
            from rest_framework.exceptions import ValidationError

            raise ValidationError(filterset.errors)
        rows = list(filterset.qs[: MAX_DEBT_ROWS + 1])
        out = []
        for ticket in rows[:MAX_DEBT_ROWS]:
            record: Any = getattr(ticket, "problem_record", None)
            out.append(
                {
                    "id": ticket.pk,
                    "number": ticket.number,
                    "title": ticket.title,
                    "organisation": ticket.organisation_id,
                    "service": ticket.service_id,
                    "owner": record.owner_id if record else None,
                    "assignee": ticket.assignee_id,
                    "state": ticket.state.code,
                    "priority": ticket.priority,
                    "rank": record.rank if record else None,
                    "created_at": ticket.created_at,
                    "last_moved_at": ticket.moved_at,
                    "incidents": ticket.incident_count,
                    "known_error": ticket.has_known_error,
                    "shared_with_development": bool(record and record.shared_with_development),
                    "development_ref": record.development_ref if record else "",
                }
            )
        return Response({"results": out, "truncated": len(rows) > MAX_DEBT_ROWS})
