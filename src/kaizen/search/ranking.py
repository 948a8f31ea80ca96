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


def bm25(terms: Sequence[str], documents: Sequence[str]) -> list[float]:
    """Return the BM25 score of each document (its analysed terms joined by single spaces, as an
    index entry stores them) for the query ``terms``."""
    count = len(documents)
    wanted = list(dict.fromkeys(terms))
    if not count or not wanted:
        return [0.0] * count
    # Each term between two spaces of its own, so that counting " term " finds every occurrence
    # (counted in C: splitting 500 documents into lists cost more than the query).
    padded = [f" {d.replace(' ', '  ')} " if d else "" for d in documents]
    needles = [f" {t} " for t in wanted]
    tfs = [[p.count(n) for n in needles] for p in padded]
    lengths = [d.count(" ") + 1 if d else 0 for d in documents]
    average = sum(lengths) / count or 1.0
    frequency = [sum(1 for row in tfs if row[i]) for i in range(len(wanted))]
    idf = [math.log(1 + (count - f + 0.5) / (f + 0.5)) for f in frequency]
    scores = []
    for row, length in zip(tfs, lengths, strict=True):
        norm = K1 * (1 - B + B * length / average)
        scores.append(sum(w * tf * (K1 + 1) / (tf + norm) for w, tf in zip(idf, row, strict=True) if tf))
    return scores
