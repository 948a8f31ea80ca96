"""Application config of problem management."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management: problem details, known errors, the debt list, reminders."""

    name = "kaizen.problems"
    label = "problems"
    verbose_name = _("Problem management")

    def ready(self) -> None:
        from . import demo, navigation, receivers, tasks  # noqa: F401
