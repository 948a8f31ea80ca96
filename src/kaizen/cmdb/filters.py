"""FilterSets shared by the CMDB UI lists and API."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation, Team
from kaizen.core.filters import IdFilter, VisibleChoiceFilter, YesNoFilter

from .choices import CIStatus, ControlLevel
from .models import CIType, ConfigurationItem, Relationship, RelationshipType, SoftwareInstallation


def _search(fields: tuple[str, ...]) -> Any:
    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": value})
        return queryset.filter(q)

    return method


class CITypeFilter(django_filters.FilterSet):
    """Filter CI types by text."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "name_en", "code")), max_length=200
    )

    class Meta:
        model = CIType
        fields: ClassVar[list[str]] = ["q"]


class RelationshipTypeFilter(django_filters.FilterSet):
    """Filter relationship types by text."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "name_en", "code", "reverse_name")), max_length=200
    )

    class Meta:
        model = RelationshipType
        fields: ClassVar[list[str]] = ["q"]


class CIFilter(django_filters.FilterSet):
    """Filter configuration items by text, type, status, organisation, team, control level."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method=_search(("number", "name", "location", "external_id", "description")),
        max_length=200,
    )
    ci_type = VisibleChoiceFilter(label=_("Type"), model=CIType)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=CIStatus.choices)
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    owner_team = VisibleChoiceFilter(label=_("Owner team"), model=Team)
    control_level = django_filters.ChoiceFilter(label=_("Control level"), choices=ControlLevel.choices)
    external_id = django_filters.CharFilter(label=_("External id"), max_length=200)

    class Meta:
        model = ConfigurationItem
        fields: ClassVar[list[str]] = [
            "q",
            "ci_type",
            "status",
            "organisation",
            "owner_team",
            "control_level",
            "external_id",
        ]


class RelationshipFilter(django_filters.FilterSet):
    """Filter relationships by CI (either end), type and whether they still exist."""

    ci = IdFilter(label=_("CI (either end)"), method="either_end")
    source = IdFilter(label=_("Source"), field_name="source_id")
    target = IdFilter(label=_("Target"), field_name="target_id")
    relationship_type = VisibleChoiceFilter(label=_("Type"), model=RelationshipType)
    current = YesNoFilter(label=_("Current"), field_name="ended_at", lookup_expr="isnull")

    class Meta:
        model = Relationship
        fields: ClassVar[list[str]] = ["ci", "source", "target", "relationship_type", "current"]

    def either_end(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(Q(source_id=value) | Q(target_id=value))


class SoftwareFilter(django_filters.FilterSet):
    """Filter software inventory rows by CI and package."""

    ci = IdFilter(label=_("CI"), field_name="ci_id")
    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("purl", "name", "package_version")), max_length=200
    )

    class Meta:
        model = SoftwareInstallation
        fields: ClassVar[list[str]] = ["ci", "q"]
