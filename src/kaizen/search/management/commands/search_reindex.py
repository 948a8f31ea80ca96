"""``kaizen manage search_reindex``: rebuild the search index from every source."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from kaizen.core import context
from kaizen.search import analyzer, services


class Command(BaseCommand):
    help = "Rebuild the search index (tickets; later knowledge articles) from the records."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        analyzer.load()
        with context.acting(channel=context.Channel.CLI, label="search_reindex"):
            count = services.reindex_all()
        self.stdout.write(
            _("Indexed %(count)s records in %(seconds).1f s.")
            % {"count": count, "seconds": time.perf_counter() - started}
        )
