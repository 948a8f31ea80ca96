"""Threading of ticket mail: signed Message-IDs out, and the ticket a reply belongs to in.

Every mail Kaizen sends about a ticket gets a Message-ID that names the ticket and carries an
HMAC of it (``<kaizen.123.<random>.<mac>@domain>``), so a reply's In-Reply-To or References
leads back to the ticket without storing each message sent, and nobody can forge one for a ticket
they do not know. Mail about a ticket that came in by mail also refers to the messages received
(References), and asks for replies to the mailbox (Reply-To).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from django.conf import settings

from kaizen.tickets import notify
from kaizen.tickets.models import Ticket

from .models import InboundMail, Mailbox

_OURS = re.compile(r"^<kaizen\.(\d{1,18})\.([A-Za-z0-9_-]{8,32})\.([0-9a-f]{20})@[^<>@\s]+>$")
REFERENCES = 10
"""The received Message-IDs a message refers to: the first of the ticket and the latest ones."""


def _mac(ticket_id: int, nonce: str) -> str:
    key = hashlib.sha256(b"kaizen.intake.thread:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{ticket_id}.{nonce}".encode(), hashlib.sha256).hexdigest()[:20]


def domain() -> str:
    """Return the domain of Kaizen's own Message-IDs (that of the sender address)."""
    address = str(settings.DEFAULT_FROM_EMAIL or "")
    found = re.search(r"@([A-Za-z0-9.-]+)", address)
    return found.group(1).lower() if found else "kaizen.invalid"


def message_id(ticket_id: int) -> str:
    """Return a new signed Message-ID for mail about ticket ``ticket_id``."""
    nonce = secrets.token_urlsafe(12)
    return f"<kaizen.{ticket_id}.{nonce}.{_mac(ticket_id, nonce)}@{domain()}>"


def ticket_of(value: str) -> int | None:
    """Return the ticket a Message-ID of ours names, or None (not ours, or the MAC is wrong)."""
    found = _OURS.match(value.strip())
    if not found:
        return None
    ticket_id, nonce, mac = int(found.group(1)), found.group(2), found.group(3)
    return ticket_id if hmac.compare_digest(mac, _mac(ticket_id, nonce)) else None


def tickets_named(ids: Iterable[str]) -> list[int]:
    """Return the tickets named by our own Message-IDs among ``ids``, in order, once each."""
    out: list[int] = []
    for value in ids:
        found = ticket_of(value)
        if found is not None and found not in out:
            out.append(found)
    return out


def threading_for(ticket: Ticket) -> notify.Threading:
    """Return the headers of mail about ``ticket``: References to mail received, Reply-To, Message-ID."""
    received = list(
        InboundMail.objects.filter(ticket_id=ticket.pk)
        .exclude(message_id="")
        .order_by("id")
        .values_list("message_id", "mailbox_id")[:500]
    )
    headers: dict[str, str] = {}
    if received:
        ids = [m for m, _ in received]
        chosen = ids[:1] + ids[1:][-(REFERENCES - 1) :]
        headers["In-Reply-To"] = ids[-1]
        headers["References"] = " ".join(chosen)
    mailbox = (
        Mailbox.objects.filter(pk=received[0][1], is_enabled=True).first()
        if received
        else Mailbox.objects.filter(organisation_id=ticket.organisation_id, is_enabled=True)
        .order_by("id")
        .first()
    )
    if mailbox is not None:
        headers["Reply-To"] = mailbox.address
    return notify.Threading(headers=headers, fresh=lambda: {"Message-ID": message_id(ticket.pk)})


def install() -> None:
    """Add the threading headers to every ticket mail (called once when the app is ready)."""
    notify.register_threading(threading_for)
