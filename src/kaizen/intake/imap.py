"""Polling an IMAP folder: store each new message (by UID), then mark it read or move it away.

New mail is what came after the last UID seen (RFC 3501 UIDs grow within one UIDVALIDITY); the
first poll, and a poll after the server renumbered the folder, take the unread messages only, so
connecting a mailbox with years of read mail does not turn them into tickets. A message is passed
over (flagged ``\\Seen`` or moved) only after it is stored: a crash in between fetches it again,
and storing is idempotent.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import oauth, services
from .choices import Security, Transport
from .models import Mailbox

log = logging.getLogger("kaizen.intake")

TIMEOUT = 30
"""Seconds a connection or a command may take."""
BATCH = 200
"""Messages fetched per poll; the rest wait for the next one (a minute later)."""


class PollError(Exception):
    """The server refused or failed (the message is for the mailbox page, without secrets)."""


def quote(name: str) -> str:
    """Quote a folder name for an IMAP command (ASCII names; the form refuses others)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(mailbox: Mailbox) -> imaplib.IMAP4:
    """Open an authenticated connection to the mailbox's server."""
    secure = mailbox.imap_security
    port = mailbox.imap_port or (993 if secure == Security.SSL else 143)
    context = ssl.create_default_context()
    try:
        if secure == Security.SSL:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                mailbox.imap_host, port, ssl_context=context, timeout=TIMEOUT
            )
        else:
            conn = imaplib.IMAP4(mailbox.imap_host, port, timeout=TIMEOUT)
            if secure == Security.STARTTLS:
                conn.starttls(ssl_context=context)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise PollError(
            _("Cannot connect to %(h)s:%(p)s: %(e)s") % {"h": mailbox.imap_host, "p": port, "e": exc}
        ) from exc
    if mailbox.uses_oauth:
        _sign_in_with_token(conn, mailbox)
        return conn
    try:
        conn.login(mailbox.imap_username, mailbox.imap_password)
    except imaplib.IMAP4.error as exc:
        _close(conn)
        raise PollError(_("The server refused the login of %(u)s.") % {"u": mailbox.imap_username}) from exc
    return conn


def _sign_in_with_token(conn: imaplib.IMAP4, mailbox: Mailbox) -> None:
    """Authenticate with an OAuth 2.0 access token (SASL XOAUTH2); a refused token is forgotten."""
    if "AUTH=XOAUTH2" not in {str(c).upper() for c in conn.capabilities}:
        _close(conn)
        raise PollError(
            _("The server %(h)s does not offer OAuth 2.0 sign-in (XOAUTH2).") % {"h": mailbox.imap_host}
        )
    try:
        token = oauth.access_token(mailbox)
    except oauth.OAuthError as exc:
        _close(conn)
        raise PollError(_("No OAuth access token: %(e)s") % {"e": exc}) from exc
    initial = f"user={mailbox.imap_username}\x01auth=Bearer {token}\x01\x01".encode()
    sent: list[bool] = []

    def respond(_challenge: bytes) -> bytes:
        # The first continuation asks for the credentials; a second one carries the server's
        # error (RFC 7628 style JSON), which is answered with an empty line to end the exchange.
        if sent:
            return b""
        sent.append(True)
        return initial

    try:
        conn.authenticate("XOAUTH2", respond)
    except imaplib.IMAP4.error as exc:
        _close(conn)
        oauth.forget(mailbox.pk)
        raise PollError(
            _(
                "The server refused the OAuth access token for %(u)s; check that the application "
                "may read this mailbox (a new token is requested at the next poll)."
            )
            % {"u": mailbox.imap_username}
        ) from exc


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        conn.logout()


def _check(result: tuple[str, Sequence[Any]], what: str) -> Sequence[Any]:
    status, data = result
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")[:200]
        raise PollError(_("The server refused %(w)s: %(d)s") % {"w": what, "d": detail})
    return data


def _uid_validity(conn: imaplib.IMAP4) -> int:
    _status, values = conn.response("UIDVALIDITY")
    for value in values:
        if isinstance(value, bytes) and value.strip().isdigit():
            return int(value)
    return 0


def _uids(conn: imaplib.IMAP4, mailbox: Mailbox, validity: int) -> list[int]:
    if mailbox.uid_validity == validity and mailbox.last_uid:
        data = _check(conn.uid("SEARCH", f"UID {mailbox.last_uid + 1}:*"), "SEARCH")
    else:
        data = _check(conn.uid("SEARCH", "UNSEEN"), "SEARCH")
    found = sorted({int(u) for chunk in data if isinstance(chunk, bytes) for u in chunk.split()})
    # "n:*" always matches the last message, even when its UID is below n.
    return [u for u in found if mailbox.uid_validity != validity or u > mailbox.last_uid][:BATCH]


def _fetch(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    data = _check(conn.uid("FETCH", str(uid), "(BODY.PEEK[])"), "FETCH")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _pass_over(conn: imaplib.IMAP4, mailbox: Mailbox, uid: int) -> None:
    """Mark a stored message read, or move it to the archive folder."""
    if not mailbox.archive_folder:
        _check(conn.uid("STORE", str(uid), "+FLAGS", "(\\Seen)"), "STORE")
        return
    target = quote(mailbox.archive_folder)
    if b"MOVE" in b" ".join(c.encode() if isinstance(c, str) else c for c in conn.capabilities):
        _check(conn.uid("MOVE", str(uid), target), "MOVE")
        return
    _check(conn.uid("COPY", str(uid), target), "COPY")
    _check(conn.uid("STORE", str(uid), "+FLAGS", "(\\Deleted)"), "STORE")
    conn.expunge()


def poll(mailbox: Mailbox) -> int:
    """Fetch and store the mailbox's new messages; return how many were stored (errors are recorded)."""
    stored = 0
    try:
        conn = connect(mailbox)
    except PollError as exc:
        services.record_poll(mailbox.pk, error=str(exc))
        return 0
    validity, last = None, None
    try:
        _check(conn.select(quote(mailbox.imap_folder)), "SELECT " + mailbox.imap_folder)
        validity = _uid_validity(conn)
        for uid in _uids(conn, mailbox, validity):
            raw = _fetch(conn, uid)
            if raw:
                try:
                    received = services.receive(mailbox=mailbox, raw=raw, transport=Transport.IMAP)
                    stored += 0 if received.duplicate else 1
                except ValidationError as exc:  # empty or oversized: skip it, say so
                    log.warning("mailbox %s: message UID %s not stored: %s", mailbox.pk, uid, exc)
            _pass_over(conn, mailbox, uid)
            last = uid
    except (TimeoutError, PollError, OSError, imaplib.IMAP4.error) as exc:
        services.record_poll(mailbox.pk, error=str(exc)[:500], uid_validity=validity, last_uid=last)
        return stored
    finally:
        _close(conn)
    services.record_poll(
        mailbox.pk,
        uid_validity=validity,
        last_uid=last if last is not None else (mailbox.last_uid if mailbox.uid_validity == validity else 0),
    )
    return stored
