"""Japanese charsets, each case built from the raw bytes a real mailer sends."""

from __future__ import annotations

import base64

import pytest

from kaizen.mail.parse import decode_bytes, decode_header_value, parse

from .raw import b64, cp50220, mail, multipart, part

JA = "お世話になっております。プリンタが動きません。"


def text_mail(
    body: bytes, *, charset: str | None, cte: str = "7bit", subject: bytes = b"Subject: test"
) -> bytes:
    ctype = "Content-Type: text/plain" + (f"; charset={charset}" if charset else "")
    return mail(
        "From: a@example.jp",
        subject,
        "MIME-Version: 1.0",
        ctype,
        f"Content-Transfer-Encoding: {cte}",
        body=body,
    )


def test_iso_2022_jp_declared_body_is_decoded() -> None:
    parsed = parse(text_mail(JA.encode("iso2022_jp"), charset="ISO-2022-JP"))
    assert parsed.text.strip() == JA
    assert "\x1b" not in parsed.text


def test_iso_2022_jp_without_any_charset_is_detected_from_its_escape_sequences() -> None:
    # Outlook (and older Japanese mailers) send JIS text with no Content-Type at all.
    raw = mail("From: a@example.jp", "Subject: test", body=JA.encode("iso2022_jp"))
    parsed = parse(raw)
    assert parsed.text.strip() == JA
    assert "undeclared-iso-2022-jp" in parsed.defects


def test_iso_2022_jp_labelled_us_ascii_is_still_decoded() -> None:
    parsed = parse(text_mail(JA.encode("iso2022_jp"), charset="us-ascii"))
    assert parsed.text.strip() == JA


def test_windows_cp50220_characters_survive_under_a_plain_iso_2022_jp_label() -> None:
    # ① and ㈱ are NEC row 13, 髙 an IBM extension (NEC-selected row 89-92), ～ FULLWIDTH TILDE.
    body = cp50220("①㈱髙～ 株式会社髙橋") + b"\r\n"
    assert b"\x1b$B" in body
    parsed = parse(text_mail(body, charset="ISO-2022-JP"))
    assert parsed.text.strip() == "①㈱髙～ 株式会社髙橋"
    assert parsed.defects == ()


def test_pythons_own_iso_2022_jp_codecs_cannot_read_windows_text() -> None:
    # Why parse.py decodes ISO-2022-JP itself: every stdlib variant rejects these characters.
    for codec in ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3"):
        with pytest.raises(UnicodeDecodeError):
            cp50220("①㈱髙").decode(codec)


def test_cp50220_without_charset_is_decoded_too() -> None:
    parsed = parse(mail("From: a@example.jp", "Subject: x", body=cp50220("①髙") + b"\r\n"))
    assert parsed.text.strip() == "①髙"


def test_jis_x_0201_half_width_katakana_escape_is_decoded() -> None:
    body = (
        b"\x1b(I" + "ｱｲｳ".encode("cp932").translate(bytes((b - 0x80) % 256 for b in range(256))) + b"\x1b(B"
    )
    assert decode_bytes(body, "iso-2022-jp") == ("ｱｲｳ", "")


def test_jis_x_0212_and_jis_x_0213_escapes_are_decoded() -> None:
    assert decode_bytes("丂".encode("iso2022_jp_2"), "iso-2022-jp") == ("丂", "")
    assert decode_bytes("𠀋﨑".encode("iso2022_jp_2004"), "iso-2022-jp") == ("𠀋﨑", "")


def test_line_break_inside_double_byte_mode_does_not_lose_text() -> None:
    text, _ = decode_bytes(b"\x1b$BF|K\\\n8l\x1b(B", "iso-2022-jp")
    assert text == "日本\n語"


def test_shift_jis_declared_body_with_cp932_only_characters_decodes_as_cp932() -> None:
    body = "①②㈱≒∵ 髙﨑 ～ ".encode("cp932") + "NEC拡張 ⅰⅱ".encode("cp932")
    parsed = parse(text_mail(body, charset="Shift_JIS", cte="8bit"))
    assert parsed.text == "①②㈱≒∵ 髙﨑 ～ NEC拡張 ⅰⅱ"
    assert parsed.defects == ()


