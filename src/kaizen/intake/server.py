"""An SMTP or LMTP server that stores mail for mailboxes (for on-premises mail servers).

The organisation's mail server relays (SMTP) or delivers (LMTP, as to any mail store) messages
for the mailboxes' addresses; a recipient that is no enabled mailbox is refused at RCPT, and the
answer to DATA is given only after the message is stored (a 250 means it is durable; a 4xx makes
the sender retry; storing is idempotent, so a retry after a lost answer stores nothing twice).
Run by ``kaizen manage mail_serve``.
"""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.core.exceptions import ValidationError
from django.db import close_old_connections

from kaizen.core import context
from kaizen.mail.limits import DEFAULT_LIMITS

from . import services
from .choices import Transport

log = logging.getLogger("kaizen.intake")

MAX_RECIPIENTS = 100


def _mailbox_id(address: str) -> int | None:
    close_old_connections()
    mailbox = services.mailbox_for([address])
    return mailbox.pk if mailbox else None


def _store(mailbox_id: int, raw: bytes, transport: str, envelope_from: str, peer: str) -> str:
    close_old_connections()
    from .models import Mailbox

    with context.acting(channel=context.Channel.EMAIL, label="mail intake"):
        mailbox = Mailbox.objects.filter(pk=mailbox_id, is_enabled=True).first()
        if mailbox is None:
            return "550 5.1.1 Mailbox unavailable"
        try:
            services.receive(
                mailbox=mailbox, raw=raw, transport=transport, envelope_from=envelope_from, remote_addr=peer
            )
        except ValidationError as exc:
            return "554 5.6.0 " + " ".join(exc.messages)[:200].replace("\r", " ").replace("\n", " ")
    return "250 2.0.0 Stored"


class Handler:
    """aiosmtpd hooks: refuse unknown recipients, store the message before answering DATA."""

    def __init__(self, transport: str) -> None:
        self.transport = transport

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            found = await sync_to_async(_mailbox_id)(address)
        except Exception:
            log.exception("recipient lookup failed")
            return "451 4.3.0 Try again later"
        if found is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        peer = str(session.peer[0]) if isinstance(session.peer, tuple) and session.peer else ""
        sender = str(envelope.mail_from or "")
        statuses: list[str] = []
        for address in envelope.rcpt_tos:
            try:
                found = await sync_to_async(_mailbox_id)(address)
                status = (
                    "550 5.1.1 Mailbox unavailable"
                    if found is None
                    else await sync_to_async(_store)(found, raw, self.transport, sender, peer)
                )
            except Exception:
                log.exception("storing a message failed")
                status = "451 4.3.0 Try again later"
            statuses.append(status)
        if self.transport == Transport.LMTP:
            return "\r\n".join(statuses)  # LMTP answers once per recipient (RFC 2033)
        failed = [s for s in statuses if not s.startswith("250")]
        return failed[0] if failed else "250 2.0.0 Stored"


class Server(Controller):
    """The threaded server: ``start()``/``stop()``; LMTP or SMTP on ``hostname:port``."""

    def __init__(self, *, hostname: str, port: int, lmtp: bool) -> None:
        self.lmtp = lmtp
        transport = Transport.LMTP if lmtp else Transport.SMTP
        super().__init__(
            Handler(transport),
            hostname=hostname,
            port=port,
            ready_timeout=10,
            data_size_limit=DEFAULT_LIMITS.max_bytes,
        )

    def factory(self) -> Any:
        cls = LMTP if self.lmtp else SMTP
        return cls(
            self.handler, data_size_limit=DEFAULT_LIMITS.max_bytes, enable_SMTPUTF8=True, decode_data=False
        )
