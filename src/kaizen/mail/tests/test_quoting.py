"""Quoted history and HTML-only mail for display."""

from __future__ import annotations

import pytest

from kaizen.mail.quoting import html_to_text, strip_quoted

REPLY = "Thanks, that fixed it.\n"


@pytest.mark.parametrize(
    "history",
    [
        "On Tue, Dec 1, 2026 at 10:00 AM Taro Yamada <taro@example.jp> wrote:\n> old text\n",
        "On Tue, Dec 1, 2026 at 10:00 AM Taro Yamada <\ntaro@example.jp> wrote:\n> old text\n",
        "-----Original Message-----\nFrom: Taro\nSent: Tuesday\nTo: Support\nSubject: x\n\nold text\n",
        "________________________________\nFrom: Taro Yamada <taro@example.jp>\n"
        "Sent: Tuesday, December 1, 2026 10:00\nTo: Support\nSubject: RE: printer\n\nold text\n",
        "From: Taro Yamada\nSent: Tuesday, December 1, 2026 10:00\nTo: Support\n\nold text\n",
        "-----Original Message-----\n差出人: 山田\n送信日時: 2026年12月1日 10:00\n\n古い本文\n",
        "-----元のメッセージ-----\n差出人: 山田\n\n古い本文\n",
        "差出人: 山田 太郎 <taro@example.jp>\n送信日時: 2026年12月1日 火曜日 10:00\n"
        "宛先: サポート\n件名: RE: 障害\n\n古い本文",
        "差出人： 山田\n送信日時： 2026年12月1日\n\n古い本文",
        "2026年12月1日(火) 10:00 山田 太郎 <taro@example.jp>:\n> 古い本文\n",
        "2026/12/01 10:00 に 山田 さんは書きました:\n> 古い本文\n",
    ],
)
def test_reply_headers_cut_the_history(history: str) -> None:
    assert strip_quoted(REPLY + "\n" + history) == REPLY.strip()


def test_quoted_lines_are_dropped_in_inline_replies() -> None:
    text = "> question one?\nanswer one\n> question two?\nanswer two"
    assert strip_quoted(text) == "answer one\nanswer two"


def test_text_without_history_is_unchanged_and_empty_results_keep_the_original() -> None:
    assert strip_quoted("From the top: a line\nSent to you.") == "From the top: a line\nSent to you."
    only_quote = "> all quoted\n> nothing else"
    assert strip_quoted(only_quote) == only_quote


def test_html_to_text_drops_script_style_and_head() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<script>alert('x')</script><p>Hello&nbsp;<b>world</b> &amp; co</p><div>line&#x32;</div>"
        '<img src="http://remote.example/i.png" alt="logo"><br>end<!-- hidden --></body></html>'
    )
    assert html_to_text(html) == "Hello\xa0world & co\n\nline2\nlogo\nend"


def test_html_to_text_keeps_table_cells_apart_and_collapses_blank_lines() -> None:
    html = "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table><p></p><p></p><p>x</p>"
    assert html_to_text(html) == "a b\nc\n\nx"


@pytest.mark.parametrize(
    "hostile",
    ["<!--" * 50_000, "<" * 200_000, "<a " * 100_000, "<script>" + "</scr" * 50_000, "&#" * 100_000],
)
def test_html_to_text_is_linear_on_hostile_markup(hostile: str) -> None:
    assert isinstance(html_to_text(hostile), str)


def test_strip_quoted_handles_huge_input() -> None:
    text = "line\n" * 100_000 + "> q\n" * 100_000
    assert strip_quoted(text).count("\n") == 99_999
