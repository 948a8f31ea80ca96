"""Audiences of search entries, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    """Who an entry is meant for; the source's ``visible_to`` still decides who sees a hit."""

    RECORD = "record", _("as the record allows")
    STAFF = "staff", _("staff")
    ORGANISATION = "organisation", _("everyone in the organisation")
    PUBLIC = "public", _("everyone")
