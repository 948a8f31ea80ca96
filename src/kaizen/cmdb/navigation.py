"""Navigation entries and dashboard figures of the CMDB."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_nav

from .models import ConfigurationItem


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


register_nav(NavItem("cmdb", _("CMDB"), "cmdb:cis-list", 60, _staff, "c"))
register_figure(
    DashboardFigure(
        _("Configuration items"),
        "cmdb:cis-list",
        60,
        lambda user: ConfigurationItem.objects.visible_to(user).count(),
        _staff,
    )
)
