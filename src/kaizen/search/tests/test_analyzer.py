"""The analyser: normalisation, Japanese split mode A, English, terms safe for both engines."""

from __future__ import annotations

import threading
import unicodedata

import pytest

from kaizen.search import analyzer, highlight
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


# -- highlighting -------------------------------------------------------------------------------


def test_snippet_of_a_long_excerpt_shows_a_late_match_marked() -> None:
    filler = "会議室の予約方法について説明します。" * 40  # 720 characters
    text = filler + "プリンタの警告灯が点灯しています。" + filler
    shown = highlight.snippet(text, {"警告"})
    assert "<mark>警告</mark>灯" in shown
    assert shown.startswith("…") and shown.endswith("…")
    assert len(shown.replace("<mark>", "").replace("</mark>", "")) <= highlight.SNIPPET + 2


def test_marks_follow_the_analysers_folding() -> None:
    def marked(text: str, query: str) -> str:
        return highlight.Marker(terms(query), query).mark(text)

    assert marked("サーバーとサーバ", "サーバ") == "<mark>サーバー</mark>と<mark>サーバ</mark>"
    assert marked("ＶＰＮが切れる", "vpn") == "<mark>ＶＰＮ</mark>が切れる"
    assert marked("Two printers and one policies page", "printer policy") == (
        "Two <mark>printers</mark> and one <mark>policies</mark> page"
    )
    assert marked("ねじとネジ", "ネジ") == "<mark>ねじ</mark>と<mark>ネジ</mark>"
    assert marked("㈱カイゼン", "株") == "<mark>㈱</mark>カイゼン"
    assert marked("ｶﾞｲﾄﾞ", "ガイド") == "<mark>ｶﾞｲﾄﾞ</mark>"
    # Whole English words only: "it" is not inside "with" or "item".
    assert marked("with item, IT desk", "it") == "with item, <mark>IT</mark> desk"


def test_a_spelling_the_user_typed_is_marked_too() -> None:
    text = "来月の引っ越しの手順"
    assert "<mark>引っ越し</mark>" in highlight.Marker(terms("引っ越し"), "引っ越し").mark(text)


def test_marks_are_escaped_and_nothing_matches_without_terms() -> None:
    assert highlight.Marker(["script"]).mark("<script>x</script>") == (
        "&lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt;"
    )
    assert highlight.Marker([]).mark("<b>") == "&lt;b&gt;"
    assert highlight.Marker(["警告"]).snippet("") == ""


def test_normalise_keeps_offsets_for_expanding_and_joining_characters() -> None:
    text = "①㈱ｶﾞ髙ＰＣ"
    normal, offsets = analyzer.normalise(text)
    assert normal == "1(株)ガ髙pc"
    assert offsets == [0, 1, 1, 1, 2, 4, 5, 6, 7]
    plain = "サーバー(障害)"
    assert analyzer.normalise(plain) == (plain, list(range(len(plain) + 1)))
