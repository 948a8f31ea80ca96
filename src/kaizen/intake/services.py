"""Writes of email intake: mailboxes, storing received mail, and processing it into tickets.

``receive`` stores the raw message (idempotent: the same bytes or the same Message-ID to the same
mailbox is stored once) and returns once it is committed; ``process`` decides what it is and
writes through the ticket services, acting as the mailbox's service account (an agent of the
mailbox's organisation only, so mail never reaches another organisation's tickets).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts import services as accounts
from kaizen.accounts.models import Person
from kaizen.core import access
from kaizen.core.access import Role
from kaizen.core.services import create_record, delete_record, update_record
from kaizen.mail import parse as mailparse
from kaizen.mail.limits import DEFAULT_LIMITS, MessageTooLarge, ParseError
from kaizen.mail.quoting import strip_quoted
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Channel, StateCategory, Visibility
from kaizen.tickets.models import Ticket
from kaizen.tickets.models.ticket import MAX_BODY

from . import policies, replies, threads
from .choices import ImapAuth, MailState, Transport, UnknownSenders
from .models import SECRET_FIELDS, InboundMail, Mailbox

log = logging.getLogger("kaizen.intake")

MAX_TEXT = 50_000
"""Characters of a message's text kept on the ticket (the original stays on the stored message)."""
SPOOF_TAG = "spoofing-suspected"
CONNECTION = ("imap_host", "imap_port", "imap_security", "imap_username")
"""Settings that send the stored IMAP password (or an OAuth access token) elsewhere when they change."""
OAUTH_CLIENT = ("oauth_token_url", "oauth_client_id")
"""Settings that send the stored OAuth client secret and refresh token elsewhere when they change."""


# -- mailboxes ---------------------------------------------------------------------------------


def create_mailbox(*, actor: Any, data: Mapping[str, Any]) -> Mailbox:
    """Record a mailbox with the service account its tickets are written as.

    Raises:
        PermissionDenied: the actor may not configure mail intake in that organisation.
        ValidationError: invalid settings.
    """
    if data.get("serves_all") and access.org_scope(actor, [Role.ADMIN]) is not access.ALL:
        raise PermissionDenied(_("Only an administrator of every organisation may create such a mailbox."))
    _require_private_right(actor, wants=bool(data.get("oauth_allow_private")), had=False)
    with transaction.atomic():
        mailbox = create_record(Mailbox, actor=actor, data=dict(data))
        user = accounts.create_service_account(
            # A mailbox for everyone's mail works the tickets of every organisation; its threading
            # still lets a sender reach only tickets they may follow up (policies.may_follow_up).
            organisation_id=None if mailbox.serves_all else mailbox.organisation_id,
            username=f"mailbox-{mailbox.pk}",
            role=Role.AGENT,
            purpose=f"mailbox {mailbox.pk}",
        )
        Mailbox.objects.filter(pk=mailbox.pk).update(run_as=user)
        mailbox.run_as = user
    return mailbox


def _require_private_right(actor: Any, *, wants: bool, had: bool) -> None:
    """Only global administrators may let a mailbox send its client secret to a private address."""
    if wants and not had and access.org_scope(actor, [Role.ADMIN]) is not access.ALL:
        raise PermissionDenied(_("Only administrators may allow a private token server."))


def _secrets_again(mailbox_id: int, changes: dict[str, Any]) -> dict[str, str]:
    """Drop empty secrets (the stored ones stay) and say which must be entered again.

    A stored secret must not follow the mailbox to another server or client: the IMAP password (or,
    signing in with OAuth, the access token the client secret obtains) goes to the IMAP host; the
    client secret and refresh token go to the token URL, for one client id.
    """
    for name in SECRET_FIELDS:
        if not changes.get(name):
            changes.pop(name, None)
    fields = (*CONNECTION, *OAUTH_CLIENT, "imap_auth", "oauth_refresh_token")
    current = Mailbox.objects.filter(pk=mailbox_id).values(*fields).first() or {}

    def changed(names: Sequence[str]) -> bool:
        return any(k in changes and changes[k] != current.get(k) for k in names)

    oauth = changes.get("imap_auth", current.get("imap_auth")) == ImapAuth.OAUTH2
    missing: dict[str, str] = {}
    if not oauth and "imap_password" not in changes and changed(CONNECTION):
        missing["imap_password"] = _("Enter the password again when you change the server.")
    if oauth and "oauth_client_secret" not in changes and changed((*CONNECTION, *OAUTH_CLIENT)):
        missing["oauth_client_secret"] = _(
            "Enter the client secret again when you change the server, token URL or client ID."
        )
    stored_refresh = bool(current.get("oauth_refresh_token"))
    if oauth and stored_refresh and "oauth_refresh_token" not in changes and changed(OAUTH_CLIENT):
        missing["oauth_refresh_token"] = _(
            "Enter the refresh token again when you change the token URL or client ID."
        )
    return missing


