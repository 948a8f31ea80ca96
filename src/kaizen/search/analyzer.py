"""Japanese and English text analysis for the search index (SudachiPy, core dictionary, split mode A).

The same :func:`terms` runs over indexed text and over queries, so whatever it folds together
matches: full-width and half-width forms (NFKC), case, Sudachi's normalised spellings
(サーバ/サーバー, 引越し/引っ越し, 打合せ/打ち合わせ), all-hiragana words and their katakana
spelling, a trailing long-vowel mark on long katakana words (ルータ/ルーター, as JIS Z 8301 and
Elasticsearch's kuromoji stemmer do), and English plurals (printers/printer). Particles,
auxiliary verbs, light verbs (する, ある, いる, なる), punctuation and spaces are dropped.

Split mode A (the shortest units) makes two-character words findable inside compounds:
警告灯 is indexed as 警告 + 灯, so the query 警告 finds it.

Terms only contain letters, digits and marks (Unicode categories L, N, M, Co): no character any
full-text engine reads as syntax or as a separator, so SQLite FTS5 and PostgreSQL see exactly the
terms produced here. The dictionary is loaded once per process on first use (thread-safe); each
thread gets its own tokenizer. Nothing is downloaded: the dictionary ships in ``sudachidict_core``.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Iterator
from typing import Any, NamedTuple

MAX_TERM = 64
"""Longer terms are cut (PostgreSQL refuses lexemes over 2 KB; nobody types 64 letters)."""
CHUNK = 4000
"""Characters analysed at once (Sudachi refuses more than 49,149 bytes of input)."""
DROPPED_POS = frozenset({"助詞", "助動詞", "補助記号", "空白"})
LIGHT_VERBS = frozenset({"為る", "有る", "居る", "成る"})
ENGLISH_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "is", "of", "on", "or", "the",
     "to", "was", "were", "with"}
)  # fmt: skip
"""Function words only; "it", "not" and "no" stay (IT, "not printing")."""
_TOKEN_CATEGORIES = ("L", "N", "M")
_HIRAGANA = range(0x3041, 0x3097)
_KATAKANA_SHIFT = 0x60
_LONG_VOWEL = "ー"


class Term(NamedTuple):
    """An analysed term and the span of the original text it comes from."""

    text: str
    start: int
    end: int


# -- the dictionary, once per process ------------------------------------------------------------

_lock = threading.Lock()
_dictionary: Any = None
_local = threading.local()


def _tokenizer() -> Any:
    """Return this thread's Sudachi tokenizer (mode A), loading the dictionary on first use."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is not None:
        return tokenizer
    global _dictionary
    with _lock:
        if _dictionary is None:
            from sudachipy import Dictionary

            _dictionary = Dictionary(dict="core")
        from sudachipy import SplitMode

        tokenizer = _dictionary.tokenizer(mode=SplitMode.A)
    _local.tokenizer = tokenizer
    return tokenizer


def load() -> None:
    """Load the dictionary now (a worker warming up; benchmarks measuring the load apart)."""
    _tokenizer()


# -- normalisation with offsets ------------------------------------------------------------------


def _joins_previous(char: str) -> bool:
    decomposed = unicodedata.normalize("NFKD", char)
    return bool(decomposed) and unicodedata.combining(decomposed[0]) != 0


class _Pieces(dict[int, str]):
    """Code point → its NFKC lower-case form, computed on first sight (a ``str.translate`` table)."""

    def __missing__(self, code: int) -> str:
        piece = _normal_piece(chr(code))
        if len(self) < _TABLE_LIMIT:
            self[code] = piece
        return piece


