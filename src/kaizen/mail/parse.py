"""Parse one raw email message into plain values (pure: no ORM, no network).

The standard library parser (``email`` with the ``compat32`` policy, which keeps header bytes as
they came) splits the message; everything that decides what the bytes *mean* is here: charsets
(Japanese above all, see ``docs/dev/mail-parsing.md``), RFC 2047 words, RFC 2231 parameters,
addresses, loop-detection headers, attachment names. Hard limits are checked before the work they
protect (:mod:`.limits`); anything else odd is repaired and noted in ``ParsedMail.defects``.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import io
import mimetypes
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import NamedTuple

from .limits import (
    DEFAULT_LIMITS,
    EmptyMessage,
    HeaderTooLarge,
    Limits,
    MalformedMessage,
    MessageTooLarge,
    ParseError,
    TooDeeplyNested,
    TooManyAttachments,
    TooManyLines,
    TooManyParts,
)
from .quoting import html_to_text

__all__ = [
    "Address",
    "Attachment",
    "ParsedMail",
    "decode_bytes",
    "decode_header_value",
    "parse",
    "sanitize_filename",
    "ticket_numbers_in_subject",
]

TICKET_PREFIXES = ("INC", "REQ", "PRB", "CHG")


class Address(NamedTuple):
    """One mailbox of an address header: display name (decoded, may be empty) and address."""

    name: str
    address: str


# Extensions that run code when opened on common desktops; the UI warns or refuses them.
RISKY_EXTENSIONS = frozenset({
    "exe", "scr", "com", "bat", "cmd", "pif", "cpl", "msi", "msp", "msc", "hta", "js", "jse", "vbs", "vbe",
    "wsf", "wsh", "ps1", "psm1", "lnk", "jar", "reg", "inf", "scf", "url", "iso", "img", "vhd", "vhdx",
    "dll", "sys", "app", "sh",
})  # fmt: skip


@dataclass(frozen=True)
class Attachment:
    """One attachment: a sanitised file name, its content and how it was attached."""

    filename: str
    content_type: str
    size: int
    content: bytes
    content_id: str = ""
    inline: bool = False

    @property
    def risky(self) -> bool:
        """Tell whether the (last) extension is one that runs code when opened."""
        stem, dot, ext = self.filename.rpartition(".")
        return bool(dot and stem) and ext.lower() in RISKY_EXTENSIONS


@dataclass(frozen=True)
class ParsedMail:
    """Everything intake needs from one message, decoded; every header value is one safe line.

    ``text`` is the plain body and ``html`` the raw decoded HTML (sanitised elsewhere before
    display); :attr:`readable_text` falls back to the HTML's text. ``auto_submitted`` is True for
    machine-sent mail (``auto_submitted_reason`` names the header that decided, for logs);
    ``suppress_auto_reply`` adds bounces and list mail (RFC 3834). ``auth_results`` holds the
    first ``Authentication-Results`` headers, topmost (the receiving server's own) first.
    ``defects`` lists what was repaired (short codes for logs), never anything user-facing.
    """

    subject: str = ""
    from_name: str = ""
    from_address: str = ""
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    date: dt.datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    text: str = ""
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    auto_submitted: bool = False
    auto_submitted_reason: str = ""
    is_bounce: bool = False
    is_list: bool = False
    list_id: str = ""
    return_path: str = ""
    loop_headers: tuple[tuple[str, str], ...] = ()
    auth_results: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()

    @property
    def suppress_auto_reply(self) -> bool:
        """Tell whether an automatic answer must not be sent (auto-submitted, bounce or list mail)."""
        return self.auto_submitted or self.is_bounce or self.is_list

    @property
    def readable_text(self) -> str:
        """Return the plain body, or the text of the HTML body for HTML-only mail."""
        if self.text.strip() or not self.html:
            return self.text
        return html_to_text(self.html)

    def ticket_refs(self, prefixes: Sequence[str] = TICKET_PREFIXES) -> list[str]:
        """Return the ticket numbers named in the subject (see :func:`ticket_numbers_in_subject`)."""
        return ticket_numbers_in_subject(self.subject, prefixes)


# --- charsets ---------------------------------------------------------------------------------

_JIS_LABELS = frozenset({
    "iso-2022-jp", "csiso2022jp", "iso-2022-jp-1", "iso-2022-jp-2", "iso-2022-jp-3", "iso-2022-jp-2004",
    "iso-2022-jp-ms", "iso-2022-jp-ext", "cp50220", "cp50221", "cp50222", "jis", "x-jis",
})  # fmt: skip
_ALIASES = {
    **dict.fromkeys([
        "shift-jis", "shift_jis", "sjis", "x-sjis", "s-jis", "ms-kanji", "ms_kanji", "csshiftjis",
        "windows-31j", "cp932", "ms932", "x-ms-cp932", "ibm-943", "shift-jisx0213",
    ], "cp932"),
    **dict.fromkeys(["euc-jp", "x-euc-jp", "eucjp", "ujis", "cseucpkdfmtjapanese", "cp51932"], "euc_jp"),
    # WHATWG: mail labelled latin-1 is windows-1252 in practice; GB2312 and KS C 5601 likewise.
    **dict.fromkeys(["iso-8859-1", "latin1", "latin-1", "l1", "iso8859-1", "windows-1252"], "cp1252"),
    **dict.fromkeys(["gb2312", "gbk", "x-gbk", "cp936", "euc-cn"], "gb18030"),
    **dict.fromkeys(["ks_c_5601-1987", "ks-c-5601-1987", "euc-kr", "cp949", "ksc5601"], "cp949"),
}  # fmt: skip
_AUTO_LABELS = frozenset({"", "us-ascii", "ascii", "ansi_x3.4-1968", "us", "iso646-us", "unknown-8bit"})
_REFUSED_CODECS = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)
_JIS_ESCAPE = re.compile(rb"\x1b(?:\$[@B]|\$\([@BDOPQ]|\([BJHI]|&@)|[\x0e\x0f]")
_JIS_HINT = re.compile(rb"\x1b(?:\$[@B]|\$\([@BDQ]|\(I)")
_JIS_PAIRS = re.compile(rb"[\x21-\x7e]+")
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f\ufffd]")


def _jis_tables() -> tuple[bytes, bytes, bytes]:
    """Build the byte tables that turn JIS X 0208 pairs into Shift_JIS (CP932) pairs."""
    lead = bytearray(256)
    parity = bytearray(256)
    trail = bytearray(256)
    for j in range(0x21, 0x7F):
        lead[j] = ((j + 1) >> 1) + (0x70 if j <= 0x5E else 0xB0)
        parity[j] = 0x80 if j & 1 else 0
        trail[j] = j + 0x7E  # even first byte
        odd = j + 0x1F
        trail[j | 0x80] = odd + 1 if odd >= 0x7F else odd  # odd first byte
    return bytes(lead), bytes(parity), bytes(trail)


_SJIS_LEAD, _JIS_PARITY, _SJIS_TRAIL = _jis_tables()


def _jis_pairs_to_text(run: bytes, *, table: str, strict: bool) -> str | None:
    """Decode a run of JIS double-byte codes: X 0208 through CP932 (CP50221), X 0212 through EUC-JP."""
    if len(run) % 2:
        if strict:
            return None
        run = run[:-1]
    if table == "x0212":
        data = b"".join(
            b"\x8f" + bytes((a | 0x80, b | 0x80)) for a, b in zip(run[::2], run[1::2], strict=True)
        )
        return data.decode("euc_jp", "strict" if strict else "replace")
    firsts, seconds = run[0::2], run[1::2]
    flagged = int.from_bytes(seconds, "big") | int.from_bytes(firsts.translate(_JIS_PARITY), "big")
    out = bytearray(len(run))
    out[0::2] = firsts.translate(_SJIS_LEAD)
    out[1::2] = flagged.to_bytes(len(seconds), "big").translate(_SJIS_TRAIL)
    try:
        return bytes(out).decode("cp932", "strict" if strict else "replace")
    except UnicodeDecodeError:
        return None


def _jis_segment(segment: bytes, mode: str, *, strict: bool) -> str | None:
    """Decode the bytes between two ISO-2022-JP escape sequences in ``mode``."""
    if mode == "ascii":
        if strict and (b"\x1b" in segment or not segment.isascii()):
            return None
        return segment.replace(b"\x1b", b"").decode("ascii") if segment.isascii() else _guess(segment)[0]
    if mode == "kana":
        data = bytes(b + 0x80 if 0x21 <= b <= 0x5F else b for b in segment)
        try:
            return data.decode("cp932", "strict" if strict else "replace")
        except UnicodeDecodeError:
            return None
    pieces: list[str] = []
    pos = 0
    for match in _JIS_PAIRS.finditer(segment):
        between = segment[pos : match.start()]
        if strict and not between.isascii():
            return None
        pieces.append(between.decode("ascii", "replace"))
        text = _jis_pairs_to_text(match.group(), table=mode, strict=strict)
        if text is None:
            return None
        pieces.append(text)
        pos = match.end()
    pieces.append(segment[pos:].decode("ascii", "replace"))
    return "".join(pieces)


def _decode_jis(data: bytes, *, strict: bool) -> str | None:
    """Decode ISO-2022-JP the way Windows does (CP50221): NEC and IBM extensions, half-width kana.

    ``strict`` returns None at the first code this decoder cannot map (JIS X 0213, unknown escape
    sequences, odd pairs), so the caller may try Python's own ISO-2022-JP codecs instead.
    """
    pieces: list[str] = []
    mode, before_shift, pos = "ascii", "ascii", 0
    for match in _JIS_ESCAPE.finditer(data):
        text = _jis_segment(data[pos : match.start()], mode, strict=strict)
        if text is None:
            return None
        pieces.append(text)
        seq = match.group()
        if seq == b"\x0e":
            before_shift, mode = mode, "kana"
        elif seq == b"\x0f":
            mode = before_shift
        elif seq in (b"\x1b(B", b"\x1b(J", b"\x1b(H"):
            mode = "ascii"
        elif seq == b"\x1b(I":
            mode = "kana"
        elif seq == b"\x1b$(D":
            mode = "x0212"
        elif seq in (b"\x1b$(O", b"\x1b$(P", b"\x1b$(Q"):
            if strict:
                return None  # JIS X 0213: Python's iso2022_jp_2004 knows it
            mode = "x0208"
        elif seq != b"\x1b&@":
            mode = "x0208"
        pos = match.end()
    text = _jis_segment(data[pos:], mode, strict=strict)
    if text is None:
        return None
    pieces.append(text)
    return "".join(pieces)


def _jis(data: bytes) -> tuple[str, str]:
    """Decode ISO-2022-JP (declared or detected); the defect code is empty when nothing was lost."""
    text = _decode_jis(data, strict=True)
    if text is not None:
        return text, ""
    for codec in ("iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_ext"):
        try:
            return data.decode(codec), ""
        except UnicodeDecodeError:
            continue
    return _decode_jis(data, strict=False) or "", "undecodable-iso-2022-jp"


def _guess(data: bytes, prefer: str | None = None) -> tuple[str, str]:
    """Decode undeclared 8-bit bytes: UTF-8, then CP932 or EUC-JP (whichever reads more plausibly)."""
    for codec in ("utf-8", prefer):
        if codec:
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                pass
    readings = []
    for codec in ("cp932", "euc_jp"):
        try:
            readings.append((data.decode(codec), codec))
        except UnicodeDecodeError:
            continue
    if readings:
        # EUC-JP bytes often also read as CP932, as half-width katakana soup; real text has little.
        return min(readings, key=lambda r: len(_HALFWIDTH_KANA.findall(r[0])))
    return data.decode("cp932", "replace"), "cp932-replaced"


def _codec(label: str | None) -> str | None:
    """Return the Python codec for a declared charset: "jis", a codec name, "" (auto) or None (unknown)."""
    name = (label or "").strip().strip("\"'").lower().split("*", 1)[0][:40]
    if name in _AUTO_LABELS:
        return ""
    if name in _JIS_LABELS or name.replace("_", "-") in _JIS_LABELS:
        return "jis"
    alias = _ALIASES.get(name) or _ALIASES.get(name.replace("_", "-"))
    if alias:
        return alias
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _REFUSED_CODECS:
        return None
    return "jis" if info.name.startswith("iso2022_jp") else info.name


def decode_bytes(data: bytes, charset: str | None = None) -> tuple[str, str]:
    """Decode ``data`` declared as ``charset`` (None: undeclared); never raise.

    Returns the text and a defect code ("" when the declared charset read cleanly). ISO-2022-JP
    escape sequences in ASCII-compatible text win over the label (Outlook sends them unlabelled);
    a UTF-8 BOM wins too. Undecodable bytes become U+FFFD.
    """
    if not data:
        return "", ""
    codec = _codec(charset)
    if data.startswith(codecs.BOM_UTF8):
        data, codec = data[3:], "utf-8"
    if codec in ("jis", "", None) or (data.isascii() and _JIS_HINT.search(data)):
        if codec == "jis" or _JIS_HINT.search(data):
            text, defect = _jis(data)
            return text, defect or ("" if codec == "jis" else "undeclared-iso-2022-jp")
        if data.isascii():
            return data.decode("ascii"), "" if codec is not None else "unknown-charset"
        text, used = _guess(data)
        return text, "undeclared-8bit" if codec == "" else "unknown-charset"
    try:
        return data.decode(codec), ""
    except UnicodeDecodeError:
        pass
    fallbacks = {"cp932": ("shift_jis_2004",), "euc_jp": ("euc_jis_2004", "cp932")}.get(codec, ())
    for other in fallbacks:
        try:
            return data.decode(other), ""
        except UnicodeDecodeError:
            continue
    if codec.replace("_", "-") in ("utf-8", "utf8"):
        # Shift_JIS or EUC-JP labelled UTF-8 happens; take it only if it reads better than damaged UTF-8.
        text = data.decode("utf-8", "replace")
        guessed, used = _guess(data)
        if used != "cp932-replaced" and len(_HALFWIDTH_KANA.findall(guessed)) < text.count("\ufffd"):
            return guessed, "mislabelled-charset"
        return text, "undecodable-utf-8"
    return data.decode(codec, "replace"), "undecodable-" + codec


# --- headers ----------------------------------------------------------------------------------

_UNFOLD = re.compile(rb"\r?\n(?=[ \t])")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")
_UNSAFE_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _raw_to_text(value: str, prefer: str | None = None) -> str:
    """Turn a raw header value (surrogate-escaped bytes) into text, before RFC 2047 decoding."""
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    data = _UNFOLD.sub(b"", data)
    if b"\x1b" in data and _JIS_HINT.search(data):
        return _jis(data)[0]  # raw ISO-2022-JP in a header: common from old Japanese mailers
    if data.isascii():
        return data.decode("ascii")
    return _guess(data, prefer)[0]


def _word_bytes(encoding: str, payload: str) -> bytes:
    """Decode the payload of one encoded word, leniently (bad padding, stray characters)."""
    if encoding in "bB":
        cleaned = _NOT_BASE64.sub("", payload)
        cleaned = cleaned[: len(cleaned) - (len(cleaned) % 4 == 1)]
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4))
        except (binascii.Error, ValueError):
            return b""
    return binascii.a2b_qp(payload.encode("utf-8", "replace"), header=True)


def decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words in ``text`` (already text; see :func:`decode_header_value`).

    White space between adjacent encoded words is dropped (RFC 2047 6.2) and adjacent words of one
    charset are joined as bytes first, so a character split across two words survives.
    """
    if "=?" not in text:
        return text
    pieces: list[tuple[str | None, bytes | str]] = []
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if between and not (between.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, between))
        charset, encoding, payload = match.groups()
        charset = charset.split("*", 1)[0].lower()
        data = _word_bytes(encoding, payload)
        last = pieces[-1] if pieces else None
        if last is not None and last[0] == charset and isinstance(last[1], bytes):
            pieces[-1] = (charset, last[1] + data)
        else:
            pieces.append((charset, data))
        pos = match.end()
    pieces.append((None, text[pos:]))
    return "".join(
        piece if isinstance(piece, str) else decode_bytes(piece, charset)[0] for charset, piece in pieces
    )


