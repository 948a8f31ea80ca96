"""Text of a message for display: quoted history removed, HTML-only mail turned into text.

Both are pure and linear in their input (hand-written scanners instead of ``html.parser``,
which is quadratic on unclosed comments). The caller always keeps the original text.
"""

from __future__ import annotations

import html
import re

# --- quoted history ---------------------------------------------------------------------------

_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|元のメッセージ|オリジナルメッセージ|転送元のメッセージ)\s*-{2,}\s*$",
    re.I,
)
_OUTLOOK_SEPARATOR = re.compile(r"^\s*_{10,}\s*$")
_FROM_LINE = re.compile(r"^\s*(?:\*\s*)?(?:from|差出人|送信者)\s*(?:\*\s*)?[:：]", re.I)
_SENT_LINE = re.compile(r"^\s*(?:\*\s*)?(?:sent|date|送信日時|日付|送信日)\s*(?:\*\s*)?[:：]", re.I)
_ON_WROTE = re.compile(r"^\s*(?:on|le|am)\s.{0,300}(?:wrote|écrit|schrieb)\s*:\s*$", re.I)
_WROTE_END = re.compile(r"(?:wrote|écrit|schrieb|書きました|書き込みました)\s*[:：]\s*$", re.I)
_JA_DATE = re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,200}[:：]\s*$")
_SLASH_DATE = re.compile(
    r"^\s*(?:on\s+)?\d{4}[/-]\d{1,2}[/-]\d{1,2}.{0,200}(?:wrote|書きました)\s*[:：]\s*$", re.I
)


def _reply_header_at(lines: list[str], index: int) -> bool:
    """Tell whether a reply header (the start of quoted history) begins at ``lines[index]``."""
    line = lines[index]
    if _ORIGINAL.match(line) or _ON_WROTE.match(line) or _JA_DATE.match(line) or _SLASH_DATE.match(line):
        return True
    if line.lstrip().lower().startswith("on ") and len(line) < 300:
        # Gmail wraps a long "On <date> <name> <address> wrote:" onto a second line.
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if _WROTE_END.search(following) and len(following) < 300:
            return True
    if _WROTE_END.search(line) and ("@" in line or re.search(r"\d{1,2}:\d{2}", line)):
        return True
    if _OUTLOOK_SEPARATOR.match(line):
        index += 1
        line = lines[index] if index < len(lines) else ""
    if _FROM_LINE.match(line):
        return any(_SENT_LINE.match(later) for later in lines[index + 1 : index + 4])
    return False


def strip_quoted(text: str) -> str:
    """Remove quoted history from a reply for display; return ``text`` itself if nothing is left.

    Drops lines starting with ``>`` and everything from the first reply header on: "On ...
    wrote:", "-----Original Message-----" (and its Japanese forms), Outlook "From:/Sent:" and
    "差出人:/送信日時:" blocks, Japanese Gmail "2026年12月1日(火) 10:00 山田 <a@b>:" lines.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _reply_header_at(lines, index):
            break
        if not line.lstrip().startswith((">", "＞")):
            kept.append(line)
    result = "\n".join(kept).strip("\n").rstrip()
    return result if result.strip() else text


# --- HTML to text -----------------------------------------------------------------------------

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]{0,40})([^<>]*)>?|<!--|<![^<>]*>?|<\?[^<>]*>?")
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"})
_BLOCKS = frozenset(
    {
        "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "dl", "dt", "dd",
    }
)  # fmt: skip
_ALT = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_PARAGRAPH = "\x00"  # a paragraph break; NUL never survives from the markup itself
_BREAKS = re.compile("[ \t]*[\n\x00][\n\x00 \t]*")


def html_to_text(markup: str) -> str:
    """Return the readable text of an HTML body: no script/style, images as their alt text.

    Never fetches anything (remote images and links stay as text, or vanish); entities are
    decoded; block elements become line breaks. Linear in the input, whatever its shape.
    """
    out: list[str] = []
    pos, pre = 0, 0
    lower = markup.lower()
    while pos < len(markup):
        match = _TAG.search(markup, pos)
        if match is None:
            out.append(_text(markup[pos:], pre))
            break
        out.append(_text(markup[pos : match.start()], pre))
        pos = match.end()
        token = match.group()
        if token == "<!--":
            end = markup.find("-->", pos)
            pos = len(markup) if end < 0 else end + 3
            continue
        closing, name, attributes = match.group(1), (match.group(2) or "").lower(), match.group(3) or ""
        if not name:
            continue
        if not closing and name in _SKIPPED and not attributes.rstrip().endswith("/"):
            end = lower.find(f"</{name}", pos)
            pos = len(markup) if end < 0 else end
            continue
        if name == "pre":
            pre = max(pre - 1, 0) if closing else pre + 1
        if name == "img" and not closing:
            alt = _ALT.search(attributes)
            if alt:
                out.append(" " + html.unescape(next(g for g in alt.groups() if g is not None)) + " ")
        elif name == "p":
            out.append(_PARAGRAPH)
        elif name in _BLOCKS:
            out.append("\n")
        elif name in ("td", "th") and not closing:
            out.append(" ")
    lines = "\n".join(line.strip() for line in "".join(out).split("\n"))
    breaks = _BREAKS.sub(lambda m: "\n\n" if _PARAGRAPH in m.group() else "\n", lines)
    return breaks.replace(_PARAGRAPH, "").strip()


def _text(chunk: str, pre: int) -> str:
    """Decode entities in a text chunk and collapse its white space outside ``<pre>``."""
    text = html.unescape(chunk).replace(_PARAGRAPH, "")
    return text if pre else _SPACES.sub(" ", text)
