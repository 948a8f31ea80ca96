"""Routes of knowledge management (``/knowledge/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import views

app_name = "knowledge"

pages: list[URLPattern | URLResolver] = [
    path("articles/<int:pk>/actions/<slug:code>/", views.action, name="action"),
    path("articles/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("articles/<int:pk>/diff/", views.diff, name="diff"),
    path("articles/draft-from-ticket/", views.draft, name="draft"),
    path("", include(views.ArticleUI.urls())),
]

urlpatterns: list[URLPattern | URLResolver] = [path("knowledge/", include(pages))]
