"""Mark matched terms in original text: HTML-escaped, the matches wrapped in ``<mark>``.

Hits are marked without running the analyser over them (Sudachi costs about 0.5 ms a snippet,
more than the query itself on SQLite): the query's terms, and the words as typed, become one
regular expression over the hit's text normalised the way the analyser normalises it (NFKC,
lower case; the expression takes hiragana for katakana). Offsets map back to the original text,
so the marks sit on what the user wrote. English words are matched whole, with their plural
endings; katakana words with or without the trailing long-vowel mark (the analyser folds both).
Spelling variants only the dictionary knows (引っ越し for 引越し) are marked when the query
spells them that way; a hit found through another variant is still listed, just not marked.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from html import escape

from . import analyzer

SNIPPET = 160
"""Characters of excerpt shown around the first match."""
BEFORE = 40
_KANA_SHIFT = 0x60
_KATAKANA = str.maketrans({chr(code): chr(code + _KANA_SHIFT) for code in range(0x3041, 0x3097)})
_ALL_KATAKANA = re.compile(r"[ァ-ヺー]+")
_PLAIN = re.compile(r"[\t\n\r -~ぁ-ゖァ-ヺー一-鿿、。々「」『』]*")
"""Text whose every character ``analyzer.normalise`` maps to its lower case (each character of
these ranges; most Japanese and English text): normalised by ``str.lower``, offsets unchanged
(``normalise`` looks each character up in two tables, most of a snippet's cost)."""


def _fold(text: str) -> str:
    return text.translate(_KATAKANA)


def _either_kana(char: str) -> str:
    """Return a regular expression matching ``char`` and, for katakana, its hiragana too (the
    analyser folds hiragana into katakana; the text is matched as written, unfolded)."""
    if "ァ" <= char <= "ヶ":
        return f"[{char}{chr(ord(char) - _KANA_SHIFT)}]"
    return re.escape(char)


def _variants(term: str) -> Iterable[tuple[str, str]]:
    """Return regular expressions matching the written forms of an analysed term, each as the
    folded form's expression (the longest first, see :class:`Marker`) and the one matching text."""
    folded = _fold(term)
    if term.isascii():
        word = re.escape(term)
        if term.endswith("y"):
            word = f"(?:{word}|{re.escape(term[:-1])}ies)"
        expression = rf"(?<![0-9a-z]){word}(?:e?s)?(?![0-9a-z])"
        yield expression, expression
    else:
        suffix = "ー?" if _ALL_KATAKANA.fullmatch(folded) else ""
        yield re.escape(folded) + suffix, "".join(_either_kana(c) for c in folded) + suffix


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """Return ``text`` normalised as the analyser does and its offsets (None: unchanged)."""
    if _PLAIN.fullmatch(text):
        return text.lower(), None
    return analyzer.normalise(text)


class Marker:
    """Marks the terms of one search in the text of its hits."""

    def __init__(self, terms: Collection[str], query: str = "") -> None:
        alternatives = dict(v for term in terms for v in _variants(term))
        # The words as the user typed them: a spelling the dictionary normalises differently.
        for term in analyzer.analyse(query[:1000]) if query else ():
            surface = _fold(analyzer.normalise(query[term.start : term.end])[0])
            if surface and surface != _fold(term.text):
                alternatives.update(_variants(surface))
        ordered = sorted(alternatives, key=len, reverse=True)  # the longest alternative wins
        self.pattern = re.compile("|".join(alternatives[a] for a in ordered)) if ordered else None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Return the spans of ``text`` (original offsets) that match a term, in order."""
        if self.pattern is None or not text:
            return []
        normal, offsets = _normalised(text)
        spans: list[tuple[int, int]] = []
        for found in self.pattern.finditer(normal):
            if offsets is None:
                start, end = found.start(), found.end()
            else:
                start = offsets[found.start()]
                end = max(offsets[found.end()], start + 1)  # a term inside one expanded character (㈱)
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))
        return spans

    def mark(self, text: str) -> str:
        """Return ``text`` escaped, with every match in ``<mark>``."""
        return _render(text, self.spans(text), 0, len(text))

    def snippet(self, text: str, width: int = SNIPPET) -> str:
        """Return about ``width`` characters of ``text`` around the first match, marked and escaped."""
        spans = self.spans(text)
        start = max(0, spans[0][0] - BEFORE) if spans else 0
        end = min(len(text), start + width)
        if end - start < width:
            start = max(0, end - width)
        body = _render(text, spans, start, end)
        return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")


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
    """Return ``text`` escaped, with every span matching a term of ``wanted`` in ``<mark>``."""
    return Marker(wanted).mark(text)


def snippet(text: str, wanted: Collection[str], width: int = SNIPPET) -> str:
    """Return about ``width`` characters of ``text`` around the first match, marked and escaped."""
    return Marker(wanted).snippet(text, width)
