"""Application config of search."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    """Full-text search over tickets (and, later, knowledge articles) in Japanese and English."""

    name = "kaizen.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from . import demo, navigation, receivers  # noqa: F401
