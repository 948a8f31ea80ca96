"""Navigation entries of service requests."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import Role, has_any_role
from kaizen.core.navigation import NavItem, register_nav


def _managers(user: Any) -> bool:
    return has_any_role(user, [Role.ADMIN, Role.MANAGER])


register_nav(NavItem("requests", _("Request catalogue"), "requests:catalog-items-list", 45, _managers))
