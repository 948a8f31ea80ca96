"""Reads of change enablement for the KPI area: change success rate and changes that caused incidents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from kaizen.tickets.choices import LinkKind
from kaizen.tickets.models import TicketLink

from .choices import UNSUCCESSFUL, ChangeType
from .models import Change
from .schedule import visible_changes

GROUPS = {
    "team": ("ticket__team_id", "ticket__team__name"),
    "service": ("ticket__service_id", "ticket__service__name"),
    "type": ("change_type", "change_type"),
}


def _type_label(code: str) -> str:
    return str(ChangeType(code).label) if code in ChangeType.values else str(code)


@dataclass(frozen=True)
class KpiRow:
    """Changes implemented in a period in one group, with their outcomes."""

    key: Any
    label: str
    implemented: int
    reviewed: int
    successful: int
    unsuccessful: int
    caused_incidents: int

    @property
    def success_rate(self) -> float | None:
        """Share of reviewed changes that succeeded (partial counts as not successful)."""
        return round(self.successful / self.reviewed, 4) if self.reviewed else None


def kpis(actor: Any, start: dt.datetime, end: dt.datetime, *, group_by: str = "team") -> list[KpiRow]:
    """Return the change KPIs of changes whose implementation ended in [start, end), grouped.

    ``caused_incidents`` counts changes with at least one incident linked as caused by them.
    """
    if group_by not in GROUPS:
        raise ValueError(group_by)
    key, label = GROUPS[group_by]
    caused = TicketLink.objects.filter(to_ticket_id=OuterRef("ticket_id"), kind=LinkKind.CAUSED_BY)
    rows = (
        visible_changes(actor)
        .filter(actual_end__gte=start, actual_end__lt=end)
        .annotate(caused=Exists(caused))
        .values(key, label)
        .annotate(
            implemented=Count("ticket_id"),
            reviewed=Count("ticket_id", filter=~Q(outcome="")),
            successful=Count("ticket_id", filter=Q(outcome="success")),
            unsuccessful=Count("ticket_id", filter=Q(outcome__in=list(UNSUCCESSFUL))),
            caused_incidents=Count("ticket_id", filter=Q(caused=True)),
        )
        .order_by(label)
    )
    return [
        KpiRow(
            key=r[key],
            label=_type_label(r[label]) if group_by == "type" else str(r[label] or "—"),
            implemented=r["implemented"],
            reviewed=r["reviewed"],
            successful=r["successful"],
            unsuccessful=r["unsuccessful"],
            caused_incidents=r["caused_incidents"],
        )
        for r in rows
    ]


def cis_under_change(organisation_id: int, at: dt.datetime) -> dict[int, int]:
    """Return CI id -> change ticket id for the changes in progress on CIs of an organisation at ``at``.

    In progress: being implemented, or scheduled with its planned window covering ``at`` (the work
    may start before anyone clicks *Start implementation*). Event management suppresses incidents
    of alerts on these CIs.
    """
    from kaizen.tickets.models import Ticket

    rows = Change.objects.filter(ticket__organisation_id=organisation_id).filter(
        Q(ticket__state__code="implementing")
        | Q(ticket__state__code="scheduled", planned_start__lte=at, planned_end__gt=at)
    )
    ids = list(rows.values_list("ticket_id", flat=True))
    if not ids:
        return {}
    through = Ticket.cis.through.objects.filter(ticket_id__in=ids)
    return {ci: ticket for ticket, ci in through.values_list("ticket_id", "configurationitem_id")}
