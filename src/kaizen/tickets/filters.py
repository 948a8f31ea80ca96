"""FilterSets of the desk, shared by the queues in the UI and the API lists."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation, Person, Team
from kaizen.core.filters import YES_NO, IdFilter, VisibleChoiceFilter, YesNoFilter
from kaizen.core.ui.widgets import QuickSelect
from kaizen.portfolio.models import Service

from .choices import CauseClass, Channel, Kind, Priority, ReviewStatus, StateCategory
from .models import Category, Ticket, WorkflowState

MAX_TEXT = 200


def _search(queryset: QuerySet[Ticket], name: str, value: str) -> QuerySet[Ticket]:
    value = value.strip()
    if not value:
        return queryset
    q = Q(title__icontains=value) | Q(number__iexact=value) | Q(description__icontains=value)
    if value.isdigit():
        q |= Q(number__endswith=value.zfill(6))
    return queryset.filter(q)


class TicketFilter(django_filters.FilterSet):
    """Filter tickets by text, kind, state, priority, people, team, organisation, service, tags."""

    q = django_filters.CharFilter(label=_("Search"), method=_search, max_length=MAX_TEXT)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices, widget=QuickSelect)
    state_category = django_filters.MultipleChoiceFilter(
        label=_("State category"),
        choices=StateCategory.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
    )
    state = django_filters.ModelChoiceFilter(
        label=_("State"), queryset=WorkflowState.objects.all(), field_name="state"
    )
    priority = django_filters.MultipleChoiceFilter(
        label=_("Priority"),
        choices=[(p.value, f"P{p.value}") for p in Priority],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
    )
    team = VisibleChoiceFilter(label=_("Team"), model=Team, widget=QuickSelect)
    assignee = django_filters.ModelChoiceFilter(
        label=_("Assignee"),
        widget=QuickSelect,
        queryset=lambda request: (
            Person.objects.visible_to(getattr(request, "user", None))
            .filter(teams__isnull=False, user__isnull=False)
            .distinct()
        ),
    )
    requester = VisibleChoiceFilter(label=_("Requester"), model=Person)
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation, widget=QuickSelect)
    service = VisibleChoiceFilter(label=_("Service"), model=Service, widget=QuickSelect)
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=Category.objects.all())
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Channel.choices)
    cause_class = django_filters.ChoiceFilter(label=_("Cause class"), choices=CauseClass.choices)
    major = YesNoFilter(label=_("Major incident"), widget=QuickSelect(choices=YES_NO))
    unassigned = YesNoFilter(label=_("Unassigned"), field_name="assignee", lookup_expr="isnull")
    review_status = django_filters.ChoiceFilter(
        label=_("Improvement review"), choices=[c for c in ReviewStatus.choices if c[0]]
    )
    tag = django_filters.CharFilter(label=_("Tag"), field_name="tags__name", max_length=50, distinct=True)
    ci = IdFilter(label=_("Affected CI"), field_name="cis", distinct=True)
    created_after = django_filters.IsoDateTimeFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="gte"
    )
    created_before = django_filters.IsoDateTimeFilter(
        label=_("Created until"), field_name="created_at", lookup_expr="lt"
    )

    class Meta:
        model = Ticket
        fields: ClassVar[list[str]] = []

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        tag = self.form.cleaned_data.get("tag")
        if tag:
            from .models import normalise_tag

            self.form.cleaned_data["tag"] = normalise_tag(tag)
        return super().filter_queryset(queryset)  # type: ignore[no-any-return]
