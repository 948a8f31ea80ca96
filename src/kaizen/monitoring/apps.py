"""Application config of monitoring and event management."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    """Monitoring and event management: intake, de-duplication, correlation to CIs, incidents."""

    name = "kaizen.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")

    def ready(self) -> None:
        from . import demo, navigation, tasks  # noqa: F401
