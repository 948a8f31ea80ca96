"""Navigation entries, dashboard figures and the language preference hook of the accounts domain."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, Role, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_nav
from kaizen.core.ui import pages

from . import services
from .models import Membership, Organisation, Person, Team


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


def _role_admins(user: Any) -> bool:
    return has_any_role(user, {Role.ADMIN, Role.AUDITOR, Role.MANAGER})


register_nav(NavItem("accounts", _("Organisations"), "accounts:organisations-list", 10, _staff, "o"))
register_nav(NavItem("accounts", _("People"), "accounts:people-list", 20, _staff, "p"))
register_nav(NavItem("accounts", _("Teams"), "accounts:teams-list", 30, _staff, "t"))
register_nav(NavItem("accounts", _("Roles"), "accounts:memberships-list", 40, _role_admins, "r"))
register_nav(NavItem("audit", _("Audit trail"), "audit-trail", 90, _role_admins, "a"))

register_figure(
    DashboardFigure(
        _("Organisations"),
        "accounts:organisations-list",
        10,
        lambda user: Organisation.objects.visible_to(user).count(),
        _staff,
    )
)
register_figure(
    DashboardFigure(
        _("People"), "accounts:people-list", 20, lambda user: Person.objects.visible_to(user).count(), _staff
    )
)
register_figure(
    DashboardFigure(
        _("Teams"), "accounts:teams-list", 30, lambda user: Team.objects.visible_to(user).count(), _staff
    )
)
register_figure(
    DashboardFigure(
        _("Role memberships"),
        "accounts:memberships-list",
        40,
        lambda user: Membership.objects.visible_to(user).count(),
        _role_admins,
    )
)


def _save_language(user: Any, language: str) -> None:
    services.update_preferences(actor=user, language=language)


pages.PREFERENCE_HOOKS.append(_save_language)
