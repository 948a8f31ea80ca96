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

K1 = 1.2
"""Term-frequency saturation (the usual Okapi value)."""
B = 0.75
"""Length normalisation (the usual Okapi value)."""


PADDED_SQL = "' ' || replace({column}, ' ', '  ') || ' '"
"""SQL giving an entry's stored terms as :func:`padded` does (the database does it in C)."""


def padded(tokens: str) -> str:
    """Return stored terms (joined by single spaces) with each term between two spaces of its
    own, so that counting ``" term "`` finds every occurrence."""
    return f" {tokens.replace(' ', '  ')} " if tokens else ""


def bm25(terms: Sequence[str], documents: Sequence[str]) -> list[float]:
    """Return the BM25 score of each document (its terms as :func:`padded` gives them) for the
    query ``terms``. Counting runs in C: splitting 500 documents into lists cost more than the
    query."""
    count = len(documents)
    wanted = list(dict.fromkeys(terms))
    if not count or not wanted:
        return [0.0] * count
    needles = [f" {t} " for t in wanted]
    tfs = [[d.count(n) for n in needles] for d in documents]
    lengths = [d.count(" ") // 2 for d in documents]
    average = sum(lengths) / count or 1.0
    frequency = [sum(1 for row in tfs if row[i]) for i in range(len(wanted))]
    idf = [math.log(1 + (count - f + 0.5) / (f + 0.5)) for f in frequency]
    scores = []
    for row, length in zip(tfs, lengths, strict=True):
        norm = K1 * (1 - B + B * length / average)
        scores.append(sum(w * tf * (K1 + 1) / (tf + norm) for w, tf in zip(idf, row, strict=True) if tf))
    return scores
