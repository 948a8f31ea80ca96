"""Application config of release management."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleasesConfig(AppConfig):
    """Releases: bundled changes, release plans, service and operations acceptance, go-live."""

    name = "kaizen.releases"
    label = "releases"
    verbose_name = _("Release management")

    def ready(self) -> None:
        from . import demo, navigation, receivers  # noqa: F401
