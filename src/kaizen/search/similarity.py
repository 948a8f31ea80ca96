"""Similar items: the records most alike in meaning to a ticket, from vectors stored in the index.

Each index entry stores a vector of its title and excerpt (:mod:`.similar`'s Universal Sentence
Encoder, 512 float16 values, 1 KB), written with the entry. A ticket's similar items are found
among bounded candidates, never by scanning the whole index: the entries holding every word of its
title (the full-text index over the newest ``TEXT_WINDOW`` entries, up to ``TEXT_CANDIDATES``)
and the latest ``RECENT_CANDIDATES`` entries of the wanted types (so that a Japanese ticket finds
its English twin, which shares no word), both through the user's visibility
(``queries.keep_visible``), then ranked by cosine similarity. Without the model package the
vectors are empty and the ranking is the full-text one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import queries, similar
from .models import SearchEntry

log = logging.getLogger("kaizen.search")

MODEL = similar.UseEmbedder.name
TEXT_CANDIDATES = 100
TEXT_WINDOW = 5000
"""Entries of the wanted types searched for the title's words (the newest; a bounded cost: the
index's posting lists of a title's common words cost more than the rest of the search, and on
PostgreSQL each entry of the window is checked, 48 ms for 20,000)."""
RECENT_CANDIDATES = 1000
MIN_SCORE = 0.35
"""Cosine similarity below which a candidate is not shown (unrelated texts score 0.1 to 0.3)."""
EXCERPT_CHARS = 600
SIMILAR_TYPES = ("incident", "problem", "article")

_lock = threading.Lock()
_embedder: Any = None
_unavailable = False


def embedder() -> similar.Embedder | None:
    """Return the process's model (loaded once), or None when its package is not installed."""
    global _embedder, _unavailable
    if _embedder is None and not _unavailable:
        with _lock:
            if _embedder is None and not _unavailable:
                try:
                    _embedder = similar.make_embedder(MODEL)
                except similar.EmbedderUnavailable:
                    log.warning("similar items without a model: %s is not installed", MODEL)
                    _unavailable = True
    return _embedder  # type: ignore[no-any-return]


def _text(title: str, excerpt: str) -> str:
    return f"{title}\n{excerpt[:EXCERPT_CHARS]}".strip()


def vectors_of(texts: Sequence[tuple[str, str]]) -> list[bytes | None]:
    """Return the stored form (float16 bytes) of the vectors of (title, excerpt) pairs."""
    model = embedder()
    if model is None or not texts:
        return [None] * len(texts)
    out: list[bytes | None] = []
    for vector in model.embed([_text(t, e) for t, e in texts]):
        array = np.asarray(vector, dtype=np.float16)
        out.append(array.tobytes() if np.any(array) else None)
    return out


def vector_of(title: str, excerpt: str) -> bytes | None:
    """Return the stored form of one (title, excerpt) vector."""
    return vectors_of([(title, excerpt)])[0]


@dataclass(frozen=True)
class Similar:
    """A record alike in meaning, with its cosine similarity to the ticket (0 to 1)."""

    record_type: str
    record_id: int
    number: str
    title: str
    score: float


def similar_to(
    user: Any, record_type: str, record_id: int, *, types: Collection[str] = SIMILAR_TYPES, limit: int = 5
) -> list[Similar]:
    """Return up to ``limit`` records ``user`` may see that are most alike to the given record
    (nothing when the user may not see that record: its text must not steer what they are shown)."""
    entry = SearchEntry.objects.filter(record_type=record_type, record_id=record_id).first()
    if entry is None or not queries.keep_visible(user, [(entry.pk, record_type, record_id, "")]):
        return []
    wanted = frozenset(types)
    # The latest visible entries of the wanted types, and those holding every word of the title
    # (precise and cheap: an OR of common words matches nearly everything).
    ids = set(queries.newest_visible(user, wanted, RECENT_CANDIDATES))
    title_ids = []
    if entry.title.strip():
        title_ids = queries.matching_ids(
            user, entry.title, wanted, TEXT_CANDIDATES, window=TEXT_WINDOW, older=False
        )
    ids.update(title_ids)
    ids.discard(entry.pk)
    columns = ("pk", "record_type", "record_id", "number", "title", "vector")
    rows = list(SearchEntry.objects.filter(pk__in=sorted(ids)).values_list(*columns))
    stored = bytes(entry.vector) if entry.vector is not None else b""
    if len(stored) % 2:
        stored = b""  # not float16 values: rank as if the record had no vector
    scored: list[tuple[float, tuple[Any, ...]]] = []
    # Only vectors of the same length compare (a row written by another model is left out).
    with_vectors = [r for r in rows if r[5] and len(r[5]) == len(stored)] if stored else []
    if with_vectors:
        query = np.frombuffer(stored, dtype=np.float16).astype(np.float32)
        matrix = np.frombuffer(b"".join(bytes(r[5]) for r in with_vectors), dtype=np.float16)
        scores = matrix.reshape(len(with_vectors), -1).astype(np.float32) @ query
        scored = [(float(s), r) for s, r in zip(scores, with_vectors, strict=True) if s >= MIN_SCORE]
    elif not stored:  # no vector for the record (no model): the latest sharing the title's words
        order = {pk: i for i, pk in enumerate(title_ids)}
        text = sorted((r for r in rows if r[0] in order), key=lambda r: order[r[0]])
        scored = [(1.0 - i / max(len(text), 1) / 2, r) for i, r in enumerate(text)]
    scored.sort(key=lambda item: (-item[0], -item[1][0]))
    return [
        Similar(record_type=r[1], record_id=r[2], number=r[3], title=r[4], score=round(min(s, 1.0), 3))
        for s, r in scored[:limit]
    ]
