"""Builders of raw test messages: real bytes, as a mail client would send them."""

from __future__ import annotations

import base64


def mail(*headers: bytes | str, body: bytes | str = b"") -> bytes:
    """Join header lines and a body with CRLF, the way they travel over SMTP."""
    lines = [h if isinstance(h, bytes) else h.encode("ascii") for h in headers]
    payload = body if isinstance(body, bytes) else body.encode("ascii")
    return b"\r\n".join([*lines, b"", payload])


def b64(data: bytes) -> bytes:
    """Base64 with 76-character lines, as MIME writes it."""
    text = base64.b64encode(data)
    return b"\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def multipart(boundary: str, *parts: bytes, subtype: str = "mixed", head: tuple[str, ...] = ()) -> bytes:
    """Return a whole multipart message with ``parts`` (each: its headers, blank line, body)."""
    sep = f"--{boundary}".encode()
    body = b"".join(sep + b"\r\n" + part + b"\r\n" for part in parts) + sep + b"--\r\n"
    return mail(
        "From: a@example.com",
        "Subject: parts",
        "MIME-Version: 1.0",
        *head,
        f'Content-Type: multipart/{subtype}; boundary="{boundary}"',
        body=body,
    )


def part(*headers: bytes | str, body: bytes | str = b"") -> bytes:
    """Return one MIME part (headers, blank line, body)."""
    return mail(*headers, body=body)


def cp50220(text: str) -> bytes:
    """Encode ``text`` the way Windows' CP50220 does: CP932 codes written as ISO-2022-JP pairs.

    Python has no CP50220 codec. IBM extension characters (髙) use their NEC-selected codes
    (rows 89-92), which is what Windows writes; ESC $ B opens JIS, ESC ( B returns to ASCII.
    """
    codes: dict[str, tuple[int, int]] = {}
    for lead in range(0x81, 0xF0):
        for trail in range(0x40, 0xFD):
            try:
                codes.setdefault(bytes((lead, trail)).decode("cp932"), (lead, trail))
            except UnicodeDecodeError:
                continue
    out = bytearray()
    jis = False
    for char in text:
        if char.isascii():
            if jis:
                out += b"\x1b(B"
                jis = False
            out += char.encode("ascii")
            continue
        if not jis:
            out += b"\x1b$B"
            jis = True
        s1, s2 = codes[char]
        row = (s1 - 0x40 if s1 >= 0xE0 else s1) - 0x81
        j1 = row * 2 + 0x21
        if s2 >= 0x9F:
            out += bytes((j1 + 1, s2 - 0x7E))
        else:
            out += bytes((j1, s2 - (0x20 if s2 >= 0x80 else 0x1F)))
    if jis:
        out += b"\x1b(B"
    return bytes(out)
