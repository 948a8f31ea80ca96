"""Application config of service level management."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlmConfig(AppConfig):
    """Service level management: business calendars, agreements, clocks, outages and reports."""

    name = "kaizen.slm"
    label = "slm"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        from . import defaults, demo, navigation, receivers, tasks  # noqa: F401
