"""What the index holds: each source names its record types, its documents and who sees them.

Tickets are registered here; another domain (knowledge articles) registers its own
:class:`Source` from its ``AppConfig.ready`` with :func:`register`. Visibility always comes from
the source's ``visible_to``: the index never decides who may see a record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from . import facets
from .choices import Audience


@dataclass(frozen=True)
class Document:
    """The searchable text of one record, as a source hands it to the index."""

    record_type: str
    record_id: int
    organisation_id: int | None
    number: str
    title: str
    body: str
    excerpt: str
    audience: str = Audience.RECORD


@dataclass(frozen=True)
class Source:
    """A kind of searchable record.

    ``visible(user)`` returns a queryset of the ids ``user`` may see (``visible_to(...).values("pk")``);
    ``documents(ids)`` yields the documents of those ids (all of them when ``ids`` is None), locking
    the rows of the given ids while they are read, so that two re-indexings of one record run one
    after the other and the later one reads the later commit;
    ``url(user, record_type, record_id)`` is the page where ``user`` opens the record;
    ``organisations(user)`` returns every organisation holding a record ``user`` may see (more is
    allowed, fewer is not; None: any organisation): searches ask the index for those only.
    """

    name: str
    record_types: frozenset[str]
    visible: Callable[[Any], QuerySet[Any]]
    documents: Callable[[Iterable[int] | None], Iterator[Document]]
    url: Callable[[Any, str, int], str] | None = None
    organisations: Callable[[Any], frozenset[int] | None] | None = None


SOURCES: dict[str, Source] = {}


def register(source: Source) -> Source:
    """Add ``source`` to the index (idempotent by name).

    Raises:
        ValueError: a record type that is not lower-case letters and ``_`` (see ``facets``).
    """
    wrong = sorted(t for t in source.record_types if not facets.RECORD_TYPE.fullmatch(t))
    if wrong:
        raise ValueError(f"record types must be lower-case letters and _: {wrong}")
    SOURCES[source.name] = source
    return source


def record_types() -> frozenset[str]:
    """Return every record type some source indexes."""
    return frozenset(t for s in SOURCES.values() for t in s.record_types)


def source_of(record_type: str) -> Source | None:
    """Return the source indexing ``record_type``."""
    return next((s for s in SOURCES.values() if record_type in s.record_types), None)


# -- tickets ---------------------------------------------------------------------------------------


def _visible_tickets(user: Any) -> QuerySet[Any]:
    from kaizen.tickets.models import Ticket

    return Ticket.objects.visible_to(user).values("pk")


def _ticket_organisations(user: Any) -> frozenset[int] | None:
    """Staff see their organisations' tickets; a requester sees their own, of whatever organisation."""
    from kaizen.core.access import STAFF_ROLES, org_scope
    from kaizen.tickets.models import Ticket

    scope = org_scope(user, STAFF_ROLES)
    if not isinstance(scope, frozenset):
        return None
    own_rule = Ticket.access_policy.own
    if own_rule is None:
        return scope
    own = Ticket.objects.filter(own_rule(user)).values_list("organisation_id", flat=True)
    return scope | frozenset(own.distinct().order_by())


def ticket_document(ticket: Any) -> Document:
    """Return the searchable text of a ticket: title, description and resolution (never notes)."""
    from .models import MAX_EXCERPT

    body = "\n".join(part for part in (ticket.description, ticket.resolution) if part)
    return Document(
        record_type=ticket.kind,
        record_id=ticket.pk,
        organisation_id=ticket.organisation_id,
        number=ticket.number,
        title=ticket.title,
        body=body,
        excerpt=(ticket.description or ticket.resolution)[:MAX_EXCERPT],
    )


def _ticket_documents(ids: Iterable[int] | None) -> Iterator[Document]:
    from kaizen.tickets.models import Ticket

    rows = Ticket.objects.only(
        "pk", "kind", "number", "title", "description", "resolution", "organisation_id"
    ).order_by("pk")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids)).select_for_update()
    for ticket in rows.iterator(chunk_size=500):
        yield ticket_document(ticket)


def _ticket_url(user: Any, record_type: str, record_id: int) -> str:
    """Staff open the desk's ticket page; a requester opens the ticket in the portal."""
    from django.urls import reverse

    from kaizen.core.access import STAFF_ROLES, has_any_role

    if has_any_role(user, STAFF_ROLES):
        return reverse("tickets:ticket", args=[record_id])
    return reverse("portal:ticket", args=[record_id])


def url_of(user: Any, record_type: str, record_id: int) -> str:
    """Return the page where ``user`` opens a hit ("" when its source has none)."""
    source = source_of(record_type)
    if source is None or source.url is None:
        return ""
    return source.url(user, record_type, record_id)


def _ticket_kinds() -> frozenset[str]:
    from kaizen.tickets.choices import Kind

    return frozenset(Kind.values)


TICKETS = register(
    Source(
        name="tickets",
        record_types=_ticket_kinds(),
        visible=_visible_tickets,
        documents=_ticket_documents,
        url=_ticket_url,
        organisations=_ticket_organisations,
    )
)
