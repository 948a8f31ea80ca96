"""Limits and hostile input: a clear ParseError or a degraded but safe result, never a crash."""

from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen.mail.limits import (
    EmptyMessage,
    HeaderTooLarge,
    Limits,
    MessageTooLarge,
    ParseError,
    TooDeeplyNested,
    TooManyAttachments,
    TooManyLines,
    TooManyParts,
)
from kaizen.mail.parse import ParsedMail, parse

from .raw import mail, multipart, part


def nested(levels: int, *, body: bytes = b"deep") -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i) for i in range(levels)
    )
    tail = b"".join(b"\r\n--b%d--" % i for i in reversed(range(levels)))
    return b"From: a@example.com\r\n" + head + b"Content-Type: text/plain\r\n\r\n" + body + tail


def test_nesting_within_the_limit_is_parsed() -> None:
    assert parse(nested(15)).text == "deep"


def test_500_nested_levels_are_refused_before_parsing() -> None:
    with pytest.raises(TooDeeplyNested, match="20"):
        parse(nested(500))


def test_deep_message_rfc822_nesting_is_refused() -> None:
    raw = b"From: a@example.com\r\n" + b"Content-Type: message/rfc822\r\n\r\n" * 3000 + b"x"
    with pytest.raises(TooDeeplyNested):
        parse(raw)


def test_sibling_multiparts_are_not_mistaken_for_nesting() -> None:
    inner = b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n--alt\r\n\r\nx\r\n--alt--'
    raw = multipart("outer", *([inner] * 30), part("Content-Type: text/plain", body="body"))
    assert parse(raw, limits=Limits(max_parts=500)).text.endswith("x\nbody")


def test_1000_attachments_are_refused() -> None:
    parts = [part("Content-Type: application/octet-stream", body="x")] * 1000
    with pytest.raises(TooManyParts):
        parse(multipart("b", *parts))
    with pytest.raises(TooManyAttachments, match="100"):
        parse(multipart("b", *parts), limits=Limits(max_parts=2000))


def test_message_over_max_bytes_is_refused() -> None:
    raw = mail("From: a@example.com", body=b"x" * 2_000)
    with pytest.raises(MessageTooLarge, match="1,000"):
        parse(raw, limits=Limits(max_bytes=1_000))


def test_too_many_lines_are_refused() -> None:
    with pytest.raises(TooManyLines):
        parse(mail("From: a@example.com", body=b"\n" * 2_000), limits=Limits(max_lines=1_000))


def test_huge_header_block_is_refused() -> None:
    raw = mail("From: a@example.com", "X-Pad: " + "a" * 300_000, body="x")
    with pytest.raises(HeaderTooLarge):
        parse(raw)
    raw = multipart("b", part("X-Pad: " + "a" * 5_000, body="x"))
    with pytest.raises(HeaderTooLarge):
        parse(raw, limits=Limits(max_header_bytes=4_000))


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n  ", b"\xef\xbb\xbf"])
def test_empty_message_is_refused(raw: bytes) -> None:
    with pytest.raises(EmptyMessage):
        parse(raw)


def test_errors_carry_a_clear_message() -> None:
    with pytest.raises(ParseError) as caught:
        parse(b"x" * 100, limits=Limits(max_bytes=10))
    assert "100" in str(caught.value) and "10" in str(caught.value)


def test_binary_garbage_degrades_to_text() -> None:
    parsed = parse(bytes(range(256)) * 20)
    assert isinstance(parsed, ParsedMail)
    assert "\x00" not in parsed.text


def test_broken_base64_and_quoted_printable_are_repaired() -> None:
    raw = multipart(
        "b",
        part("Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable",
             body=b"caf=C3=A9 =ZZ broken=\r\nline =E3=81"),
        part("Content-Type: application/pdf", "Content-Transfer-Encoding: base64",
             'Content-Disposition: attachment; filename="a.pdf"', body=b"JVBER*i0x!LjQ"),
        part("Content-Type: text/plain", "Content-Transfer-Encoding: base64", body=b"@@@@"),
    )  # fmt: skip
    parsed = parse(raw)
    assert parsed.text.startswith("café =ZZ brokenline \ufffd")
    assert parsed.attachments[0].content.startswith(b"%PDF-1.4")
    assert any("Base64" in d for d in parsed.defects)


