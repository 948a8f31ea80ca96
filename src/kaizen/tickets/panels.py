"""Side panels other domains add to the ticket page (service level clocks) without the desk knowing them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from .models import Ticket

Panel = Callable[[HttpRequest, Ticket], "tuple[str, dict[str, Any]] | None"]
PANELS: list[tuple[int, Panel]] = []


def register(order: int) -> Callable[[Panel], Panel]:
    """Register ``fn(request, ticket) -> (template, context) | None`` as a ticket page panel."""

    def add(fn: Panel) -> Panel:
        if all(existing is not fn for _o, existing in PANELS):
            PANELS.append((order, fn))
            PANELS.sort(key=lambda item: item[0])
        return fn

    return add


def render(request: HttpRequest, ticket: Ticket) -> list[SafeString]:
    """Return the rendered panels for ``ticket`` (each escapes its own values)."""
    out = []
    for _order, fn in PANELS:
        found = fn(request, ticket)
        if found is not None:
            template, context = found
            out.append(render_to_string(template, {"ticket": ticket, **context}, request=request))
    return out
