"""Grouping inquiries into topics by meaning (pure: numpy only, no ORM).

Leader clustering over L2-normalised vectors: each inquiry joins the topic whose centroid it is
most alike to when the cosine similarity reaches ``threshold``, else starts a topic; a second pass
reassigns every inquiry to its nearest final centroid, so the order of the input matters little.
Linear in inquiries × topics, which suits a year of one desk's inquiries (tens of thousands).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BLOCK = 2048
THRESHOLD = 0.6
"""Cosine similarity at which two inquiries are the same topic (USE multilingual v3 vectors)."""


@dataclass(frozen=True)
class Topic:
    """Members of one topic (positions in the input), most typical first, and the centroid."""

    members: list[int]
    centroid: npt.NDArray[np.float32]


def _normalise(rows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: npt.NDArray[np.float32] = (rows / norms).astype(np.float32)
    return out


def cluster(
    vectors: npt.NDArray[np.float32],
    *,
    threshold: float = THRESHOLD,
    min_size: int = 2,
    progress: Callable[[int], None] | None = None,
) -> list[Topic]:
    """Return the topics of at least ``min_size`` members, the largest first.

    ``vectors`` is one row per inquiry (rows of zeros never join a topic); ``progress`` is called
    with the share done (0 to 100) now and then.
    """
    if vectors.ndim != 2 or not len(vectors):
        return []
    rows = _normalise(np.asarray(vectors, dtype=np.float32))
    present = np.flatnonzero(np.any(rows != 0, axis=1))
    capacity = 64
    centroids = np.zeros((capacity, rows.shape[1]), dtype=np.float32)  # grown by doubling
    sums = np.zeros_like(centroids)
    k = 0
    for count, i in enumerate(present):
        v = rows[i]
        if k:
            sims = centroids[:k] @ v
            best = int(np.argmax(sims))
            if sims[best] >= threshold:
                sums[best] += v
                centroids[best] = sums[best] / max(float(np.linalg.norm(sums[best])), 1e-9)
                continue
        if k == capacity:
            capacity *= 2
            centroids = np.resize(centroids, (capacity, rows.shape[1]))
            sums = np.resize(sums, (capacity, rows.shape[1]))
        centroids[k] = v
        sums[k] = v
        k += 1
        if progress is not None and count % 500 == 0:
            progress(int(80 * count / max(len(present), 1)))
    if not k:
        return []
    centroids = centroids[:k]
    # The nearest final centroid of each inquiry, in blocks (never an inquiries × topics matrix).
    nearest = np.empty(len(present), dtype=np.int64)
    best_sim = np.empty(len(present), dtype=np.float32)
    for start in range(0, len(present), BLOCK):
        block = rows[present[start : start + BLOCK]] @ centroids.T
        nearest[start : start + BLOCK] = np.argmax(block, axis=1)
        best_sim[start : start + BLOCK] = block[np.arange(len(block)), nearest[start : start + BLOCK]]
    topics: list[Topic] = []
    for c in range(k):
        chosen = [
            (float(best_sim[j]), int(present[j]))
            for j in np.flatnonzero(nearest == c)
            if best_sim[j] >= threshold
        ]
        if len(chosen) < min_size:
            continue
        chosen.sort(key=lambda item: -item[0])
        members = [i for _s, i in chosen]
        topics.append(Topic(members=members, centroid=_normalise(rows[members].sum(axis=0)[None, :])[0]))
    if progress is not None:
        progress(90)
    topics.sort(key=lambda t: (-len(t.members), t.members[0]))
    return topics


def best_cover(centroid: npt.NDArray[np.float32], articles: npt.NDArray[np.float32]) -> tuple[int, float]:
    """Return the position of the article most alike to a topic and its similarity (-1, 0.0 if none)."""
    if not len(articles):
        return -1, 0.0
    sims = _normalise(np.asarray(articles, dtype=np.float32)) @ centroid
    best = int(np.argmax(sims))
    return best, float(sims[best])


def labels(texts: Sequence[str], topics: Sequence[Topic]) -> list[str]:
    """Return each topic's label: its most typical member's text, on one line."""
    return [" ".join(texts[t.members[0]].split())[:200] for t in topics]
