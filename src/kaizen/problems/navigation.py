"""Navigation entries, the dashboard figure and audit action labels of problem management."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action

from . import queries, services


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


def _not_moved(user: Any) -> int:
    days = services.reminder_days()
    return queries.not_moved(user, days=days).order_by().count() if days else 0


register_nav(NavItem("problems", _("Problems"), "problems:debt", 20, _staff, "b"))
register_figure(DashboardFigure(_("Problems that have not moved"), "problems:debt", 40, _not_moved, _staff))

for code, label in {
    "problem_reminder": pgettext_lazy("audit action", "problem owner reminded"),
    "publish": pgettext_lazy("audit action", "published"),
    "retire": pgettext_lazy("audit action", "retired"),
}.items():
    add_action(code, label)
