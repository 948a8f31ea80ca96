"""Reactions of approvals to events: mail approvers when their decision is needed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kaizen.core import access, events
from kaizen.core.access import STAFF_ROLES

from .choices import ApprovalState
from .models import Approval


def _inbox_url(user: Any) -> str:
    """Staff decide in the approval inbox, everybody else in the portal."""
    name = "approvals:inbox" if access.has_any_role(user, STAFF_ROLES) else "portal:approvals"
    try:
        return str(settings.PUBLIC_URL) + reverse(name)
    except NoReverseMatch:  # pragma: no cover - both pages are installed
        return str(settings.PUBLIC_URL)


@events.handler("approval.requested")
def ask_approver(payload: dict[str, Any]) -> None:
    """Mail the approver whose decision is now needed."""
    rows = Approval.objects.filter(pk=payload["approval_id"], state=ApprovalState.WAITING).select_related(
        "approver", "ticket", "round"
    )
    for approval in rows:
        user = approval.approver
        if not user.email:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = _("[Kaizen] Approval needed: %(number)s %(title)s") % {
                "number": approval.ticket.number,
                "title": approval.ticket.title,
            }
            body = _("Your approval is needed for %(number)s.\n\n%(url)s\n") % {
                "number": approval.ticket.number,
                "url": _inbox_url(user),
            }
            if approval.round.purpose:
                body = f"{approval.round.purpose}\n\n{body}"
        send_mail(subject, body, None, [user.email])
