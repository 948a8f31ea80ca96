"""Mail about tickets, rendered per recipient in their language (Japanese or English)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from kaizen.accounts.models import Person, Team, User
from kaizen.core import access
from kaizen.core.access import Role

from .models import Ticket


@dataclass(frozen=True)
class Recipient:
    """Someone to mail: address, language and whether they get staff links and work notes."""

    email: str
    language: str
    staff: bool


def language_of(user: User | None) -> str:
    """Return the language mail to ``user`` is written in."""
    return (getattr(user, "language", "") or settings.LANGUAGE_CODE or "ja")[:8]


def of_person(person: Person | None, *, staff: bool | None = None) -> list[Recipient]:
    """Return ``person`` as a recipient (none without an address)."""
    if person is None or not person.email or not person.is_active:
        return []
    user = person.user
    if staff is None:
        staff = user is not None and access.has_any_role(user, access.STAFF_ROLES)
    return [Recipient(person.email, language_of(user), staff)]


def of_team(team: Team | None) -> list[Recipient]:
    """Return the team's address, or its members when it has none."""
    if team is None:
        return []
    if team.email:
        return [Recipient(team.email, settings.LANGUAGE_CODE, True)]
    return [r for member in team.members.filter(is_active=True) for r in of_person(member, staff=True)]


def managers_of(ticket: Ticket) -> list[Recipient]:
    """Return the managers who cover the ticket's organisation."""
    out = []
    for user in User.objects.filter(is_active=True, memberships__role=Role.MANAGER).distinct():
        scope = access.org_scope(user, [Role.MANAGER])
        if scope is access.ALL or (isinstance(scope, frozenset) and ticket.organisation_id in scope):
            person = getattr(user, "person", None)
            if person is not None:
                out += of_person(person, staff=True)
            elif user.email:
                out.append(Recipient(user.email, language_of(user), True))
    return out


def link(ticket: Ticket, *, staff: bool) -> str:
    """Return the absolute address of the ticket page (desk for staff, portal for requesters)."""
    name = "tickets:ticket" if staff else "portal:ticket"
    return settings.PUBLIC_URL + reverse(name, args=[ticket.pk])


def mail_each(
    recipients: Iterable[Recipient],
    template: str,
    context: dict[str, Any],
    *,
    headers: dict[str, str],
    per_recipient: Callable[[Recipient], dict[str, Any]] | None = None,
    exclude: Iterable[str] = (),
    fresh_headers: Callable[[], dict[str, str]] | None = None,
) -> int:
    """Mail each recipient once, rendering the ``template`` path in their language; return how many.

    The first line of the rendered text is the subject; ``per_recipient`` adds to the context;
    ``fresh_headers`` gives headers that differ per message (a ``Message-ID``).
    """
    skip = {e.lower() for e in exclude if e}
    seen: set[str] = set()
    sent = 0
    for recipient in recipients:
        key = recipient.email.lower()
        if key in seen or key in skip:
            continue
        seen.add(key)
        extra = per_recipient(recipient) if per_recipient is not None else {}
        with translation.override(recipient.language):
            text = render_to_string(template, {**context, **extra})
        subject, _, body = text.strip().partition("\n")
        message = EmailMessage(subject.strip()[:200], body.strip() + "\n", None, [recipient.email])
        message.extra_headers["Auto-Submitted"] = "auto-generated"
        message.extra_headers.update(headers)
        if fresh_headers is not None:
            message.extra_headers.update(fresh_headers())
        message.send()
        sent += 1
    return sent


@dataclass(frozen=True)
class Threading:
    """Headers that keep a ticket's mail in one conversation: fixed ones and a per-message part."""

    headers: dict[str, str]
    fresh: Callable[[], dict[str, str]] | None = None


_threading: list[Callable[[Ticket], Threading]] = []


def register_threading(fn: Callable[[Ticket], Threading]) -> None:
    """Let email intake add threading headers (Message-ID, References, Reply-To) to ticket mail."""
    if fn not in _threading:
        _threading.append(fn)


def send(
    recipients: Iterable[Recipient], template: str, context: dict[str, Any], *, exclude: Iterable[str] = ()
) -> int:
    """Mail each recipient once about ``context["ticket"]``, rendering ``tickets/mail/<template>.txt``."""
    ticket = context["ticket"]
    headers = {"X-Kaizen-Ticket": ticket.number}
    fresh: Callable[[], dict[str, str]] | None = None
    for hook in _threading:
        threading = hook(ticket)
        headers.update(threading.headers)
        fresh = threading.fresh or fresh
    return mail_each(
        recipients,
        f"tickets/mail/{template}.txt",
        context,
        headers=headers,
        per_recipient=lambda r: {"staff": r.staff, "url": link(ticket, staff=r.staff)},
        exclude=exclude,
        fresh_headers=fresh,
    )
