"""Routes of the release pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "releases"

urlpatterns: list[URLPattern | URLResolver] = [
    path("releases/<int:pk>/actions/<slug:code>/", views.action, name="action"),
    path("releases/<int:pk>/changes/", views.bundle, name="bundle"),
    path("releases/<int:pk>/items/", views.add_item, name="add-item"),
    path("releases/<int:pk>/apply-checklist/", views.apply_checklist, name="apply-checklist"),
    path("releases/items/<int:pk>/check/", views.check_item, name="check-item"),
    path("releases/items/<int:pk>/uncheck/", views.uncheck_item, name="uncheck-item"),
    path("releases/items/<int:pk>/remove/", views.remove_item, name="remove-item"),
    *views.ReleaseUI.urls(),
    *views.ChecklistUI.urls(),
    *views.ChecklistItemUI.urls(),
]
