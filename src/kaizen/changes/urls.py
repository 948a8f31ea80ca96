"""Routes of change enablement's pages (``/changes/``) and its settings."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "changes"

pages: list[URLPattern | URLResolver] = [
    path("", views.board, name="board"),
    path("new/", views.create, name="create"),
    path("calendar/", views.calendar, name="calendar"),
    path("cab/", views.cab, name="cab"),
    path("kpis/", views.kpis, name="kpis"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/proceed/<slug:code>/", views.proceed, name="proceed"),
    path("settings/", views.settings_page, name="settings"),
]
for ui, _label in views.SETTINGS_PAGES:
    pages += [path("settings/", include(ui.urls()))]

urlpatterns: list[URLPattern | URLResolver] = [path("changes/", include(pages))]
