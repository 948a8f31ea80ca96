"""Navigation entries and audit action labels of service level management."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import NavItem, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


register_nav(NavItem("slm", _("Service levels"), "slm:home", 58, _staff))
register_nav(NavItem("slm", _("SLA reports"), "slm_reports:report", 59, _staff))

for code, label in {
    "agreement": pgettext_lazy("audit action", "agreement changed"),
    "sla_warning": pgettext_lazy("audit action", "service level warning"),
    "sla_breach": pgettext_lazy("audit action", "service level target missed"),
    "sla_breached": pgettext_lazy("audit action", "flagged: service level target missed"),
}.items():
    add_action(code, label)
