"""Filters of the alert console and the alerts API (one FilterSet for both)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .choices import AlertStatus, Severity, Source
from .models import Alert


class AlertFilter(django_filters.FilterSet):
    """Open or all alerts, by status, severity, source, integration, CI, incident and text."""

    state = django_filters.ChoiceFilter(
        label=_("open or closed"),
        choices=[
            ("open", pgettext_lazy("alert state", "Open")),
            ("closed", pgettext_lazy("alert state", "Closed")),
            ("all", _("All")),
        ],
        method="filter_state",
        empty_label=None,
    )
    status = django_filters.MultipleChoiceFilter(label=_("status"), choices=AlertStatus.choices)
    severity = django_filters.MultipleChoiceFilter(label=_("severity"), choices=Severity.choices)
    source = django_filters.ChoiceFilter(
        label=pgettext_lazy("monitoring", "source"), field_name="integration__source", choices=Source.choices
    )
    integration = django_filters.NumberFilter(
        label=_("integration"), field_name="integration_id", min_value=1, max_value=2**62
    )
    ci = django_filters.NumberFilter(label=_("CI"), field_name="ci_id", min_value=1, max_value=2**62)
    incident = django_filters.NumberFilter(
        label=_("incident"), field_name="incident_id", min_value=1, max_value=2**62
    )
    acknowledged = django_filters.BooleanFilter(label=_("acknowledged"), method="filter_acknowledged")
    q = django_filters.CharFilter(label=_("search"), method="filter_text", max_length=200)

    class Meta:
        model = Alert
        fields: ClassVar[list[str]] = []

    def filter_state(self, qs: QuerySet[Alert], _name: str, value: str) -> QuerySet[Alert]:
        """Open alerts by default; closed or all on request."""
        if value == "closed":
            return qs.filter(is_open=False)
        if value == "all":
            return qs
        return qs.filter(is_open=True)

    def filter_acknowledged(self, qs: QuerySet[Alert], _name: str, value: Any) -> QuerySet[Alert]:
        """Acknowledged (True) or not yet (False)."""
        return qs.filter(acknowledged_at__isnull=not value)

    def filter_text(self, qs: QuerySet[Alert], _name: str, value: str) -> QuerySet[Alert]:
        """Title, host, resource or dedup key containing the words."""
        for word in value.split()[:5]:
            qs = qs.filter(
                Q(title__icontains=word)
                | Q(host__icontains=word)
                | Q(resource__icontains=word)
                | Q(dedup_key__icontains=word)
            )
        return qs

    @property
    def qs(self) -> QuerySet[Alert]:
        """Apply the open-only default when no state is given."""
        found: QuerySet[Alert] = super().qs
        if not (self.data or {}).get("state"):
            found = found.filter(is_open=True)
        return found
