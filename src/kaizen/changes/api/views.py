"""API endpoints of change enablement: changes (with the desk's actions), templates, boards, windows,
the calendar, the CAB agenda, the risk questionnaire and the KPIs."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core import access
from kaizen.core.api.viewsets import RecordViewSet, etag, expected_version
from kaizen.tickets.api.views import TicketViewSet
from kaizen.tickets.choices import Kind

from .. import policies, queries, schedule, services
from ..models import WORKERS, ChangeBoard, ChangeTemplate, ChangeWindow
from . import serializers

MAX_RANGE = dt.timedelta(days=92)


def _bad(field: str, message: str) -> drf_serializers.ValidationError:
    return drf_serializers.ValidationError({field: [message]})


def _moment(request: Request, name: str, default: dt.datetime | None = None) -> dt.datetime:
    raw = request.query_params.get(name, "")
    if not raw:
        if default is None:
            raise _bad(name, _("This parameter is required (ISO 8601 date or date and time)."))
        return default
    value: dt.datetime | None = None
    try:
        value = parse_datetime(raw)
        if value is None:
            day = parse_date(raw)
            value = dt.datetime.combine(day, dt.time.min) if day else None
    except ValueError:
        value = None
    if value is None:
        raise _bad(name, _("Enter an ISO 8601 date or date and time."))
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _warnings(found: list[schedule.ScheduleWarning]) -> list[dict[str, Any]]:
    return [w.as_dict() for w in found]


class ChangeViewSet(TicketViewSet):
    """Changes (RFCs): the desk's ticket fields plus ``change``; workflow actions as for every ticket.

    Standard changes: ``POST`` with ``change_template`` (no CAB), then ``actions/schedule/``.
    Normal and emergency changes: ``actions/submit/`` asks the CAB or the ECAB (``/api/v1/approvals/``).
    """

    kind = Kind.CHANGE
    serializer_class = serializers.ChangeSerializer
    select_related: ClassVar[tuple[str, ...]] = (*TicketViewSet.select_related, "change")

    def get_queryset(self) -> Any:
        if self.action == "list":  # queue rows: the ticket list's columns only (no change record)
            return super().get_queryset()
        return super().get_queryset().select_related("change")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("version", None)
        record = dict(data.pop("change", None) or {})
        template = data.pop("change_template", None)
        extras = self._split(data)
        if extras.pop("template", None) is not None:
            raise _bad("template", _("Changes use change_template (a standard change template)."))
        if not data.get("title") and template is None:
            raise _bad("title", _("This field is required."))
        ticket = services.raise_change(
            actor=request.user,
            data=data,
            change=record,
            cis=extras.get("cis", ()),
            tags=extras.get("tags", ()),
            template=template,
        )
        out = self.get_serializer(self._refetch(ticket.pk))
        return Response(out.data, status=status.HTTP_201_CREATED, headers={"ETag": etag(ticket.version)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        body = self.get_serializer(instance, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        version = expected_version(request, request.data if isinstance(request.data, dict) else {})
        data = dict(body.validated_data)
        data.pop("version", None)
        record = data.pop("change", None)
        if data.pop("change_template", None) is not None:
            raise _bad("change_template", _("The template is chosen when the change is raised."))
        extras = self._split(data)
        extras.pop("template", None)
        from kaizen.tickets import services as tickets

        with transaction.atomic():
            current = version
            if data or extras:
                ticket = tickets.update_ticket(
                    instance.pk, actor=request.user, changes=data, version=current, **extras
                )
                current = ticket.version
            if record:
                services.update_change(instance.pk, actor=request.user, changes=record, version=current)
        fresh = self._refetch(instance.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag(fresh.version)})

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def conflicts(self, request: Request, pk: str) -> Response:
        """Conflicting changes and freeze, blackout or maintenance windows of the planned window now."""
        ticket = self._ticket()
        record = services.require_change(ticket)
        return Response({"warnings": _warnings(schedule.redact(schedule.warnings_for(record), request.user))})

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def impact(self, request: Request, pk: str) -> Response:
        """The services and customers the change's CIs reach in the CMDB."""
        found = schedule.impact_of(self._ticket(), request.user)
        return Response(
            {
                "cis": found.cis,
                "services": [{"id": s.pk, "name": str(s)} for s in found.services],
                "customers": [{"id": o.pk, "name": o.name} for o in found.customers],
                "hidden_services": found.hidden,
            }
        )

    @extend_schema(request=serializers.ReviewSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str) -> Response:
        """Record the post-implementation review (the change must be in review)."""
        ticket = self._ticket()
        body = serializers.ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        version = expected_version(request, values)
        services.record_review(
            ticket.pk,
            actor=request.user,
            outcome=values["outcome"],
            notes=values.get("notes", ""),
            version=version,
        )
        fresh = self._refetch(ticket.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag(fresh.version)})


class ChangeTemplateViewSet(RecordViewSet):
    """Standard change templates (pre-approved); managers maintain them."""

    model = ChangeTemplate
    serializer_class = serializers.TemplateSerializer
    create_service = staticmethod(services.create_template)
    update_service = staticmethod(services.update_template)
    delete_service = staticmethod(services.delete_template)


