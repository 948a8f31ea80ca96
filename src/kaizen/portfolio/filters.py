"""FilterSets shared by the portfolio UI lists and API."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation, Team
from kaizen.core.filters import IdFilter, VisibleChoiceFilter, YesNoFilter

from .choices import Lifecycle, ProviderKind
from .models import Service, ServiceDependency, ServicePackage


def _search(fields: tuple[str, ...]) -> Any:
    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": value})
        return queryset.filter(q)

    return method


class ServiceFilter(django_filters.FilterSet):
    """Filter services by text, lifecycle, provider, customer and owner team."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "code", "description", "service_hours")), max_length=200
    )
    lifecycle = django_filters.ChoiceFilter(label=_("Lifecycle"), choices=Lifecycle.choices)
    provider_kind = django_filters.ChoiceFilter(label=_("Provided by"), choices=ProviderKind.choices)
    customer = VisibleChoiceFilter(label=_("Customer"), field_name="customers", model=Organisation)
    owner_team = VisibleChoiceFilter(label=_("Owner team"), model=Team)

    class Meta:
        model = Service
        fields: ClassVar[list[str]] = ["q", "lifecycle", "provider_kind", "customer", "owner_team"]


class PackageFilter(django_filters.FilterSet):
    """Filter service packages by text."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "code", "description")), max_length=200
    )

    class Meta:
        model = ServicePackage
        fields: ClassVar[list[str]] = ["q"]


class DependencyFilter(django_filters.FilterSet):
    """Filter service dependencies by service, needed service or CI, and whether they still hold."""

    service = IdFilter(label=_("Service"), field_name="service_id")
    depends_on_service = IdFilter(label=_("Depends on service"), field_name="depends_on_service_id")
    depends_on_ci = IdFilter(label=_("Depends on CI"), field_name="depends_on_ci_id")
    current = YesNoFilter(label=_("Current"), field_name="ended_at", lookup_expr="isnull")

    class Meta:
        model = ServiceDependency
        fields: ClassVar[list[str]] = ["service", "depends_on_service", "depends_on_ci", "current"]
