"""FilterSets of the webhook lists (UI and API)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.core.filters import YesNoFilter

from .choices import DeliveryState
from .models import WebhookDelivery, WebhookEndpoint


def _search(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
    return queryset.filter(
        Q(name__icontains=value) | Q(url__icontains=value) | Q(description__icontains=value)
    )


class EndpointFilter(django_filters.FilterSet):
    """Filter endpoints by text and whether they are active."""

    q = django_filters.CharFilter(label=_("Search"), method=_search, max_length=200)
    is_active = YesNoFilter(label=_("Active"))

    class Meta:
        model = WebhookEndpoint
        fields: ClassVar[list[str]] = ["q", "is_active"]


class DeliveryFilter(django_filters.FilterSet):
    """Filter deliveries by state and topic."""

    state = django_filters.ChoiceFilter(label=_("State"), choices=DeliveryState.choices)
    topic = django_filters.CharFilter(label=_("Topic"), max_length=100)

    class Meta:
        model = WebhookDelivery
        fields: ClassVar[list[str]] = ["state", "topic"]
