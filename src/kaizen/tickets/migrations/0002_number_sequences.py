"""PostgreSQL sequences behind the ticket numbers (no lock when tickets are created)."""

from django.db import migrations

KINDS = ("incident", "request", "problem")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from kaizen.core import sequences

    for kind in KINDS:
        sequences.ensure_database_sequence(f"tickets.{kind}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from kaizen.core import sequences

    for kind in KINDS:
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {sequences.database_sequence(f'tickets.{kind}')}")


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial"), ("core", "0003_sequence")]

    operations = [migrations.RunPython(create, drop)]
