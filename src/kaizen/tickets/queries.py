"""Reads of the desk used by views and the API: queues, a ticket's page data, counts.

Every query starts from ``Ticket.objects.visible_to(user)``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from . import automation, workflow
from .choices import ACTIVE_CATEGORIES, ReviewStatus
from .models import Ticket

QUEUES = {
    "mine": _("Mine"),
    "teams": _("My teams"),
    "unassigned": _("Unassigned"),
    "major": _("Major incidents"),
    "review": _("Needs review"),
    "stale": _("Stale"),
    "active": _("All open"),
    "all": _("All tickets"),
}
"""Queue names of the agent UI and the API (``?queue=``), in display order."""

LIST_RELATED = ("state", "organisation", "requester", "assignee", "team", "service", "category")
ROW_RELATED = ("state", "organisation", "requester", "assignee", "team")
"""What a queue row shows (fewer joins: the planner's time grows with every joined table)."""


def tickets(user: Any, related: tuple[str, ...] = LIST_RELATED) -> QuerySet[Ticket]:
    """Return the tickets ``user`` may see, with the related rows a page shows."""
    return Ticket.objects.visible_to(user).select_related(*related)


def queue(user: Any, name: str, related: tuple[str, ...] = ROW_RELATED) -> QuerySet[Ticket]:
    """Return one queue of the agent UI and the API (unknown names give every open ticket).

    Queues filter the ticket table directly on indexed columns (no subqueries, no DISTINCT), so
    the first page of any queue is an index scan on millions of tickets.
    """
    qs = tickets(user, related)
    person = workflow.person_of(user)
    active = qs.filter(state_category__in=ACTIVE_CATEGORIES)
    if name == "mine":
        return active.filter(assignee=person) if person else qs.none()
    if name == "teams":
        if person is None:
            return qs.none()
        return active.filter(team_id__in=team_ids(person))
    if name == "unassigned":
        return active.filter(assignee__isnull=True)
    if name == "major":
        return active.filter(major=True)
    if name == "review":
        return qs.filter(review_status=ReviewStatus.PENDING)
    if name == "stale":
        ids = [hit.ticket.pk for hit in automation.stale_hits(tickets=qs, limit=500)]
        return qs.filter(pk__in=ids)
    if name == "all":
        return qs
    return active


def team_ids(person: Any) -> list[int]:
    """Return the ids of ``person``'s teams, read once per person object (that is, per request)."""
    ids: list[int] | None = getattr(person, "_kaizen_team_ids", None)
    if ids is None:
        ids = list(person.teams.order_by().values_list("pk", flat=True))
        person._kaizen_team_ids = ids
    return ids


COUNT_CAP = 1000
"""Queue counts stop here (shown as 1000+): counting 60,000 open tickets on every page is waste."""
COUNTED = tuple(name for name in QUEUES if name not in ("all", "stale"))
"""The queues whose size the tabs show."""


def queue_counts(user: Any) -> dict[str, str]:
    """Return how many tickets each queue holds, as text capped at ``COUNT_CAP`` (not stale/all).

    One statement: each queue's capped count is a scalar sub-select of the queue's own query (the
    same ``visible_to`` rows and indexed filters as its page), so the counts cost one round trip.
    """
    counts = {}
    selects: list[str] = []
    params: list[Any] = []
    names: list[str] = []
    db = Ticket.objects.db
    for name in COUNTED:
        capped = queue(user, name, related=()).order_by().values("pk")[:COUNT_CAP]
        try:
            sql, sql_params = capped.query.get_compiler(using=db).as_sql()
        except EmptyResultSet:  # a queue that cannot hold anything (no person record)
            counts[name] = "0"
            continue
        # Django's own compiled SQL of the queue, its values still parameters: nothing is interpolated.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS q{len(selects)})")  # noqa: S608
        params.extend(sql_params)
        names.append(name)
    if selects:
        with connections[db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(selects), params)
            row = cursor.fetchone()
        for name, n in zip(names, row, strict=True):
            counts[name] = f"{COUNT_CAP}+" if n >= COUNT_CAP else str(n)
    return {name: counts[name] for name in COUNTED}
