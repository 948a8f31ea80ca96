"""Real servers: Debian's Dovecot (IMAP) polled by Kaizen, Kaizen's SMTP/LMTP server fed by smtplib,
and ticket mail sent by SMTP to a live server, whose threading headers bring the reply home.

Dovecot is started by the tests (``kaizen.core.testing.dovecot``) on free ports of 127.0.0.1;
without it installed the Dovecot tests are skipped (CI installs it and requires it).
"""

from __future__ import annotations

import email
import imaplib
import smtplib
import time
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kaizen.core import context
from kaizen.core.testing.dovecot import DovecotError, DovecotServer, dovecot, require_dovecot, start_dovecot
from kaizen.core.testing.net import free_port
from kaizen.intake import imap, oauth, services, threads
from kaizen.intake.choices import ImapAuth, MailState, Security
from kaizen.intake.models import InboundMail, Mailbox
from kaizen.intake.server import Server
from kaizen.mail.tests.raw import cp50220
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Visibility
from kaizen.tickets.models import Comment, Ticket

from .conftest import Office, message
from .tokens import CLIENT_ID, CLIENT_SECRET, TokenServer, tokens

__all__ = ["dovecot", "tokens"]  # the fixtures

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db(transaction=True)]

USER, PASSWORD = "intake@kaizen.test", "intake-secret"


def _imap(server: DovecotServer) -> imaplib.IMAP4:
    conn = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    conn.login(USER, PASSWORD)
    return conn


def _append(server: DovecotServer, raw: bytes, folder: str = "INBOX") -> None:
    conn = _imap(server)
    try:
        status, _ = conn.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
        assert status == "OK"
    finally:
        conn.logout()


def _flags(server: DovecotServer, folder: str = "INBOX") -> list[bytes]:
    conn = _imap(server)
    try:
        _status, count = conn.select(folder)
        if count == [b"0"]:
            return []
        _status, data = conn.fetch("1:*", "(FLAGS)")
        return [d for d in data if isinstance(d, bytes)]
    finally:
        conn.logout()


def _imap_mailbox(office: Office, server: DovecotServer, **extra: Any) -> Mailbox:
    return office.create_mailbox(
        name=extra.pop("name", "IMAP"),
        address=extra.pop("address", "imap-help@desk.test"),
        imap_host=server.host,
        imap_port=server.imap_port,
        imap_security=Security.NONE,
        imap_username=USER,
        imap_password=PASSWORD,
        **extra,
    )


def _poll(mailbox: Mailbox) -> int:
    mailbox.refresh_from_db()
    with context.acting(channel=context.Channel.EMAIL):
        stored = imap.poll(mailbox)
        services.drain()
    return stored


# ISO-2022-JP as Outlook sends it: no charset declared, ① ㈱ 髙 from the Windows variant (CP50220).
OUTLOOK_JIS = (
    b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@customer.test>\r\n"
    b"To: imap-help@desk.test\r\n"
    b"Subject: =?ISO-2022-JP?B?GyRCMHU6fklUMkQbKEI=?=\r\n"
    b"Message-ID: <outlook-1@customer.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n\r\n" + cp50220("①の件で㈱髙橋商事から連絡がありました。") + b"\r\n"
)


def test_polling_dovecot_creates_tickets_once_and_marks_mail_read(
    office: Office, dovecot: DovecotServer
) -> None:
    mailbox = _imap_mailbox(office, dovecot)
    _append(dovecot, OUTLOOK_JIS)
    _append(
        dovecot, message(to="imap-help@desk.test", subject="VPNに接続できません", body="朝から繋がりません")
    )
    assert _poll(mailbox) == 2
    created = list(Ticket.objects.order_by("id"))
    assert [t.title for t in created] == ["印刷不可", "VPNに接続できません"]
    assert "①の件で㈱髙橋商事から連絡がありました。" in created[0].description
    assert created[0].requester == office.requester
    assert all(b"\\Seen" in f for f in _flags(dovecot))
    # nothing new: the next poll stores nothing; a new message is the only one taken
    assert _poll(mailbox) == 0
    _append(dovecot, message(to="imap-help@desk.test", subject="Re: " + created[1].number, body="直りました"))
    assert _poll(mailbox) == 1
    assert Ticket.objects.count() == 2
    assert Comment.objects.filter(ticket=created[1], body__contains="直りました").exists()


