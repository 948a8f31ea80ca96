"""Routes of the request catalogue pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "requests"

urlpatterns: list[URLPattern | URLResolver] = [
    path("desk/tasks/<int:pk>/", views.update_task, name="task"),
    *views.CatalogItemUI.urls(),
]
