"""Routes of the requester portal (``/portal/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "portal"

portal: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("new/", views.new_incident, name="new-incident"),
    path("new/suggestions/", views.suggest, name="suggest"),
    path("new/answered/", views.answered, name="answered"),
    path("ask/", views.ask, name="ask"),
    path("ask/ticket/", views.ask_ticket, name="ask-ticket"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:pk>/", views.request_item, name="request-item"),
    path("approvals/", views.approvals, name="approvals"),
    path("tickets/<int:pk>/", views.ticket, name="ticket"),
    path("tickets/<int:pk>/reply/", views.reply, name="reply"),
    path("tickets/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("tickets/<int:pk>/<slug:code>/", views.act, name="act"),
    path("files/<int:pk>/", views.download, name="download"),
]

urlpatterns: list[URLPattern | URLResolver] = [path("portal/", include(portal))]
