"""Human-readable record numbers, gap-free per name within committed transactions."""

from __future__ import annotations

from django.db import transaction

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
