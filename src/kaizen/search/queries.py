"""Search: analyse the query, match it in the full-text index, keep what the user may see.

The match is built from analysed terms only (letters, digits, marks), each one quoted, so
nothing a user types is ever read as search syntax: ``"``, ``*``, ``NEAR``, ``-``, ``:``, ``&``,
``|``, ``!`` and parentheses are text. Every term must match (AND), or any (suggestions).

The full-text index returns the newest matches of the wanted record types and of the
organisations the user can reach (``facets``), the sources keep the ones the user may see, and
``ranking.bm25`` orders them: the same hits in the same order on SQLite and PostgreSQL.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from . import analyzer, facets, highlight, ranking, sources

MAX_QUERY = 1000
MAX_LIMIT = 100
MAX_OFFSET = 10_000
BOUND = 500
"""Matches ranked per search at most: the newest of the wanted record types and organisations
(more when a deeper page asks). Ranking every match of a common word among a million entries
cost hundreds of milliseconds; a search for such a word ranks its most recent matches."""
BATCHES = 4
"""Times a search reaches further back when too few of the newest matches are visible to the user."""
WINDOW = 1000
"""Entries of the wanted types a search looks at first, the newest (older ones only when these hold
too few matches)."""
OLDER = 100
"""Matches older than the window read at least, when the window holds fewer than a page needs."""
WINDOW_ORGANISATIONS = 8
"""Up to this many organisations, the window is the newest entries of the user's organisations
(read per organisation); beyond, the newest of the wanted types."""
NEWEST = 2**62
"""An entry id above every real one (the first batch starts below it)."""


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


Row = tuple[int, str, int, str | bytes]
"""A match: entry id, record type, record id, analysed terms (as ``ranking.padded`` gives them:
text on PostgreSQL, UTF-8 on SQLite, see :func:`_terms_sql`; empty when the search does not
rank its matches)."""
AnyRow = TypeVar("AnyRow", bound=tuple[int, str, int, Any])
"""A :data:`Row` or a row like it (entry id, record type, record id, anything)."""
_NOTHING: frozenset[int] = frozenset()


def keep_visible(user: Any, rows: list[AnyRow]) -> list[AnyRow]:
    """Return the ``rows`` whose record ``user`` may see (one query per source, by primary key)."""
    seen: dict[str, set[int]] = {}
    for source in sources.SOURCES.values():
        ids = sorted({row[2] for row in rows if row[1] in source.record_types})
        if ids:
            found = _visible_ids(source, user, ids)
            for record_type in source.record_types:
                seen.setdefault(record_type, set()).update(found)
    return [row for row in rows if row[2] in seen.get(row[1], _NOTHING)]


def _visible_ids(source: sources.Source, user: Any, ids: list[int]) -> set[int]:
    """Return those of ``ids`` whose record of ``source`` ``user`` may see (the source's query,
    its rows read as they come: the ORM's iterator took as long as the query)."""
    visible = source.visible(user).filter(pk__in=_id_list(ids)).order_by().values_list("pk")
    sql, params = visible.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {int(pk) for (pk,) in cursor.fetchall()}


def _id_list(ids: list[int]) -> RawSQL:
    """Return ``ids`` as one bound parameter (Django preparing 500 values one by one cost more
    than the query)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [ids])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(ids)])


def _ids_param(ids: list[int]) -> tuple[str, list[Any]]:
    """Return a subquery listing ``ids`` and its one parameter (as :func:`_id_list`, for raw SQL)."""
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])", [ids]
    return "SELECT value FROM json_each(%s)", [json.dumps(ids)]


def matching_ids(
    user: Any,
    text: str,
    types: frozenset[str] | None,
    limit: int,
    *,
    any_term: bool = False,
    window: int | None = None,
    older: bool = True,
) -> list[int]:
    """Return the ids of the visible entries holding every term of ``text`` (or any), newest first
    (candidates for another ranking); ``window`` and ``older`` as for :func:`_newest`."""
    terms = analyzer.query_terms(text[:MAX_QUERY])
    if not terms:
        return []
    rows = _found(user, terms, types, limit, any_term=any_term, window=window, older=older, ranked=False)
    return [row[0] for row in rows[:limit]]


def _organisations(user: Any, types: frozenset[str] | None) -> frozenset[int] | None:
    """Every organisation whose entries of ``types`` ``user`` might see (None: any)."""
    found: set[int] = set()
    for source in sources.SOURCES.values():
        if types is not None and not source.record_types & types:
            continue
        orgs = source.organisations(user) if source.organisations is not None else None
        if orgs is None:
            return None
        found |= orgs
    return frozenset(found)


def _found(
    user: Any,
    terms: list[str],
    types: frozenset[str] | None,
    need: int,
    *,
    any_term: bool,
    window: int | None = None,
    older: bool = True,
    ranked: bool = True,
) -> list[Row]:
    """Return visible matches, newest first (see :func:`_newest`), reaching further back while
    fewer than ``need`` are visible. With ``any_term``, the newest entries holding every term come
    too (a common word of a sentence would otherwise fill the candidates with entries holding only
    that word). Without ``ranked``, their terms are not read. ``window``: ``WINDOW`` unless given."""
    window = WINDOW if window is None else window
    orgs = _organisations(user, types)
    if orgs is not None and not orgs:
        return []
    bound = max(BOUND, need)
    found: dict[int, Row] = {}
    if any_term and len(terms) > 1:
        every, _below = _newest(
            terms, types, orgs, bound, NEWEST, need=need, window=window, older=older, ranked=ranked
        )
        found.update((row[0], row) for row in keep_visible(user, every))
    before = NEWEST
    for _batch in range(BATCHES):
        rows, before = _newest(
            terms,
            types,
            orgs,
            bound,
            before,
            need=need - len(found),
            any_term=any_term,
            window=window,
            older=older,
            ranked=ranked,
        )
        for row in keep_visible(user, rows):
            found.setdefault(row[0], row)
        if not before or len(found) >= need:
            break
    return sorted(found.values(), key=lambda row: -row[0])


def newest_visible(user: Any, types: frozenset[str], limit: int) -> list[int]:
    """Return the ids of the newest ``limit`` entries of ``types`` whose records ``user`` may see
    (the newest of the user's organisations, then older ones while too few are visible)."""
    return [row[0] for row in _found(user, [], types, limit, any_term=False, ranked=False)[:limit]]


def _match(
    terms: list[str],
    kinds: list[str],
    org_words: list[str],
    *,
    any_term: bool,
    scopes: list[tuple[str, int]] | None = None,
) -> str:
    """Return the full-text match of the terms and facets ("" when nothing narrows). ``scopes``
    (SQLite, record types and organisations): the terms are matched in the ``scoped`` column, each
    behind one of the scopes (see ``facets.SQLITE_SCOPED``), instead of in ``tokens`` and ``facets``."""
    if scopes and terms and connection.vendor != "postgresql":
        groups = [fts5_query([facets.scoped(k, o, term) for k, o in scopes], any_term=True) for term in terms]
        joined = (" OR " if any_term else " AND ").join(f"({group})" for group in groups)
        return f"scoped : ({joined})"
    if connection.vendor == "postgresql":
        parts = [
            "(" + " | ".join(f"'#{word}'" for word in words) + ")" for words in (kinds, org_words) if words
        ]
        parts += [f"({tsquery(terms, any_term=any_term)})"] if terms else []
        return " & ".join(parts)
    parts = [
        "facets : (" + " OR ".join(f'"{word}"' for word in words) + ")"
        for words in (kinds, org_words)
        if words
    ]
    parts += [f"tokens : ({fts5_query(terms, any_term=any_term)})"] if terms else []
    return " AND ".join(parts)


def _types_condition(types: frozenset[str] | None) -> tuple[str, list[Any]]:
    if types is None:
        return "", []
    return f"record_type IN ({', '.join(['%s'] * len(types))}) AND ", sorted(types)


def _branches(types: frozenset[str] | None, orgs: frozenset[int] | None) -> list[tuple[str, list[Any]]]:
    """Return the conditions reading the window one index range at a time, newest first: per
    record type (``(record_type, id)``) and, for a user of a few organisations, per organisation
    too (``(record_type, organisation_id, id)``)."""
    if types is None:
        return [_types_condition(None)]
    if orgs is None or len(orgs) > WINDOW_ORGANISATIONS:
        return [_types_condition(frozenset([kind])) for kind in sorted(types)]
    branches: list[tuple[str, list[Any]]] = []
    for kind in sorted(types):
        branches.append(("record_type = %s AND organisation_id IS NULL AND ", [kind]))
        branches += [("record_type = %s AND organisation_id = %s AND ", [kind, o]) for o in sorted(orgs)]
    return branches


def _window_rows(
    types: frozenset[str] | None, orgs: frozenset[int] | None, before: int, window: int, columns: str
) -> tuple[str, list[Any]]:
    """Return SQL (a ``UNION ALL``) and parameters reading ``columns`` of the newest ``window``
    entries below id ``before`` of each :func:`_branches` range, each from its btree index."""
    selects, params = [], []
    for condition, values in _branches(types, orgs):
        selects.append(
            f"SELECT * FROM (SELECT {columns} FROM search_searchentry WHERE {condition}id < %s "  # noqa: S608
            "ORDER BY id DESC LIMIT %s) t"
        )
        params += [*values, before, window]
    return " UNION ALL ".join(selects), params


def _window_start(
    types: frozenset[str] | None, orgs: frozenset[int] | None, before: int, window: int = WINDOW
) -> int:
    """Return the id of the ``WINDOW``-th newest entry of ``types`` (and organisations, see
    :func:`_branches`) below id ``before``, 0 when there are fewer.

    PostgreSQL merges the branches, each limited to the window, in index order. SQLite sorted
    each limited branch again (a subquery's order is not known outside it), so there the
    branches are not limited: it merges them as their indexes return them and stops at the window.
    """
    if connection.vendor == "postgresql":
        rows, params = _window_rows(types, orgs, before, window, "id")
        sql = f"SELECT id FROM ({rows}) w ORDER BY id DESC LIMIT 1 OFFSET %s"  # noqa: S608
    else:
        selects, params = [], []
        for condition, values in _branches(types, orgs):
            selects.append(f"SELECT id FROM search_searchentry WHERE {condition}id < %s")  # noqa: S608
            params += [*values, before]
        sql = " UNION ALL ".join(selects) + " ORDER BY id DESC LIMIT 1 OFFSET %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, window - 1])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _scan(
    match: str,
    types: frozenset[str] | None,
    orgs: frozenset[int] | None,
    low: int,
    before: int,
    bound: int,
    window: int = WINDOW,
    *,
    forwards: bool = False,
    ranked: bool = True,
) -> list[Row]:
    """Return the newest ``bound`` entries with ``low`` <= id < ``before`` of ``types`` holding
    ``match`` (every entry when it is empty), newest first. ``low`` > 0 is the window's start.

    ``forwards``: SQLite reads every match of the range in id order, then keeps the newest. FTS5
    intersects several words' posting lists in two thirds of the time forwards, so a range that
    holds few more matches than wanted (the window: at most ``window``) costs less read whole
    forwards than backwards up to the last one wanted; one word's list is cheaper backwards.
    ``ranked``: read the entries' terms (see :func:`_terms_sql`)."""
    condition, values = _types_condition(types)
    params: list[Any]
    if connection.vendor == "postgresql" and low:
        # The window's rows straight from the (record_type, id) index, newest first, then the
        # match: a GIN bitmap would read every match of a common word (and the planner misjudges
        # how often words that come together, like 証明 and 書, match together).
        rows, params = _window_rows(types, orgs, before, window, "id, match_terms" if match else "id")
        inner = f"SELECT id FROM ({rows}) w WHERE id >= %s"  # noqa: S608
        params.append(low)
        if match:
            inner += " AND match_terms @@ CAST(%s AS tsquery)"
            params.append(match)
    elif not match:
        inner = f"SELECT id FROM search_searchentry WHERE {condition}id >= %s AND id < %s"  # noqa: S608
        params = [*values, low, before]
    elif connection.vendor == "postgresql":
        inner = "SELECT id FROM search_searchentry WHERE match_terms @@ CAST(%s AS tsquery) AND id < %s"
        params = [match, before]
    else:
        inner = (
            "SELECT rowid AS id FROM search_entry_fts "
            "WHERE search_entry_fts MATCH %s AND rowid >= %s AND rowid < %s"
        )
        if forwards:  # materialised: the ORDER BY below must not turn into a backward scan
            inner = f"WITH m AS MATERIALIZED ({inner}) SELECT id FROM m"  # noqa: S608
        params = [match, low, before]
    terms_sql = _terms_sql() if ranked else "NULL"
    # Sorted here, not by the database: it would copy every row, terms and all, into a sorter.
    sql = (
        f"SELECT e.id, e.record_type, e.record_id, {terms_sql} "  # noqa: S608
        f"FROM ({inner} ORDER BY id DESC LIMIT %s) c JOIN search_searchentry e ON e.id = c.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, bound])
        rows = cursor.fetchall()
    empty = "" if connection.vendor == "postgresql" else b""
    found: list[Row] = [(int(pk), str(rtype), int(rid), tokens or empty) for pk, rtype, rid, tokens in rows]
    found.sort(key=_newest_first)
    return found


def _newest_first(row: Row) -> int:
    """The order of matches: the newest entry first."""
    return -row[0]


def _terms_sql() -> str:
    """Return SQL giving an entry's terms as ``ranking.padded`` does: on SQLite as a BLOB of their
    UTF-8 (the database's encoding, SQLite's default; its module decoded 500 texts slower than they
    are ranked), on PostgreSQL as text (psycopg decodes text faster than it reads bytes)."""
    padded = ranking.PADDED_SQL.format(column="e.tokens")
    if connection.vendor == "postgresql":
        return padded
    return f"CAST({padded} AS BLOB)"


def _newest(
    terms: list[str],
    types: frozenset[str] | None,
    orgs: frozenset[int] | None,
    bound: int,
    before: int,
    *,
    need: int,
    any_term: bool = False,
    window: int = WINDOW,
    older: bool = True,
    ranked: bool = True,
) -> tuple[list[Row], int]:
    """Return up to ``bound`` entries below id ``before`` holding the terms (every one, or any; no
    terms: every entry) of the wanted types and organisations, newest first, and the id below
    which nothing was looked at (0: nothing is left).

    The matches among the newest ``WINDOW`` entries of the wanted types come first; older entries
    are looked at only when the window held fewer than ``need``, and then only as many as are
    needed (at least ``OLDER``), unless ``older`` is false (a bounded cost whatever the words).
    So a common word costs a scan of the window, a rare one a few index pages, and both databases
    return the same candidates.
    """
    scopes: list[tuple[str, int]] = []
    reach = sorted(orgs | {0}) if orgs is not None else []
    few = orgs is not None and len(orgs) <= WINDOW_ORGANISATIONS
    if types is not None and few:
        # One facet word per type and organisation: the user's records, one short list each (on
        # SQLite, the terms themselves behind those words).
        scopes = [(t, o) for t in sorted(types) for o in reach]
        kinds, org_words = [facets.kind_in(t, o) for t, o in scopes], []
    else:
        kinds = sorted(facets.kind(t) for t in types) if types is not None else []
        org_words = sorted(facets.organisation(o) for o in reach)
        if few and terms:  # any type: the terms behind every type of the user's organisations
            scopes = [(t, o) for t in sorted(sources.record_types()) for o in reach]
    match = _match(terms, kinds, org_words, any_term=any_term, scopes=scopes)
    low = _window_start(types, orgs, before, window)
    # Forwards reads every match of the window, backwards at least ``bound`` of them: forwards
    # when several words must match (far fewer than the window, mostly) and the window holds at
    # most twice the bound (a common pair costs then at most a third more than backwards).
    forwards = len(terms) > 1 and not any_term and window <= 2 * bound
    # PostgreSQL reads the window from the branches' btree ranges (``_window_rows``), which hold
    # only the wanted types (and the user's organisations, when few): with no terms the facets
    # would test every window row again for what its range already says.
    implied = types is not None and (orgs is None or few)
    in_window = "" if not terms and low and implied and connection.vendor == "postgresql" else match
    rows = _scan(in_window, types, orgs, low, before, bound, window, forwards=forwards, ranked=ranked)
    if len(rows) == bound:
        return rows, rows[-1][0]
    if not low:
        return rows, 0
    if len(rows) >= need or not older:
        return rows, low if older else 0
    wanted = max(need - len(rows), OLDER)
    beyond = _scan(match, types, orgs, 0, low, wanted, ranked=ranked)
    return rows + beyond, beyond[-1][0] if len(beyond) == wanted else 0


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
    found = _found(user, terms, wanted, offset + limit + 1, any_term=any_term)
    scores = ranking.bm25(terms, [row[3] for row in found])
    best = heapq.nsmallest(offset + limit + 1, zip(scores, found, strict=True), key=_best_first)
    rows = [(row[0], score) for score, row in best[offset:]]
    entries = _shown([pk for pk, _score in rows[:limit]])
    marker = highlight.Marker(terms, q)
    hits = []
    for pk, score in rows[:limit]:
        entry = entries.get(pk)
        if entry is None:  # removed since the match
            continue
        record_type, record_id, number, title, excerpt = entry
        hits.append(
            Hit(
                record_type=record_type,
                record_id=record_id,
                number=number,
                title=title,
                title_html=marker.mark(title),
                snippet=marker.snippet(excerpt),
                score=round(score, 6),
            )
        )
    return Results(hits=hits, terms=terms, has_more=len(rows) > limit)


def _best_first(item: tuple[float, Row]) -> tuple[float, int]:
    """The order of hits: the best score first, then the newest entry."""
    return -item[0], -item[1][0]


def _shown(ids: list[int]) -> dict[int, tuple[str, int, str, str, str]]:
    """Return what a hit shows of each entry of ``ids`` that still exists: record type, record id,
    number, title and excerpt (one plain query: the ORM's took longer than reading the rows)."""
    if not ids:
        return {}
    subquery, params = _ids_param(ids)
    sql = (
        "SELECT id, record_type, record_id, number, title, excerpt "  # noqa: S608
        f"FROM search_searchentry WHERE id IN ({subquery})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            int(pk): (str(rtype), int(rid), str(number), str(title), str(excerpt))
            for pk, rtype, rid, number, title, excerpt in cursor.fetchall()
        }
