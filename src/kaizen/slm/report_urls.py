"""Routes of the SLA reports (being written)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "slm_reports"
urlpatterns: list[URLPattern] = []
