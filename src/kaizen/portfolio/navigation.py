"""Navigation entries and dashboard figures of the service portfolio."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, Role, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_nav

from .choices import Lifecycle
from .models import Service


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


def _anyone(user: Any) -> bool:
    return has_any_role(user, [*STAFF_ROLES, Role.REQUESTER])


register_nav(NavItem("portfolio", _("Catalogue"), "portfolio:catalogue", 50, _anyone, "k"))
register_nav(NavItem("portfolio", _("Services"), "portfolio:services-list", 55, _staff, "s"))
register_figure(
    DashboardFigure(
        _("Live services"),
        "portfolio:catalogue",
        50,
        lambda user: Service.objects.visible_to(user).filter(lifecycle=Lifecycle.LIVE).count(),
        _anyone,
    )
)
register_figure(
    DashboardFigure(
        _("Services in the pipeline"),
        "portfolio:services-list",
        51,
        lambda user: Service.objects.visible_to(user).filter(lifecycle=Lifecycle.PIPELINE).count(),
        _staff,
    )
)