class _Uneven(dict[int, str | None]):
    """Code point → ``None`` when it normalises to exactly one character and joins nothing, else
    itself: ``text.translate`` of this table is empty when character offsets need no mapping."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        value = None if len(_PIECES[code]) == 1 and not _joins_previous(char) else char
        if len(self) < _TABLE_LIMIT:
            self[code] = value
        return value


_TABLE_LIMIT = 100_000
"""Code points remembered per table (hostile text of rare characters must not grow them for ever)."""
_PIECES = _Pieces()
_UNEVEN = _Uneven()


def normalise(text: str) -> tuple[str, list[int]]:
    """Return NFKC-normalised lower-case ``text`` and, per output character, its original offset.

    Each base character is normalised together with the combining marks that follow it (ｶﾞ is
    カ + a half-width voiced mark), so offsets map back to the original for highlighting. The list
    has one more entry, the original length. Text where every character stays one character
    (most text) is mapped by two ``str.translate`` calls over tables filled on first sight.
    """
    if not text.translate(_UNEVEN):
        return text.translate(_PIECES), list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and _joins_previous(text[j]):
            j += 1
        piece = _PIECES[ord(text[i])] if j == i + 1 else _normal_piece(text[i:j])
        out.append(piece)
        offsets.extend([i] * len(piece))
        i = j
    offsets.append(n)
    return "".join(out), offsets


def _normal_piece(cluster: str) -> str:
    piece = unicodedata.normalize("NFKC", cluster).lower()
    if any("\ud800" <= c <= "\udfff" for c in piece):  # a lone surrogate cannot be encoded
        piece = " " * len(piece)
    return piece


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into pieces Sudachi accepts, at a line break or a space when there is one."""
    start = 0
    while len(text) - start > CHUNK:
        end = start + CHUNK
        cut = max(text.rfind("\n", start, end), text.rfind("。", start, end), text.rfind(" ", start, end))
        if cut <= start:
            cut = end - 1
        yield start, text[start : cut + 1]
        start = cut + 1
    if start < len(text):
        yield start, text[start:]


# -- term forms ----------------------------------------------------------------------------------


def _is_token_char(char: str) -> bool:
    return unicodedata.category(char)[0] in _TOKEN_CATEGORIES or unicodedata.category(char) == "Co"


def _runs(form: str) -> Iterator[str]:
    """Split a form into runs of letters, digits and marks (drops symbols, spaces, punctuation)."""
    run: list[str] = []
    for char in form:
        if _is_token_char(char):
            run.append(char)
        elif run:
            yield "".join(run)
            run = []
    if run:
        yield "".join(run)


def stem_english(word: str) -> str:
    """Strip an English plural (Harman's S-stemmer): printers → printer, policies → policy."""
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def _fold_kana(word: str) -> str:
    """All-hiragana words in katakana (ねじ/ネジ); long katakana words without the trailing ー."""
    if all(ord(c) in _HIRAGANA or c == _LONG_VOWEL for c in word):
        word = "".join(chr(ord(c) + _KATAKANA_SHIFT) if ord(c) in _HIRAGANA else c for c in word)
    if (
        len(word) >= 4
        and word.endswith(_LONG_VOWEL)
        and all("ァ" <= c <= "ヺ" or c == _LONG_VOWEL for c in word)
    ):
        word = word.rstrip(_LONG_VOWEL)
    return word


@functools.lru_cache(maxsize=65_536)
def _forms(surface: str, normalized: str) -> tuple[str, ...]:
    """Return the terms of one morpheme (cached: the same words recur in every text)."""
    if surface.isascii():
        # Sudachi "normalises" English into katakana (not → ノット); keep English as written.
        return tuple(stem_english(run)[:MAX_TERM] for run in _runs(surface) if run not in ENGLISH_STOPWORDS)
    normal = unicodedata.normalize("NFKC", normalized).lower()
    return tuple(_fold_kana(run)[:MAX_TERM] for run in _runs(normal))


# -- analysis ------------------------------------------------------------------------------------


def analyse(text: str) -> list[Term]:
    """Return the terms of ``text`` in order, each with its span in ``text``."""
    if not text:
        return []
    normal, offsets = normalise(text)
    tokenizer = _tokenizer()
    found: list[Term] = []
    for base, chunk in _chunks(normal):
        for morpheme in tokenizer.tokenize(chunk):
            pos = morpheme.part_of_speech()
            if pos[0] in DROPPED_POS:
                continue
            normalized = morpheme.normalized_form()
            if pos[0] == "動詞" and normalized in LIGHT_VERBS:
                continue
            start, end = base + morpheme.begin(), base + morpheme.end()
            for form in _forms(morpheme.surface(), normalized):
                if form:
                    found.append(Term(form, offsets[start], offsets[end]))
    return found


def terms(text: str) -> list[str]:
    """Return the analysed terms of ``text`` (duplicates kept, in order)."""
    return [t.text for t in analyse(text)]


def index_text(text: str) -> str:
    """Return the terms of ``text`` joined by single spaces: the stored ``tokens`` of an entry."""
    return " ".join(terms(text))


def query_terms(query: str) -> list[str]:
    """Return the distinct terms of a query, in order (every one must match)."""
    return list(dict.fromkeys(terms(query)))
