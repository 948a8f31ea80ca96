"""Routes of problem management (``/problems/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "problems"

pages: list[URLPattern | URLResolver] = [
    path("", views.debt, name="debt"),
    path("export/", views.export, name="export"),
    path("new/", views.create, name="create"),
    path("<int:pk>/details/", views.details, name="details"),
    path("<int:pk>/fix/", views.fix, name="fix"),
    path("incidents/<int:pk>/link/", views.link_incident, name="link-incident"),
    path("known-errors/<int:pk>/publish/", views.publish, name="known-error-publish"),
    path("known-errors/<int:pk>/retire/", views.retire, name="known-error-retire"),
    path("", include(views.KnownErrorUI.urls())),
]

urlpatterns: list[URLPattern | URLResolver] = [path("problems/", include(pages))]
