"""Routes of the SLA reports (mounted at ``/service-levels/reports/``)."""

from __future__ import annotations

from django.urls import URLPattern, path

from . import report_views

app_name = "slm_reports"
urlpatterns: list[URLPattern] = [
    path("", report_views.report, name="report"),
    path("export/", report_views.export, name="export"),
]
