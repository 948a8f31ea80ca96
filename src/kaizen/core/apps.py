"""Application config of the platform core."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """Platform: audit chain, access control, events/outbox, jobs, generic views and API."""

    name = "kaizen.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from kaizen.core import db, tasks  # noqa: F401  (register connection hooks and jobs)