def update_mailbox(
    mailbox_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Mailbox:
    """Change a mailbox's settings (not its organisation); an empty secret keeps the stored one.

    Raises:
        PermissionDenied: a manager tried to allow a private token server.
        ValidationError: invalid settings, or a secret to enter again (see ``_secrets_again``).
    """
    changes = dict(changes)
    fixed = {"organisation", "organisation_id", "serves_all", "run_as", "uid_validity", "last_uid"}
    if fixed & set(changes):
        raise ValidationError(
            _("The organisation of a mailbox, and whether it serves every organisation, cannot change.")
        )
    missing = _secrets_again(mailbox_id, changes)
    if missing:
        raise ValidationError(missing)
    had = Mailbox.objects.filter(pk=mailbox_id).values_list("oauth_allow_private", flat=True).first()
    _require_private_right(actor, wants=bool(changes.get("oauth_allow_private", had)), had=bool(had))
    with transaction.atomic():
        before = (
            Mailbox.objects.filter(pk=mailbox_id).values("imap_host", "imap_username", "imap_folder").first()
        )
        mailbox = update_record(Mailbox, mailbox_id, actor=actor, changes=changes, expected_version=version)
        after = {
            "imap_host": mailbox.imap_host,
            "imap_username": mailbox.imap_username,
            "imap_folder": mailbox.imap_folder,
        }
        if before is not None and before != after:
            # Another server or folder: its UIDs mean something else; start from its newest mail.
            Mailbox.objects.filter(pk=mailbox_id).update(uid_validity=None, last_uid=0)
    return mailbox


def delete_mailbox(mailbox_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a mailbox that has received nothing (one with mail is disabled instead: its mail is kept)."""
    try:
        delete_record(Mailbox, mailbox_id, actor=actor, expected_version=version)
    except ProtectedError as exc:
        raise ValidationError(
            _("This mailbox has received mail, which is kept; disable the mailbox instead.")
        ) from exc


def record_poll(
    mailbox_id: int, *, error: str = "", uid_validity: int | None = None, last_uid: int | None = None
) -> None:
    """Note a poll of the mailbox: when, how far it got, and its error ("" clears it)."""
    now = timezone.now()
    fields: dict[str, Any] = {"last_polled_at": now}
    if uid_validity is not None:
        fields["uid_validity"] = uid_validity
    if last_uid is not None:
        fields["last_uid"] = last_uid
    if error:
        fields.update(last_error=error[:2000], last_error_at=now)
    else:
        fields["last_error"] = ""
    Mailbox.objects.filter(pk=mailbox_id).update(**fields)


def store_refresh_token(mailbox_id: int, *, token: str) -> None:
    """Keep the refresh token the token server issued in place of the one used (no audit entry).

    Token servers may rotate refresh tokens; the old one then stops working. Like every secret of a
    mailbox its value never reaches the audit trail, and a rotation is no change a person made.
    """
    Mailbox.objects.filter(pk=mailbox_id).update(oauth_refresh_token=token)


# -- receiving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """A stored message and whether it had been stored before (a redelivery)."""

    mail: InboundMail
    duplicate: bool


def _message_id(raw: bytes) -> str:
    """Return the Message-ID of the raw message's header block, cheaply ("" if none or unreadable)."""
    head = raw[: DEFAULT_LIMITS.max_header_bytes]
    end = head.replace(b"\r\n", b"\n").find(b"\n\n")
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(
            head if end < 0 else head.replace(b"\r\n", b"\n")[:end]
        )
        value = str(headers.get("Message-ID", "") or "")
    except Exception:  # an unreadable header block is processing's business; store the bytes
        return ""
    found = mailparse.message_ids(mailparse.one_line(value))
    return found[0][:255] if found else ""


def receive(
    *,
    mailbox: Mailbox,
    raw: bytes,
    transport: str,
    envelope_from: str = "",
    remote_addr: str = "",
) -> Received:
    """Store one message as received, once; processing is queued after commit.

    Raises:
        ValidationError: an empty message, or one past the size limit (nothing is stored).
    """
    if transport not in Transport.values:
        raise ValueError(transport)
    raw = bytes(raw)
    if not raw.strip():
        raise ValidationError(_("The message is empty."))
    if len(raw) > DEFAULT_LIMITS.max_bytes:
        raise ValidationError(str(MessageTooLarge(len(raw), DEFAULT_LIMITS.max_bytes)))
    digest = hashlib.sha256(raw).hexdigest()
    message_id = _message_id(raw)
    existing = _stored(mailbox.pk, digest, message_id)
    if existing is not None:
        return Received(existing, duplicate=True)
    now = timezone.now()
    try:
        with transaction.atomic():
            mail = InboundMail.objects.create(
                mailbox=mailbox,
                transport=transport,
                received_at=now,
                raw=raw,
                size=len(raw),
                digest=digest,
                message_id=message_id,
                envelope_from=mailparse.one_line(envelope_from)[:320],
                remote_addr=remote_addr[:64],
            )
            Mailbox.objects.filter(pk=mailbox.pk).update(last_received_at=now)
            transaction.on_commit(_wake)
    except IntegrityError:  # a concurrent delivery of the same message won
        existing = _stored(mailbox.pk, digest, message_id)
        if existing is None:
            raise
        return Received(existing, duplicate=True)
    return Received(mail, duplicate=False)


def _stored(mailbox_id: int, digest: str, message_id: str) -> InboundMail | None:
    rows = InboundMail.objects.filter(mailbox_id=mailbox_id).defer("raw")
    found = rows.filter(digest=digest).first()
    if found is None and message_id:
        found = rows.filter(message_id=message_id).first()
    return found


def _wake() -> None:
    from . import tasks

    tasks.wake()


def mailbox_for(addresses: Sequence[str]) -> Mailbox | None:
    """Return the enabled mailbox one of ``addresses`` (envelope recipients) names."""
    wanted = [a.strip().lower() for a in addresses if a and "@" in a]
    if not wanted:
        return None
    return Mailbox.objects.filter(address__in=wanted, is_enabled=True).select_related("run_as").first()


# -- processing --------------------------------------------------------------------------------


def drain(limit: int = 500) -> int:
    """Process waiting messages, oldest first; return how many were processed."""
    done = 0
    for mail_id in (
        InboundMail.objects.filter(state=MailState.PENDING)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    ):
        if process(mail_id):
            done += 1
    return done


def process(mail_id: int) -> bool:
    """Decide what one stored message is and write it; False if it was not waiting (or is taken).

    A failure inside the ticket services rolls back their writes and marks the message failed
    with the reason; the raw message is never touched.
    """
    with transaction.atomic():
        mail = (
            InboundMail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=mail_id, state=MailState.PENDING)
            .select_related("mailbox__run_as", "mailbox__organisation")
            .first()
        )
        if mail is None:
            return False
        try:
            with transaction.atomic():
                _decide(mail)
        except (ValidationError, PermissionDenied) as exc:
            _finish(mail, MailState.FAILED, reason=_error_text(exc))
        except Exception as exc:
            log.exception("mail %s could not be processed", mail.pk)
            _finish(mail, MailState.FAILED, reason=_("Processing failed: %(e)s") % {"e": type(exc).__name__})
    return True


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(m) for m in exc.messages)[:500]
    return str(exc)[:500]


