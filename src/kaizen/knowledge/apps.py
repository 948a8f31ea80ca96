"""Application config of knowledge management."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Knowledge articles: drafts, review, publication, versions, feedback and periodic re-review."""

    name = "kaizen.knowledge"
    label = "knowledge"
    verbose_name = _("Knowledge management")

    def ready(self) -> None:
        from . import demo, navigation, searching, tasks  # noqa: F401
