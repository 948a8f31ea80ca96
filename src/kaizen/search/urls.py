"""Route of the search page."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "search"

urlpatterns: list[URLPattern | URLResolver] = [
    path("search/", views.page, name="page"),
]