def test_shift_jis_in_base64_is_decoded() -> None:
    parsed = parse(text_mail(b64(JA.encode("cp932")), charset='"shift_jis"', cte="base64"))
    assert parsed.text == JA


def test_euc_jp_declared_body_is_decoded() -> None:
    parsed = parse(text_mail(JA.encode("euc_jp"), charset="EUC-JP", cte="8bit"))
    assert parsed.text == JA


def test_utf8_body_in_quoted_printable_is_decoded() -> None:
    qp = b"=E3=81=8A=E4=B8=96=E8=A9=B1=E3=81=AB=\r\n=E3=81=AA=E3=82=8A=E3=81=BE=E3=81=99"
    parsed = parse(text_mail(qp, charset="UTF-8", cte="quoted-printable"))
    assert parsed.text == "お世話になります"


def test_undeclared_8bit_bodies_are_read_as_utf8_cp932_or_euc_jp() -> None:
    for codec in ("utf-8", "cp932", "euc_jp"):
        parsed = parse(mail("From: a@example.jp", "Subject: x", body=JA.encode(codec)))
        assert parsed.text == JA, codec
        if codec != "utf-8":
            assert "undeclared-8bit" in parsed.defects


def test_undecodable_bytes_become_replacement_characters_never_an_error() -> None:
    parsed = parse(text_mail(b"ok \x82\xff\xfe\x80 end", charset="utf-8", cte="8bit"))
    assert parsed.text.startswith("ok ")
    assert parsed.text.endswith(" end")
    assert "\ufffd" in parsed.text


def test_utf8_label_on_shift_jis_bytes_is_corrected() -> None:
    parsed = parse(text_mail(JA.encode("cp932"), charset="utf-8", cte="8bit"))
    assert parsed.text == JA
    assert "mislabelled-charset" in parsed.defects


def test_bom_and_crlf_are_normalised() -> None:
    parsed = parse(
        text_mail(b"\xef\xbb\xbf" + "一行目\r\n二行目\r三行目".encode(), charset="utf-8", cte="8bit")
    )
    assert parsed.text == "一行目\n二行目\n三行目"


def test_unknown_charset_falls_back_to_detection() -> None:
    parsed = parse(text_mail(JA.encode("cp932"), charset="x-unknown", cte="8bit"))
    assert parsed.text == JA
    assert "unknown-charset" in parsed.defects


# --- headers ---------------------------------------------------------------------------------


def _b_word(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset.lower().replace('-', '_'))).decode()}?="


def test_iso_2022_jp_b_encoded_subject_split_over_folded_words() -> None:
    first, second = _b_word("障害報告：", "ISO-2022-JP"), _b_word("プリンタ停止", "ISO-2022-JP")
    raw = mail("From: a@example.jp", f"Subject: {first}\r\n {second}", body="x")
    assert parse(raw).subject == "障害報告：プリンタ停止"


def test_utf8_q_encoded_subject_with_a_character_split_across_words() -> None:
    # "日本" is E6 97 A5 E6 9C AC; the second word starts in the middle of 日.
    raw = mail("From: a@example.jp", "Subject: =?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5=E6=9C=AC_test?=", body="x")
    assert parse(raw).subject == "日本 test"


def test_utf8_b_word_split_mid_character_and_mixed_with_plain_text() -> None:
    data = "件名のテスト".encode()
    words = [f"=?utf-8?b?{base64.b64encode(data[i : i + 5]).decode()}?=" for i in range(0, len(data), 5)]
    raw = mail("From: a@example.jp", "Subject: Re: " + "\r\n\t".join(words) + " [INC-000123]", body="x")
    assert parse(raw).subject == "Re: 件名のテスト [INC-000123]"


def test_raw_utf8_subject_without_encoding_is_decoded() -> None:
    raw = mail(b"From: a@example.jp", "Subject: 生のUTF-8件名".encode(), body="x")
    assert parse(raw).subject == "生のUTF-8件名"


def test_raw_iso_2022_jp_subject_without_encoding_is_decoded() -> None:
    raw = mail(b"From: a@example.jp", b"Subject: " + "生のJIS件名".encode("iso2022_jp"), body="x")
    assert parse(raw).subject == "生のJIS件名"


