"""Registries that let domain apps add navigation entries and dashboard figures.

``core`` imports no domain: each domain registers itself here from its ``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    """One navigation entry, shown when ``visible(user)`` is true."""

    area: str
    label: str | Promise
    url_name: str
    order: int
    visible: Callable[[Any], bool]
    shortcut: str = ""


@dataclass(frozen=True)
class DashboardFigure:
    """One count on the dashboard, computed for the viewing user."""

    label: str | Promise
    url_name: str
    order: int
    count: Callable[[Any], int]
    visible: Callable[[Any], bool] = lambda user: True


_nav: list[NavItem] = []
_figures: list[DashboardFigure] = []
_homes: list[tuple[int, Callable[[Any], bool], str]] = []


def register_home(url_name: str, *, applies: Callable[[Any], bool], order: int = 100) -> None:
    """Send users for whom ``applies(user)`` is true to ``url_name`` instead of the dashboard.

    The requester portal registers itself for users who hold no staff role.
    """
    if all(existing != url_name for _, _, existing in _homes):
        _homes.append((order, applies, url_name))
        _homes.sort(key=lambda item: item[0])


def home_for(user: Any) -> str | None:
    """Return the URL name of the user's start page when it is not the dashboard."""
    return next((url_name for _, applies, url_name in _homes if applies(user)), None)


def register_nav(item: NavItem) -> None:
    """Add a navigation entry (idempotent by URL name)."""
    if all(existing.url_name != item.url_name for existing in _nav):
        _nav.append(item)
        _nav.sort(key=lambda i: i.order)


def register_figure(figure: DashboardFigure) -> None:
    """Add a dashboard figure (idempotent by URL name and label)."""
    if all((f.url_name, str(f.label)) != (figure.url_name, str(figure.label)) for f in _figures):
        _figures.append(figure)
        _figures.sort(key=lambda f: f.order)


def nav_for(user: Any) -> list[NavItem]:
    """Return the navigation entries ``user`` may see."""
    return [item for item in _nav if item.visible(user)]


def figures_for(user: Any) -> list[tuple[DashboardFigure, int]]:
    """Return each dashboard figure with its count for ``user``."""
    return [(f, f.count(user)) for f in _figures if f.visible(user)]
