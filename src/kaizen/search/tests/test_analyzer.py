"""The analyser: normalisation, Japanese split mode A, English, terms safe for both engines."""

from __future__ import annotations

import threading
import unicodedata

import pytest

from kaizen.search import analyzer
from kaizen.search.analyzer import terms


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("サーバ", "サーバー"),
        ("ｻｰﾊﾞｰ", "サーバー"),
        ("ＶＰＮ", "vpn"),
        ("ＶＰＮ", "VPN"),
        ("引越し", "引っ越し"),
        ("打合せ", "打ち合わせ"),
        ("ルータ", "ルーター"),
        ("printers", "printer"),
        ("Policies", "policy"),
        ("Ｗｉｎｄｏｗｓ１０", "windows10"),
        ("ねじ", "ネジ"),
        ("めーる", "メール"),
        ("接続できない", "接続できません"),
    ],
)
def test_variants_have_the_same_terms(a: str, b: str) -> None:
    assert terms(a) == terms(b)
    assert terms(a)


@pytest.mark.parametrize(
    ("word", "text"),
    [("印刷", "プリンタ印刷不可"), ("警告", "警告灯が点灯している"), ("障害", "ネットワーク障害対応")],
)
def test_two_character_words_are_found_inside_compounds(word: str, text: str) -> None:
    assert set(terms(word)) <= set(terms(text))


def test_particles_punctuation_and_spaces_are_dropped() -> None:
    assert terms("サーバーが、起動しない。") == ["サーバ", "起動"]


def test_english_is_lower_cased_stemmed_and_kept_in_latin_letters() -> None:
    # Sudachi would "normalise" not into ノット; English stays English.
    assert terms("The Printers are NOT printing") == ["printer", "not", "printing"]


def test_all_hiragana_words_fold_to_katakana() -> None:
    assert analyzer._fold_kana("ねじ") == "ネジ"
    assert analyzer._fold_kana("コピー") == "コピー"  # short katakana words keep their ー


def test_search_syntax_becomes_plain_terms() -> None:
    assert terms('"*NEAR(-x) a:b & c | !d') == ["near", "x", "b", "c", "d"]
    assert terms("a OR b") == ["b"]  # "a" and "or" are English function words


@pytest.mark.parametrize(
    "text", ["😀🔥", "\u0000\u202e\ufeff", "\udcff", "ﷺ" * 50, "\u3099\u309a", "%" * 100]
)
def test_garbage_never_raises(text: str) -> None:
    for term in terms(text):
        assert term


def test_terms_hold_only_letters_digits_and_marks() -> None:
    text = "障害: DB-01 の CPU 使用率 95% (警告) <script>alert('x')</script> café ﾃｽﾄ 第２営業部 ①"
    for term in terms(text):
        assert " " not in term
        assert all(unicodedata.category(c)[0] in "LNM" for c in term), term


def test_spans_point_into_the_original_text() -> None:
    text = "ｻｰﾊﾞｰの警告灯"
    spans = {t.text: text[t.start : t.end] for t in analyzer.analyse(text)}
    assert spans["サーバ"] == "ｻｰﾊﾞｰ"
    assert spans["警告"] == "警告"


def test_long_text_is_analysed_in_chunks() -> None:
    text = ("プリンタが印刷できない。" * 2000) + "最後の警告"
    found = terms(text)
    assert found[-1] == "警告"
    assert found.count("印刷") == 2000


def test_long_words_are_cut() -> None:
    assert terms("x" * 500) == ["x" * analyzer.MAX_TERM]


def test_threads_share_the_dictionary() -> None:
    results: list[list[str]] = []

    def work() -> None:
        results.append(terms("ネットワーク障害でメールが送れない"))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    assert all(r == results[0] for r in results)
