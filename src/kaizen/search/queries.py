"""Search: analyse the query, match it in the full-text index, keep what the user may see.

The match is built from analysed terms only (letters, digits, marks), each one quoted, so
nothing a user types is ever read as search syntax: ``"``, ``*``, ``NEAR``, ``-``, ``:``, ``&``,
``|``, ``!`` and parentheses are text. Every term must match (AND). SQLite ranks with bm25,
PostgreSQL with ts_rank; the set of hits is the same on both.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _

from . import analyzer, highlight, sources
from .models import SearchEntry

MAX_QUERY = 1000
MAX_LIMIT = 100
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class Hit:
    """One search result: the record, its title and a highlighted snippet (HTML, escaped)."""

    record_type: str
    record_id: int
    number: str
    title: str
    title_html: str
    snippet: str
    score: float


@dataclass(frozen=True)
class Results:
    """A page of hits, the analysed query terms and whether more hits follow."""

    hits: list[Hit]
    terms: list[str]
    has_more: bool


def fts5_query(terms: Collection[str], *, any_term: bool = False) -> str:
    """Return an FTS5 MATCH expression requiring every term (or any), each quoted as a string."""
    return (" OR " if any_term else " ").join('"' + t.replace('"', '""') + '"' for t in terms)


def tsquery(terms: Collection[str], *, any_term: bool = False) -> str:
    """Return a PostgreSQL tsquery requiring every term (or any), each quoted as a lexeme."""
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return (" | " if any_term else " & ").join(quoted)


def _visible(user: Any, types: frozenset[str] | None) -> Q:
    condition = Q(pk__in=[])
    for source in sources.SOURCES.values():
        wanted = source.record_types & types if types is not None else source.record_types
        if wanted:
            condition |= Q(record_type__in=sorted(wanted), record_id__in=source.visible(user))
    return condition


def visible_condition(user: Any, types: frozenset[str] | None) -> Q:
    """Return the condition on index entries that keeps the records of ``types`` ``user`` may see."""
    return _visible(user, types)


def matching_ids(
    user: Any, text: str, types: frozenset[str] | None, limit: int, *, any_term: bool = False
) -> list[int]:
    """Return the ids of the visible entries holding every term of ``text`` (or any), newest first
    (candidates for another ranking: computing a text rank of every match would cost more)."""
    terms = analyzer.query_terms(text[:MAX_QUERY])
    if not terms:
        return []
    found = _matches(terms, _visible(user, types), limit, 0, any_term=any_term, ranked=False)
    return [pk for pk, _score in found]


def _check(q: str, types: Collection[str] | None, limit: int, offset: int) -> frozenset[str] | None:
    errors: dict[str, str] = {}
    if not q.strip():
        errors["q"] = _("Type what to search for.")
    elif len(q) > MAX_QUERY:
        errors["q"] = _("At most %(n)s characters.") % {"n": MAX_QUERY}
    wanted = frozenset(types) if types is not None else None
    if wanted is not None:
        unknown = sorted(wanted - sources.record_types())
        if not wanted:
            errors["type"] = _("Choose at least one record type.")
        elif unknown:
            errors["type"] = _("Unknown record type: %(types)s.") % {"types": ", ".join(unknown)}
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = _("The limit is 1 to %(n)s.") % {"n": MAX_LIMIT}
    if not 0 <= offset <= MAX_OFFSET:
        errors["offset"] = _("The offset is 0 to %(n)s.") % {"n": MAX_OFFSET}
    if errors:
        raise ValidationError(errors)
    return wanted


def _matches(
    terms: list[str], visible: Q, limit: int, offset: int, any_term: bool = False, *, ranked: bool = True
) -> list[tuple[int, float]]:
    """Return (entry id, score) of the matches, best first; unranked: the newest first (score 0)."""
    # The visibility condition is compiled by Django; every value in it and here is a bound parameter.
    sub_sql, sub_params = SearchEntry.objects.filter(visible).values("pk").query.sql_with_params()
    if connection.vendor == "postgresql":
        query = tsquery(terms, any_term=any_term)
        score = "ts_rank(e.rank_terms, CAST(%s AS tsquery))" if ranked else "0"
        order = "score DESC, e.id" if ranked else "e.id DESC"
        sql = (
            f"SELECT e.id, {score} AS score "  # noqa: S608
            "FROM search_searchentry e "
            "WHERE array_to_tsvector(string_to_array(e.tokens, ' ')) @@ CAST(%s AS tsquery) "
            f"AND e.id IN ({sub_sql}) ORDER BY {order} LIMIT %s OFFSET %s"
        )
        params: list[Any] = [*([query] if ranked else []), query, *sub_params, limit, offset]
    else:
        score = "-bm25(search_entry_fts)" if ranked else "0"
        order = "score DESC, e.id" if ranked else "e.id DESC"
        sql = (
            f"SELECT e.id, {score} AS score "  # noqa: S608
            "FROM search_entry_fts JOIN search_searchentry e ON e.id = search_entry_fts.rowid "
            "WHERE search_entry_fts MATCH %s "
            f"AND e.id IN ({sub_sql}) ORDER BY {order} LIMIT %s OFFSET %s"
        )
        params = [fts5_query(terms, any_term=any_term), *sub_params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def search(
    user: Any,
    q: str,
    *,
    types: Collection[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    any_term: bool = False,
) -> Results:
    """Return the records ``user`` may see whose text holds every term of ``q`` (or, with
    ``any_term``, at least one: suggestions for a question typed in a sentence), best first.

    Raises:
        ValidationError: empty or over-long ``q``, unknown ``types``, ``limit`` or ``offset`` out of range.
    """
    wanted = _check(q, types, limit, offset)
    terms = analyzer.query_terms(q)
    if not terms:
        return Results(hits=[], terms=[], has_more=False)
    rows = _matches(terms, _visible(user, wanted), limit + 1, offset, any_term)
    entries = SearchEntry.objects.in_bulk([pk for pk, _score in rows[:limit]])
    hits = []
    for pk, score in rows[:limit]:
        entry = entries.get(pk)
        if entry is None:  # removed since the match
            continue
        hits.append(
            Hit(
                record_type=entry.record_type,
                record_id=entry.record_id,
                number=entry.number,
                title=entry.title,
                title_html=highlight.mark(entry.title, terms),
                snippet=highlight.snippet(entry.excerpt, terms),
                score=round(score, 6),
            )
        )
    return Results(hits=hits, terms=terms, has_more=len(rows) > limit)
