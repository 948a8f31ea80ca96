"""Structure, headers, attachments, loop detection and ticket numbers of parsed mail."""

from __future__ import annotations

import datetime as dt

import pytest

from kaizen.mail.parse import Attachment, ParsedMail, parse, sanitize_filename, ticket_numbers_in_subject

from .raw import b64, mail, multipart, part

PLAIN = mail(
    "Return-Path: <taro@example.jp>",
    "From: Taro Yamada <taro@example.jp>",
    "To: Support <support@example.com>, helpdesk@example.com",
    "Cc: boss@example.jp",
    "Reply-To: Team <team@example.jp>",
    "Subject: Printer broken [INC-000123]",
    "Date: Tue, 01 Dec 2026 10:00:00 +0900",
    "Message-ID: <abc.123@mail.example.jp>",
    "In-Reply-To: <prev@example.com>",
    "References: <first@example.com>\r\n <prev@example.com>",
    "Content-Type: text/plain; charset=us-ascii",
    body="Hello,\r\nthe printer is broken.\r\n",
)


def test_plain_message_fields() -> None:
    parsed = parse(PLAIN)
    assert isinstance(parsed, ParsedMail)
    assert parsed.subject == "Printer broken [INC-000123]"
    assert (parsed.from_name, parsed.from_address) == ("Taro Yamada", "taro@example.jp")
    assert parsed.to == (("Support", "support@example.com"), ("", "helpdesk@example.com"))
    assert parsed.cc == (("", "boss@example.jp"),)
    assert parsed.reply_to == (("Team", "team@example.jp"),)
    assert parsed.date == dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)
    assert parsed.date.tzinfo is not None
    assert parsed.message_id == "<abc.123@mail.example.jp>"
    assert parsed.in_reply_to == "<prev@example.com>"
    assert parsed.references == ("<first@example.com>", "<prev@example.com>")
    assert parsed.text == "Hello,\nthe printer is broken.\n"
    assert parsed.html == ""
    assert parsed.attachments == ()
    assert parsed.return_path == "taro@example.jp"
    assert not parsed.auto_submitted
    assert not parsed.is_bounce
    assert not parsed.suppress_auto_reply
    assert parsed.ticket_refs() == ["INC-000123"]


def test_parsed_mail_is_frozen() -> None:
    parsed = parse(PLAIN)
    with pytest.raises(AttributeError):
        parsed.subject = "changed"  # type: ignore[misc]


def test_unusable_date_is_none_and_zone_less_date_is_utc() -> None:
    assert parse(mail("From: a@example.com", "Date: yesterday-ish", body="x")).date is None
    when = parse(mail("From: a@example.com", "Date: Tue, 01 Dec 2026 10:00:00 -0000", body="x")).date
    assert when == dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def test_invalid_addresses_are_dropped_not_kept() -> None:
    raw = mail("From: a@example.com", "To: not an address, <x@y@z>, ok@example.com, <bad>", body="x")
    parsed = parse(raw)
    assert [a.address for a in parsed.to] == ["ok@example.com"]
    assert any(d.startswith("invalid-address") for d in parsed.defects)


def test_nested_comments_in_an_address_header_do_not_crash() -> None:
    parsed = parse(mail("From: " + "(" * 5000 + "a@example.com", "To: " + ":" * 5000, body="x"))
    assert parsed.from_address == ""
    assert parsed.to == ()


def test_header_injection_line_breaks_are_removed_from_decoded_values() -> None:
    raw = mail(
        "From: =?UTF-8?Q?Eve=0D=0ABcc:_victim@example.com?= <eve@example.com>",
        "Subject: =?UTF-8?B?aGVsbG8NCkJjYzogdmljdGltQGV4YW1wbGUuY29t?=",
        "Message-ID: <id@example.com>",
        body="x",
    )
    parsed = parse(raw)
    for value in (parsed.subject, parsed.from_name, parsed.from_address, parsed.message_id):
        assert "\r" not in value and "\n" not in value
    assert parsed.subject == "hello  Bcc: victim@example.com"
    assert parsed.from_address == "eve@example.com"


