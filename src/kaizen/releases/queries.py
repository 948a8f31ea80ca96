"""Reads of release management for pages and the API: readiness of a release, upcoming releases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from kaizen.tickets.models import Ticket

from . import policies
from .choices import ItemKind, ReleaseState
from .models import AcceptanceItem, Release

OPEN_STATES = (ReleaseState.PLANNING, ReleaseState.APPROVED)


@dataclass(frozen=True)
class Readiness:
    """What still keeps a release from approval and from going live."""

    approval: dict[str, list[str]] = field(default_factory=dict)
    go_live: dict[str, list[str]] = field(default_factory=dict)
    unchecked: list[AcceptanceItem] = field(default_factory=list)
    blocking: list[Ticket] = field(default_factory=list)

    @property
    def can_approve(self) -> bool:
        """Tell whether nothing keeps the release from approval."""
        return not self.approval

    @property
    def can_go_live(self) -> bool:
        """Tell whether nothing keeps the release from going live."""
        return not self.go_live

    def as_dict(self) -> dict[str, Any]:
        """Return the readiness as plain values (API)."""
        return {
            "can_approve": self.can_approve,
            "can_go_live": self.can_go_live,
            "mandatory_unchecked": len(self.unchecked),
            "blocking_changes": [t.pk for t in self.blocking],
            "approval_problems": self.approval,
            "go_live_problems": self.go_live,
        }


def with_details(qs: QuerySet[Release]) -> QuerySet[Release]:
    """Load what readiness and the pages need in a fixed number of queries."""
    items: Prefetch[Any, Any, Any] = Prefetch(
        "items", queryset=AcceptanceItem.objects.order_by("kind", "order", "id")
    )
    changes: Prefetch[Any, Any, Any] = Prefetch(
        "change_tickets", queryset=Ticket.objects.select_related("state").order_by("number")
    )
    watchers: Prefetch[Any, Any, Any] = Prefetch("watchers")
    return qs.select_related("organisation", "service", "owner").prefetch_related(items, changes, watchers)


def readiness(release: Release) -> Readiness:
    """Return what keeps ``release`` from approval and go-live (uses prefetched rows when loaded)."""
    items = list(release.items.all())
    changes = list(release.change_tickets.all())
    item_facts = [
        policies.ItemFacts(text=i.text, kind=i.kind, mandatory=i.mandatory, checked=i.checked) for i in items
    ]
    change_facts = [
        policies.ChangeFacts(number=t.number, state_code=t.state.code, state_label=t.state.label())
        for t in changes
    ]
    blocked = {c.number for c in policies.blocking_changes(change_facts)}
    return Readiness(
        approval=policies.approval_problems(
            item_facts, has_owner=release.owner_id is not None, has_planned_at=release.planned_at is not None
        ),
        go_live=policies.go_live_problems(item_facts, change_facts),
        unchecked=[i for i in items if i.mandatory and not i.checked],
        blocking=[t for t in changes if t.number in blocked],
    )


def items_of(release: Release, kind: str) -> list[AcceptanceItem]:
    """Return the release's items of one kind, in order (from the prefetched rows)."""
    return [i for i in release.items.all() if i.kind == kind]


def upcoming(user: Any) -> QuerySet[Release]:
    """Return the releases the user sees that have not gone live or been cancelled, soonest first."""
    return Release.objects.visible_to(user).filter(state__in=OPEN_STATES).order_by("planned_at", "id")


__all__ = ["OPEN_STATES", "ItemKind", "Readiness", "items_of", "readiness", "upcoming", "with_details"]
