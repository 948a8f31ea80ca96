"""Choices of the accounts domain, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    """What an organisation is to the service provider."""

    CUSTOMER = "customer", _("Customer")
    INTERNAL = "internal", _("Internal department")
    SUPPLIER = "supplier", _("Supplier")


class Language(models.TextChoices):
    """UI languages; empty means the browser's choice."""

    JA = "ja", _("Japanese")
    EN = "en", _("English")
