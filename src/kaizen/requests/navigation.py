"""Navigation entries of service requests."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import Role, has_any_role
from kaizen.core.navigation import NavItem, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action


def _managers(user: Any) -> bool:
    return has_any_role(user, [Role.ADMIN, Role.MANAGER])


register_nav(NavItem("requests", _("Request catalogue"), "requests:catalog-items-list", 45, _managers))
add_action("approve", pgettext_lazy("audit action", "approved"))
add_action("reject", pgettext_lazy("audit action", "rejected"))
