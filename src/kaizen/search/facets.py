"""Facets: an entry's record type and organisation, held by the full-text index beside its terms.

A search narrows the full-text match to the wanted record types and to the organisations whose
entries the user might see, so that the newest matches it ranks are mostly ones it can show
(``queries.py``). Facets only narrow: who sees a hit is still decided by the record's source.

The same facet words are written by the database (migration 0005: the SQL below, run by the
FTS5 triggers on SQLite and by a generated column on PostgreSQL) and asked for here.
"""

from __future__ import annotations

import re

SQLITE_FACETS = (
    "'k' || replace({row}.record_type, '_', '') || ' o' || coalesce({row}.organisation_id, 0)"
    " || ' k' || replace({row}.record_type, '_', '') || 'o' || coalesce({row}.organisation_id, 0)"
)
"""The ``facets`` column of the FTS5 table for the entry ``row`` (``karticle o12 karticleo12``)."""
SQLITE_SCOPED = (
    "CASE WHEN {row}.tokens = '' THEN '' ELSE "
    "'k' || replace({row}.record_type, '_', '') || 'o' || coalesce({row}.organisation_id, 0) || 'x' || "
    "replace({row}.tokens, ' ', ' k' || replace({row}.record_type, '_', '') || 'o' || "
    "coalesce({row}.organisation_id, 0) || 'x') END"
)
"""The ``scoped`` column of the FTS5 table (migration 0007): each term of the entry ``row`` behind
its record type and organisation (``karticleo12xプリンタ karticleo12xtoner``, see :func:`scoped`).

A user of a few organisations searches this column: the posting list of ``karticleo12xtoner``
holds that organisation's articles only, where ``toner`` holds a fifth of the whole index. Matching
``facets`` and ``tokens`` instead made SQLite walk every posting of each common word across the
range the user's own newest entries span, which is twenty times wider for one organisation of
twenty than for every organisation."""
PG_FACETS = (
    "ARRAY['#k' || replace(record_type, '_', ''), '#o' || coalesce(organisation_id, 0)::text, "
    "'#k' || replace(record_type, '_', '') || 'o' || coalesce(organisation_id, 0)::text]"
)
"""The facet lexemes of an entry in ``match_terms`` (``#karticle``, ``#o12``, ``#karticleo12``;
terms never hold ``#``)."""
RECORD_TYPE = re.compile(r"[a-z][a-z_]*")
"""What a record type may look like (FTS5's ascii tokenizer splits at anything else but ``_``,
which the facet drops)."""


def kind(record_type: str) -> str:
    """Return the facet word of a record type."""
    return "k" + record_type.replace("_", "")


def organisation(organisation_id: int | None) -> str:
    """Return the facet word of an organisation (``o0``: an entry of no organisation)."""
    return f"o{organisation_id or 0}"


def kind_in(record_type: str, organisation_id: int | None) -> str:
    """Return the facet word of a record type in one organisation (a short posting list: the
    full-text index then walks a user's own records instead of intersecting two long lists)."""
    return kind(record_type) + organisation(organisation_id)


def scoped(record_type: str, organisation_id: int | None, term: str) -> str:
    """Return a term as the ``scoped`` column holds it for entries of ``record_type`` in one
    organisation (``karticleo12xtoner``). The ``x`` ends the prefix: a record type is letters
    only and an organisation id digits only, so no prefix is the start of another with a term
    glued to it (``o1`` + ``2abc`` is ``o1x2abc``, ``o12`` + ``abc`` is ``o12xabc``)."""
    return kind_in(record_type, organisation_id) + "x" + term
