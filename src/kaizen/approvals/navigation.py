"""Navigation entries of approvals: the approval inbox of staff."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import NavItem, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action


def _workers(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


register_nav(NavItem("approvals", _("Approvals"), "approvals:inbox", 36, _workers))
add_action("approve", pgettext_lazy("audit action", "approved"))
add_action("reject", pgettext_lazy("audit action", "rejected"))
add_action("delegate", pgettext_lazy("audit action", "delegated"))
add_action("decided", pgettext_lazy("audit action", "decided"))
add_action("withdraw", pgettext_lazy("audit action", "withdrawn"))
