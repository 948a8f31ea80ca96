"""The Dovecot harness of ``kaizen.core.testing.dovecot`` starts a real, working server.

A message APPENDed over IMAP is fetched back by UID in a new session, and one delivered over
LMTP lands in the INBOX. The IMAP test runs twice so that ``-n 2`` starts two servers at once.
"""

from __future__ import annotations

import email
import imaplib
import re
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

from kaizen.core.testing.dovecot import DovecotServer, dovecot, require_dovecot, start_dovecot

__all__ = ["dovecot"]  # the fixture, imported to be used here

USER = "intake@kaizen.test"


def _message(subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Requester <requester@example.com>"
    message["To"] = USER
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.com")
    message.set_content("The printer on the third floor is on fire.\n")
    return message


def _login(server: DovecotServer, user: str = USER) -> imaplib.IMAP4:
    client = imaplib.IMAP4(server.host, server.imap_port, timeout=10)
    client.login(user, server.users[user])
    return client


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes:
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    assert status == "OK", data
    item = data[0]
    assert isinstance(item, tuple), data
    body: bytes = item[1]
    return body


def _uids(client: imaplib.IMAP4) -> list[str]:
    status, _ = client.select("INBOX")
    assert status == "OK"
    status, data = client.uid("SEARCH", "ALL")
    assert status == "OK", data
    return [uid.decode() for uid in data[0].split()]


def _assert_clean_log(server: DovecotServer) -> None:
    # Errors that Dovecot survives (a service it could not start) only show in its log.
    problems = [line for line in server.log(500).splitlines() if re.search(r": (Error|Fatal|Panic):", line)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("run", [1, 2])
def test_a_message_appended_over_imap_is_fetched_back_by_uid(dovecot: DovecotServer, run: int) -> None:
    sent = _message(f"Printer on fire ({run})")
    client = _login(dovecot)
    status, data = client.append("INBOX", "", imaplib.Time2Internaldate(0), sent.as_bytes())
    assert status == "OK", data
    appended = re.search(rb"\[APPENDUID \d+ (\d+)\]", data[0] or b"")
    assert appended, data
    uid = appended[1].decode()
    client.logout()

    client = _login(dovecot)
    try:
        assert _uids(client) == [uid]
        received = email.message_from_bytes(_fetch(client, uid))
    finally:
        client.logout()
    assert received["Subject"] == sent["Subject"]
    assert received["Message-ID"] == sent["Message-ID"]
    assert list(dovecot.maildir(USER).glob("cur/*")), "the message is in the user's Maildir"
    _assert_clean_log(dovecot)


def test_a_message_delivered_over_lmtp_lands_in_the_inbox(dovecot: DovecotServer) -> None:
    if dovecot.lmtp_port is None:
        pytest.skip("Debian's dovecot-lmtpd is not installed")
    sent = _message("Delivered over LMTP")
    with smtplib.LMTP(dovecot.host, dovecot.lmtp_port, timeout=10) as lmtp:
        refused = lmtp.send_message(sent, from_addr="requester@example.com", to_addrs=[USER])
    assert refused == {}

    client = _login(dovecot)
    try:
        (uid,) = _uids(client)
        received = email.message_from_bytes(_fetch(client, uid))
    finally:
        client.logout()
    assert received["Message-ID"] == sent["Message-ID"]
    assert received["Delivered-To"] == USER
    _assert_clean_log(dovecot)


def test_users_are_separate_and_can_be_added(dovecot: DovecotServer) -> None:
    dovecot.add_user("late@kaizen.test", "late-secret")
    client = _login(dovecot, "late@kaizen.test")
    try:
        assert _uids(client) == []
    finally:
        client.logout()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10).login(USER, "wrong")


def test_two_servers_run_side_by_side(tmp_path: Path) -> None:

    require_dovecot()
    with (
        start_dovecot(tmp_path / "a") as first,
        start_dovecot(tmp_path / "b", {"b@kaizen.test": "b"}) as second,
    ):
        assert {first.imap_port, first.lmtp_port}.isdisjoint({second.imap_port, second.lmtp_port})
        _login(second, "b@kaizen.test").logout()
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imaplib.IMAP4(first.host, first.imap_port, timeout=10).login("b@kaizen.test", "b")


def test_a_start_that_fails_reports_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kaizen.core.testing import dovecot as harness

    require_dovecot()
    # An unknown setting makes the master exit at once, with the reason in its log.
    monkeypatch.setattr(harness, "_lmtp_service", lambda port: "no_such_setting = 1\n")
    expected = r"(?s)exited with .*Unknown setting: no_such_setting"
    with pytest.raises(harness.DovecotError, match=expected), start_dovecot(tmp_path):
        pass