def test_processed_mail_is_moved_to_the_archive_folder(office: Office, dovecot: DovecotServer) -> None:
    conn = _imap(dovecot)
    conn.create("Processed")
    conn.logout()
    mailbox = _imap_mailbox(office, dovecot, archive_folder="Processed")
    _append(dovecot, message(to="imap-help@desk.test"))
    assert _poll(mailbox) == 1
    assert _flags(dovecot) == [] and len(_flags(dovecot, "Processed")) == 1
    assert InboundMail.objects.get().state == MailState.CREATED


def test_a_wrong_password_is_recorded_on_the_mailbox_without_the_password(
    office: Office, dovecot: DovecotServer
) -> None:
    mailbox = _imap_mailbox(office, dovecot)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong-one")
    assert _poll(mailbox) == 0
    mailbox.refresh_from_db()
    assert USER in mailbox.last_error and "wrong-one" not in mailbox.last_error
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=free_port())
    assert _poll(mailbox) == 0
    mailbox.refresh_from_db()
    assert "Cannot connect" in mailbox.last_error or "接続" in mailbox.last_error


@pytest.fixture
def oauth_dovecot(tmp_path: Any, tokens: TokenServer) -> Iterator[DovecotServer]:
    """Dovecot accepting passwords and the tokens of ``tokens`` (checked by introspection)."""
    require_dovecot()
    oauth._cache.clear()
    try:
        with start_dovecot(
            tmp_path / "dovecot-oauth", oauth2_introspection_url=tokens.url("/introspect")
        ) as server:
            yield server
    except DovecotError as exc:
        pytest.fail(str(exc))
    finally:
        oauth._cache.clear()


def _oauth_mailbox(office: Office, server: DovecotServer, tokens: TokenServer) -> Mailbox:
    return office.create_mailbox(
        actor=office.admin,  # a token server on 127.0.0.1 needs an administrator's opt-in
        name="Microsoft 365",
        address="imap-help@desk.test",
        imap_host=server.host,
        imap_port=server.imap_port,
        imap_security=Security.NONE,
        imap_username=USER,
        imap_auth=ImapAuth.OAUTH2,
        oauth_token_url=tokens.url(),
        oauth_allow_private=True,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        oauth_scope="https://outlook.office365.com/.default",
    )


def test_polling_dovecot_with_an_oauth_token_creates_the_ticket(
    office: Office, oauth_dovecot: DovecotServer, tokens: TokenServer
) -> None:
    mailbox = _oauth_mailbox(office, oauth_dovecot, tokens)
    _append(oauth_dovecot, message(to="imap-help@desk.test", subject="Teams に入れません"))
    assert _poll(mailbox) == 1, Mailbox.objects.get(pk=mailbox.pk).last_error + oauth_dovecot.log()
    assert Ticket.objects.get().title == "Teams に入れません"
    assert [r["grant_type"] for r in tokens.requests] == ["client_credentials"]
    assert len(tokens.introspected) == 1 and tokens.introspected[0] in tokens.issued
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == ""
    # the cached token serves the next poll: no second token request
    _append(oauth_dovecot, message(to="imap-help@desk.test", subject="続報"))
    assert _poll(mailbox) == 1 and len(tokens.requests) == 1


def test_a_wrong_client_secret_is_recorded_without_the_secret(
    office: Office, oauth_dovecot: DovecotServer, tokens: TokenServer
) -> None:
    mailbox = _oauth_mailbox(office, oauth_dovecot, tokens)
    Mailbox.objects.filter(pk=mailbox.pk).update(oauth_client_secret="wrong-secret-4711")
    assert _poll(mailbox) == 0
    mailbox.refresh_from_db()
    assert "invalid_client" in mailbox.last_error and "wrong-secret-4711" not in mailbox.last_error
    assert tokens.introspected == []  # Dovecot was never offered a token


