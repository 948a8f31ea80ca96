"""FilterSets shared by the UI lists and the API."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import Role
from kaizen.core.filters import IdFilter, VisibleChoiceFilter, YesNoFilter

from .choices import OrganisationKind
from .models import Membership, Organisation, Person, Team


def _search(fields: tuple[str, ...]) -> Any:
    def method(queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        q = Q()
        for f in fields:
            q |= Q(**{f"{f}__icontains": value})
        return queryset.filter(q)

    return method


class OrganisationFilter(django_filters.FilterSet):
    """Filter organisations by text, kind, parent and state."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "code", "description")), max_length=200
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=OrganisationKind.choices)
    parent = VisibleChoiceFilter(label=_("Parent organisation"), model=Organisation)
    is_active = YesNoFilter(label=_("Active"))

    class Meta:
        model = Organisation
        fields: ClassVar[list[str]] = ["q", "kind", "parent", "is_active"]


class PersonFilter(django_filters.FilterSet):
    """Filter people by text, organisation, team, login and state."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method=_search(("name", "name_kana", "email", "phone", "job_title")),
        max_length=200,
    )
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    team = VisibleChoiceFilter(label=_("Team"), field_name="teams", model=Team)
    has_login = YesNoFilter(label=_("Has a login"), field_name="user", lookup_expr="isnull", exclude=True)
    is_active = YesNoFilter(label=_("Active"))

    class Meta:
        model = Person
        fields: ClassVar[list[str]] = ["q", "organisation", "team", "has_login", "is_active"]


class TeamFilter(django_filters.FilterSet):
    """Filter teams by text, organisation and member."""

    q = django_filters.CharFilter(
        label=_("Search"), method=_search(("name", "description", "email")), max_length=200
    )
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    member = IdFilter(label=_("Member"), field_name="members")

    class Meta:
        model = Team
        fields: ClassVar[list[str]] = ["q", "organisation", "member"]


class MembershipFilter(django_filters.FilterSet):
    """Filter role memberships by user, organisation and role."""

    user = IdFilter(label=_("User"), field_name="user_id")
    organisation = VisibleChoiceFilter(label=_("Organisation"), model=Organisation)
    role = django_filters.ChoiceFilter(label=_("Role"), choices=Role.choices)

    class Meta:
        model = Membership
        fields: ClassVar[list[str]] = ["user", "organisation", "role"]
