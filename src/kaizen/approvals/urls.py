"""Routes of the approval inbox."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "approvals"

urlpatterns: list[URLPattern | URLResolver] = [
    path("approvals/", views.inbox, name="inbox"),
]