def _finish(mail: InboundMail, state: str, *, reason: str = "", **fields: Any) -> None:
    mail.state = state
    mail.reason = reason[:500]
    mail.processed_at = timezone.now()
    for key, value in fields.items():
        setattr(mail, key, value)
    mail.save(update_fields=["state", "reason", "processed_at", "sender", "subject", "spoofed", *fields])


def _decide(mail: InboundMail) -> None:
    mailbox = mail.mailbox
    try:
        parsed = mailparse.parse(bytes(mail.raw))
    except ParseError as exc:
        _finish(mail, MailState.FAILED, reason=str(exc))
        return
    mail.sender = parsed.from_address[:320]
    mail.subject = parsed.subject[:300]
    if parsed.auto_submitted or parsed.is_bounce:
        _finish(mail, MailState.IGNORED, reason=parsed.auto_submitted_reason or _("Automatic mail."))
        return
    since = mail.received_at - dt.timedelta(seconds=policies.LOOP_WINDOW)
    recent = (
        InboundMail.objects.filter(mailbox=mailbox, sender=mail.sender, received_at__gte=since)
        .exclude(pk=mail.pk)
        .count()
        if mail.sender
        else 0
    )
    own = [*Mailbox.objects.values_list("address", flat=True), str(settings.DEFAULT_FROM_EMAIL)]
    loop = policies.loop_reason(
        from_address=parsed.from_address, own_addresses=own, recent_from_sender=recent
    )
    if loop:
        _finish(mail, MailState.IGNORED, reason=loop)
        return
    spoof = policies.spoof_reason(
        parsed.from_address,
        policies.domains(mailbox.trusted_domains),
        parsed.auth_results,
        mailbox.auth_server,
    )
    mail.spoofed = bool(spoof)
    person = _sender(mailbox, parsed)
    if not spoof and person is not None:
        target, why = _thread_target(mailbox, parsed, person)
        if target is not None:
            _reply(mail, parsed, person, target)
            return
    else:
        why = ""
    if person is None:
        if mailbox.unknown_senders == UnknownSenders.REJECT:
            _finish(mail, MailState.REJECTED, reason=_("The sender is not known to Kaizen."))
            transaction.on_commit(lambda: replies.refuse_unknown_sender(mailbox, parsed))
            return
        person = _new_person(mailbox, parsed)
    _new_ticket(mail, parsed, person, spoof=spoof, why=why)


