"""Pure decisions of problem management: text normalisation and matching, staleness. No ORM.

Japanese text has no spaces between words, so matching is by substring on normalised text
(NFKC: full-width Latin letters and digits become half-width, half-width katakana full-width;
then lower case). Content words of an incident are cut at spaces, punctuation and hiragana
(particles and inflections), which leaves the kanji, katakana and Latin runs that carry the
meaning ("VPN接続が数分おきに切断される" -> "vpn接続", "数分", "切断"). A later issue brings a
real Japanese analyser; these rules need nothing but the standard library.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_TERMS = 10
MIN_TOKEN = 2
_SPLIT_QUERY = re.compile(r"[\s,、，;；]+")
_SPLIT_KEYWORDS = re.compile(r"[\s,、，;；]+")
# Runs of hiragana, white space and punctuation separate content words; "-", "_" and "." stay in
# words (error codes such as E-2041), as do ー and ・. Full-width punctuation is ASCII after NFKC.
_NOT_CONTENT = re.compile(r"[\u3040-\u309f\s!-,/:-@\[-\^`{-~\u3000-\u303f]+")


def printable(text: str) -> str:
    """Return ``text`` with control characters turned into spaces (PostgreSQL refuses NUL in queries)."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text or "")


def normalise(text: str) -> str:
    """Return the searchable form of ``text``: NFKC, lower case, runs of white space as one space."""
    folded = unicodedata.normalize("NFKC", printable(text)).lower()
    return " ".join(folded.split())


def search_text(*parts: str) -> str:
    """Return the stored search column of a known error from its texts (one normalised string)."""
    return "\n".join(normalise(p) for p in parts if p and p.strip())


def query_terms(query: str) -> list[str]:
    """Split a search query into normalised terms (every term must occur); at most ``MAX_TERMS``."""
    terms = [t for t in _SPLIT_QUERY.split(normalise(query)) if t]
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_TERMS]


def keywords(value: str) -> list[str]:
    """Return the normalised keywords of a known error (commas, ideographic commas or spaces)."""
    words = [w.strip() for w in _SPLIT_KEYWORDS.split(normalise(value))]
    return list(dict.fromkeys(w for w in words if w))


STOP_WORDS = frozenset(
    {
        "エラー", "error", "表示", "発生", "障害", "不具合", "問題", "確認", "対応", "場合", "画面",
        "利用", "使用", "現象", "状態", "至急", "連絡", "件", "the", "and", "not", "for", "with",
    }
)  # fmt: skip
"""Words in nearly every incident: matching them says nothing about the cause."""


def content_tokens(text: str) -> list[str]:
    """Return the content words of ``text`` (see the module docstring), normalised, in order."""
    parts = _NOT_CONTENT.split(normalise(text))
    return list(dict.fromkeys(p for p in parts if len(p) >= MIN_TOKEN and p not in STOP_WORDS))


@dataclass(frozen=True)
class Candidate:
    """A published known error as the suggestion needs it.

    ``words`` are the content words of the incident found in the known error's text (the
    database looks them up, the texts can be long).
    """

    pk: int
    keywords: Sequence[str]
    words: frozenset[str]
    ci_ids: frozenset[int]
    service_ids: frozenset[int]


@dataclass(frozen=True)
class Match:
    """How well a known error matches an incident, and why (for the panel and the API)."""

    pk: int
    score: int
    reasons: tuple[str, ...]


CI_WEIGHT, SERVICE_WEIGHT, KEYWORD_WEIGHT, WORD_WEIGHT = 4, 2, 3, 1


def match(candidate: Candidate, *, text: str, ci_ids: Iterable[int], service_id: int | None) -> Match:
    """Score one known error against an incident: shared CIs, its service, keywords and words.

    ``text`` is the incident's normalised title and description; a keyword of the known error
    found in it counts most among the words, then each content word of the incident's title
    found in the known error's text. Reasons name what matched: ``ci``, ``service``,
    ``keyword:<k>`` and ``word:<w>``.
    """
    score, reasons = 0, []
    shared = candidate.ci_ids & frozenset(ci_ids)
    if shared:
        score += CI_WEIGHT * len(shared)
        reasons.append("ci")
    if service_id is not None and service_id in candidate.service_ids:
        score += SERVICE_WEIGHT
        reasons.append("service")
    found_keywords = [w for w in candidate.keywords if len(w) >= MIN_TOKEN and w in text]
    for word in found_keywords:
        score += KEYWORD_WEIGHT
        reasons.append(f"keyword:{word}")
    for word in sorted(candidate.words):
        if not any(word in k or k in word for k in found_keywords):  # counted once, as the keyword
            score += WORD_WEIGHT
            reasons.append(f"word:{word}")
    return Match(candidate.pk, score, tuple(reasons))


def best(matches: Iterable[Match], *, limit: int, minimum: int = 3) -> list[Match]:
    """Return the strongest matches first (ties: the newer known error), at least ``minimum`` each.

    A suggestion needs a shared CI, a keyword, or the service or words together: the service alone
    (every known error of it) or two everyday words are noise on the incident page.
    """
    kept = [m for m in matches if m.score >= minimum]
    return sorted(kept, key=lambda m: (-m.score, -m.pk))[:limit]


def is_due(
    *, last_moved_at: dt.datetime, reminded_at: dt.datetime | None, now: dt.datetime, days: int
) -> bool:
    """Tell whether a problem is due for a reminder: it has not moved for ``days``, and nobody was
    reminded within the last ``days`` (0 turns reminders off)."""
    if days <= 0:
        return False
    threshold = now - dt.timedelta(days=days)
    if last_moved_at > threshold:
        return False
    return reminded_at is None or reminded_at <= threshold
