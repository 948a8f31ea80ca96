"""Reads of problem management for views and the API: the debt list, known errors, suggestions.

Every query starts from ``visible_to(user)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kaizen.core import access
from kaizen.tickets.choices import ACTIVE_CATEGORIES, Kind, LinkKind
from kaizen.tickets.models import Ticket, TicketLink

from . import policies
from .choices import KnownErrorState
from .models import KnownError, ProblemRecord

DEBT_RELATED = ("state", "organisation", "service", "assignee", "problem_record__owner")
MAX_CANDIDATES = 2000
"""Published known errors compared with one incident (newest first); far more than a desk keeps."""


def problems(user: Any) -> QuerySet[Ticket]:
    """Return the problem tickets ``user`` may see."""
    return Ticket.objects.visible_to(user).filter(kind=Kind.PROBLEM)


def _incident_links(user: Any) -> QuerySet[TicketLink]:
    """Return the "is caused by" links from incidents ``user`` may see."""
    links = TicketLink.objects.filter(kind=LinkKind.CAUSED_BY, from_ticket__kind=Kind.INCIDENT)
    if access.condition(Ticket, user, "view") is None:  # sees every ticket: no subquery
        return links
    return links.filter(from_ticket__in=Ticket.objects.visible_to(user).values("pk"))


def debt_list(user: Any, *, open_only: bool = True) -> QuerySet[Ticket]:
    """Return the debt list: problems with their incident count, known error flag and last movement.

    Ordered by rank (unranked last), then priority, then age (oldest first). ``moved_at`` falls
    back to the state change for problems problem management has not looked at yet.
    """
    qs = problems(user).select_related(*DEBT_RELATED)
    if open_only:
        qs = qs.filter(state_category__in=ACTIVE_CATEGORIES)
    incidents = (
        _incident_links(user)
        .filter(to_ticket=OuterRef("pk"))
        .order_by()
        .values("to_ticket")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        incident_count=Coalesce(Subquery(incidents, output_field=IntegerField()), Value(0)),
        has_known_error=Exists(
            KnownError.objects.filter(problem=OuterRef("pk"), state=KnownErrorState.PUBLISHED)
        ),
        moved_at=Coalesce(F("problem_record__last_moved_at"), F("state_changed_at")),
    ).order_by(F("problem_record__rank").asc(nulls_last=True), "priority", "created_at", "pk")


def not_moved(user: Any, *, days: int, now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Return the open problems that have not moved for ``days`` (the dashboard figure)."""
    now = now or timezone.now()
    return debt_list(user).filter(moved_at__lte=now - dt.timedelta(days=max(days, 0)))  # type: ignore[misc]


def known_errors(user: Any) -> QuerySet[KnownError]:
    """Return the known errors ``user`` may see, with what their lists show."""
    return KnownError.objects.visible_to(user).select_related("organisation", "problem")


def search(qs: QuerySet[KnownError], query: str) -> QuerySet[KnownError]:
    """Narrow known errors to those whose text holds every term of ``query`` (substring, normalised)."""
    for term in policies.query_terms(query):
        qs = qs.filter(search_text__contains=term)
    return qs


@dataclass(frozen=True)
class Suggestion:
    """A published known error suggested for an incident, with why it matched."""

    known_error: KnownError
    score: int
    reasons: tuple[str, ...]


