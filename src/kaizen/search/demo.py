"""Demo: build the search index over everything the other demo loaders wrote.

The demo history's outbox messages are marked delivered without being handled (``core.demo``),
so the index handlers never see them; this loader, run after every other one, indexes the demo
records directly. It is idempotent: the index is rebuilt from the records each time.
"""

from __future__ import annotations

from kaizen.core import demo as registry

from . import services


@registry.register("search", order=1000)
def load(*, password: str) -> None:
    """Index every searchable demo record (tickets, articles)."""
    services.reindex_all()
