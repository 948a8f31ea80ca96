"""``GET /api/v1/reports/sla/``: the SLA report as JSON (groups, breaches, workload, availability)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core import access

from .. import reports

PARAMETERS = [
    OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
    OpenApiParameter("start", str, description="first month of a range, YYYY-MM (instead of month)"),
    OpenApiParameter("end", str, description="last month of a range, YYYY-MM (at most 36 months)"),
    OpenApiParameter("group_by", str, enum=list(reports.GROUP_BY), description="default: service"),
    OpenApiParameter("service", int, description="service id"),
    OpenApiParameter("customer", int, description="organisation id of the tickets"),
    OpenApiParameter("priority", int, enum=[1, 2, 3, 4]),
    OpenApiParameter("agreement", int, description="one agreement (whatever its kind)"),
    OpenApiParameter("kind", str, enum=["sla", "ola", "uc"], description="agreements reported (default sla)"),
]


def _month(value: dt.date) -> str:
    return f"{value:%Y-%m}"


def _figures(m: reports.MetricFigures) -> dict[str, Any]:
    return {
        "count": m.count,
        "met": m.met,
        "breached": m.breached,
        "met_percent": m.met_percent,
        "p50_seconds": m.p50,
        "p90_seconds": m.p90,
    }


def _group(g: reports.Group) -> dict[str, Any]:
    key = _month(g.key) if isinstance(g.key, dt.date) else g.key
    return {
        "key": key,
        "label": g.label,
        "tickets": g.tickets,
        "response": _figures(g.response),
        "resolution": _figures(g.resolution),
        "breaches": g.breaches,
    }


def payload(found: reports.ReportSet) -> dict[str, Any]:
    """The JSON body of the report (times in seconds of business time, percentages 0–100)."""
    report = found.report
    return {
        "period": {
            "start": _month(report.period.start),
            "end": _month(report.period.end),
            "months": [_month(m) for m in report.period.months],
        },
        "group_by": report.group_by,
        "kind": report.kind,
        "groups": [_group(g) for g in report.groups],
        "total": _group(report.total),
        "breaches": [
            {
                "ticket": b.ticket_id,
                "number": b.number,
                "title": b.title,
                "metric": b.metric,
                "priority": b.priority,
                "customer": b.customer,
                "service": b.service,
                "stopped_at": b.stopped_at.isoformat(),
                "elapsed_seconds": b.elapsed_seconds,
                "target_seconds": b.target_seconds,
                "over_seconds": b.over_seconds,
                "url": settings.PUBLIC_URL + b.url,
            }
            for b in found.breaches.rows
        ],
        "breaches_truncated": found.breaches.more,
        "workload": [
            {
                "agreement": r.agreement_id,
                "agreement_label": r.agreement,
                "month": _month(r.month),
                "tickets": r.tickets,
                "monthly_limit": r.limit,
                "percent_of_limit": r.percent,
                "over_limit": r.over,
            }
            for r in found.workload
        ],
        "availability": [
            {
                "service": r.service_id,
                "service_label": r.service,
                "month": _month(r.month),
                "agreement": r.agreement_id,
                "basis": r.basis,
                "period_seconds": r.period_seconds,
                "unplanned_seconds": r.unplanned_seconds,
                "planned_seconds": r.planned_seconds,
                "unplanned_outages": r.outages,
                "availability_percent": r.availability,
                "target_percent": r.target,
                "met": r.met,
            }
            for r in found.availability
        ],
    }


class SlaReportView(APIView):
    """SLA achievement per group (met %, p50/p90), the newest 200 breaches, workload and availability.

    Staff only; only tickets of organisations the caller may see are counted.
    """

    @extend_schema(
        operation_id="reports_sla",
        parameters=PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
        description=(
            "Response and resolution clocks of tickets stopped in the month (or range), grouped; "
            "p50/p90 are linear interpolation (percentile_cont) of business seconds. Availability "
            "counts unplanned outages within the agreement's service hours. Bad parameters: 400 "
            "problem+json with `errors` by parameter."
        ),
    )
    def get(self, request: Request) -> Response:
        """Return the report for the query parameters."""
        if not access.has_any_role(request.user, access.STAFF_ROLES):
            raise PermissionDenied(_("Service level reports are for staff."))
        try:
            group_by, filters = reports.parse_params(request.query_params)
            found = reports.report_set(request.user, group_by=group_by, **filters)
        except reports.ReportError as exc:
            raise ValidationError({exc.field: [exc.message]}) from exc
        return Response(payload(found))