class ChangeBoardViewSet(RecordViewSet):
    """The CAB and the ECAB with their members (login ids) and how they decide."""

    model = ChangeBoard
    serializer_class = serializers.BoardSerializer
    prefetch_related = ("members",)
    create_service = staticmethod(services.create_board)
    update_service = staticmethod(services.update_board)
    delete_service = staticmethod(services.delete_board)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"data": data}
        if "members" in data:
            kwargs["members"] = data.pop("members")
        return kwargs


class ChangeWindowViewSet(RecordViewSet):
    """Freeze, blackout and maintenance windows (``services`` empty: every service)."""

    model = ChangeWindow
    serializer_class = serializers.WindowSerializer
    prefetch_related = ("services",)
    create_service = staticmethod(services.create_window)
    update_service = staticmethod(services.update_window)
    delete_service = staticmethod(services.delete_window)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"data": data}
        if "services" in data:
            kwargs["services"] = data.pop("services")
        return kwargs


class _StaffView(APIView):
    permission_classes: ClassVar[list[Any]] = [IsAuthenticated]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if not access.has_any_role(request.user, WORKERS):
            from rest_framework.exceptions import PermissionDenied

            raise PermissionDenied(_("You do not have permission to do this."))


class ChangeCalendarView(_StaffView):
    """``GET ?start=&end=``: the changes planned in the range and the change windows (at most 92 days)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, required=True),
            OpenApiParameter("end", str, required=True),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        start, end = _moment(request, "start"), _moment(request, "end")
        if end <= start:
            raise _bad("end", _("The end must be after the start."))
        if end - start > MAX_RANGE:
            raise _bad("end", _("At most %(n)s days at once.") % {"n": MAX_RANGE.days})
        found = schedule.calendar(request.user, start, end)
        return Response(
            {
                "changes": [
                    {
                        "id": c.ticket_id,
                        "number": c.number,
                        "title": c.title,
                        "type": c.change_type,
                        "state": c.state,
                        "planned_start": c.start.isoformat(),
                        "planned_end": c.end.isoformat(),
                        "cis": sorted(c.cis),
                    }
                    for c in found["changes"]
                ],
                "windows": [
                    {
                        "id": w.pk,
                        "name": w.label(),
                        "kind": w.kind,
                        "starts_at": w.starts_at.isoformat(),
                        "ends_at": w.ends_at.isoformat(),
                    }
                    for w in found["windows"]
                ],
            }
        )


def _agenda_item(item: schedule.AgendaItem) -> dict[str, Any]:
    return {
        "id": item.ticket_id,
        "number": item.number,
        "title": item.title,
        "type": item.change_type,
        "state": item.state,
        "risk_level": item.risk_level,
        "risk_score": item.risk_score,
        "impact": item.impact,
        "planned_start": item.planned_start.isoformat() if item.planned_start else None,
        "planned_end": item.planned_end.isoformat() if item.planned_end else None,
        "services": item.services,
        "customers": item.customers,
        "warnings": _warnings(item.warnings),
        "approvals": [{"id": a.pk, "approver": a.approver_id, "state": a.state} for a in item.approvals],
    }


class CabAgendaView(_StaffView):
    """``GET ?date=YYYY-MM-DD``: the normal changes the CAB decides, and those due in the next 7 days."""

    @extend_schema(parameters=[OpenApiParameter("date", str)], responses={200: dict})
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("date", "")
        try:
            day = parse_date(raw) if raw else timezone.localdate()
        except ValueError:
            day = None
        if day is None:
            raise _bad("date", _("Enter a date (YYYY-MM-DD)."))
        found = schedule.agenda(request.user, day)
        return Response(
            {
                "date": day.isoformat(),
                "decide": [_agenda_item(i) for i in found["decide"]],
                "upcoming": [_agenda_item(i) for i in found["upcoming"]],
            }
        )


class RiskQuestionsView(_StaffView):
    """The risk questionnaire: each question with its answers and their scores."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "questions": [
                    {
                        "code": q.code,
                        "text": str(q.text),
                        "answers": [
                            {"code": c, "label": str(label), "score": s} for c, label, s in q.answers
                        ],
                    }
                    for q in policies.QUESTIONS
                ],
                "max_score": policies.MAX_SCORE,
            }
        )


class ChangeKpiView(_StaffView):
    """``GET ?start=&end=&group_by=team|service|type``: success rate, changes that caused incidents."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
            OpenApiParameter("group_by", str, enum=list(queries.GROUPS)),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        now = timezone.now()
        start = _moment(request, "start", now - dt.timedelta(days=30))
        end = _moment(request, "end", now)
        if end <= start:
            raise _bad("end", _("The end must be after the start."))
        group_by = request.query_params.get("group_by", "team")
        if group_by not in queries.GROUPS:
            raise _bad("group_by", _("Group by team, service or type."))
        rows = queries.kpis(request.user, start, end, group_by=group_by)
        return Response(
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "group_by": group_by,
                "rows": [
                    {
                        "key": r.key,
                        "label": r.label,
                        "implemented": r.implemented,
                        "reviewed": r.reviewed,
                        "successful": r.successful,
                        "unsuccessful": r.unsuccessful,
                        "success_rate": r.success_rate,
                        "caused_incidents": r.caused_incidents,
                    }
                    for r in rows
                ],
            }
        )
