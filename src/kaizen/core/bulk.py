"""Insert many new rows at once: audit rows, state history rows, outbox messages.

``Model.objects.bulk_create`` builds one large ``INSERT`` whose every value Django prepares and
psycopg quotes in Python; for the hundreds of rows a batch of tickets writes that is a good part of
the batch's time. On PostgreSQL :func:`insert` streams the rows with ``COPY`` instead (psycopg
formats them in C); elsewhere it is ``bulk_create``. Ids are set on the objects only when asked
(on PostgreSQL they are then drawn from the table's sequence first).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_PLAIN = (type(None), bool, int, str, dt.datetime)
"""Python types psycopg writes to their columns as they are (no field conversion needed)."""


@functools.cache
def _columns(model: type[models.Model], with_id: bool) -> tuple[models.Field[Any, Any], ...]:
    return tuple(
        f
        for f in model._meta.concrete_fields
        if (with_id or f is not model._meta.pk) and not getattr(f, "generated", False)  # as bulk_create
    )


def _value(field: models.Field[Any, Any], obj: models.Model) -> Any:
    value = field.pre_save(obj, True)
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder)
    if type(value) in _PLAIN:
        return value
    return field.get_db_prep_save(value, connection)


def insert(model: type[models.Model], objs: Sequence[models.Model], *, ids: bool = False) -> None:
    """Insert ``objs`` (new rows of ``model`` whose id the database gives) in the current transaction.

    With ``ids`` each object gets its id; without, the ids stay unset on PostgreSQL.
    """
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=500)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                [model._meta.db_table, model._meta.pk.column, len(objs)],
            )
            for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
                obj.pk = pk
                obj._state.adding, obj._state.db = False, connection.alias  # stored, as bulk_create marks
        fields = _columns(model, ids)
        names = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        with (
            connection.wrap_database_errors,  # Django's errors, as for its own queries
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for obj in objs:
                # What bulk_create does: a foreign key set to an object saved since takes its id.
                prepare: Any = obj._prepare_related_fields_for_save  # type: ignore[attr-defined]
                prepare(operation_name="bulk_create")
                copy.write_row([_value(field, obj) for field in fields])
