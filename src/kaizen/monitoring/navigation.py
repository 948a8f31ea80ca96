"""Navigation entry and audit action labels of monitoring."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kaizen.core.access import STAFF_ROLES, has_any_role
from kaizen.core.navigation import NavItem, register_nav
from kaizen.core.templatetags.kaizen_ui import add_action


def _staff(user: Any) -> bool:
    return has_any_role(user, STAFF_ROLES)


register_nav(NavItem("monitoring", _("Monitoring"), "monitoring:console", 15, _staff, "m"))

for code, label in {
    "acknowledge": pgettext_lazy("audit action", "alert acknowledged"),
    "silence": pgettext_lazy("audit action", "alert silenced"),
    "unsilence": pgettext_lazy("audit action", "alert silence lifted"),
    "link_incident": pgettext_lazy("audit action", "alert linked to an incident"),
    "rotate_token": pgettext_lazy("audit action", "token rotated"),
    "revoke_token": pgettext_lazy("audit action", "previous token revoked"),
    "set_scope": pgettext_lazy("audit action", "CIs and services set"),
}.items():
    add_action(code, label)
