"""Navigation entry of the search page (anyone with a role: what they find is what they may see)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import READ_ROLES, has_any_role
from kaizen.core.navigation import NavItem, register_nav


def _anyone(user: Any) -> bool:
    return has_any_role(user, READ_ROLES)


register_nav(NavItem("search", _("Search"), "search:page", 5, _anyone, shortcut="f"))
