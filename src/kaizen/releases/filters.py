"""FilterSets shared by the release pages and the API."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation
from kaizen.core.filters import IdFilter, VisibleChoiceFilter, YesNoFilter
from kaizen.portfolio.models import Service

from .choices import ItemCategory, ItemKind, ReleaseState
from .models import AcceptanceItem, Checklist, ChecklistItem, Release


def _search(fields: tuple[str, ...]) -> Any:
    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": value})
        return queryset.filter(q)

    return method


class ReleaseFilter(django_filters.FilterSet):
    """Filter releases by text, state, organisation and service."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("number", "title", "description")), max_length=200
    )
    state = django_filters.ChoiceFilter(label=_("State"), choices=ReleaseState.choices)
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    service = VisibleChoiceFilter(label=_("Service"), model=Service)
    planned_after = django_filters.IsoDateTimeFilter(
        label=_("Planned from"), field_name="planned_at", lookup_expr="gte"
    )
    planned_before = django_filters.IsoDateTimeFilter(
        label=_("Planned until"), field_name="planned_at", lookup_expr="lt"
    )

    class Meta:
        model = Release
        fields: ClassVar[list[str]] = [
            "q",
            "state",
            "organisation",
            "service",
            "planned_after",
            "planned_before",
        ]


class AcceptanceItemFilter(django_filters.FilterSet):
    """Filter acceptance items by release, kind, category and whether they are checked."""

    release = IdFilter(label=_("Release"), field_name="release_id")
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=ItemKind.choices)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=ItemCategory.choices)
    checked = YesNoFilter(label=_("Checked"))
    mandatory = YesNoFilter(label=_("Mandatory"))

    class Meta:
        model = AcceptanceItem
        fields: ClassVar[list[str]] = ["release", "kind", "category", "checked", "mandatory"]


class ChecklistFilter(django_filters.FilterSet):
    """Filter operations acceptance checklists by text, organisation and active flag."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "name_en", "description")), max_length=200
    )
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    is_active = YesNoFilter(label=_("Active"))

    class Meta:
        model = Checklist
        fields: ClassVar[list[str]] = ["q", "organisation", "is_active"]


class ChecklistItemFilter(django_filters.FilterSet):
    """Filter checklist items by checklist, category and text."""

    q = django_filters.CharFilter(label=_("Search"), method=_search(("text", "guidance")), max_length=200)
    checklist = VisibleChoiceFilter(label=_("Checklist"), model=Checklist)
    category = django_filters.ChoiceFilter(label=_("Category"), choices=ItemCategory.choices)

    class Meta:
        model = ChecklistItem
        fields: ClassVar[list[str]] = ["q", "checklist", "category"]
