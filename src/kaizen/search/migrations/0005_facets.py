"""The full-text index also holds each entry's record type and organisation ("facets").

A search then asks the full-text index for the newest matches of the wanted record types and of
the organisations the user can reach, and ranks only those (``kaizen.search.queries``): ranking
every match of a common word among a million entries cost hundreds of milliseconds.

* SQLite: the FTS5 table gets a second column, ``facets`` (``karticle o12 karticleo12``), read from a view
  over the entries; searches filter it with a column filter, so a word typed by a user never
  matches a facet.
* PostgreSQL: a stored generated column ``match_terms`` holds the terms and the facets (``#karticle
  #o12 #karticleo12``; the analyser never emits ``#``) with a GIN index on it, replacing the expression index.
  The ranking vector of 0003 goes: candidates are ranked in Python (``kaizen.search.ranking``).

The facet expressions are written once, in ``kaizen.search.facets``.
"""

from __future__ import annotations

from django.db import migrations

from kaizen.search.facets import PG_FACETS, SQLITE_FACETS

SQLITE_UP = [
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TABLE IF EXISTS search_entry_fts",
    "CREATE VIEW search_entry_fts_source AS SELECT id, tokens, "
    f"{SQLITE_FACETS.format(row='search_searchentry')} AS facets FROM search_searchentry",
    """CREATE VIRTUAL TABLE search_entry_fts USING fts5(
         tokens, facets, content='search_entry_fts_source', content_rowid='id', tokenize='ascii'
       )""",
    f"""CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_searchentry BEGIN
         INSERT INTO search_entry_fts(rowid, tokens, facets)
         VALUES (new.id, new.tokens, {SQLITE_FACETS.format(row="new")});
       END""",
    f"""CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_searchentry BEGIN
         INSERT INTO search_entry_fts(search_entry_fts, rowid, tokens, facets)
         VALUES ('delete', old.id, old.tokens, {SQLITE_FACETS.format(row="old")});
       END""",
    f"""CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_searchentry BEGIN
         INSERT INTO search_entry_fts(search_entry_fts, rowid, tokens, facets)
         VALUES ('delete', old.id, old.tokens, {SQLITE_FACETS.format(row="old")});
         INSERT INTO search_entry_fts(rowid, tokens, facets)
         VALUES (new.id, new.tokens, {SQLITE_FACETS.format(row="new")});
       END""",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TABLE IF EXISTS search_entry_fts",
    "DROP VIEW IF EXISTS search_entry_fts_source",
    """CREATE VIRTUAL TABLE search_entry_fts USING fts5(
         tokens, content='search_searchentry', content_rowid='id', tokenize='ascii'
       )""",
    """CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_searchentry BEGIN
         INSERT INTO search_entry_fts(rowid, tokens) VALUES (new.id, new.tokens);
       END""",
    """CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_searchentry BEGIN
         INSERT INTO search_entry_fts(search_entry_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
       END""",
    """CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_searchentry BEGIN
         INSERT INTO search_entry_fts(search_entry_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens);
         INSERT INTO search_entry_fts(rowid, tokens) VALUES (new.id, new.tokens);
       END""",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
]
PG_UP = [
    "DROP INDEX IF EXISTS search_entry_terms_gin",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS rank_terms",
    "ALTER TABLE search_searchentry ADD COLUMN match_terms tsvector GENERATED ALWAYS AS "
    f"(array_to_tsvector(string_to_array(tokens, ' ') || {PG_FACETS})) STORED",
    "CREATE INDEX search_entry_match_gin ON search_searchentry USING gin (match_terms)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS search_entry_match_gin",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS match_terms",
    "ALTER TABLE search_searchentry ADD COLUMN rank_terms tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', tokens)) STORED",
    """CREATE INDEX search_entry_terms_gin ON search_searchentry
       USING gin (array_to_tsvector(string_to_array(tokens, ' ')))""",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        with schema_editor.connection.cursor() as cursor:
            for sql in statements.get(schema_editor.connection.vendor, []):
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0004_entry_vector")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        ),
    ]
