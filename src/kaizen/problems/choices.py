"""Choices of problem management, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class KnownErrorState(models.TextChoices):
    """Where a known error record stands: only published ones are suggested on incidents."""

    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class DebtView(models.TextChoices):
    """The two views of the debt list: the whole backlog, or what is shared with development."""

    ALL = "all", _("All open problems")
    DEVELOPMENT = "development", _("Shared with development")