def test_raw_shift_jis_subject_follows_the_body_charset() -> None:
    raw = mail(
        b"From: a@example.jp",
        b"Subject: " + "シフトJISの件名①".encode("cp932"),
        b"Content-Type: text/plain; charset=Shift_JIS",
        body="x",
    )
    assert parse(raw).subject == "シフトJISの件名①"


def test_encoded_display_names_in_address_headers() -> None:
    name = _b_word("山田 太郎", "ISO-2022-JP")
    raw = mail(
        f"From: {name} <taro@example.jp>",
        'To: "=?UTF-8?B?44K144Od44O844OI?=" <support@example.com>, =?utf-8?q?a=2C_b?= <ab@example.com>',
        "Cc: " + _b_word("鈴木", "ISO-2022-JP") + " <suzuki@Example.JP>",
        "Subject: x",
        body="x",
    )
    parsed = parse(raw)
    assert (parsed.from_name, parsed.from_address) == ("山田 太郎", "taro@example.jp")
    assert parsed.to == (("サポート", "support@example.com"), ("a, b", "ab@example.com"))
    assert parsed.cc == (("鈴木", "suzuki@example.jp"),)


def test_raw_8bit_and_raw_jis_display_names() -> None:
    raw = mail(
        "From: 山田 太郎 <taro@example.jp>".encode(),
        b"To: " + "佐藤".encode("iso2022_jp") + b" <sato@example.jp>, " + b"<x@example.jp>",
        b"Subject: x",
        body="x",
    )
    parsed = parse(raw)
    assert parsed.from_name == "山田 太郎"
    assert parsed.to == (("佐藤", "sato@example.jp"), ("", "x@example.jp"))


def test_header_helper_decodes_iso_2022_jp_words_with_language_suffix() -> None:
    word = _b_word("日本語", "ISO-2022-JP").replace("ISO-2022-JP", "ISO-2022-JP*ja")
    assert decode_header_value(word) == "日本語"


# --- attachment names -------------------------------------------------------------------------


def _attachment_names(*dispositions: bytes) -> list[str]:
    parts = [
        part(
            b"Content-Type: application/pdf",
            disposition,
            b"Content-Transfer-Encoding: base64",
            body=b64(b"%PDF"),
        )
        for disposition in dispositions
    ]
    raw = multipart("b1", part("Content-Type: text/plain", body="see attached"), *parts)
    return [a.filename for a in parse(raw).attachments]


def test_rfc2231_file_names_plain_and_continued() -> None:
    assert _attachment_names(
        b"Content-Disposition: attachment; filename*=UTF-8''%E8%AB%8B%E6%B1%82.pdf",
        b"Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E8%AB%8B%E6;"
        b"\r\n filename*1*=%B1%82%E6%9B%B8.pdf",
        b"Content-Disposition: attachment; filename*=shift_jis''%90%BF%8B%81.pdf",
        b"Content-Disposition: attachment; filename*=iso-2022-jp'ja'%1B%24B%40A5a%1B%28B.pdf",
    ) == ["請求.pdf", "請求書.pdf", "請求.pdf", "請求.pdf"]


def test_rfc2047_file_names_as_outlook_and_thunderbird_send_them() -> None:
    utf8 = base64.b64encode("見積書.xlsx".encode()).decode()
    jis = base64.b64encode(cp50220("見積書①") + b".xlsx").decode()
    assert _attachment_names(
        f'Content-Disposition: attachment; filename="=?UTF-8?B?{utf8}?="'.encode(),
        f'Content-Disposition: attachment;\r\n filename="=?ISO-2022-JP?B?{jis}?="'.encode(),
    ) == ["見積書.xlsx", "見積書①.xlsx"]


def test_raw_8bit_and_raw_jis_file_names() -> None:
    assert _attachment_names(
        b'Content-Disposition: attachment; filename="' + "報告書.pdf".encode() + b'"',
        b'Content-Disposition: attachment; filename="' + "報告書.pdf".encode("iso2022_jp") + b'"',
    ) == ["報告書.pdf", "報告書.pdf"]


def test_content_type_name_is_the_fallback_file_name() -> None:
    raw = multipart(
        "b1",
        part("Content-Type: text/plain", body="x"),
        part('Content-Type: application/pdf; name="=?UTF-8?B?6KuL5rGC?=.pdf"', body="x"),
    )
    assert [a.filename for a in parse(raw).attachments] == ["請求.pdf"]
