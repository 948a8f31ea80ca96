"""Pages of mail intake: mailboxes (with their latest mail and errors), a received message, a poll.

Thin: parse, authorise, call one service or query, render. A received message is shown as text
(escaped); its original is downloaded as a file, never rendered.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaizen.core import access, context
from kaizen.core.ui.registry import ModelUI
from kaizen.mail import parse as mailparse
from kaizen.mail.limits import ParseError
from kaizen.mail.quoting import strip_quoted
from kaizen.tickets import panels

from . import downloads, imap, queries, services
from .forms import MailboxForm
from .models import MAILBOX_FIELDS, SECRET_FIELDS, InboundMail, Mailbox

TEXT_SHOWN = 20_000


def _staff(user: Any) -> bool:
    return access.has_any_role(user, access.STAFF_ROLES)


class MailboxUI(ModelUI):
    """Mailboxes: managers configure them, staff read them and their latest mail."""

    model = Mailbox
    slug = "mailboxes"
    namespace = "intake"
    form_class = MailboxForm
    columns = ("name", "address", "organisation", "is_enabled", "kind", "last_received_at", "last_error")
    sortable = ("name", "address", "last_received_at")
    detail_fields = (
        *(f for f in MAILBOX_FIELDS if f not in SECRET_FIELDS),
        "run_as",
        "last_polled_at",
        "last_received_at",
    )
    detail_template = "intake/mailbox_detail.html"
    create_service = staticmethod(services.create_mailbox)
    update_service = staticmethod(services.update_mailbox)
    delete_service = staticmethod(services.delete_mailbox)

    @classmethod
    def queryset(cls, user: Any, action: str = "view") -> Any:
        if action == "view":
            return queries.mailboxes(user).order_by("name")
        return super().queryset(user, action)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        return {"received": queries.recent(user, obj)}


def _message(request: HttpRequest, pk: int) -> InboundMail:
    if not _staff(request.user):
        raise Http404
    mail = queries.messages(request.user).defer(None).filter(pk=pk).first()
    if mail is None:
        raise Http404
    return mail


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A received message: what became of it, its headers and text (quoted history folded)."""
    mail = _message(request, pk)
    parsed, error = None, ""
    try:
        parsed = mailparse.parse(bytes(mail.raw))
    except ParseError as exc:
        error = str(exc)
    text = parsed.readable_text if parsed else ""
    shown = strip_quoted(text) if text else ""
    return render(
        request,
        "intake/message_detail.html",
        {
            "mail": mail,
            "parsed": parsed,
            "error": error,
            "text": shown[:TEXT_SHOWN],
            "quoted": text[:TEXT_SHOWN] if shown.strip() != text.strip() else "",
            "cut": len(text) > TEXT_SHOWN,
        },
    )


@login_required
def message_original(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the message exactly as received (a file, never displayed inline)."""
    return downloads.original_response(_message(request, pk))


@login_required
@require_POST
def poll_now(request: HttpRequest, pk: int) -> HttpResponse:
    """Fetch the mailbox's new mail now (managers), instead of waiting for the minute's poll."""
    mailbox = Mailbox.objects.visible_to(request.user).filter(pk=pk).first()
    if mailbox is None:
        raise Http404
    if not access.can(request.user, "change", Mailbox, obj=mailbox):
        flash.error(request, _("You do not have permission to do this."))
    elif not mailbox.polls:
        flash.error(request, _("This mailbox receives mail over SMTP/LMTP; there is nothing to poll."))
    else:
        with context.acting(user=request.user, channel=context.Channel.EMAIL, label="mail poll"):
            stored = imap.poll(mailbox)
            services.drain()
        mailbox.refresh_from_db()
        if mailbox.last_error:
            flash.error(request, _("The poll failed: %(e)s") % {"e": mailbox.last_error})
        else:
            flash.success(request, _("%(n)s new messages.") % {"n": stored})
    return HttpResponseRedirect(reverse("intake:mailboxes-detail", args=[pk]))


@panels.register(40)
def ticket_mail_panel(request: HttpRequest, ticket: Any) -> tuple[str, dict[str, Any]] | None:
    """The ticket page panel: the mail that opened or followed up on the ticket (staff)."""
    if not _staff(request.user):
        return None
    rows = list(queries.of_ticket(request.user, ticket.pk)[:20])
    if not rows:
        return None
    return "intake/_ticket_mail.html", {"received": rows}
