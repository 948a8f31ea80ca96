"""CMDB UI routes."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "cmdb"

urlpatterns: list[URLPattern | URLResolver] = [
    path("cis/import/", views.import_page, name="import"),
    path("cis/import/<int:pk>/", views.import_job, name="import-job"),
    *views.CIUI.urls(),
    *views.CITypeUI.urls(),
    *views.RelationshipTypeUI.urls(),
    *views.RelationshipRuleUI.urls(),
    *views.RelationshipUI.urls(),
    *views.SoftwareUI.urls(),
]
