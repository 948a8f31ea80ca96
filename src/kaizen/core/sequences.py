"""Human-readable record numbers: gap-free counters, and fast counters that never lock.

Two kinds:

* :func:`next_values` / :func:`next_number`: gap-free per name within committed transactions. The
  counter row is locked until the transaction ends, so writers of the same name wait for each
  other. Right for low-volume records (CIs, improvements).
* :func:`next_free_number`: never reused and unique under concurrency, but a rolled-back
  transaction leaves a gap, like the ticket numbers of every service desk tool. On PostgreSQL it
  is a database ``SEQUENCE`` (no row lock: ticket creation does not serialise on its number); on
  SQLite, where writes are serialised anyway, it is the counter table.
"""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.db.utils import ProgrammingError

from kaizen.core import memo
from kaizen.core.models import Sequence


def next_values(name: str, count: int = 1) -> list[int]:
    """Reserve ``count`` consecutive numbers of the sequence ``name`` (inside the caller's transaction).

    The counter row is locked until the transaction ends, so concurrent writers get distinct
    numbers; a rolled-back transaction gives its numbers back.
    """
    if count < 1:
        return []
    with transaction.atomic():
        Sequence.objects.get_or_create(name=name)
        row = Sequence.objects.select_for_update().get(name=name)
        start = row.value + 1
        row.value += count
        row.save(update_fields=["value"])
    return list(range(start, start + count))


def next_number(name: str, prefix: str, width: int = 6) -> str:
    """Return the next formatted number, e.g. ``CI-000123``."""
    return f"{prefix}-{next_values(name)[0]:0{width}d}"


def database_sequence(name: str) -> str:
    """Return the PostgreSQL sequence behind the fast counter ``name`` (``kaizen_seq_<name>``)."""
    return "kaizen_seq_" + re.sub(r"[^a-z0-9_]", "_", name.lower())[:40]


def ensure_database_sequence(name: str) -> None:
    """Create the PostgreSQL sequence of ``name`` if missing, continuing after the counter table."""
    if connection.vendor != "postgresql":
        return
    floor = Sequence.objects.filter(name=name).values_list("value", flat=True).first() or 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE SEQUENCE IF NOT EXISTS {database_sequence(name)} MINVALUE 1 START {floor + 1}"
        )


def next_free_value(name: str) -> int:
    """Return the next value of the fast counter ``name`` (see the module docstring).

    Inside a batch (:func:`kaizen.core.memo.batch`) the values :func:`reserve_free` took come first.
    """
    pool = _reserved(name) if memo.active() else None
    if pool:
        return pool.pop(0)
    return _free_values(name, 1)[0]


def reserve_free(name: str, count: int) -> None:
    """Take ``count`` values of the fast counter at once for the batch being written.

    A batch of a hundred tickets asks the database once instead of a hundred times; values the
    batch does not use are gaps, as after a rollback. Does nothing outside a batch.
    """
    if count < 1 or not memo.active():
        return
    _reserved(name).extend(_free_values(name, count))


def _reserved(name: str) -> list[int]:
    empty: list[int] = []
    return memo.remembered(("sequences.free", name), lambda: empty)


def _free_values(name: str, count: int) -> list[int]:
    if connection.vendor != "postgresql":
        return next_values(name, count)
    sequence = database_sequence(name)
    sql = "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [sequence, count])
            return [int(row[0]) for row in cursor.fetchall()]
    except ProgrammingError:  # a counter used for the first time: create it, once
        with transaction.atomic():
            ensure_database_sequence(name)
        with connection.cursor() as cursor:
            cursor.execute(sql, [sequence, count])
            return [int(row[0]) for row in cursor.fetchall()]


def next_free_number(name: str, prefix: str, width: int = 6) -> str:
    """Return the next formatted number of a fast counter, e.g. ``INC-000123``."""
    return f"{prefix}-{next_free_value(name):0{width}d}"
