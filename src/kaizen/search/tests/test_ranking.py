"""BM25 over a search's candidates, and the bounded candidates of the search itself."""

from __future__ import annotations

from kaizen.search import ranking


def scores(terms: list[str], documents: list[str]) -> list[float]:
    return ranking.bm25(terms, [ranking.padded(d) for d in documents])


def test_more_occurrences_and_shorter_documents_rank_higher() -> None:
    docs = ["vpn 接続 設定 手順 一覧 資料", "vpn vpn 接続", "vpn 接続"]
    got = scores(["vpn"], docs)
    assert got[1] > got[2] > got[0] > 0


def test_rare_terms_weigh_more_when_any_term_may_match() -> None:
    common_only = ["できる プリンタ"] * 8
    rare = ["できる トナー"]
    got = scores(["できる", "トナー"], common_only + rare)
    assert got[-1] == max(got) and got[-1] > got[0]


def test_no_documents_or_no_terms_give_no_scores() -> None:
    assert scores(["a"], []) == []
    assert scores([], ["a", "b"]) == [0.0, 0.0]
    assert scores(["a"], ["", "b"]) == [0.0, 0.0]


def test_every_occurrence_counts_and_only_whole_terms() -> None:
    three, one = scores(["a"], ["a a a x", "a ab ba xa x"])
    assert three > one > 0
    assert scores(["ab"], ["abc abd", "xab"]) == [0.0, 0.0]
