"""The full-text index over ``search_searchentry.tokens`` (SQLite FTS5, PostgreSQL GIN).

The terms are already analysed (``kaizen.search.analyzer``), so neither engine may split them
again: FTS5 uses the ``ascii`` tokenizer (every non-ASCII character is a token character, and the
analyser emits no ASCII punctuation), PostgreSQL builds the vector with
``array_to_tsvector(string_to_array(tokens, ' '))`` (no parser at all). Both therefore index
exactly the same terms and return the same hits (ADR 0018).
"""

from __future__ import annotations

from django.db import migrations

SQLITE_UP = [
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
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TABLE IF EXISTS search_entry_fts",
]
PG_UP = [
    """CREATE INDEX search_entry_terms_gin ON search_searchentry
       USING gin (array_to_tsvector(string_to_array(tokens, ' ')))""",
]
PG_DOWN = ["DROP INDEX IF EXISTS search_entry_terms_gin"]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        with schema_editor.connection.cursor() as cursor:
            for sql in statements.get(schema_editor.connection.vendor, []):
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        ),
    ]
