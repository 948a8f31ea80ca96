"""Fewer indexes on alerts, and room in their pages, so that a repeat's update is heap-only (HOT).

A repeat of an open alert changes its last-seen time and counters. With no index on those columns
and free space in the row's page, PostgreSQL writes the new row version next to the old one and
touches no index at all. The integration and organisation foreign keys lose their own indexes:
the "history" and "recent" indexes begin with those columns. The fillfactor applies to pages
written from now on (and to all after a VACUUM FULL); SQLite has no such setting.
"""

import django.db.models.deletion
from django.db import migrations, models


def fillfactor(value: int):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE monitoring_alert SET (fillfactor = {int(value)})")

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("monitoring", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="alert",
            name="monitoring_alert_expiry",
        ),
        migrations.AlterField(
            model_name="alert",
            name="integration",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alerts",
                to="monitoring.integration",
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="organisation",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="accounts.organisation",
                verbose_name="organisation",
            ),
        ),
        migrations.RunPython(fillfactor(70), fillfactor(100)),
    ]
