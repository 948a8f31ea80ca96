"""Form widgets rendered by string building, for pages that show many options on every request.

Django renders each ``<option>`` of a select through an included template (a few microseconds
each); the service desk's filter bar and bulk bar have six selects with up to a few hundred options,
which made rendering them the largest single cost of the queue page. :class:`QuickSelect` writes
the same HTML, byte for byte, without the template engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe


class QuickSelect(forms.Select):
    """A ``<select>`` with exactly the HTML of :class:`django.forms.Select`, built in Python.

    Option groups (a label that is a list of choices) fall back to Django's template rendering.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        choices = list(self.choices)
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)
        final = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final["multiple"] = True
        selected_values = set(self.format_value(value))
        parts = [f'<select name="{conditional_escape(name)}"{_attributes(final)}>']
        has_selected = False
        for option_value, option_label in choices:
            text = "" if option_value is None else str(option_value)
            selected = (not has_selected or self.allow_multiple_selected) and text in selected_values
            has_selected |= selected
            parts.append(
                f'\n  <option value="{conditional_escape(text)}"{" selected" if selected else ""}>'
                f"{conditional_escape(str(option_label))}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped above


def _attributes(attrs: dict[str, Any]) -> str:
    """Write attributes as Django's ``attrs.html`` does (True bare, False left out, in order)."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def model_choices(
    queryset: QuerySet[Any], *, label: str = "name", empty_label: str | None = None
) -> list[tuple[Any, str]]:
    """Return ``(pk, label)`` choices of ``queryset`` from one values query.

    A ``ModelChoiceField`` iterates its queryset for every render: full model instances and, on
    PostgreSQL, a server-side cursor (three round trips). Give the result to ``widget.choices``;
    validation still goes through the field's queryset. ``label`` must be the field the model's
    ``__str__`` returns, so the options read the same.
    """
    rows: Iterable[tuple[Any, str]] = queryset.values_list("pk", label)
    return ([("", empty_label)] if empty_label is not None else []) + list(rows)