def suggestions(user: Any, incident: Ticket, *, limit: int = 5) -> list[Suggestion]:
    """Return the published known errors that best match an incident (its CIs, service and words).

    Japanese needs substring matching both ways: the content words of the incident's title are
    looked up in the known errors' text by the database, the known errors' keywords in the
    incident's text here.
    """
    base = KnownError.objects.visible_to(user).filter(state=KnownErrorState.PUBLISHED)
    tokens = policies.content_tokens(incident.title)[: policies.MAX_TERMS]
    hits = {
        f"w{i}": Case(
            When(search_text__contains=token, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        for i, token in enumerate(tokens)
    }
    rows = list(
        base.annotate(**hits)
        .order_by("-published_at", "-pk")
        .values_list("pk", "keywords", *hits)[:MAX_CANDIDATES]
    )
    if not rows:
        return []
    ids = [row[0] for row in rows]
    ci_ids = set(incident.cis.values_list("pk", flat=True))
    by_ci: dict[int, set[int]] = {}
    if ci_ids:
        pairs = KnownError.cis.through.objects.filter(
            knownerror_id__in=ids, configurationitem_id__in=ci_ids
        ).values_list("knownerror_id", "configurationitem_id")
        for ke_id, ci_id in pairs:
            by_ci.setdefault(ke_id, set()).add(ci_id)
    service_id = incident.service_id
    by_service: set[int] = set()
    if service_id is not None:
        by_service = set(
            KnownError.services.through.objects.filter(
                knownerror_id__in=ids, service_id=service_id
            ).values_list("knownerror_id", flat=True)
        )
    text = policies.normalise(f"{incident.title}\n{incident.description}")
    matches = [
        policies.match(
            policies.Candidate(
                pk=row[0],
                keywords=policies.keywords(row[1]),
                words=frozenset(t for t, hit in zip(tokens, row[2:], strict=True) if hit),
                ci_ids=frozenset(by_ci.get(row[0], ())),
                service_ids=frozenset({service_id})
                if service_id is not None and row[0] in by_service
                else frozenset(),
            ),
            text=text,
            ci_ids=ci_ids,
            service_id=service_id,
        )
        for row in rows
    ]
    chosen = policies.best(matches, limit=limit)
    found = {ke.pk: ke for ke in known_errors(user).filter(pk__in=[m.pk for m in chosen])}
    return [Suggestion(found[m.pk], m.score, m.reasons) for m in chosen if m.pk in found]


@dataclass(frozen=True)
class ProblemSummary:
    """What the problem panel and the details API show about one problem."""

    ticket: Ticket
    record: ProblemRecord | None
    known_errors: list[KnownError]
    incidents: list[Ticket]
    fixes: list[Ticket]


def record_of(ticket: Ticket) -> ProblemRecord | None:
    """Return a problem's details (None before it has any)."""
    return ProblemRecord.objects.select_related("owner").filter(pk=ticket.pk).first()


def summary(user: Any, ticket: Ticket) -> ProblemSummary:
    """Return the details, known errors, linked incidents and fixing changes of a problem."""
    record = record_of(ticket)
    visible = Ticket.objects.visible_to(user)
    incidents = list(
        visible.filter(
            kind=Kind.INCIDENT, links_out__to_ticket=ticket, links_out__kind=LinkKind.CAUSED_BY
        ).select_related("state")[:200]
    )
    fixes = list(
        visible.filter(
            kind=Kind.CHANGE, links_in__from_ticket=ticket, links_in__kind=LinkKind.FIXED_BY
        ).select_related("state")[:50]
    )
    return ProblemSummary(
        ticket=ticket,
        record=record,
        known_errors=list(known_errors(user).filter(problem=ticket).order_by("-pk")[:50]),
        incidents=incidents,
        fixes=fixes,
    )


def linked_problem_ids(incident: Ticket) -> set[int]:
    """Return the ids of the problems an incident is already linked to as "is caused by"."""
    return set(
        TicketLink.objects.filter(from_ticket=incident, kind=LinkKind.CAUSED_BY).values_list(
            "to_ticket_id", flat=True
        )
    )


def owners_filter(qs: QuerySet[Ticket], owner_id: int) -> QuerySet[Ticket]:
    """Narrow the debt list to one owner (the problem owner, or the assignee while there is none)."""
    return qs.filter(
        Q(problem_record__owner_id=owner_id) | Q(problem_record__owner__isnull=True, assignee_id=owner_id)
    )
