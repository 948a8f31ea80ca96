"""The search page's form: what to look for and in which kinds of records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import queries, sources


def type_choices() -> list[tuple[str, Any]]:
    """Every indexed record type with its label (ticket kinds, articles), for the type select."""
    from kaizen.tickets.choices import Kind

    labels: dict[str, Any] = {**dict(Kind.choices), "article": _("Knowledge article")}
    return [("", _("Everything"))] + [(t, labels.get(t, t)) for t in sorted(sources.record_types())]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=queries.MAX_QUERY,
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={"type": "search", "autofocus": True, "enterkeyhint": "search", "data-search": True}
        ),
    )
    type = forms.ChoiceField(label=_("Records"), required=False, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()
