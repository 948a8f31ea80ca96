"""Filters of the debt list and of known errors, shared by the pages, the exports and the API."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation, Person
from kaizen.core.filters import IdFilter, VisibleChoiceFilter, YesNoFilter
from kaizen.portfolio.models import Service
from kaizen.tickets.models import Ticket

from . import policies, queries
from .choices import KnownErrorState
from .models import KnownError


class DebtFilter(django_filters.FilterSet):  # type: ignore[misc]
    """The debt list by service, owner, organisation, sharing, known error and text."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    service = VisibleChoiceFilter(label=_("Service"), model=Service)
    owner = VisibleChoiceFilter(label=_("Owner"), model=Person, method="filter_owner")
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    shared = YesNoFilter(label=_("Shared with development"), method="filter_shared")
    known_error = YesNoFilter(label=_("Known error recorded"), field_name="has_known_error")

    class Meta:
        model = Ticket
        fields: ClassVar[list[str]] = []

    def filter_text(self, qs: QuerySet[Ticket], _name: str, value: str) -> QuerySet[Ticket]:
        """Problems whose number or title holds the text."""
        value = policies.printable(value).strip()
        if not value:
            return qs
        return qs.filter(Q(number__icontains=value) | Q(title__icontains=value))

    def filter_owner(self, qs: QuerySet[Ticket], _name: str, value: Any) -> QuerySet[Ticket]:
        """Problems of one owner (or assigned to them while the problem has no owner)."""
        return queries.owners_filter(qs, value.pk) if value is not None else qs

    def filter_shared(self, qs: QuerySet[Ticket], _name: str, value: Any) -> QuerySet[Ticket]:
        """Problems shared with development (True) or not (False, including those without details)."""
        if value is None:
            return qs
        shared = Q(problem_record__shared_with_development=True)
        return qs.filter(shared) if value else qs.exclude(shared)


class KnownErrorFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Known errors by text (substring of the normalised text), state, organisation, problem, service, CI."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    state = django_filters.ChoiceFilter(label=_("State"), choices=KnownErrorState.choices)
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    service = VisibleChoiceFilter(label=_("Service"), model=Service, field_name="services", distinct=True)
    problem = IdFilter(label=_("Problem (id)"), field_name="problem_id")
    ci = IdFilter(label=_("CI (id)"), field_name="cis", distinct=True)

    class Meta:
        model = KnownError
        fields: ClassVar[list[str]] = []

    def filter_text(self, qs: QuerySet[KnownError], _name: str, value: str) -> QuerySet[KnownError]:
        """Known errors whose text holds every word of the query (full-width and half-width alike)."""
        return queries.search(qs, value)
