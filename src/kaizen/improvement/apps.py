"""Application config of the continual improvement register."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImprovementConfig(AppConfig):
    """The improvement register: opportunities for improvement, their owners and outcomes."""

    name = "kaizen.improvement"
    label = "improvement"
    verbose_name = _("Continual improvement")

    def ready(self) -> None:
        pass