def one_line(text: str) -> str:
    """Make ``text`` one line: control characters and line breaks become spaces (header injection)."""
    return _UNSAFE_IN_LINE.sub(" ", text).strip()


def decode_header_value(value: str, prefer: str | None = None) -> str:
    """Decode a raw header value to one safe line of text (raw 8-bit, ISO-2022-JP, RFC 2047)."""
    return one_line(decode_words(_raw_to_text(value, prefer)))


def _raw(part: Message, name: str) -> list[str]:
    """Return the raw values of header ``name`` in ``part``, in order."""
    lower = name.lower()
    return [value for key, value in part.raw_items() if key.lower() == lower and isinstance(value, str)]


def _first(part: Message, name: str, prefer: str | None = None) -> str:
    """Return the decoded first value of header ``name`` ("" when absent)."""
    values = _raw(part, name)
    return decode_header_value(values[0], prefer) if values else ""


_INVALID_IN_ADDRESS = re.compile(
    r"[\s<>()\[\],;:\"\\\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]"
)


_HIDDEN_WORD = re.compile("\ue000([0-9]{1,6})\ue000")


def _clean_address(address: str) -> str:
    """Return the address if it is a plain ``local@domain`` (domain lower-cased), else ""."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "@" in local or _INVALID_IN_ADDRESS.search(address):
        return ""
    return f"{local}@{domain.lower()}" if len(address) <= 320 else ""


def _addresses(part: Message, name: str, limits: Limits, defects: list[str]) -> list[Address]:
    """Parse an address header: split on the raw text first, decode names after (no ',' tricks)."""
    words: list[str] = []

    def hide(match: re.Match[str]) -> str:
        words.append(match.group())
        return f"\ue000{len(words) - 1}\ue000"

    def restore(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return words[index] if index < len(words) else ""

    # Encoded words may hide ':' or '<' (a group or a second address) from the address parser.
    texts = [_ENCODED_WORD.sub(hide, _raw_to_text(value)) for value in _raw(part, name)]
    if not texts:
        return []
    try:
        pairs = getaddresses(texts)
    except (RecursionError, IndexError, ValueError, TypeError):
        defects.append(f"unparsable-{name.lower()}")
        return []
    found = []
    for display, address in pairs:
        clean = _clean_address(_HIDDEN_WORD.sub(restore, address))
        if clean:
            found.append(Address(one_line(decode_words(_HIDDEN_WORD.sub(restore, display)))[:200], clean))
        elif address or display:
            defects.append(f"invalid-address-in-{name.lower()}")
    if len(found) > limits.max_addresses:
        defects.append(f"too-many-addresses-in-{name.lower()}")
    return found[: limits.max_addresses]


_MESSAGE_ID = re.compile(r"<[^<>\s]{1,990}>")


def message_ids(value: str) -> list[str]:
    """Return the ``<id>`` tokens of a Message-ID/In-Reply-To/References value."""
    found = _MESSAGE_ID.findall(value)
    if not found and value.split():
        token = value.split()[0].strip("<>")[:990]
        found = [f"<{token}>"] if token else []
    return found


def _date(value: str, defects: list[str]) -> dt.datetime | None:
    """Parse a Date header to an aware datetime (UTC when the zone is unknown), None when unusable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("invalid-date")
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


