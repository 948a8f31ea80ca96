"""Reactions to accounts events, run after commit by the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from kaizen.core import events

from .models import Membership, Organisation, User


@events.handler("accounts.membership_granted")
def tell_user_about_new_role(payload: dict[str, Any]) -> None:
    """Mail the user that they were given a role, in their own language."""
    user = User.objects.filter(pk=payload["user_id"]).first()
    if user is None or not user.email or not Membership.objects.filter(pk=payload["membership_id"]).exists():
        return
    org = Organisation.objects.filter(pk=payload["organisation_id"]).first()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        role = Membership(role=payload["role"]).get_role_display()
        where = org.name if org else _("all organisations")
        subject = _("[Kaizen] You were given the role %(role)s") % {"role": role}
        body = _("Hello %(user)s,\n\nyou now have the role %(role)s in %(where)s.\n") % {
            "user": user.get_username(),
            "role": role,
            "where": where,
        }
    send_mail(subject, body, None, [user.email])
