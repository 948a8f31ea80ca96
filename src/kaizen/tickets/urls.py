"""Routes of the agent UI (``/desk/``) and the desk settings."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import settings_views, views

app_name = "tickets"

desk: list[URLPattern | URLResolver] = [
    path("", views.queue, name="queue"),
    path("new/", views.create, name="create"),
    path("stale/", views.stale_view, name="stale"),
    path("bulk/", views.bulk, name="bulk"),
    path("views/", views.save_view, name="save-view"),
    path("views/<int:pk>/delete/", views.delete_view, name="delete-view"),
    path("tickets/<int:pk>/", views.ticket_page, name="ticket"),
    path("tickets/<int:pk>/edit/", views.edit, name="edit"),
    path("tickets/<int:pk>/actions/<slug:code>/", views.action, name="action"),
    path("tickets/<int:pk>/comment/", views.comment, name="comment"),
    path("tickets/<int:pk>/attachments/", views.attach, name="attach"),
    path("tickets/<int:pk>/major/", views.major, name="major"),
    path("tickets/<int:pk>/review/", views.review, name="review"),
    path("tickets/<int:pk>/link/", views.link, name="link"),
    path("tickets/<int:pk>/watch/", views.watch, name="watch"),
    path("links/<int:pk>/delete/", views.unlink, name="unlink"),
    path("attachments/<int:pk>/", views.download, name="download"),
    path("settings/", settings_views.settings_page, name="settings"),
]
for ui, _label in settings_views.SETTINGS_PAGES:
    desk += [path("settings/", include(ui.urls()))]

urlpatterns: list[URLPattern | URLResolver] = [path("desk/", include(desk))]
