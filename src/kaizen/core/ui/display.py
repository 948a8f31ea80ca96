"""Turn model values into escaped HTML for lists, detail pages and the history panel."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Manager, Model
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kaizen.core.ui.registry import detail_url

EMPTY = SafeString('<span class="muted">—</span>')


def field_label(model: type[Model], name: str) -> str:
    """Return the translated label of a field (the model's name for ``__str__``)."""
    if name == "__str__":
        return str(capfirst(model._meta.verbose_name))
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return name.replace("_", " ")
    return str(capfirst(getattr(field, "verbose_name", name)))


def link(obj: Model, text: str | None = None) -> SafeString:
    """Return a link to the detail page of ``obj`` (plain text when it has none)."""
    url = detail_url(obj)
    label = str(obj) if text is None else text
    if url:
        return format_html('<a href="{}">{}</a>', url, label)
    return format_html("{}", label)


def _scalar(value: Any) -> SafeString:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return format_html(
            '<span class="badge {}">{}</span>',
            "badge-yes" if value else "badge-no",
            _("Yes") if value else _("No"),
        )
    if isinstance(value, dt.datetime):
        return format_html("{}", formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT"))
    if isinstance(value, dt.date):
        return format_html("{}", formats.date_format(value, "SHORT_DATE_FORMAT"))
    if isinstance(value, Model):
        return link(value)
    return format_html("{}", value)


def display(obj: Model, name: str, *, with_link: bool = False) -> SafeString:
    """Return the escaped HTML of one field of ``obj`` (choices labelled, relations linked)."""
    if name == "__str__":
        return link(obj) if with_link else format_html("{}", obj)
    getter = getattr(obj, f"get_{name}_display", None)
    if callable(getter):
        value = getter()
        return _scalar(value) if value else EMPTY
    value = getattr(obj, name, None)
    if isinstance(value, Manager):
        items = list(value.all())
        if not items:
            return EMPTY
        return format_html_join(", ", "{}", ((link(item),) for item in items))
    if name in {"name", "title"} and with_link:
        return link(obj)
    if callable(value):
        value = value()
    if with_link and value not in (None, "") and not isinstance(value, Model):
        return link(obj, str(value))
    return _scalar(value)


def audit_value(model: type[Model], name: str, value: Any) -> str:
    """Return a stored audit value as readable text (choice labels instead of codes)."""
    if value is None or value == "":
        return "—"
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return str(value)
    related = getattr(field, "related_model", None)
    if related is not None:
        ids = value if isinstance(value, list) else [value]
        try:
            found = {str(o.pk): str(o) for o in related._default_manager.filter(pk__in=ids[:200])}
        except (TypeError, ValueError):
            found = {}
        return ", ".join(f"{found[str(i)]} (#{i})" if str(i) in found else f"#{i}" for i in ids)
    choices = dict(getattr(field, "flatchoices", None) or [])
    if choices and not isinstance(value, list):
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