# --- attachment names -------------------------------------------------------------------------

_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{n}" for n in range(10)] + [f"LPT{n}" for n in range(10)]
)


def _cut_utf8(text: str, size: int) -> str:
    """Cut ``text`` to at most ``size`` UTF-8 bytes without splitting a character."""
    return text.encode("utf-8")[: max(size, 0)].decode("utf-8", "ignore")


def sanitize_filename(name: str, *, index: int, content_type: str, max_bytes: int = 255) -> str:
    """Make an attachment name safe to store and show: no directories, controls or bidi tricks.

    Keeps the last path component, replaces characters Windows refuses, drops leading/trailing
    dots and spaces, cuts the stem (keeping the extension) to ``max_bytes`` UTF-8 bytes, and
    falls back to ``attachment-<index>`` plus an extension guessed from the content type. The
    extension is never changed: ``invoice.pdf.exe`` stays visibly an ``.exe`` (see
    :attr:`Attachment.risky`).
    """
    name = _INVISIBLE.sub("", unicodedata.normalize("NFC", name))
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    if name.split(".", 1)[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    if len(name.encode("utf-8")) > max_bytes:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and len(ext.encode("utf-8")) <= 16:
            name = _cut_utf8(stem, max_bytes - len(ext.encode("utf-8")) - 1).rstrip(" .") + "." + ext
        else:
            name = _cut_utf8(name, max_bytes).rstrip(" .")
    if not name.strip(" ._"):
        guessed = {"message/rfc822": ".eml", "message/delivery-status": ".txt"}.get(content_type)
        name = f"attachment-{index}{guessed or mimetypes.guess_extension(content_type) or ''}"
    return name


def _param(part: Message, header: str, name: str, prefer: str | None) -> str:
    """Return parameter ``name`` of ``header`` decoded: RFC 2231 (with charset), RFC 2047, raw 8-bit."""
    values = _raw(part, header)
    if not values:
        return ""
    probe = Message()  # the header as text, so raw 8-bit or JIS bytes cannot break the quoting
    probe[header] = _raw_to_text(values[0], prefer)
    try:
        value = probe.get_param(name, None, header)
    except (ValueError, IndexError, LookupError, TypeError):
        return ""
    if isinstance(value, tuple):
        charset, _language, encoded = value
        try:
            return decode_bytes(encoded.encode("latin-1"), charset or None)[0]
        except UnicodeEncodeError:
            return decode_words(encoded)
    return decode_words(value) if isinstance(value, str) else ""


_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


def _content_type(part: Message) -> str:
    """Return the part's content type, lower-case, or application/octet-stream when not a token."""
    ctype = part.get_content_type()
    return ctype if _CONTENT_TYPE.fullmatch(ctype) else "application/octet-stream"


# --- structure --------------------------------------------------------------------------------

_STRUCTURE = re.compile(
    rb"^--([^\n]{1,200})$|boundary\s{0,20}(?:\*[0-9*\s]{0,10})?=\s{0,20}(?:\"([^\"\n]{0,200})\"|([^\s;\"]{1,200}))",
    re.IGNORECASE | re.MULTILINE,
)


def _check_nesting(raw: bytes, limits: Limits) -> None:
    """Refuse multipart nesting past ``max_depth`` before the standard library parser sees it.

    The parser checks every line against every open boundary, so its cost grows with lines x
    depth. This linear scan over-estimates the depth (every ``boundary=`` opens a level; only
    a delimiter line of an open boundary closes levels), so it never lets a deeper message through.
    """
    stack: list[bytes] = []
    for match in _STRUCTURE.finditer(raw):
        line = match.group(1)
        if line is None:
            stack.append((match.group(2) if match.group(2) is not None else match.group(3)).rstrip())
            if len(stack) > limits.max_depth:
                raise TooDeeplyNested(limits.max_depth)
            continue
        line = line.rstrip(b" \t")
        if line in stack:
            del stack[len(stack) - stack[::-1].index(line) :]
        elif line.endswith(b"--") and line[:-2] in stack:
            del stack[len(stack) - 1 - stack[::-1].index(line[:-2]) :]


class _Leaf(NamedTuple):
    part: Message
    in_related: bool


def _leaves(message: Message, limits: Limits) -> Iterator[_Leaf]:
    """Walk the MIME tree without recursion, enforcing parts, depth and header size limits.

    A ``message/*`` part (forwarded mail, delivery status) is one leaf: its own parts count
    against the limits but are not extracted.
    """
    stack: list[tuple[Message, int, bool, bool]] = [(message, 0, True, False)]
    parts = 0
    while stack:
        part, depth, extract, related = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise TooManyParts(limits.max_parts)
        if depth > limits.max_depth:
            raise TooDeeplyNested(limits.max_depth)
        if sum(len(key) + len(value) + 4 for key, value in part.raw_items()) > limits.max_header_bytes:
            raise HeaderTooLarge(limits.max_header_bytes)
        children = part.get_payload() if part.is_multipart() else None
        is_message = part.get_content_maintype() == "message" or not isinstance(children, list)
        if extract and (children is None or is_message):
            yield _Leaf(part, related)
        if isinstance(children, list):
            inside = part.get_content_type() == "multipart/related"
            for child in reversed(children):
                if isinstance(child, Message):
                    stack.append((child, depth + 1, extract and not is_message, inside))


def _payload(part: Message, defects: list[str]) -> bytes:
    """Return the decoded content of a leaf; a ``message/*`` part is flattened back to bytes."""
    if not part.is_multipart():
        data = part.get_payload(decode=True)
        defects.extend(f"email:{type(defect).__name__}" for defect in part.defects)
        return data if isinstance(data, bytes) else b""
    out = io.BytesIO()
    try:
        for child in part.get_payload():
            if not isinstance(child, Message):
                continue
            BytesGenerator(out, mangle_from_=False, policy=policy.compat32.clone(linesep="\n")).flatten(child)
    except Exception:  # regenerating a hostile tree may fail anywhere in the generator
        defects.append("unflattenable-message")
    return out.getvalue()


def _clean_text(text: str) -> str:
    """Normalise line endings, drop a leading BOM and NUL characters (PostgreSQL refuses them)."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _attachment(
    leaf: _Leaf, index: int, prefer: str | None, limits: Limits, defects: list[str]
) -> Attachment:
    """Build the attachment of one leaf."""
    part = leaf.part
    ctype = _content_type(part)
    name = _param(part, "content-disposition", "filename", prefer) or _param(
        part, "content-type", "name", prefer
    )
    if not name and ctype == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        if isinstance(inner, Message):
            name = _first(inner, "subject")[:100] + ".eml"
    content = _payload(part, defects)
    ids = message_ids(one_line(_first(part, "content-id")))
    disposition = part.get_content_disposition()
    content_id = ids[0][1:-1][:250] if ids else ""
    return Attachment(
        filename=sanitize_filename(
            name, index=index, content_type=ctype, max_bytes=limits.max_filename_bytes
        ),
        content_type=ctype,
        size=len(content),
        content=content,
        content_id=content_id,
        inline=disposition == "inline" or (disposition is None and bool(content_id) and leaf.in_related),
    )


def _bodies(message: Message, limits: Limits, defects: list[str]) -> tuple[str, str, list[Attachment]]:
    """Split the leaves into the plain body, the HTML body and attachments."""
    prefer = _codec(message.get_content_charset()) or None
    prefer = prefer if prefer not in ("jis", None) else None
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Attachment] = []
    for leaf in list(_leaves(message, limits)):  # every structural limit before any decoding
        part = leaf.part
        ctype = _content_type(part)
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # a multipart without a usable boundary: its body is plain text
        named = bool(
            _raw(part, "content-disposition") and _param(part, "content-disposition", "filename", None)
        )
        named = named or bool(_param(part, "content-type", "name", None))
        if (
            ctype in ("text/plain", "text/html")
            and part.get_content_disposition() != "attachment"
            and not named
        ):
            text, defect = decode_bytes(_payload(part, defects), part.get_content_charset())
            if defect:
                defects.append(defect)
            (texts if ctype == "text/plain" else htmls).append(_clean_text(text))
            continue
        if len(attachments) >= limits.max_attachments:
            raise TooManyAttachments(limits.max_attachments)
        attachments.append(_attachment(leaf, len(attachments) + 1, prefer, limits, defects))
    return "\n".join(texts), "\n".join(htmls), attachments


# --- loops, bounces, ticket numbers -----------------------------------------------------------

_LOOP_HEADERS = (
    "Auto-Submitted",
    "Precedence",
    "X-Auto-Response-Suppress",
    "X-Autoreply",
    "X-Autorespond",
    "List-Id",
    "List-Unsubscribe",
    "Return-Path",
    "X-Failed-Recipients",
    "X-Loop",
)
_SUPPRESS_VALUES = frozenset({"all", "oof", "autoreply"})


def _automatic(message: Message, headers: dict[str, str], from_address: str) -> tuple[str, bool, bool]:
    """Return why the message is machine-sent ("" when not), whether it is a bounce, whether list mail."""
    report = message.get_content_type() == "multipart/report"
    report_type = str(message.get_param("report-type", "") or "").lower() if report else ""
    local = from_address.rpartition("@")[0].lower()
    bounce = (
        report_type == "delivery-status"
        or local in ("mailer-daemon", "postmaster")
        or "mailer-daemon" in headers.get("From", "").lower()
        or bool(headers.get("X-Failed-Recipients"))
    )
    reasons = []
    if bounce:
        reasons.append(
            "bounce: delivery-status report" if report_type == "delivery-status" else "bounce: MAILER-DAEMON"
        )
    if report and report_type != "delivery-status":
        reasons.append(f"multipart/report: {report_type[:40]}")
    auto = headers.get("Auto-Submitted", "").split(";", 1)[0].strip().lower()
    if auto and auto != "no":
        reasons.append(f"Auto-Submitted: {auto[:40]}")
    precedence = headers.get("Precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "auto_reply"):
        reasons.append(f"Precedence: {precedence}")
    suppress = {v.strip().lower() for v in headers.get("X-Auto-Response-Suppress", "").split(",")}
    if suppress & _SUPPRESS_VALUES:
        reasons.append("X-Auto-Response-Suppress: " + headers["X-Auto-Response-Suppress"][:60])
    for name in ("X-Autoreply", "X-Autorespond"):
        if headers.get(name):
            reasons.append(f"{name}: {headers[name][:40]}")
    if headers.get("Return-Path", "").replace(" ", "") == "<>":
        reasons.append("Return-Path: <>")
    is_list = bool(headers.get("List-Id")) or precedence == "list"
    return (reasons[0] if reasons else ""), bounce, is_list


_TICKET_DASH = "[-\u2010-\u2015\u2212\u30fc\uff70]"


def ticket_numbers_in_subject(subject: str, prefixes: Sequence[str] = TICKET_PREFIXES) -> list[str]:
    """Return the ticket numbers in ``subject``, in order, once each, as ``INC-000123``.

    The subject is NFKC-normalised first, so full-width ``［ＩＮＣ－０００１２３］`` counts;
    brackets are optional, case is ignored, dash look-alikes are accepted and the number is
    zero-padded to six digits. A number glued to other letters or digits is not a reference.
    """
    if not prefixes or not subject:
        return []
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    pattern = re.compile(rf"(?<![A-Za-z0-9])({alternatives}){_TICKET_DASH}(\d{{1,12}})(?![A-Za-z0-9])", re.I)
    found: list[str] = []
    for match in pattern.finditer(unicodedata.normalize("NFKC", subject[:10_000])):
        number = int(match.group(2))
        ref = f"{match.group(1).upper()}-{number:06d}"
        if number and ref not in found:
            found.append(ref)
    return found


# --- entry point ------------------------------------------------------------------------------


def parse(raw: bytes, *, limits: Limits = DEFAULT_LIMITS) -> ParsedMail:
    """Parse the raw bytes of one message (as received, headers first).

    Raises:
        ParseError: the message is empty, or past a hard bound of ``limits`` (size, lines,
            header block, nesting, parts, attachments); or, as a last resort, the standard
            library parser failed on it (:class:`~.limits.MalformedMessage`).
    """
    if len(raw) > limits.max_bytes:
        raise MessageTooLarge(len(raw), limits.max_bytes)
    raw = bytes(raw).removeprefix(codecs.BOM_UTF8).replace(b"\r\n", b"\n")
    if not raw.strip():
        raise EmptyMessage()
    lines = raw.count(b"\n")
    if lines > limits.max_lines:
        raise TooManyLines(lines, limits.max_lines)
    end = raw.find(b"\n\n")
    if (end if end >= 0 else len(raw)) > limits.max_header_bytes:
        raise HeaderTooLarge(limits.max_header_bytes)
    _check_nesting(raw, limits)
    try:
        return _parse(raw, limits)
    except ParseError:
        raise
    except RecursionError as exc:
        raise TooDeeplyNested(limits.max_depth) from exc
    except Exception as exc:  # the last line of defence: the caller keeps the raw message
        raise MalformedMessage() from exc


def _parse(raw: bytes, limits: Limits) -> ParsedMail:
    """Parse a message already checked against the size, line, header and nesting limits."""
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    defects: list[str] = []
    prefer = _codec(message.get_content_charset())
    prefer = prefer if prefer not in ("jis", "", None) else None
    text, html, attachments = _bodies(message, limits, defects)
    headers = {name: _first(message, name, prefer) for name in (*_LOOP_HEADERS, "From")}
    senders = _addresses(message, "From", limits, defects)
    sender = senders[0] if senders else Address("", "")
    subject = _first(message, "Subject", prefer)
    if len(subject) > limits.max_subject:
        defects.append("subject-cut")
    references = message_ids(" ".join(_raw(message, "References")))
    if len(references) > limits.max_references:
        defects.append("references-cut")
    message_id = message_ids(_first(message, "Message-ID"))
    in_reply_to = message_ids(_first(message, "In-Reply-To"))
    reason, bounce, is_list = _automatic(message, headers, sender.address)
    return_path = message_ids(headers["Return-Path"])
    return ParsedMail(
        subject=subject[: limits.max_subject],
        from_name=sender.name,
        from_address=sender.address,
        to=tuple(_addresses(message, "To", limits, defects)),
        cc=tuple(_addresses(message, "Cc", limits, defects)),
        reply_to=tuple(_addresses(message, "Reply-To", limits, defects)),
        date=_date(_first(message, "Date"), defects),
        message_id=message_id[0] if message_id else "",
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=tuple(references[-limits.max_references :]),
        text=text,
        html=html,
        attachments=tuple(attachments),
        auto_submitted=bool(reason),
        auto_submitted_reason=reason,
        is_bounce=bounce,
        is_list=is_list,
        list_id=headers["List-Id"][:255],
        return_path=return_path[0][1:-1] if return_path else "",
        loop_headers=tuple((name, headers[name][:255]) for name in _LOOP_HEADERS if headers[name]),
        auth_results=tuple(one_line(v)[:1000] for v in _raw(message, "Authentication-Results")[:5]),
        defects=tuple(dict.fromkeys(defects)),
    )
