"""Routes of knowledge management (``/knowledge/``)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path

from . import faq_views, views

app_name = "knowledge"

pages: list[URLPattern | URLResolver] = [
    path("articles/<int:pk>/actions/<slug:code>/", views.action, name="action"),
    path("articles/<int:pk>/feedback/", views.feedback, name="feedback"),
    path("articles/<int:pk>/diff/", views.diff, name="diff"),
    path("articles/draft-from-ticket/", views.draft, name="draft"),
    path("faq/", faq_views.runs, name="faq"),
    path("faq/<int:pk>/", faq_views.run_page, name="faq-run"),
    path("faq/topics/<int:pk>/draft/", faq_views.draft, name="faq-draft"),
    path("", include(views.ArticleUI.urls())),
]

urlpatterns: list[URLPattern | URLResolver] = [path("knowledge/", include(pages))]