def test_multipart_without_boundary_is_read_as_text() -> None:
    parsed = parse(mail("From: a@example.com", "Content-Type: multipart/mixed", body="just text"))
    assert parsed.text == "just text"
    assert parsed.attachments == ()


def test_unknown_and_hostile_charset_names_are_survived() -> None:
    for charset in ("x-unknown", "unicode_escape", "base64", "zlib", "rot13", "a" * 500, "utf-8'\x00"):
        raw = mail(
            "From: a@example.com", f"Content-Type: text/plain; charset={charset}", body=b"plain \\u0041"
        )
        assert parse(raw).text == "plain \\u0041", charset
    assert parse(mail("From: a@example.com", "Subject: =?x-unknown?B?5pel5pys?=", body="x")).subject == "日本"


def test_html_with_script_and_remote_image_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the parser must not open network connections")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    html = '<p>Hi</p><script>alert(1)</script><img src="https://tracker.example/p.gif" alt="logo">'
    parsed = parse(mail("From: a@example.com", "Content-Type: text/html", body=html))
    assert parsed.html == html  # kept raw; sanitising for display happens elsewhere
    assert parsed.readable_text == "Hi\n\nlogo"


def test_pathological_headers_stay_fast_and_safe() -> None:
    raw = mail(
        "From: a@example.com",
        "Subject: " + "=?utf-8?q?" * 5_000,
        "To: " + '"\\' * 5_000,
        "Content-Type: text/plain; " + '"a;' * 5_000,
        body="x",
    )
    assert isinstance(parse(raw), ParsedMail)


def test_too_many_addresses_are_cut() -> None:
    raw = mail("From: a@example.com", "To: " + ", ".join(f"u{i}@example.com" for i in range(600)), body="x")
    parsed = parse(raw)
    assert len(parsed.to) == 500
    assert "too-many-addresses-in-to" in parsed.defects


FRAGMENTS = st.sampled_from(
    [
        b"From: a@example.com\r\n",
        b"Subject: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?=\r\n",
        b"Subject: =?utf-8?q?=E6=97?=\r\n",
        b'Content-Type: multipart/mixed; boundary="b"\r\n',
        b"Content-Type: message/rfc822\r\n",
        b"Content-Type: text/plain; charset=iso-2022-jp\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b"Content-Disposition: attachment; filename*0*=utf-8''%E8; filename*1*=%AB\r\n",
        b"\r\n",
        b"--b\r\n",
        b"--b--\r\n",
        b"\x1b$B$3$s\x1b(B\r\n",
        b"=E3=81=82=\r\n",
        b"\x82\xa0\xff\x00\r\n",
        b"To: (((a@b\r\n",
    ]
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.binary(max_size=2_000))
def test_any_bytes_parse_or_raise_parse_error(raw: bytes) -> None:
    try:
        parsed = parse(raw)
    except EmptyMessage:
        return
    assert isinstance(parsed, ParsedMail)
    assert all("\n" not in value for value in (parsed.subject, parsed.from_name, parsed.message_id))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(st.lists(FRAGMENTS | st.binary(max_size=40), max_size=40))
def test_mime_shaped_noise_parses_or_raises_a_limit_error(fragments: list[bytes]) -> None:
    try:
        parsed = parse(b"".join(fragments), limits=Limits(max_depth=5, max_parts=30))
    except (EmptyMessage, TooDeeplyNested, TooManyParts, TooManyAttachments):
        return
    assert isinstance(parsed, ParsedMail)
    assert all("\r" not in a.filename and "/" not in a.filename for a in parsed.attachments)
