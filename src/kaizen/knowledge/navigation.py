"""Navigation entry, dashboard figure and audit action labels of knowledge management."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import READ_ROLES, STAFF_ROLES, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action

from . import queries


def _anyone(user: Any) -> bool:
    return has_any_role(user, READ_ROLES)


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


register_nav(NavItem("knowledge", _("Knowledge"), "knowledge:articles-list", 48, _anyone))
register_figure(
    DashboardFigure(
        label=_("Articles overdue for review"),
        url_name="knowledge:articles-list",
        order=48,
        count=lambda user: queries.overdue_for(user).count(),
        visible=_staff,
    )
)

register_figure(
    DashboardFigure(
        label=_("Portal questions answered by an article (30 days)"),
        url_name="knowledge:articles-list",
        order=49,
        count=lambda user: queries.deflection(user).answered,
        visible=_staff,
    )
)

for code, label in {
    "submit": pgettext_lazy("audit action", "submitted for review"),
    "return": pgettext_lazy("audit action", "returned to draft"),
    "revise": pgettext_lazy("audit action", "new revision started"),
    "reconfirm": pgettext_lazy("audit action", "review confirmed"),
    "reviewers": pgettext_lazy("audit action", "reviewers changed"),
}.items():
    add_action(code, label)
