"""Every write of the improvement register: keyword-only, one transaction, authorised, audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kaizen.core import sequences
from kaizen.core.services import create_record, delete_record, update_record

from .models import ImprovementItem

SEQUENCE = "improvement.item"


def create_improvement(*, actor: Any, data: Mapping[str, Any], check: bool = True) -> ImprovementItem:
    """Register an improvement; it gets the next ``IMP-nnnnnn`` number."""
    with transaction.atomic():
        number = sequences.next_number(SEQUENCE, "IMP")
        return create_record(ImprovementItem, actor=actor, data={**data, "number": number}, check=check)


def update_improvement(
    item_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> ImprovementItem:
    """Change an improvement if ``version`` is current."""
    changes = {k: v for k, v in changes.items() if k != "number"}
    return update_record(ImprovementItem, item_id, actor=actor, changes=changes, expected_version=version)


def delete_improvement(item_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete an improvement (administrators; normally it is rejected instead)."""
    delete_record(ImprovementItem, item_id, actor=actor, expected_version=version)
