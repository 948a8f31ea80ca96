"""FilterSets shared by the article pages and the API."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation
from kaizen.core.filters import VisibleChoiceFilter
from kaizen.portfolio.models import Service

from . import queries
from .choices import ArticleState, Audience, ReviewFilter
from .models import Article


class ArticleFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter articles by text, state, audience, organisation, service and the overdue review."""

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=200)
    state = django_filters.ChoiceFilter(label=_("State"), choices=ArticleState.choices)
    audience = django_filters.ChoiceFilter(label=_("Audience"), choices=Audience.choices)
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    service = VisibleChoiceFilter(label=_("Service"), model=Service)
    review = django_filters.ChoiceFilter(label=_("Review"), choices=ReviewFilter.choices, method="by_review")

    class Meta:
        model = Article
        fields: ClassVar[list[str]] = ["q", "state", "audience", "organisation", "service", "review"]

    def search(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        return queryset.filter(
            Q(number__icontains=value) | Q(title__icontains=value) | Q(body__icontains=value)
        )

    def by_review(self, queryset: QuerySet[Article], name: str, value: str) -> QuerySet[Article]:
        return queries.overdue(queryset) if value == ReviewFilter.OVERDUE else queryset
