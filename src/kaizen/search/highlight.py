"""Mark matched terms in original text: HTML-escaped, the matches wrapped in ``<mark>``."""

from __future__ import annotations

from collections.abc import Collection

from django.utils.html import escape

from . import analyzer

SNIPPET = 160
"""Characters of excerpt shown around the first match."""
BEFORE = 40


def _spans(text: str, wanted: Collection[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in analyzer.analyse(text):
        if term.text not in wanted or term.start >= term.end:
            continue
        if spans and term.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], term.end))
        else:
            spans.append((term.start, term.end))
    return spans


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out: list[str] = []
    at = start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if e <= s:
            continue
        out.append(escape(text[at:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        at = e
    out.append(escape(text[at:end]))
    return "".join(out)


def mark(text: str, wanted: Collection[str]) -> str:
    """Return ``text`` escaped, with every span whose term is in ``wanted`` in ``<mark>``."""
    return _render(text, _spans(text, wanted), 0, len(text))


def snippet(text: str, wanted: Collection[str], width: int = SNIPPET) -> str:
    """Return about ``width`` characters of ``text`` around the first match, marked and escaped."""
    spans = _spans(text, wanted)
    start = max(0, spans[0][0] - BEFORE) if spans else 0
    end = min(len(text), start + width)
    if end - start < width:
        start = max(0, end - width)
    body = _render(text, spans, start, end)
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
