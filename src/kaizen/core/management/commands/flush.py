"""``flush`` that may empty the append-only audit table (tests and deliberate resets only)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as DjangoFlush

from kaizen.core.audit import allow_purge


class Command(DjangoFlush):
    """Django's flush, run with audit purge allowed so the audit triggers let it through."""

    def handle(self, **options: Any) -> None:
        with allow_purge():
            super().handle(**options)