def test_alternative_gives_text_and_html() -> None:
    raw = multipart(
        "alt",
        part("Content-Type: text/plain; charset=utf-8", body="plain body"),
        part("Content-Type: text/html; charset=utf-8", body="<p>html <b>body</b></p>"),
        subtype="alternative",
    )
    parsed = parse(raw)
    assert parsed.text == "plain body"
    assert parsed.html == "<p>html <b>body</b></p>"
    assert parsed.readable_text == "plain body"


def test_html_only_mail_has_readable_text() -> None:
    raw = mail(
        "From: a@example.com",
        "Content-Type: text/html; charset=utf-8",
        body="<html><head><style>p{}</style></head><body><p>Hi</p><script>x()</script></body></html>",
    )
    parsed = parse(raw)
    assert parsed.text == ""
    assert parsed.readable_text == "Hi"


def test_attachments_inline_images_and_content_ids() -> None:
    png = b"\x89PNG\r\n\x1a\nfake"
    related = (
        b'Content-Type: multipart/related; boundary="rel"\r\n\r\n'
        b"--rel\r\n" + part("Content-Type: text/html", body="<img src=cid:logo@x>") + b"\r\n"
        b"--rel\r\n"
        + part(
            "Content-Type: image/png",
            "Content-ID: <logo@x>",
            "Content-Transfer-Encoding: base64",
            body=b64(png),
        )
        + b"\r\n--rel--"
    )
    raw = multipart(
        "mix",
        related,
        part(
            "Content-Type: application/pdf",
            'Content-Disposition: attachment; filename="report.pdf"',
            "Content-Transfer-Encoding: base64",
            body=b64(b"%PDF-1.4 data"),
        ),
        part(
            "Content-Type: text/plain", 'Content-Disposition: attachment; filename="notes.txt"', body="notes"
        ),
    )
    parsed = parse(raw)
    assert parsed.html == "<img src=cid:logo@x>"
    logo, report, notes = parsed.attachments
    assert (logo.filename, logo.content_type, logo.content, logo.content_id, logo.inline) == (
        "attachment-1.png",
        "image/png",
        png,
        "logo@x",
        True,
    )
    assert report == Attachment("report.pdf", "application/pdf", 13, b"%PDF-1.4 data", "", False)
    assert (notes.filename, notes.content) == ("notes.txt", b"notes")


def test_forwarded_message_is_one_eml_attachment() -> None:
    inner = mail("From: x@example.com", "Subject: Original", body="inner body")
    raw = multipart(
        "f", part("Content-Type: text/plain", body="FYI"), part("Content-Type: message/rfc822", body=inner)
    )
    parsed = parse(raw)
    assert parsed.text == "FYI"
    (forwarded,) = parsed.attachments
    assert forwarded.filename == "Original.eml"
    assert forwarded.content_type == "message/rfc822"
    assert parse(forwarded.content).text == "inner body"


# --- loops and bounces ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated; owner-email=x@y", "Auto-Submitted: auto-generated"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("X-Auto-Response-Suppress: All", "X-Auto-Response-Suppress: All"),
        ("X-Auto-Response-Suppress: DR, OOF, AutoReply", "X-Auto-Response-Suppress: DR, OOF, AutoReply"),
        ("Return-Path: <>", "Return-Path: <>"),
        ("X-Autoreply: yes", "X-Autoreply: yes"),
    ],
)
def test_machine_sent_mail_is_auto_submitted(header: str, reason: str) -> None:
    parsed = parse(mail("From: a@example.com", header, "Subject: Out of office", body="away"))
    assert parsed.auto_submitted
    assert parsed.auto_submitted_reason == reason
    assert parsed.suppress_auto_reply
    assert dict(parsed.loop_headers)[header.split(":")[0]]


def test_auto_submitted_no_and_other_suppress_values_are_human() -> None:
    parsed = parse(
        mail("From: a@example.com", "Auto-Submitted: no", "X-Auto-Response-Suppress: RN", body="x")
    )
    assert not parsed.auto_submitted
    assert parsed.auto_submitted_reason == ""


