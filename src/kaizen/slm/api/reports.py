"""SLA report API (being written)."""

from __future__ import annotations

from rest_framework.views import APIView


class SlaReportView(APIView):
    """GET /api/v1/reports/sla/ (being written)."""
