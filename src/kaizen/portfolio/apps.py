"""Application config of the service portfolio."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    """Services (pipeline, catalogue, retired), packages, dependencies and impact analysis."""

    name = "kaizen.portfolio"
    label = "portfolio"
    verbose_name = _("Service portfolio")

    def ready(self) -> None:
        from kaizen.portfolio import demo, navigation  # noqa: F401
