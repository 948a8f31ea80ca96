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


def bm25(terms: Sequence[str], documents: Sequence[Sequence[str]]) -> list[float]:
    """Return the BM25 score of each document (its terms, in order) for the query ``terms``."""
    count = len(documents)
    if not count or not terms:
        return [0.0] * count
    wanted = list(dict.fromkeys(terms))
    average = sum(len(d) for d in documents) / count or 1.0
    frequency = dict.fromkeys(wanted, 0)
    for document in documents:
        held = set(document)
        for term in wanted:
            if term in held:
                frequency[term] += 1
    idf = {t: math.log(1 + (count - f + 0.5) / (f + 0.5)) for t, f in frequency.items()}
    scores = []
    for document in documents:
        norm = K1 * (1 - B + B * len(document) / average)
        score = 0.0
        for term in wanted:
            tf = document.count(term)
            if tf:
                score += idf[term] * tf * (K1 + 1) / (tf + norm)
        scores.append(score)
    return scores
