"""Ranking of a search's candidates: Okapi BM25 over their analysed terms, the same on every database.

A search ranks the newest matches only (``queries.BOUND``), so the statistics BM25 needs come
from those candidates: a term's document frequency is the number of candidates holding it and
the average length is theirs. When every term must match, every candidate holds every term and
the order comes from how often and how densely each one holds them; when any term may match
(suggestions for a question typed as a sentence), the terms few candidates hold weigh more,
which is what the corpus-wide frequency would say for the rare words of a question.

SQLite's bm25() and PostgreSQL's ts_rank() are not used: both need statistics over every match
(bm25 reads the whole posting list of each phrase before scoring one row), and the two would
order the same hits differently.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import AnyStr, cast

import numpy as np

K1 = 1.2
"""Term-frequency saturation (the usual Okapi value)."""
B = 0.75
"""Length normalisation (the usual Okapi value)."""


PADDED_SQL = "' ' || replace({column}, ' ', '  ') || ' '"
"""SQL giving an entry's stored terms as :func:`padded` does (the database does it in C; a search
reads them as UTF-8 bytes, see :func:`bm25`)."""


def padded(tokens: str) -> str:
    """Return stored terms (joined by single spaces) with each term between two spaces of its
    own, so that counting ``" term "`` finds every occurrence."""
    return f" {tokens.replace(' ', '  ')} " if tokens else ""


def bm25(terms: Sequence[str], documents: Sequence[str | bytes]) -> list[float]:
    """Return the BM25 score of each document (its terms as :func:`padded` gives them, all as
    text or all encoded in UTF-8) for the query ``terms``. Counting runs in C: splitting 500
    documents into lists cost more than the query, and so did decoding them on SQLite (counts in
    UTF-8 are the text's: a space is one byte no other character holds, and a term's bytes match
    only where the term starts)."""
    count = len(documents)
    wanted = list(dict.fromkeys(terms))
    if not count or not wanted:
        return [0.0] * count
    if isinstance(documents[0], bytes):
        encoded = cast(Sequence[bytes], documents)
        tfs, lengths = _counts(encoded, [f" {t} ".encode() for t in wanted], b" ")
    else:
        tfs, lengths = _counts(cast(Sequence[str], documents), [f" {t} " for t in wanted], " ")
    average = sum(lengths) / count or 1.0
    # The arithmetic of one document at a time, over every document at once: a term's share is
    # added to the scores term after term, so each score is the same float as summed alone.
    frequencies = np.array(tfs, dtype=np.float64)
    norm = K1 * (1 - B + B * np.array(lengths, dtype=np.float64) / average)
    scores = np.zeros(count)
    for column, held in enumerate(np.count_nonzero(frequencies, axis=0).tolist()):
        weight = math.log(1 + (count - held + 0.5) / (held + 0.5))
        tf = frequencies[:, column]
        scores += weight * tf * (K1 + 1) / (tf + norm)
    return list(scores.tolist())


def _counts(
    documents: Sequence[AnyStr], needles: list[AnyStr], space: AnyStr
) -> tuple[list[list[int]], list[int]]:
    """Return how often each document holds each needle, and how many terms it holds."""
    return [[d.count(n) for n in needles] for d in documents], [d.count(space) // 2 for d in documents]
