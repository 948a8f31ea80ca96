"""Navigation entries of change enablement: the change board for staff, the settings for managers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import NavItem, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action

from .models import MANAGERS


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


def _managers(user: Any) -> bool:
    return has_any_role(user, MANAGERS)


register_nav(NavItem("changes", _("Changes"), "changes:board", 25, _staff, "h"))
register_nav(NavItem("change-settings", _("Change settings"), "changes:settings", 91, _managers))
add_action("change_record", pgettext_lazy("audit action", "change record edited"))
add_action("change_review", pgettext_lazy("audit action", "post-implementation review"))
