"""Replay the rows a reference-data loader wrote, instead of running it again, in tests.

Loading the desk's reference data through the services takes about 1,200 queries and is the
largest single cost of the suite, paid again by most ticket, change, problem and release tests.
``replayed(key, load)`` runs ``load`` for real the first time a process meets an empty database,
keeps every row it wrote, and later copies those rows back (one insert per table) whenever the
database is again in exactly that state. Anything else (rows already present, time travelled,
another language, a batched audit block) falls back to running ``load``, so a test sees the same
rows, ids, audit chain and hashes either way; only the rows' timestamps are those of the first
run, at most ``WINDOW`` earlier.

The loader must be deterministic, write only rows (no on-commit work) and reference no row it
did not write itself; ``replayed`` checks this on the first run and otherwise never replays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone, translation

from kaizen.core import audit, events

WINDOW = dt.timedelta(hours=1)
"""How long after the first run a replay is allowed (tests that travel in time load for real)."""

BASELINE = frozenset({"django_content_type", "auth_permission"})
"""Tables filled by ``migrate`` itself: present in every test database, never part of a snapshot."""


@dataclass(frozen=True)
class Snapshot:
    at: dt.datetime
    language: str | None
    vendor: str
    tables: dict[str, tuple[list[str], Any]]
    """Table name -> (columns, rows) in insertion order."""
    models: tuple[type[models.Model], ...]


_snapshots: dict[str, Snapshot | None] = {}
"""Key -> its snapshot, or None when the loader cannot be replayed."""


def _tables() -> list[str]:
    names = {
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    return sorted(names - BASELINE)


def _all_empty(tables: list[str]) -> bool:
    qn = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT 1 FROM {qn(t)}" for t in tables)  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(f"SELECT EXISTS ({sql})")
        return not cur.fetchone()[0]


def _count(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cur.fetchone()[0])


def _state_allows_replay() -> bool:
    return (
        connection.in_atomic_block
        and audit._batch.get() is None
        and events._batch.get() is None
        and not getattr(audit._purge, "on", False)
    )


def _read(table: str) -> tuple[list[str], Any] | None:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # JSON keeps every type exact on the way back (json_populate_recordset).
            cur.execute(f"SELECT json_agg(t)::text FROM {qn(table)} t")  # noqa: S608
            text = cur.fetchone()[0]
            return None if text is None else ([], text)
        cur.execute(f"SELECT * FROM {qn(table)}")  # noqa: S608
        rows = cur.fetchall()
        return ([c[0] for c in cur.description], rows) if rows else None


def _write(table: str, columns: list[str], rows: Any) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                f"INSERT INTO {qn(table)} SELECT * FROM json_populate_recordset(NULL::{qn(table)}, %s)",  # noqa: S608
                [rows],
            )
            return
        marks = ", ".join(["%s"] * len(columns))
        cols = ", ".join(qn(c) for c in columns)
        cur.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", rows)  # noqa: S608


def _self_contained(table_models: list[type[models.Model]], tables: set[str]) -> bool:
    """Return whether every foreign key of the written rows points at a table the loader wrote."""
    for model in table_models:
        for field in model._meta.concrete_fields:
            target = field.related_model
            if field.is_relation and target is not None and target._meta.db_table not in tables:
                column = connection.ops.quote_name(str(field.column))
                table = connection.ops.quote_name(model._meta.db_table)
                with connection.cursor() as cur:
                    cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} IS NOT NULL)")  # noqa: S608
                    if cur.fetchone()[0]:
                        return False
    return True


def _record(key: str, load: Callable[[], None]) -> None:
    tables = _tables()
    if not (_state_allows_replay() and _all_empty(tables)):
        load()
        return
    at = timezone.now()
    language = translation.get_language()
    callbacks = len(connection.run_on_commit)
    baseline = {t: _count(t) for t in BASELINE}
    load()
    written = {t: data for t in tables if (data := _read(t)) is not None}
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    written_models = [by_table[t] for t in written]
    if (
        len(connection.run_on_commit) != callbacks
        or any(_count(t) != n for t, n in baseline.items())
        or not _self_contained(written_models, set(written))
    ):
        _snapshots[key] = None
        return
    _snapshots[key] = Snapshot(
        at=at,
        language=language,
        vendor=connection.vendor,
        tables=written,
        models=tuple(written_models),
    )


def _replay(snapshot: Snapshot) -> None:
    with transaction.atomic():
        for table, (columns, rows) in snapshot.tables.items():
            _write(table, columns, rows)
        if connection.vendor == "postgresql":
            # Rows came with their ids: move each sequence past them, as loaddata does.
            with connection.cursor() as cur:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(snapshot.models)):
                    cur.execute(sql)


def replayed(key: str, load: Callable[[], None]) -> None:
    """Run ``load`` (a deterministic reference-data loader), or replay what it wrote before."""
    if key not in _snapshots:
        _record(key, load)
        return
    snapshot = _snapshots[key]
    now = timezone.now()
    if (
        snapshot is None
        or snapshot.vendor != connection.vendor
        or not snapshot.at <= now <= snapshot.at + WINDOW
        or translation.get_language() != snapshot.language
        or not _state_allows_replay()
        or not _all_empty(_tables())
    ):
        load()
        return
    _replay(snapshot)


def forget() -> None:
    """Drop every snapshot (the next call of each loader runs it for real)."""
    _snapshots.clear()