def test_list_mail_suppresses_auto_reply_without_being_auto_submitted() -> None:
    parsed = parse(
        mail("From: a@example.com", "List-Id: <support.example.com>", "Precedence: list", body="x")
    )
    assert parsed.is_list
    assert parsed.list_id == "<support.example.com>"
    assert not parsed.auto_submitted
    assert parsed.suppress_auto_reply


def test_delivery_status_report_is_a_bounce() -> None:
    status = (
        b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; gone@example.jp\r\nAction: failed\r\n"
    )
    raw = multipart(
        "rep",
        part("Content-Type: text/plain", body="Delivery failed."),
        part("Content-Type: message/delivery-status", body=status),
        part("Content-Type: text/rfc822-headers", body="Subject: original"),
        subtype='report; report-type="delivery-status"',
        head=("Return-Path: <>",),
    )
    parsed = parse(raw.replace(b"From: a@example.com", b"From: Mail Delivery <MAILER-DAEMON@mx.example.com>"))
    assert parsed.is_bounce
    assert parsed.auto_submitted
    assert parsed.auto_submitted_reason == "bounce: delivery-status report"
    assert parsed.text == "Delivery failed."
    assert [a.content_type for a in parsed.attachments] == ["message/delivery-status", "text/rfc822-headers"]
    assert b"Action: failed" in parsed.attachments[0].content
    assert parsed.return_path == ""


def test_mailer_daemon_sender_is_a_bounce() -> None:
    parsed = parse(mail("From: MAILER-DAEMON@mx.example.com", "Subject: Undelivered", body="x"))
    assert parsed.is_bounce
    assert parsed.auto_submitted_reason == "bounce: MAILER-DAEMON"


# --- ticket numbers and names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "found"),
    [
        ("Re: [INC-000123] printer", ["INC-000123"]),
        ("RE: INC-000123 and REQ-000045", ["INC-000123", "REQ-000045"]),
        ("Re: ［ＩＮＣ－０００１２３］ プリンタ", ["INC-000123"]),
        ("ＣＨＧ－０００００７の件", ["CHG-000007"]),
        ("prb-1234567 grew past six digits", ["PRB-1234567"]),
        ("inc-000123 twice INC-000123", ["INC-000123"]),
        ("XINC-000123 or INC-000123X or INC-0", []),
        ("no reference", []),
        ("KB-000001 is not a ticket", []),
    ],
)
def test_ticket_numbers_in_subject(subject: str, found: list[str]) -> None:
    assert ticket_numbers_in_subject(subject) == found


def test_ticket_numbers_with_custom_prefixes() -> None:
    assert ticket_numbers_in_subject("[KB-000001] [INC-000002]", prefixes=("KB",)) == ["KB-000001"]


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\evil.exe", "evil.exe"),
        ("a\x00b\x1fc.pdf", "abc.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("invoice.pdf.exe", "invoice.pdf.exe"),
        ('what?:"<>|*.txt', "what_______.txt"),
        ("  ..hidden.  ", "hidden"),
        ("CON.txt", "_CON.txt"),
        ("", "attachment-3.pdf"),
        ("../", "attachment-3.pdf"),
    ],
)
def test_sanitize_filename(name: str, safe: str) -> None:
    assert sanitize_filename(name, index=3, content_type="application/pdf") == safe


def test_long_file_names_keep_their_extension_within_the_byte_limit() -> None:
    name = sanitize_filename("請" * 200 + ".pdf", index=1, content_type="application/pdf", max_bytes=255)
    assert name.endswith("請.pdf")
    assert len(name.encode()) <= 255


def test_risky_extensions_are_flagged() -> None:
    assert Attachment("invoice.pdf.exe", "application/pdf", 0, b"").risky
    assert Attachment("run.JS", "text/plain", 0, b"").risky
    assert not Attachment("invoice.pdf", "application/pdf", 0, b"").risky
    assert not Attachment("exe", "application/octet-stream", 0, b"").risky
