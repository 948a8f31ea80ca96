"""The continual improvement register (ISO/IEC 20000-1 10.2): a simple register, extended later."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record

from .choices import ImprovementStatus

WORKERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})


class ImprovementItem(Record):
    """An opportunity for improvement with its source, owner, priority and outcome."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=20_000)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="improvements",
        verbose_name=_("raised from"),
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ImprovementStatus.choices, default=ImprovementStatus.PROPOSED
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")], default=3
    )
    owner = models.ForeignKey(
        "accounts.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True, max_length=20_000)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": WORKERS, "change": MANAGERS, "delete": frozenset({Role.ADMIN})},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["priority", "-id"]
        verbose_name = _("improvement")
        verbose_name_plural = _("improvement register")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["status", "priority"], name="improvement_status_idx")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"