def _sender(mailbox: Mailbox, parsed: mailparse.ParsedMail) -> Person | None:
    """Return the active person with the sender's address whom the mailbox may record tickets for."""
    if not parsed.from_address:
        return None
    people = Person.objects.visible_to(mailbox.run_as).filter(
        email__iexact=parsed.from_address, is_active=True
    )
    return people.select_related("user").order_by("id").first()


def _new_person(mailbox: Mailbox, parsed: mailparse.ParsedMail) -> Person:
    name = parsed.from_name.strip() or parsed.from_address.partition("@")[0]
    return accounts.register_requester(
        actor=mailbox.run_as,
        organisation_id=mailbox.organisation_id,
        name=name[:200],
        email=parsed.from_address,
    )


def _candidates(mailbox: Mailbox, parsed: mailparse.ParsedMail) -> list[tuple[Ticket, bool]]:
    """Return the tickets the message names, each with whether a Message-ID named it (the sender
    received the thread's mail) rather than only a number in the subject (anyone can type one)."""
    ids = [i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i]
    ordered: list[int] = threads.tickets_named(ids)
    if ids:
        found = dict(
            InboundMail.objects.filter(message_id__in=ids[:100], ticket__isnull=False).values_list(
                "message_id", "ticket_id"
            )
        )
        ordered += [found[i] for i in ids if i in found and found[i] not in ordered]
    visible = Ticket.objects.visible_to(mailbox.run_as).select_related("state")
    by_id = {t.pk: t for t in visible.filter(pk__in=ordered[:50])}
    out = [(by_id[i], True) for i in ordered if i in by_id]
    numbers = parsed.ticket_refs()
    if numbers:
        named = {t.pk for t, _by_id in out}
        by_number = {t.number: t for t in visible.filter(number__in=numbers[:20])}
        out += [(by_number[n], False) for n in numbers if n in by_number and by_number[n].pk not in named]
    return out


def _thread_target(
    mailbox: Mailbox, parsed: mailparse.ParsedMail, person: Person
) -> tuple[Ticket | None, str]:
    """Return the ticket the reply belongs to, or None and why a named ticket was not used."""
    why = ""
    for ticket, by_message_id in _candidates(mailbox, parsed):
        participant = policies.Participant(
            is_staff=tickets.is_staff_person(person, ticket),
            same_organisation=person.organisation_id == ticket.organisation_id,
            is_requester=person.pk == ticket.requester_id,
            is_watcher=ticket.watchers.filter(pk=person.pk).exists(),
            in_thread=by_message_id,
        )
        if not policies.may_follow_up(participant):
            why = _("The sender may not add to %(n)s.") % {"n": ticket.number}
            continue
        if ticket.state_category in (StateCategory.CLOSED, StateCategory.CANCELLED):
            why = _("%(n)s is closed; a new ticket was opened.") % {"n": ticket.number}
            continue  # another ticket the message names may be open
        return ticket, ""
    return None, why


