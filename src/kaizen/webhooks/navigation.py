"""Navigation entry of the webhooks domain (global administrators only)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import ALL, Role, org_scope
from kaizen.core.navigation import NavItem, register_nav


def _global_admin(user: Any) -> bool:
    return org_scope(user, {Role.ADMIN}) is ALL


register_nav(NavItem("admin", _("Webhooks"), "webhooks:webhooks-list", 85, _global_admin))
