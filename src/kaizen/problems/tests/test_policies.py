"""Pure decisions: normalised text, search terms, content words, suggestion scores, reminders."""

from __future__ import annotations

import datetime as dt

import pytest

from kaizen.problems import policies

T = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＶＰＮ", "vpn"),
        ("ﾒｰﾙ", "メール"),
        ("Ｅ－２０４１", "e-2041"),
        ("  VPN\u3000 証明書\t", "vpn 証明書"),
        ("bad\x00null", "bad null"),
        ("", ""),
    ],
)
def test_normalise_folds_width_case_space_and_controls(text: str, expected: str) -> None:
    assert policies.normalise(text) == expected


def test_query_terms_split_on_any_space_and_commas_and_are_capped() -> None:
    assert policies.query_terms("ＶＰＮ　証明書, 期限切れ、vpn") == ["vpn", "証明書", "期限切れ"]
    assert len(policies.query_terms(" ".join(f"w{i}" for i in range(50)))) == policies.MAX_TERMS
    assert policies.query_terms("\x00 \x07") == []


def test_keywords_are_normalised_and_unique() -> None:
    assert policies.keywords("E-2041, 摘要欄、半角カナ  ｶﾅ,e-2041") == [
        "e-2041",
        "摘要欄",
        "半角カナ",
        "カナ",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VPN接続が数分おきに切断される", ["vpn接続", "数分", "切断"]),
        (
            "会計Bで仕訳入力時にエラー E-2041 が表示される",
            ["会計b", "仕訳入力時", "e-2041"],
        ),
        ("メールが送れない！", ["メール"]),
        ("", []),
    ],
)
def test_content_tokens_cut_at_hiragana_spaces_and_punctuation(text: str, expected: list[str]) -> None:
    assert policies.content_tokens(text) == expected


def _candidate(**kwargs: object) -> policies.Candidate:
    values: dict[str, object] = {
        "pk": 1,
        "keywords": [],
        "words": frozenset(),
        "ci_ids": frozenset(),
        "service_ids": frozenset(),
    }
    values.update(kwargs)
    return policies.Candidate(**values)  # type: ignore[arg-type]


def test_match_counts_cis_service_keywords_and_words() -> None:
    found = policies.match(
        _candidate(
            keywords=["e-2041"],
            words=frozenset({"仕訳"}),
            ci_ids=frozenset({7, 8}),
            service_ids=frozenset({3}),
        ),
        text="会計bで仕訳入力時にエラー e-2041",
        ci_ids=[7, 8, 9],
        service_id=3,
    )
    assert found.score == 2 * policies.CI_WEIGHT + policies.SERVICE_WEIGHT + policies.KEYWORD_WEIGHT + 1
    assert found.reasons == ("ci", "service", "keyword:e-2041", "word:仕訳")


def test_a_word_that_is_also_a_keyword_counts_once() -> None:
    found = policies.match(
        _candidate(keywords=["vpn"], words=frozenset({"vpn"})),
        text="vpn が切れる",
        ci_ids=[],
        service_id=None,
    )
    assert found.score == policies.KEYWORD_WEIGHT
    assert found.reasons == ("keyword:vpn",)


def test_best_drops_weak_matches_and_orders_by_score_then_newest() -> None:
    matches = [
        policies.Match(1, 2, ()),
        policies.Match(2, 5, ()),
        policies.Match(3, 5, ()),
        policies.Match(4, 3, ()),
    ]
    assert [m.pk for m in policies.best(matches, limit=2)] == [3, 2]
    assert [m.pk for m in policies.best(matches, limit=10)] == [3, 2, 4]


@pytest.mark.parametrize(
    ("moved_days_ago", "reminded_days_ago", "days", "due"),
    [
        (15, None, 14, True),
        (14, None, 14, True),
        (13, None, 14, False),
        (30, 5, 14, False),
        (30, 14, 14, True),
        (30, 20, 14, True),
        (30, None, 0, False),
        (30, None, -3, False),
    ],
)
def test_is_due(moved_days_ago: int, reminded_days_ago: int | None, days: int, due: bool) -> None:
    reminded = T - dt.timedelta(days=reminded_days_ago) if reminded_days_ago is not None else None
    assert (
        policies.is_due(
            last_moved_at=T - dt.timedelta(days=moved_days_ago), reminded_at=reminded, now=T, days=days
        )
        is due
    )
