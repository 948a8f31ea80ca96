"""Choices of the service portfolio, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Lifecycle(models.TextChoices):
    """Where a service is in the portfolio (seed 001: pipeline, catalogue, retired)."""

    PIPELINE = "pipeline", _("Pipeline (planned or in development)")
    LIVE = "live", _("Catalogue (live)")
    RETIRED = "retired", _("Retired")


class ProviderKind(models.TextChoices):
    """Who provides a service."""

    INTERNAL = "internal", _("Internal (our organisation)")
    EXTERNAL = "external", _("Another party (supplier)")


class PackageRole(models.TextChoices):
    """The part a service plays in a service package (ITIL: core, enabling, enhancing)."""

    CORE = "core", _("Core service")
    ENABLING = "enabling", _("Enabling service")
    ENHANCING = "enhancing", _("Enhancing service")
