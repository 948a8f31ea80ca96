"""Navigation entries, dashboard figures and audit action labels of the desk."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, Role, has_any_role
from kaizen.core.navigation import DashboardFigure, NavItem, register_figure, register_home, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action

from . import queries


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


def _requester_only(user: Any) -> bool:
    return has_any_role(user, [Role.REQUESTER]) and not _staff(user)


def _managers(user: Any) -> bool:
    return has_any_role(user, [Role.ADMIN, Role.MANAGER])


register_nav(NavItem("desk", _("Service desk"), "tickets:queue", 10, _staff, "q"))
register_nav(NavItem("portal", _("My tickets"), "portal:home", 11, _requester_only, "p"))
register_nav(NavItem("desk-settings", _("Desk settings"), "tickets:settings", 90, _managers))
register_home("portal:home", applies=_requester_only, order=10)

for order, (name, label) in enumerate(
    [
        ("mine", _("My open tickets")),
        ("unassigned", _("Unassigned tickets")),
        ("major", _("Major incidents")),
        ("review", _("Incidents needing an improvement decision")),
    ],
    start=10,
):
    register_figure(
        DashboardFigure(
            label,
            "tickets:queue",
            order,
            (lambda n: lambda user: queries.queue(user, n).order_by().count())(name),
            _staff,
        )
    )

for code, label in {
    "transition": pgettext_lazy("audit action", "workflow action"),
    "rule": pgettext_lazy("audit action", "business rule"),
    "auto_assign": pgettext_lazy("audit action", "assigned automatically"),
    "stale_rule": pgettext_lazy("audit action", "stale ticket rule"),
    "major": pgettext_lazy("audit action", "major incident declared"),
    "major_ended": pgettext_lazy("audit action", "major incident ended"),
    "review_decided": pgettext_lazy("audit action", "improvement decision"),
    "confirmed": pgettext_lazy("audit action", "confirmed by the requester"),
    "watchers": pgettext_lazy("audit action", "watchers changed"),
    "sources": pgettext_lazy("audit action", "source states set"),
}.items():
    add_action(code, label)