def _text(parsed: mailparse.ParsedMail, *, strip: bool) -> str:
    full = parsed.readable_text.strip()
    text = strip_quoted(full).strip() if strip else full
    text = text or full
    if len(text) > MAX_TEXT:
        text = (
            text[:MAX_TEXT]
            + "\n\n"
            + _("(The message was cut; the original is kept with the received mail.)")
        )
    return text


def _reply(mail: InboundMail, parsed: mailparse.ParsedMail, person: Person, ticket: Ticket) -> None:
    actor = mail.mailbox.run_as
    body = _text(parsed, strip=True) or _("(The message has no text.)")
    comment = tickets.add_comment(
        ticket.pk,
        actor=actor,
        body=body[:MAX_BODY],
        visibility=Visibility.PUBLIC,
        channel=Channel.EMAIL,
        author=person,
    )
    staff = tickets.is_staff_person(person, ticket)
    if not staff and person.pk != ticket.requester_id:
        tickets.set_watching(ticket.pk, actor=actor, person=person)
    _attach(mail, parsed, ticket.pk, comment_id=comment.pk)
    _finish(mail, MailState.THREADED, ticket=ticket, comment=comment)


def _cc_people(mailbox: Mailbox, parsed: mailparse.ParsedMail, requester: Person) -> list[Person]:
    own = {mailbox.address.lower()}
    addresses = {a.address.lower() for a in (*parsed.to, *parsed.cc) if a.address} - own
    addresses.discard(requester.email.lower())
    if not addresses:
        return []
    return list(
        Person.objects.visible_to(mailbox.run_as)
        .filter(email__in=sorted(addresses)[:50], is_active=True, organisation_id=requester.organisation_id)
        .order_by("id")
    )


def _new_ticket(
    mail: InboundMail, parsed: mailparse.ParsedMail, person: Person, *, spoof: str, why: str
) -> None:
    mailbox = mail.mailbox
    actor = mailbox.run_as
    data: dict[str, Any] = {
        "title": (parsed.subject.strip() or _("(no subject)"))[:200],
        "description": _text(parsed, strip=False),
        "requester": person,
        "organisation": person.organisation if mailbox.serves_all else mailbox.organisation,
        "channel": Channel.EMAIL,
    }
    if mailbox.default_team_id:
        data["team"] = mailbox.default_team
    if mailbox.default_service_id:
        data["service"] = mailbox.default_service
    ticket = tickets.create_ticket(
        actor=actor,
        kind=mailbox.kind,
        data=data,
        tags=[SPOOF_TAG] if spoof else [],
        watchers=_cc_people(mailbox, parsed, person),
    )
    notes = [n for n in (spoof and _("Possibly spoofed: %(r)s") % {"r": spoof}, why) if n]
    if notes:
        tickets.add_comment(
            ticket.pk,
            actor=actor,
            body="\n\n".join(notes),
            visibility=Visibility.INTERNAL,
            channel=Channel.EMAIL,
        )
    _attach(mail, parsed, ticket.pk, comment_id=None)
    _finish(mail, MailState.CREATED, reason=why, ticket=ticket)


def _attach(
    mail: InboundMail, parsed: mailparse.ParsedMail, ticket_id: int, *, comment_id: int | None
) -> None:
    """Attach the message's files; one refused (type, size) is noted on the ticket, not fatal."""
    refused: list[str] = []
    actor = mail.mailbox.run_as
    for attachment in parsed.attachments:
        try:
            with transaction.atomic():
                tickets.add_attachment(
                    ticket_id,
                    actor=actor,
                    name=attachment.filename,
                    data=attachment.content,
                    comment_id=comment_id,
                )
        except ValidationError as exc:
            refused.append(f"{attachment.filename}: {_error_text(exc)}")
    if refused:
        body = _("Attachments not added:") + "\n" + "\n".join(f"- {r}" for r in refused[:50])
        tickets.add_comment(
            ticket_id, actor=actor, body=body, visibility=Visibility.INTERNAL, channel=Channel.EMAIL
        )
