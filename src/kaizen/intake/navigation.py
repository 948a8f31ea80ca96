"""Navigation entry of mail intake: the mailboxes, for managers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core.access import has_any_role
from kaizen.core.navigation import NavItem, register_nav

from .models import MANAGERS


def _managers(user: Any) -> bool:
    return has_any_role(user, MANAGERS)


register_nav(NavItem("mail", _("Mailboxes"), "intake:mailboxes-list", 88, _managers))
