"""Routes of monitoring (``/monitoring/``): the alert console, alerts, integrations, rules, windows."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "monitoring"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.console, name="console"),
    path("rows/", views.console_rows, name="console-rows"),
    path("counts/", views.console_counts, name="console-counts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:pk>/acknowledge/", views.acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/silence/", views.silence, name="alert-silence"),
    path("alerts/<int:pk>/link/", views.link, name="alert-link"),
    path("integrations/<int:pk>/rotate-token/", views.rotate_token, name="integrations-rotate"),
    path("integrations/<int:pk>/revoke-token/", views.revoke_token, name="integrations-revoke"),
]
for ui, _label in views.PAGES:
    urlpatterns += [path("", include(ui.urls()))]
