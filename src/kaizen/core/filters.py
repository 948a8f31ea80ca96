"""FilterSets of the platform, shared by the UI and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.core.models import AuditEntry

MAX_ID = 2**63 - 1
YES_NO = [("", _("All")), ("true", _("Yes")), ("false", _("No"))]
"""The choices of :class:`YesNoFilter`'s select."""


def visible_choices(model: type[Model]) -> Callable[[Any], QuerySet[Any]]:
    """Return a ModelChoiceFilter queryset callable: the records the requesting user may see."""

    def queryset(request: Any) -> QuerySet[Any]:
        user = getattr(request, "user", None)
        return model.objects.visible_to(user, "view")  # type: ignore[attr-defined,no-any-return]

    return queryset


class VisibleChoiceFilter(django_filters.ModelChoiceFilter):  # type: ignore[misc]
    """Filter by a related record the user may see (a select in the UI, an id in the API)."""

    def __init__(self, *args: Any, model: type[Model], **kwargs: Any) -> None:
        kwargs.setdefault("queryset", visible_choices(model))
        super().__init__(*args, **kwargs)


class YesNoFilter(django_filters.BooleanFilter):  # type: ignore[misc]
    """A yes/no filter whose empty choice reads "All" (``true``/``false`` in the API)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Select(choices=YES_NO))
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """Filter by a record id; anything but a positive 64-bit integer is a validation error."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class AuditFilter(django_filters.FilterSet):  # type: ignore[misc]
    """Filter the audit trail."""

    record_type = django_filters.CharFilter(
        max_length=100, label=_("Record type"), help_text="e.g. accounts.team"
    )
    record_id = django_filters.CharFilter(label=_("Record id"), max_length=64)
    actor = IdFilter(label=_("Actor (user id)"), field_name="actor_id", help_text="user id")
    channel = django_filters.CharFilter(label=_("Channel"), max_length=20)
    action = django_filters.CharFilter(label=_("Action"), max_length=60)
    since = django_filters.IsoDateTimeFilter(label=_("Since"), field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(label=_("Until"), field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields: ClassVar[list[str]] = [
            "record_type",
            "record_id",
            "actor",
            "channel",
            "action",
            "since",
            "until",
        ]
