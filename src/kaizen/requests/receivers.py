"""Reactions of service requests to events: mail approvers when their decision is needed."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kaizen.core import events

from .choices import ApprovalState
from .models import Approval


@events.handler("request.approval_requested")
def ask_approver(payload: dict[str, Any]) -> None:
    """Mail the approver whose decision is now needed."""
    rows = Approval.objects.filter(pk=payload["approval_id"], state=ApprovalState.WAITING).select_related(
        "approver", "ticket"
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
                "url": settings.PUBLIC_URL + reverse("portal:approvals"),
            }
        send_mail(subject, body, None, [user.email])
