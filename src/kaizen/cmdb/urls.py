"""CMDB UI routes."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from . import views

app_name = "cmdb"

urlpatterns: list[URLPattern | URLResolver] = [
    *views.CIUI.urls(),
    *views.CITypeUI.urls(),
    *views.RelationshipTypeUI.urls(),
    *views.RelationshipRuleUI.urls(),
    *views.RelationshipUI.urls(),
    *views.SoftwareUI.urls(),
]
