"""Database connection hooks.

SQLite: register ``kaizen_audit_purge()``, which the audit triggers consult; a connection that
lacks it (the sqlite3 shell, another program) cannot modify audit rows at all.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.signals import connection_created
from django.dispatch import receiver

from kaizen.core.audit import purge_allowed_flag


@receiver(connection_created)
def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("kaizen_audit_purge", 0, purge_allowed_flag)
