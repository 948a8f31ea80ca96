"""Make the audit trail append-only at the database level (SQLite and PostgreSQL).

UPDATE of an audit row is always refused. DELETE/TRUNCATE is refused unless Kaizen itself
allows a purge (``kaizen.core.audit.allow_purge``): on PostgreSQL through the session setting
``kaizen.audit_purge``, on SQLite through the connection function ``kaizen_audit_purge()``,
which other programs do not have, so their writes always fail. The chain head may only move
forward.
"""

from __future__ import annotations

from django.db import migrations

SQLITE_UP = [
    """CREATE TRIGGER core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    """CREATE TRIGGER core_auditentry_no_delete BEFORE DELETE ON core_auditentry
       WHEN kaizen_audit_purge() IS NOT 1
       BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    """CREATE TRIGGER core_audithead_forward BEFORE UPDATE ON core_audithead
       WHEN NEW.seq < OLD.seq
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END""",
    """CREATE TRIGGER core_audithead_no_delete BEFORE DELETE ON core_audithead
       WHEN kaizen_audit_purge() IS NOT 1
       BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS core_auditentry_no_update",
    "DROP TRIGGER IF EXISTS core_auditentry_no_delete",
    "DROP TRIGGER IF EXISTS core_audithead_forward",
    "DROP TRIGGER IF EXISTS core_audithead_no_delete",
]

PG_UP = [
    """CREATE OR REPLACE FUNCTION kaizen_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP IN ('DELETE', 'TRUNCATE')
         AND coalesce(current_setting('kaizen.audit_purge', true), '') = 'on' THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NULL;
      END IF;
      IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'core_audithead' AND NEW.seq >= OLD.seq THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit rows are append-only (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
    END $$""",
    """CREATE TRIGGER core_auditentry_guard BEFORE UPDATE OR DELETE ON core_auditentry
       FOR EACH ROW EXECUTE FUNCTION kaizen_audit_guard()""",
    """CREATE TRIGGER core_auditentry_guard_truncate BEFORE TRUNCATE ON core_auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION kaizen_audit_guard()""",
    """CREATE TRIGGER core_audithead_guard BEFORE UPDATE OR DELETE ON core_audithead
       FOR EACH ROW EXECUTE FUNCTION kaizen_audit_guard()""",
    """CREATE TRIGGER core_audithead_guard_truncate BEFORE TRUNCATE ON core_audithead
       FOR EACH STATEMENT EXECUTE FUNCTION kaizen_audit_guard()""",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS core_auditentry_guard ON core_auditentry",
    "DROP TRIGGER IF EXISTS core_auditentry_guard_truncate ON core_auditentry",
    "DROP TRIGGER IF EXISTS core_audithead_guard ON core_audithead",
    "DROP TRIGGER IF EXISTS core_audithead_guard_truncate ON core_audithead",
    "DROP FUNCTION IF EXISTS kaizen_audit_guard()",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        # A plain cursor without parameters: the PL/pgSQL body contains '%' placeholders.
        with schema_editor.connection.cursor() as cursor:
            for sql in statements.get(schema_editor.connection.vendor, []):
                cursor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        ),
    ]