def test_a_token_dovecot_refuses_is_a_clear_error_and_is_dropped(
    office: Office, oauth_dovecot: DovecotServer, tokens: TokenServer
) -> None:
    mailbox = _oauth_mailbox(office, oauth_dovecot, tokens)
    assert _poll(mailbox) == 0 and Mailbox.objects.get(pk=mailbox.pk).last_error == ""
    refused = next(iter(tokens.issued))
    tokens.revoke_all()  # introspection now says the cached token is not active
    assert _poll(mailbox) == 0
    mailbox.refresh_from_db()
    assert USER in mailbox.last_error and refused not in mailbox.last_error
    assert "OAuth" in mailbox.last_error
    # the refused token was forgotten: the next poll asks for a new one and signs in
    _append(oauth_dovecot, message(to="imap-help@desk.test"))
    assert _poll(mailbox) == 1
    assert len(tokens.requests) == 2 and Mailbox.objects.get(pk=mailbox.pk).last_error == ""


@pytest.fixture
def listener(office: Office) -> Iterator[Any]:
    servers: list[Server] = []

    def start(*, lmtp: bool) -> int:
        port = free_port()
        server = Server(hostname="127.0.0.1", port=port, lmtp=lmtp)
        server.start()
        servers.append(server)
        return port

    yield start
    for server in servers:
        server.stop()


def test_kaizen_smtp_server_refuses_unknown_recipients_and_stores_before_250(
    office: Office, listener: Any
) -> None:
    port = listener(lmtp=False)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("yamada@customer.test", ["nobody@desk.test"], message())
        refused = client.sendmail("yamada@customer.test", ["help@desk.test", "nobody@desk.test"], message())
    assert list(refused) == ["nobody@desk.test"]
    stored = InboundMail.objects.get()
    assert stored.transport == "smtp" and stored.envelope_from == "yamada@customer.test"
    services.drain()
    stored.refresh_from_db()
    assert stored.state == MailState.CREATED


def test_kaizen_lmtp_server_answers_per_recipient(office: Office, listener: Any) -> None:
    office.create_mailbox(name="second", address="second@desk.test")
    port = listener(lmtp=True)
    client = smtplib.LMTP("127.0.0.1", port)
    try:
        refused = client.sendmail("yamada@customer.test", ["help@desk.test", "second@desk.test"], message())
    finally:
        client.quit()
    assert refused == {}
    assert sorted(InboundMail.objects.values_list("mailbox__address", flat=True)) == [
        "help@desk.test",
        "second@desk.test",
    ]


class Sink:
    """A live SMTP server keeping what it receives (the organisation's outgoing mail server)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content)
        return "250 OK"


def test_ticket_mail_goes_by_smtp_and_the_reply_threads_back_through_dovecot(
    office: Office, dovecot: DovecotServer, settings: Any
) -> None:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        mailbox = _imap_mailbox(office, dovecot)
        _append(dovecot, message(to="imap-help@desk.test", subject="共有フォルダが開けません"))
        _poll(mailbox)
        ticket = Ticket.objects.get()
        with context.acting(user=office.agent, channel=context.Channel.WEB):
            tickets.add_comment(
                ticket.pk,
                actor=office.agent,
                body="権限を付与しました。ご確認ください。",
                visibility=Visibility.PUBLIC,
            )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            "権限を付与しました".encode() in m or b"Re" in m for m in sink.messages
        ):
            time.sleep(0.1)
        replies = [email.message_from_bytes(m, policy=policy.default) for m in sink.messages]
        answer = next(
            m
            for m in replies
            if "yamada@customer.test" in str(m["To"]) and "権限を付与しました" in m.get_content()
        )
        assert answer["Reply-To"] == "imap-help@desk.test"
        assert threads.ticket_of(answer["Message-ID"]) == ticket.pk
        assert InboundMail.objects.get().message_id in answer["References"]
        assert "\n" not in answer["Subject"]
        # the requester answers that mail from their client: it must land on the same ticket
        reply = email.message.EmailMessage()
        reply["From"] = "山田 <yamada@customer.test>"
        reply["To"] = "imap-help@desk.test"
        reply["Subject"] = "Re: " + str(answer["Subject"])
        reply["Message-ID"] = "<reply-2@customer.test>"
        reply["In-Reply-To"] = answer["Message-ID"]
        reply["References"] = f"{answer['References']} {answer['Message-ID']}"
        reply.set_content("開けました。ありがとうございます。\n\n> 権限を付与しました。ご確認ください。")
        _append(dovecot, reply.as_bytes())
        _poll(mailbox)
        comment = Comment.objects.filter(ticket=ticket, author=office.requester).get()
        assert comment.body == "開けました。ありがとうございます。"
        assert Ticket.objects.count() == 1
    finally:
        controller.stop()
