"""The search index: one row per searchable record, with its analysed terms.

The full-text index over ``tokens`` is created by migration 0002 (an FTS5 table kept in sync by
triggers on SQLite, a GIN index on PostgreSQL); see ``queries.py`` for the matching.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Audience

MAX_EXCERPT = 2000


class SearchEntry(models.Model):
    """A searchable record (a ticket today, a knowledge article later): what the index knows of it.

    Derived data, rebuilt by ``services.reindex_all``: not a ``Record``, not audited. Who sees a
    hit is decided at query time by the record's own ``visible_to``, never by these columns.
    """

    record_type = models.CharField(_("record type"), max_length=30)
    record_id = models.PositiveBigIntegerField(_("record id"))
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.RECORD
    )
    number = models.CharField(_("number"), max_length=30, blank=True)
    title = models.CharField(_("title"), max_length=300)
    excerpt = models.TextField(_("excerpt"), blank=True)
    tokens = models.TextField(_("analysed terms"), blank=True)
    vector = models.BinaryField(
        _("meaning vector"), null=True, editable=False, help_text="float16, see kaizen.search.similarity"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["record_type", "record_id"], name="search_entry_unique_record"),
        ]
        indexes: ClassVar[list[Any]] = [
            # The newest entries of a type, and of an organisation (a search's window, see
            # queries._window_start).
            models.Index(fields=["record_type", "id"], name="search_entry_type_id"),
            models.Index(fields=["record_type", "organisation", "id"], name="search_entry_type_org_id"),
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.record_id}"
