"""Navigation entries and dashboard figures of release management."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_nav

from . import queries


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


register_nav(NavItem("releases", _("Releases"), "releases:releases-list", 32, _staff))
register_figure(
    DashboardFigure(
        label=_("Releases in planning or approved"),
        url_name="releases:releases-list",
        order=42,
        count=lambda user: queries.upcoming(user).count(),
        visible=_staff,
    )
)
