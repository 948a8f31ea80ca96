"""SQLite: the full-text index also holds each term behind the entry's record type and organisation.

The FTS5 table gets a third column, ``scoped`` (``karticleo12xtoner``, see
``kaizen.search.facets.SQLITE_SCOPED``), read from the same view over the entries and kept by the
same triggers. A user of a few organisations matches the query's terms in that column, so the
full-text index walks the postings of the user's own record types and organisations only
(``kaizen.search.queries``). The index grows by the size of the ``tokens`` column's.

PostgreSQL is unchanged: its search reads the user's newest entries from a btree index and tests
them against the query (``match_terms``), which does not depend on how common a word is.
"""

from __future__ import annotations

from django.db import migrations

from kaizen.search.facets import SQLITE_FACETS, SQLITE_SCOPED

_DROP = [
    "DROP TRIGGER IF EXISTS search_entry_fts_insert",
    "DROP TRIGGER IF EXISTS search_entry_fts_delete",
    "DROP TRIGGER IF EXISTS search_entry_fts_update",
    "DROP TABLE IF EXISTS search_entry_fts",
    "DROP VIEW IF EXISTS search_entry_fts_source",
]


def _index(columns: dict[str, str]) -> list[str]:
    """Statements creating the view, the FTS5 table over it, its triggers, and filling it, with
    ``columns`` (name → SQL over ``{row}``) beside ``tokens``."""
    names = ", ".join(["tokens", *columns])
    view = ", ".join(f"{sql.format(row='search_searchentry')} AS {name}" for name, sql in columns.items())

    def values(row: str) -> str:
        return ", ".join([f"{row}.id", f"{row}.tokens", *(sql.format(row=row) for sql in columns.values())])

    return [
        f"CREATE VIEW search_entry_fts_source AS SELECT id, tokens, {view} FROM search_searchentry",
        f"""CREATE VIRTUAL TABLE search_entry_fts USING fts5(
             {names}, content='search_entry_fts_source', content_rowid='id', tokenize='ascii'
           )""",
        f"""CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_searchentry BEGIN
             INSERT INTO search_entry_fts(rowid, {names}) VALUES ({values("new")});
           END""",
        f"""CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_searchentry BEGIN
             INSERT INTO search_entry_fts(search_entry_fts, rowid, {names})
             VALUES ('delete', {values("old")});
           END""",
        f"""CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_searchentry BEGIN
             INSERT INTO search_entry_fts(search_entry_fts, rowid, {names})
             VALUES ('delete', {values("old")});
             INSERT INTO search_entry_fts(rowid, {names}) VALUES ({values("new")});
           END""",
        "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
        # One segment, as a long-lived index ends up: a freshly rebuilt one is read more slowly.
        "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('optimize')",
    ]


SQLITE_UP = _DROP + _index({"facets": SQLITE_FACETS, "scoped": SQLITE_SCOPED})
SQLITE_DOWN = _DROP + _index({"facets": SQLITE_FACETS})


def _run(statements: list[str]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0006_window_indexes")]

    operations = [migrations.RunPython(_run(SQLITE_UP), _run(SQLITE_DOWN))]
