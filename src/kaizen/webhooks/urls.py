"""Webhook UI routes, under ``/admin/webhooks/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "webhooks"

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/webhooks/<int:pk>/test/", views.send_test, name="webhooks-test"),
    path("admin/webhooks/deliveries/<int:pk>/redeliver/", views.redeliver, name="webhooks-redeliver"),
    path("admin/", include(views.EndpointUI.urls())),
]
