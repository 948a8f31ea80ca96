"""Application config of the CMDB domain."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmdbConfig(AppConfig):
    """Configuration items, CI types with attribute schemas, typed relationships."""

    name = "kaizen.cmdb"
    label = "cmdb"
    verbose_name = _("CMDB")

    def ready(self) -> None:
        from kaizen.cmdb import defaults, demo, navigation  # noqa: F401
