"""Every write of the ticket core: keyword-only, one transaction, authorised, validated, audited.

Ticket audit rows carry the version they produced (``meta.version``), so the second of two agents
editing the same ticket gets a conflict that lists what the first one changed. Rules and
automatic actions are audited as their own rows with the rule's name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Person, Team
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import access, audit, bulk, events, memo, sequences
from kaizen.core.services import ActionNotAllowed, ConflictError, create_record
from kaizen.portfolio import impact
from kaizen.portfolio.models import Service

from . import automation, files, history, policies, workflow
from .choices import PREFIX, CauseClass, Channel, Kind, ReviewOutcome, ReviewStatus, StateCategory, Visibility
from .events import (
    CommentAdded,
    MajorIncidentDeclared,
    TicketAssigned,
    TicketCreated,
    TicketStateChanged,
    TicketUpdated,
)
from .models import (
    Attachment,
    Category,
    Comment,
    PriorityRule,
    ReviewDecision,
    SavedView,
    Tag,
    Ticket,
    TicketLink,
    TicketTemplate,
    normalise_tag,
)
from .models.ticket import MAX_BODY, WORKERS

STAFF_FIELDS = frozenset(
    {
        "title",
        "description",
        "requester",
        "organisation",
        "service",
        "category",
        "channel",
        "team",
        "assignee",
        "impact",
        "urgency",
        "resolution",
        "cause_class",
        "external_ref",
        "form_values",
        "catalog_item",
    }
)
REQUESTER_FIELDS = frozenset(
    {"title", "description", "service", "category", "urgency", "channel", "catalog_item", "form_values"}
)
MAX_CIS = 50
MAX_BATCH = 100
"""Tickets one batch create may hold."""
MAX_TAGS = 20
PUBLIC_ACTIONS = frozenset({"pend_customer", "resolve", "cancel", "reopen", "close"})
"""Actions whose explanation is written to the requester by default."""


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """One transaction whose audit rows and outbox events are written together at its end.

    Both the audit chain head and, on SQLite, the database are locked from the first such
    write until commit; writing them last keeps every ticket write short for the others.
    Inside a batch (:func:`kaizen.core.memo.batch`, all or none) a nested block sets no
    savepoint: an error in one item ends the whole batch anyway.
    """
    with (
        transaction.atomic(savepoint=not memo.active()),
        audit.batched(),
        events.batched(),
        history.deferred(),
    ):
        yield


INTAKE: dict[str, Any] = {}
"""kind -> fn(actor=, data=) for tickets another domain creates (a request from the catalogue)."""


def register_intake(kind: str, fn: Any) -> None:
    """Let another domain create tickets of ``kind`` that carry its data (``catalog_item``)."""
    INTAKE[kind] = fn


# -- helpers -----------------------------------------------------------------------------------


def is_worker(actor: Any, ticket_or_org: Ticket | int) -> bool:
    """Tell whether ``actor`` works tickets of this organisation (agent, manager, admin)."""
    org = ticket_or_org.organisation_id if isinstance(ticket_or_org, Ticket) else ticket_or_org
    scope = access.org_scope(actor, WORKERS)
    return scope is access.ALL or (isinstance(scope, frozenset) and org in scope)


def _matrix() -> dict[tuple[int, int], int]:
    return memo.remembered(
        "tickets.priority-matrix",
        lambda: {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()},
    )


def suggest_impact(
    cis: Iterable[ConfigurationItem], service: Service | None
) -> tuple[int | None, dict[str, int]]:
    """Suggest an impact from what the affected CIs reach in the CMDB (services and customers).

    Returns the impact (None when no CI is named) and the counts it is based on. The service alone
    says nothing about the reach: one user's mail problem is not every mail customer's outage.
    """
    cis = list(cis)
    if not cis:
        return None, {"services": 0, "customers": 0}
    service_ids: set[int] = set()
    for ci in cis[:MAX_CIS]:
        reached = impact.traverse(("ci", ci.pk), max_depth=impact.DEFAULT_DEPTH).reached
        service_ids.update(pk for kind, pk in reached if kind == "service")
    customers = {org for ids in impact.customers_as_of(sorted(service_ids), None).values() for org in ids}
    counts = {"services": len(service_ids), "customers": len(customers)}
    return policies.impact_from_reach(counts["services"], counts["customers"]), counts


def _visible(model: Any, actor: Any, value: Any, field: str, message: str) -> Any:
    if value is None or value == "":
        return None
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise ValidationError({field: message}) from None
    obj = memo.visible(model, actor, pk)
    if obj is None:
        raise ValidationError({field: message})
    return obj


def _resolve_references(actor: Any, kind: str, data: dict[str, Any]) -> None:
    """Replace ids by records the actor may see; refuse anything else with a field error."""
    checks = {
        "service": (Service, _("No such service, or you may not see it.")),
        "team": (Team, _("No such team, or you may not see it.")),
        "assignee": (Person, _("No such person, or you may not see them.")),
        "requester": (Person, _("No such person, or you may not see them.")),
        "category": (Category, _("No such category.")),
    }
    for field, (model, message) in checks.items():
        if field in data:
            data[field] = _visible(model, actor, data[field], field, message)
    if "catalog_item" in data and data["catalog_item"] is not None:
        from django.apps import apps

        item_model = apps.get_model("requests", "CatalogItem")
        data["catalog_item"] = _visible(
            item_model,
            actor,
            data["catalog_item"],
            "catalog_item",
            _("No such catalogue item, or you may not see it."),
        )
    category = data.get("category")
    if category is not None and category.kind not in ("", kind):
        raise ValidationError({"category": _("This category is not used for this kind of ticket.")})
    team, assignee = data.get("team"), data.get("assignee")
    if team is not None and assignee is not None and not team.members.filter(pk=assignee.pk).exists():
        raise ValidationError(
            {"assignee": _("%(person)s is not a member of %(team)s.") % {"person": assignee, "team": team}}
        )


def _cis(actor: Any, values: Iterable[Any]) -> list[ConfigurationItem]:
    ids = []
    for value in values:
        try:
            ids.append(int(getattr(value, "pk", value)))
        except (TypeError, ValueError):
            raise ValidationError({"cis": _("CIs are given by their ids.")}) from None
    ids = sorted(set(ids))
    if not ids:
        return []
    if len(ids) > MAX_CIS:
        raise ValidationError({"cis": _("At most %(n)s affected CIs.") % {"n": MAX_CIS}})
    found = list(ConfigurationItem.objects.visible_to(actor).filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({"cis": _("No such CI, or you may not see it.")})
    return found


def _tags(values: Iterable[Any]) -> list[Tag]:
    names = []
    for value in values:
        if not isinstance(value, str):
            raise ValidationError({"tags": _("Tags are short texts.")})
        name = normalise_tag(value)
        if not name:
            continue
        if len(name) > 50 or any(ord(ch) < 32 for ch in name):
            raise ValidationError({"tags": _("A tag has at most 50 characters and no control characters.")})
        names.append(name)
    names = sorted(set(names))
    if len(names) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)s tags.") % {"n": MAX_TAGS}})
    return memo.remembered(("tickets.tags", tuple(names)), lambda: _tag_rows(names))


def _tag_rows(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    for name in names:
        if name not in existing:
            existing[name], _created = Tag.objects.get_or_create(name=name)
    return [existing[n] for n in names]


def _people(actor: Any, values: Iterable[Any]) -> list[Person]:
    ids = sorted({int(getattr(v, "pk", v)) for v in values})
    found = list(Person.objects.visible_to(actor).filter(pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError({"watchers": _("No such person, or you may not see them.")})
    return found


M2M_CACHE = "_kaizen_m2m"
RELATED_PENDING = "_kaizen_m2m_pending"


def _m2m_state(ticket: Ticket) -> dict[str, list[Any]]:
    """Return the ticket's CIs, tags and watchers (remembered on the instance while a service runs)."""
    cached = getattr(ticket, M2M_CACHE, None)
    if cached is None:
        cached = {
            "cis": sorted(ticket.cis.values_list("pk", flat=True)),
            "tags": sorted(ticket.tags.values_list("name", flat=True)),
            "watchers": sorted(ticket.watchers.values_list("pk", flat=True)),
        }
        setattr(ticket, M2M_CACHE, cached)
    return {key: list(values) for key, values in cached.items()}


def set_related(ticket: Ticket, *, cis: Any = None, tags: Any = None, watchers: Any = None) -> None:
    """Replace the CIs, tags or watchers given and keep the remembered state in step.

    On a ticket not yet stored the rows are kept until :func:`store_related` adds them.
    """
    state = _m2m_state(ticket)
    for field, rows, key in (("cis", cis, "pk"), ("tags", tags, "name"), ("watchers", watchers, "pk")):
        if rows is None:
            continue
        if ticket.pk is None:
            ticket.__dict__.setdefault(RELATED_PENDING, {})[field] = list(rows)
            state[field] = sorted(getattr(row, key) for row in rows)
            continue
        manager = getattr(ticket, field)
        if state[field]:
            manager.set(rows)
        else:  # known to be empty (a new ticket): no need to read the current rows
            manager.add(*rows)
        state[field] = sorted(getattr(row, key) for row in rows)
    setattr(ticket, M2M_CACHE, state)


def store_related(ticket: Ticket) -> None:
    """Add the CIs, tags and watchers set on a new ticket before its insert (call once it is stored)."""
    for field, rows in ticket.__dict__.pop(RELATED_PENDING, {}).items():
        if rows:
            getattr(ticket, field).add(*rows)


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """Return the audited state of a ticket: its fields and its CIs, tags and watchers."""
    return {**audit.snapshot(ticket, exclude=Ticket.audit_exclude), **_m2m_state(ticket)}


def record(
    ticket: Ticket, action: str, before: Mapping[str, Any], meta: Mapping[str, Any] | None = None
) -> dict[str, list[Any]]:
    """Audit what changed on ``ticket`` since ``before`` (nothing when nothing changed)."""
    delta = audit.diff(before, snapshot(ticket))
    if delta or action != "update":
        audit.record(ticket, action=action, changes=delta, meta={**(meta or {}), "version": ticket.version})
    return delta


def changes_since(ticket: Ticket, version: int) -> list[dict[str, Any]]:
    """Return what happened to a ticket after ``version`` (for the conflict answer)."""
    return audit.changes_since(ticket, version)


def _lock(ticket_id: int, actor: Any, version: int | None) -> Ticket:
    """Lock a ticket the actor may see, checking the version they based their change on."""
    # No joins in the locking query: PostgreSQL rechecks a row that another transaction updated
    # meanwhile against the joined rows it read before waiting, so a ticket whose state changed
    # would vanish (404 instead of the conflict). The state is read after the lock.
    ticket = Ticket.objects.visible_to(actor).select_for_update(of=("self",)).get(pk=ticket_id)
    if version is not None and ticket.version != version:
        raise ConflictError(
            current_version=ticket.version, sent_version=version, changes=changes_since(ticket, version)
        )
    return ticket


def lock_for_change(ticket_id: int, *, actor: Any, version: int | None = None) -> Ticket:
    """Lock a ticket for another domain's change on it (the actor must be allowed to change it).

    Raises:
        Ticket.DoesNotExist: no such ticket visible to the actor.
        PermissionDenied: the actor may not change it.
        ConflictError: ``version`` is given and stale.
    """
    ticket = _lock(ticket_id, actor, version)
    if not access.can(actor, "change", Ticket, obj=ticket):
        raise PermissionDenied(_("You may not change this ticket."))
    return ticket


def set_service_level(ticket: Ticket, *, due_at: Any, state: str, breached: bool) -> None:
    """Store what service level management computed for the queues: next due time, clock state, breach.

    The due time and state are a projection of the clocks (recomputed from the state history on
    every change and by the periodic check), kept on the ticket so that queues sort by time left;
    they are not audited. A first breach is audited: it flags the ticket for the improvement review.
    """
    newly_breached = breached and not ticket.sla_breached
    Ticket.objects.filter(pk=ticket.pk).update(sla_due_at=due_at, sla_state=state, sla_breached=breached)
    ticket.sla_due_at, ticket.sla_state, ticket.sla_breached = due_at, state, breached
    if not newly_breached:
        return
    audit.record(ticket, action="sla_breached", changes={"sla_breached": [False, True]})
    if ticket.kind == Kind.INCIDENT and ticket.state_category == StateCategory.RESOLVED:
        before = (ticket.review_status, list(ticket.review_reasons))
        automation.flag_for_review(ticket)  # the breach was measured as it was resolved
        if (ticket.review_status, ticket.review_reasons) != before:
            Ticket.objects.filter(pk=ticket.pk).update(
                review_status=ticket.review_status, review_reasons=ticket.review_reasons
            )
            audit.record(
                ticket,
                action="update",
                changes={"review_status": [before[0], ticket.review_status]},
                meta={"rule": _("A service level target was missed")},
            )


RESOLVED_REFERENCES = (
    "state",
    "organisation",
    "requester",
    "service",
    "category",
    "team",
    "assignee",
    "catalog_item",
)
"""Foreign keys the services set only to records they looked up (and the actor may see): their
existence is not checked again by ``full_clean`` (one query each, on every save)."""


def touch(ticket: Ticket, *, action: str, before: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    """Give a locked ticket a new version for another domain's change on it, audited on the ticket.

    Change management calls this when a change's own record (plans, window, risk) changes, so two
    people editing the same change conflict as they do on any ticket field.
    """
    ticket.version += 1
    ticket.save(update_fields=["version", "updated_at"])
    record(ticket, action, before, meta)


def _clean(ticket: Ticket, *, exclude: tuple[str, ...] = ()) -> None:
    ticket.full_clean(exclude=[*RESOLVED_REFERENCES, *exclude], validate_unique=False)


def _save(ticket: Ticket) -> None:
    _clean(ticket, exclude=("number",))
    ticket.version += 1
    ticket.save()
    history.record(ticket)


def _assigned_event(ticket: Ticket) -> None:
    events.emit(
        TicketAssigned(
            ticket_id=ticket.pk, number=ticket.number, assignee_id=ticket.assignee_id, team_id=ticket.team_id
        )
    )


def _set_priority(ticket: Ticket, priority: int | None, reason: str) -> None:
    if priority is None:
        ticket.priority = policies.priority_for(ticket.impact, ticket.urgency, _matrix())
        ticket.priority_reason = ""
        return
    if priority not in (1, 2, 3, 4):
        raise ValidationError({"priority": _("The priority is 1 to 4.")})
    if not reason.strip():
        raise ValidationError({"priority_reason": _("Give the reason for overriding the priority.")})
    ticket.priority, ticket.priority_reason = priority, reason.strip()[:500]


def _apply_impact(ticket: Ticket, cis: list[ConfigurationItem], explicit: int | None, reason: str) -> None:
    suggested, _counts = suggest_impact(cis, ticket.service)
    ticket.impact_suggested = suggested
    if explicit is not None and suggested is not None and explicit != suggested:
        if not reason.strip():
            raise ValidationError(
                {
                    "impact_reason": _(
                        "The CMDB suggests impact %(s)s: give the reason for choosing another."
                    )
                    % {"s": suggested}
                }
            )
        ticket.impact, ticket.impact_reason = explicit, reason.strip()[:500]
    elif explicit is not None:
        ticket.impact, ticket.impact_reason = explicit, ""
    elif suggested is not None and not ticket.impact_reason:
        ticket.impact = suggested


# -- create and update -------------------------------------------------------------------------


def create_ticket(*, actor: Any, kind: str, data: Mapping[str, Any], **options: Any) -> Ticket:
    """Record a new ticket of ``kind`` with the next number, CMDB impact, priority, rules and assignment.

    Requesters may set only what the portal offers (title, description, service, category,
    urgency); the ticket is theirs and belongs to their organisation. ``options`` are those of
    :func:`file_ticket`.

    Raises:
        ValidationError: invalid or invisible values (field -> message).
        PermissionDenied: the actor may not create tickets in that organisation.
    """
    with writing():
        filed = file_ticket(actor=actor, kind=kind, data=data, **options)
        store_filed([filed])
    return filed.ticket


@dataclass
class Filed:
    """A new ticket decided and not yet stored (see :func:`file_ticket` and :func:`store_filed`)."""

    ticket: Ticket
    planned: automation.Planned
    as_filed: dict[str, Any]
    """Its audited state before the automation changed it (the ``create`` row)."""
    version: int
    template: str


def file_ticket(
    *,
    actor: Any,
    kind: str,
    data: Mapping[str, Any],
    cis: Iterable[Any] = (),
    tags: Iterable[str] = (),
    watchers: Iterable[Any] = (),
    template: TicketTemplate | int | None = None,
    impact_reason: str = "",
    priority: int | None = None,
    priority_reason: str = "",
    routing: Mapping[str, Any] | None = None,
) -> Filed:
    """Check and decide a new ticket in memory (inside :func:`writing`); :func:`store_filed` writes it.

    Takes the next number, the CMDB impact and priority, then runs the rules, the automatic
    assignment and the automatic "assign" action, so that the ticket is inserted once, in its
    final state. ``routing`` carries a ``team`` chosen by another service (the catalogue item's
    fulfilling team), applied whoever the actor is.

    Raises:
        ValidationError: invalid or invisible values (field -> message).
        PermissionDenied: the actor may not create tickets in that organisation.
    """
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown ticket kind.")})
    data = {
        k: v for k, v in data.items() if v is not None or k in ("team", "assignee", "service", "category")
    }
    cis, tags, watchers = list(cis), list(tags), list(watchers)
    chosen: TicketTemplate | None = None
    if template is not None:
        chosen = _visible(TicketTemplate, actor, template, "template", _("No such template."))
        assert chosen is not None
        data, tags = _template_defaults(chosen, kind, data, tags)
    person = workflow.person_of(actor)
    staff = access.has_any_role(actor, WORKERS)
    if not staff:
        unknown = sorted(set(data) - REQUESTER_FIELDS)
        if unknown or cis or watchers or priority is not None:
            raise ValidationError(
                _("Requesters cannot set: %(fields)s.") % {"fields": ", ".join(unknown) or "cis"}
            )
        if person is None:
            raise PermissionDenied(_("Your login has no person record; ask the service desk to add one."))
        data["requester"] = person
        data["organisation"] = person.organisation
    else:
        unknown = sorted(set(data) - STAFF_FIELDS)
        if unknown:
            raise ValidationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    _resolve_references(actor, kind, data)
    if routing and routing.get("team") is not None:
        data["team"] = routing["team"]
    from kaizen.accounts.models import Organisation

    if "organisation" in data and not isinstance(data["organisation"], Organisation):
        data["organisation"] = _visible(
            Organisation,
            actor,
            data["organisation"],
            "organisation",
            _("No such organisation, or you may not see it."),
        )
    if data.get("organisation") is None:
        requester = data.get("requester")
        if requester is None:
            raise ValidationError({"organisation": _("Choose the organisation or the requester.")})
        data["organisation"] = requester.organisation
    if not access.can(actor, "add", Ticket, organisation_id=data["organisation"].pk):
        raise PermissionDenied(_("You may not record tickets for this organisation."))
    ci_rows = _cis(actor, cis)
    explicit_impact = data.pop("impact", None) if staff else None
    if explicit_impact is not None and explicit_impact not in (1, 2, 3, 4):
        raise ValidationError({"impact": _("The impact is 1 to 4.")})
    state = workflow.initial_state(kind)
    now = timezone.now()
    ticket = Ticket(
        kind=kind,
        number=sequences.next_free_number(f"tickets.{kind}", PREFIX[Kind(kind)]),
        state=state,
        state_category=state.category,
        state_changed_at=now,
        **data,
    )
    if ticket.channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    _apply_impact(ticket, ci_rows, explicit_impact, impact_reason)
    _set_priority(ticket, priority if staff else None, priority_reason)
    _clean(ticket)  # the number is unique by construction, the references were looked up
    setattr(ticket, M2M_CACHE, {"cis": [], "tags": [], "watchers": []})
    set_related(
        ticket,
        cis=ci_rows or None,
        tags=_tags(tags) if tags else None,
        watchers=_people(actor, watchers) if watchers else None,
    )
    # The ticket as filed is audited and logged; rules, assignment and the automatic "assign"
    # change it in memory before its insert, so it is written once, in its final state.
    history.record(ticket)
    as_filed, version = snapshot(ticket), ticket.version
    planned = automation.plan(ticket, trigger="create")
    if planned.changed:
        _clean(ticket, exclude=("number",))
        ticket.version += 1
    return Filed(ticket, planned, as_filed, version, chosen.name if chosen else "")


def _insert(tickets: list[Ticket]) -> None:
    if len(tickets) == 1:
        tickets[0].save(force_insert=True)
    else:
        bulk.insert(Ticket, tickets, ids=True)


def store_filed(filed: Sequence[Filed], *, inserted: bool = False) -> None:
    """Insert tickets decided by :func:`file_ticket` (several in one statement; ``inserted``: done
    already), then write what their creation did: CIs, tags and watchers, history, audit trail,
    events, the transition's hooks."""
    if not inserted:
        _insert([f.ticket for f in filed])
    for f in filed:
        ticket = f.ticket
        store_related(ticket)
        history.record(ticket)
        f.as_filed["id"] = ticket.pk
        if f.planned.moved is not None:
            f.planned.moved.before["id"] = ticket.pk
        audit.record(
            ticket,
            action="create",
            changes={k: [None, v] for k, v in f.as_filed.items() if v not in (None, "", [], {})},
            meta={"version": f.version, **({"template": f.template} if f.template else {})},
        )
        events.emit(TicketCreated(ticket_id=ticket.pk, number=ticket.number, kind=ticket.kind))
        automation.record_planned(ticket, f.planned, assignee_before=None, team_before=None)


@dataclass(frozen=True)
class BatchItem:
    """One ticket of a batch: the fields of a single create and its other arguments."""

    data: dict[str, Any]
    extras: dict[str, Any]


@dataclass(frozen=True)
class Created:
    """A ticket of a batch and whether the batch created it (False: its external_ref existed)."""

    ticket: Ticket
    created: bool


def create_batch(
    *, actor: Any, kind: str, items: Sequence[BatchItem], create: Callable[[BatchItem], Ticket | Filed]
) -> list[Created]:
    """Create the tickets of a batch in one transaction: all of them, or none.

    ``create`` decides one item (:func:`file_ticket`; the filed tickets are inserted together
    after the last item) or records it (another domain's intake for a catalogue request). Lookups
    the items share (rules, workflow, priority matrix, visible
    references) are made once for the batch. An item whose ``external_ref`` is already on a
    ticket of this kind in its organisation, or on an earlier item, is not created again, so a
    client may retry a batch whose answer it did not receive.

    Raises:
        ValidationError: keys ``items[i].field`` for the first item the service refused.
        PermissionDenied: an item may not be recorded by the actor (its index in the message).
    """
    if not items:
        raise ValidationError({"items": _("Send at least one ticket.")})
    if len(items) > MAX_BATCH:
        raise ValidationError({"items": _("At most %(n)s tickets per batch.") % {"n": MAX_BATCH}})
    out: list[Created] = []
    # The rows every writer shares are written last: the audit chain head when the ticket writes
    # end, the teams' rotations after it, so concurrent batches hold them only until the commit.
    with memo.batch(), transaction.atomic():
        with writing():
            known = _existing_refs(actor, kind, items)
            keys = [_ref_key(actor, item) for item in items]
            sequences.reserve_free(
                f"tickets.{kind}", sum(1 for key in keys if key is None or key not in known)
            )
            filed: list[tuple[int, Filed]] = []
            for index, (item, key) in enumerate(zip(items, keys, strict=True)):
                if key is not None and key in known:
                    out.append(Created(known[key], created=False))
                    continue
                with _as_item(index):
                    made = create(item)
                if isinstance(made, Filed):
                    filed.append((index, made))
                    automation.count_unsaved(made.ticket)
                ticket = made.ticket if isinstance(made, Filed) else made
                if key is not None:
                    known[key] = ticket
                out.append(Created(ticket, created=True))
            _insert([f.ticket for _, f in filed])
            for index, f in filed:
                with _as_item(index):
                    store_filed([f], inserted=True)
        automation.save_rotations()
    return out


@contextlib.contextmanager
def _as_item(index: int) -> Iterator[None]:
    """Report a service's refusal of one batch item under its index."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError(_item_errors(index, exc)) from exc
    except PermissionDenied as exc:
        raise PermissionDenied(_("Item %(index)s: %(message)s") % {"index": index, "message": exc}) from exc


def _ref_key(actor: Any, item: BatchItem) -> tuple[int | None, str] | None:
    """(organisation, external_ref) of an item, as :func:`create_ticket` will decide it."""
    ref = str(item.data.get("external_ref") or "")
    if not ref:
        return None
    if not access.has_any_role(actor, WORKERS):  # a requester's tickets are their organisation's
        person = workflow.person_of(actor)
        return (person.organisation_id if person is not None else None), ref
    org, requester = item.data.get("organisation"), item.data.get("requester")
    if org is not None:
        return int(getattr(org, "pk", org)), ref
    org_id = getattr(requester, "organisation_id", None)
    return (org_id, ref) if org_id is not None else None  # without either, create_ticket refuses it


def _existing_refs(actor: Any, kind: str, items: Sequence[BatchItem]) -> dict[tuple[int | None, str], Ticket]:
    refs = {str(i.data["external_ref"]) for i in items if i.data.get("external_ref")}
    if not refs:
        return {}
    found: dict[tuple[int | None, str], Ticket] = {}
    rows = Ticket.objects.visible_to(actor).filter(kind=kind, external_ref__in=refs).order_by("pk")
    for ticket in rows:
        found.setdefault((ticket.organisation_id, ticket.external_ref), ticket)
    return found


def item_key(index: int, field: str | None = None) -> str:
    """The key of a batch item's error: ``items[i].field``, or ``items[i]`` for the whole item."""
    whole = field is None or field in (NON_FIELD_ERRORS, "non_field_errors")
    return f"items[{index}]" if whole else f"items[{index}].{field}"


def _item_errors(index: int, exc: ValidationError) -> dict[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {item_key(index): [str(m) for m in exc.messages]}
    return {item_key(index, field): [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}


def _template_defaults(
    template: TicketTemplate, kind: str, data: dict[str, Any], tags: list[str]
) -> tuple[dict[str, Any], list[str]]:
    if template.kind != kind:
        raise ValidationError({"template": _("This template is for another kind of ticket.")})
    defaults = {
        "title": template.title,
        "description": template.description,
        "category": template.category_id,
        "service": template.service_id,
        "team": template.team_id,
        "impact": template.impact,
        "urgency": template.urgency,
    }
    merged = dict(data)
    for key, value in defaults.items():
        if value not in (None, "") and merged.get(key) in (None, ""):
            merged[key] = value
    extra = [t for t in template.tags.split(",") if t.strip()]
    return merged, [*tags, *extra]


def update_ticket(
    ticket_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    cis: Iterable[Any] | None = None,
    tags: Iterable[str] | None = None,
    watchers: Iterable[Any] | None = None,
    impact_reason: str = "",
    priority: int | None = None,
    priority_reason: str = "",
) -> Ticket:
    """Change a ticket's fields (agents, managers) if ``version`` is current.

    Raises:
        Ticket.DoesNotExist: no such ticket, or the actor may not see it.
        ConflictError: someone changed it since ``version`` (lists what they changed).
        PermissionDenied: the actor may not change tickets of this organisation.
        ValidationError: invalid or invisible values.
    """
    with writing():
        ticket = _lock(ticket_id, actor, version)
        if not is_worker(actor, ticket):
            raise PermissionDenied(_("You do not have permission to do this."))
        changes = dict(changes)
        unknown = sorted(set(changes) - STAFF_FIELDS)
        if unknown:
            raise ValidationError(
                _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(unknown)}
            )
        _resolve_references(actor, ticket.kind, changes)
        if "organisation" in changes:
            from kaizen.accounts.models import Organisation

            changes["organisation"] = _visible(
                Organisation,
                actor,
                changes["organisation"],
                "organisation",
                _("No such organisation, or you may not see it."),
            )
            if not access.can(actor, "add", Ticket, organisation_id=changes["organisation"].pk):
                raise PermissionDenied(_("You may not move tickets to this organisation."))
        if "team" in changes and "assignee" not in changes and ticket.assignee_id is not None:
            team = changes["team"]
            if team is None or not team.members.filter(pk=ticket.assignee_id).exists():
                changes["assignee"] = None  # a new team picks its own assignee
        before = snapshot(ticket)
        assignee_before, team_before = ticket.assignee_id, ticket.team_id
        explicit_impact = changes.pop("impact", None)
        for name, value in changes.items():
            setattr(ticket, name, value)
        ci_rows = _cis(actor, cis) if cis is not None else list(ticket.cis.all())
        if explicit_impact is not None or cis is not None or "service" in changes:
            _apply_impact(ticket, ci_rows, explicit_impact, impact_reason)
        if priority is not None:
            _set_priority(ticket, priority, priority_reason)
        elif not ticket.priority_reason:  # no manual override in force: the matrix decides
            _set_priority(ticket, None, "")
        set_related(
            ticket,
            cis=ci_rows if cis is not None else None,
            tags=_tags(tags) if tags is not None else None,
            watchers=_people(actor, watchers) if watchers is not None else None,
        )
        if audit.diff(before, snapshot(ticket)) == {}:
            return ticket
        _save(ticket)
        delta = record(ticket, "update", before)
        events.emit(
            TicketUpdated(ticket_id=ticket.pk, number=ticket.number, fields=sorted(delta), kind=ticket.kind)
        )
        automation.after_write(
            ticket, trigger="update", actor=actor, assignee_before=assignee_before, team_before=team_before
        )
    return ticket


# -- workflow actions --------------------------------------------------------------------------


def apply_action(
    ticket_id: int, code: str, *, actor: Any, version: int | None, params: Mapping[str, Any] | None = None
) -> Ticket:
    """Apply the workflow action ``code`` (resolve, close, reopen, ...) with its parameters.

    ``params``: ``comment`` (and ``visibility``), ``resolution``, ``cause_class``, ``assignee``,
    ``team``. Requesters may apply the actions their workflow gives them (cancel, reopen).

    Raises:
        ActionNotAllowed: the action does not apply now, or not for this actor (lists the allowed).
        ValidationError: a condition of the action is not met (resolution note, cause class, ...).
        ConflictError: stale ``version``.
    """
    params = dict(params or {})
    with writing():
        ticket = _lock(ticket_id, actor, version)
        transition(ticket, code, actor=actor, params=params, system=False)
    return ticket


@dataclass
class Moved:
    """A transition applied in memory, waiting for the save that writes it (see :func:`finish`)."""

    code: str
    before: dict[str, Any]
    from_state: str
    params: Mapping[str, Any]
    system: bool
    rule: str
    actor: Any


def transition(
    ticket: Ticket, code: str, *, actor: Any, params: Mapping[str, Any], system: bool, rule: str = ""
) -> Ticket:
    """Apply an action to a locked ticket, audit it and emit the event (used by automation too)."""
    moved = move(ticket, code, actor=actor, params=params, system=system, rule=rule)
    _save(ticket)
    finish(ticket, moved)
    return ticket


def move(
    ticket: Ticket, code: str, *, actor: Any, params: Mapping[str, Any], system: bool, rule: str = ""
) -> Moved:
    """Check and apply an action to a locked ticket in memory; the caller saves, then calls :func:`finish`."""
    before = snapshot(ticket)
    from_state = ticket.state.code
    cause = params.get("cause_class")
    if cause not in (None, "") and cause not in CauseClass.values:
        raise ValidationError({"cause_class": _("Unknown cause class.")})
    text_params = {k: str(params.get(k) or "") for k in ("comment", "resolution")}
    for key, value in text_params.items():
        if len(value) > MAX_BODY:
            raise ValidationError({key: _("At most %(n)s characters.") % {"n": MAX_BODY}})
    if params.get("assignee") not in (None, ""):
        data = {"assignee": params["assignee"], **({"team": params["team"]} if params.get("team") else {})}
        _resolve_references(actor, ticket.kind, data)
        ticket.assignee = data["assignee"]
        ticket.team = data.get("team", ticket.team)
    done = workflow.apply(ticket, code, actor=actor, params=params, system=system)
    if text_params["resolution"].strip():
        ticket.resolution = text_params["resolution"].strip()
    if cause:
        ticket.cause_class = cause
    if ticket.state_category == StateCategory.RESOLVED and ticket.kind == Kind.INCIDENT:
        automation.flag_for_review(ticket)
    elif (
        ticket.state_category not in (StateCategory.RESOLVED, StateCategory.CLOSED)
        and ticket.review_status == ReviewStatus.PENDING
    ):
        ticket.review_status, ticket.review_reasons = ReviewStatus.NONE, []
    return Moved(done.code, before, from_state, params, system, rule, actor)


def finish(ticket: Ticket, moved: Moved) -> None:
    """Audit a saved transition, run the hooks, write its comment and emit its event."""
    code, params, system, rule, actor = moved.code, moved.params, moved.system, moved.rule, moved.actor
    meta = {"action": code, "from": moved.from_state, "to": ticket.state.code}
    if rule:
        meta["rule"] = rule
    record(ticket, "transition", moved.before, meta)
    for hook in workflow.AFTER_TRANSITION:
        hook(ticket)
    for action_hook in workflow.AFTER_ACTION:
        action_hook(ticket, code, params, None if system else actor)
    comment = str(params.get("comment") or "").strip()
    if comment:
        visibility = params.get("visibility") or (
            Visibility.PUBLIC if code in PUBLIC_ACTIONS else Visibility.INTERNAL
        )
        if not system and not is_worker(actor, ticket):
            visibility = Visibility.PUBLIC
        _comment(
            ticket,
            actor=actor,
            body=comment,
            visibility=visibility,
            channel=Channel.API if not system else Channel.PORTAL,
            label="" if workflow.person_of(actor) else rule,
        )
    events.emit(
        TicketStateChanged(
            ticket_id=ticket.pk,
            number=ticket.number,
            action=code,
            from_state=moved.from_state,
            to_state=ticket.state.code,
            to_category=ticket.state_category,
            automatic=system,
            kind=ticket.kind,
        )
    )
    if ticket.assignee_id is not None and "assignee" in params:
        _assigned_event(ticket)


def route(ticket: Ticket, *, team: Team, rule: str) -> Ticket:
    """Give a locked ticket to ``team`` on behalf of automation (audited with ``rule``), then assign.

    Used by other domains that decide a team later (a request's fulfilling team once approved).
    """
    before = snapshot(ticket)
    assignee_before, team_before = ticket.assignee_id, ticket.team_id
    ticket.team = team
    if ticket.assignee_id and not team.members.filter(pk=ticket.assignee_id).exists():
        ticket.assignee = None
    if audit.diff(before, snapshot(ticket)):
        _save(ticket)
        record(ticket, "rule", before, {"rule": rule})
    automation.after_write(
        ticket, trigger="update", actor=None, assignee_before=assignee_before, team_before=team_before
    )
    return ticket


def raise_priority(ticket: Ticket, *, rule: str) -> bool:
    """Raise a locked ticket's priority by one on behalf of automation (audited with ``rule``).

    Returns False when it is already P1.
    """
    if ticket.priority <= 1:
        return False
    before = snapshot(ticket)
    ticket.priority, ticket.priority_reason = ticket.priority - 1, rule[:500]
    _save(ticket)
    record(ticket, "rule", before, {"rule": rule})
    return True


def allowed_actions(ticket: Ticket, actor: Any) -> list[str]:
    """Return the codes of the actions ``actor`` may apply to ``ticket`` now."""
    return [t.code for t in workflow.available(ticket, actor)]


# -- conversation, files, links, watchers ------------------------------------------------------


def _comment(
    ticket: Ticket,
    *,
    actor: Any,
    body: str,
    visibility: str,
    channel: str,
    is_timeline: bool = False,
    label: str = "",
    author: Person | None = None,
) -> Comment:
    person = author or workflow.person_of(actor)
    comment = Comment(
        ticket=ticket,
        author=person,
        author_label=(label or (str(person) if person else getattr(actor, "username", "") or _("Kaizen")))[
            :200
        ],
        body=body,
        visibility=visibility,
        channel=channel,
        is_timeline=is_timeline,
    )
    comment.full_clean()
    comment.save(force_insert=True)
    audit.record(
        comment,
        action="create",
        changes={"ticket": [None, ticket.pk], "visibility": [None, visibility], "body": [None, body[:2000]]},
    )
    now = timezone.now()
    bump: dict[str, Any] = {"updated_at": now}
    # A reply written for someone else (mail from a requester's colleague on copy) is theirs,
    # not the desk's: it is no first response and is forwarded to the desk like the requester's.
    by_requester = person is not None and (
        person.pk == ticket.requester_id or (author is not None and not is_staff_person(author, ticket))
    )
    if by_requester:
        bump["last_requester_reply_at"] = now
    elif visibility == Visibility.PUBLIC and person is not None and ticket.first_response_at is None:
        bump["first_response_at"] = now
    Ticket.objects.filter(pk=ticket.pk).update(**bump)
    for key, value in bump.items():
        setattr(ticket, key, value)
    if visibility == Visibility.PUBLIC and person is not None and not by_requester:
        history.announce(ticket, frozenset({"public_reply"}))
    events.emit(
        CommentAdded(
            ticket_id=ticket.pk,
            number=ticket.number,
            comment_id=comment.pk,
            visibility=visibility,
            by_requester=by_requester,
        )
    )
    return comment


def is_staff_person(person: Person, ticket: Ticket) -> bool:
    user = person.user if person.user_id else None
    return user is not None and is_worker(user, ticket)


def add_comment(
    ticket_id: int,
    *,
    actor: Any,
    body: str,
    visibility: str = Visibility.PUBLIC,
    channel: str = Channel.PORTAL,
    is_timeline: bool = False,
    author: Person | None = None,
) -> Comment:
    """Add a public reply or an internal work note; requesters reply publicly on their own tickets.

    A requester's reply to a ticket waiting for them resumes it. A worker may record a public
    reply written by ``author`` (mail intake: the sender of a message), which counts as theirs.
    """
    body = str(body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something.")})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": _("At most %(n)s characters.") % {"n": MAX_BODY}})
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Unknown visibility.")})
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    with writing():
        ticket = (
            Ticket.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("state")
            .get(pk=ticket_id)
        )
        worker = is_worker(actor, ticket)
        person = workflow.person_of(actor)
        if author is not None:
            if not worker:
                raise PermissionDenied(_("You may not comment on this ticket."))
            person, visibility, is_timeline = author, Visibility.PUBLIC, False
        elif not worker:
            if person is None or person.pk != ticket.requester_id:
                raise PermissionDenied(_("You may not comment on this ticket."))
            visibility, is_timeline = Visibility.PUBLIC, False
            if ticket.state_category in (StateCategory.CLOSED, StateCategory.CANCELLED):
                raise ValidationError({"body": _("This ticket is closed; reopen it or open a new one.")})
        comment = _comment(
            ticket,
            actor=actor,
            body=body,
            visibility=visibility,
            channel=channel,
            is_timeline=is_timeline,
            author=author,
        )
        by_requester = person is not None and person.pk == ticket.requester_id
        if (by_requester or not worker) and ticket.state.code == "pending_customer":
            # A workflow changed to not resume keeps the state; the reply is recorded anyway.
            with contextlib.suppress(ActionNotAllowed, ValidationError):
                transition(ticket, "resume", actor=None, params={}, system=True, rule=_("Requester replied"))
    return comment


def add_system_note(ticket: Ticket, *, body: str, label: str) -> Comment:
    """Write an internal work note on a locked ticket on behalf of another domain's job.

    For automatic notes that no person writes (problem reminders); ``label`` names the author.
    Call it inside :func:`writing` with the ticket locked.
    """
    body = str(body or "").strip()[:MAX_BODY]
    if not body:
        raise ValidationError({"body": _("Write something.")})
    return _comment(
        ticket, actor=None, body=body, visibility=Visibility.INTERNAL, channel=Channel.PORTAL, label=label
    )


def add_attachment(
    ticket_id: int, *, actor: Any, name: str, data: bytes, comment_id: int | None = None
) -> Attachment:
    """Attach a checked file to a ticket (requesters: to their own tickets)."""
    checked = files.check(name, data)
    with writing():
        ticket = Ticket.objects.visible_to(actor).get(pk=ticket_id)
        person = workflow.person_of(actor)
        if not is_worker(actor, ticket) and (person is None or person.pk != ticket.requester_id):
            raise PermissionDenied(_("You may not add files to this ticket."))
        comment = None
        if comment_id is not None:
            comment = Comment.objects.visible_to(actor).filter(pk=comment_id, ticket=ticket).first()
            if comment is None:
                raise ValidationError({"comment": _("No such comment on this ticket.")})
        storage_name = files.store(checked.data)
        try:
            attachment = create_record(
                Attachment,
                actor=actor,
                data={
                    "ticket": ticket,
                    "comment": comment,
                    "name": checked.name,
                    "content_type": checked.content_type,
                    "size": checked.size,
                    "sha256": checked.sha256,
                    "storage_name": storage_name,
                    "uploaded_by": actor if getattr(actor, "is_authenticated", False) else None,
                },
                check=False,
            )
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
        except BaseException:
            files.remove(storage_name)
            raise
    return attachment


def link_tickets(*, actor: Any, from_ticket: Ticket | int, to_ticket: Ticket | int, kind: str) -> TicketLink:
    """Link two tickets the actor may see (duplicates, is caused by, ...)."""
    with writing():
        source = _visible(
            Ticket, actor, from_ticket, "from_ticket", _("No such ticket, or you may not see it.")
        )
        target = _visible(Ticket, actor, to_ticket, "to_ticket", _("No such ticket, or you may not see it."))
        if not is_worker(actor, source):
            raise PermissionDenied(_("You do not have permission to do this."))
        return create_record(
            TicketLink,
            actor=actor,
            data={"from_ticket": source, "to_ticket": target, "kind": kind},
            check=False,
        )


def unlink_tickets(link_id: int, *, actor: Any) -> None:
    """Remove a link between tickets."""
    with writing():
        link = TicketLink.objects.visible_to(actor, "delete").select_for_update().get(pk=link_id)
        audit.record(
            link, action="delete", changes={"to_ticket": [link.to_ticket_id, None], "kind": [link.kind, None]}
        )
        link.delete()


def set_watching(
    ticket_id: int, *, actor: Any, person: Person | None = None, watching: bool = True
) -> Ticket:
    """Add or remove a watcher (default: the actor); watchers get the public replies by mail."""
    with writing():
        ticket = Ticket.objects.visible_to(actor).select_for_update(of=("self",)).get(pk=ticket_id)
        target = person or workflow.person_of(actor)
        if target is None:
            raise ValidationError(_("Your login has no person record."))
        if person is not None and not is_worker(actor, ticket):
            raise PermissionDenied(_("You do not have permission to do this."))
        before = _m2m_state(ticket)["watchers"]
        (ticket.watchers.add if watching else ticket.watchers.remove)(target)
        setattr(ticket, M2M_CACHE, None)
        after = _m2m_state(ticket)["watchers"]
        if before != after:
            audit.record(
                ticket,
                action="watchers",
                changes={"watchers": [before, after]},
                meta={"version": ticket.version},
            )
    return ticket


# -- major incidents and reviews ---------------------------------------------------------------


def declare_major(
    ticket_id: int, *, actor: Any, version: int | None, reason: str, major: bool = True
) -> Ticket:
    """Declare an incident a major incident (or end that status); notifies the managers."""
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why.")})
    with writing():
        ticket = _lock(ticket_id, actor, version)
        if not is_worker(actor, ticket):
            raise PermissionDenied(_("You do not have permission to do this."))
        if ticket.kind != Kind.INCIDENT:
            raise ValidationError(_("Only incidents can be major incidents."))
        if ticket.major == major:
            raise ValidationError(_("Nothing to change."))
        before = snapshot(ticket)
        ticket.major, ticket.major_since = major, timezone.now() if major else None
        _save(ticket)
        record(ticket, "major" if major else "major_ended", before, {"reason": reason[:1000]})
        text = (
            _("Major incident declared: %(reason)s") if major else _("Major incident ended: %(reason)s")
        ) % {"reason": reason}
        _comment(
            ticket,
            actor=actor,
            body=text,
            visibility=Visibility.INTERNAL,
            channel=Channel.PORTAL,
            is_timeline=True,
        )
        if major:
            events.emit(
                MajorIncidentDeclared(ticket_id=ticket.pk, number=ticket.number, reason=reason[:1000])
            )
    return ticket


def record_review_decision(
    ticket_id: int,
    *,
    actor: Any,
    outcome: str,
    version: int | None = None,
    problem: Ticket | int | None = None,
    problem_title: str = "",
    improvement_title: str = "",
    reason: str = "",
) -> ReviewDecision:
    """Record what happens to an incident flagged for the improvement review.

    ``problem``: link an existing problem, or give ``problem_title`` to open one; ``improvement``:
    add ``improvement_title`` to the register; ``dismissed``: a ``reason`` is required.
    """
    from kaizen.improvement import services as improvement

    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": _("Choose a decision.")})
    with writing():
        ticket = _lock(ticket_id, actor, version)
        if not is_worker(actor, ticket):
            raise PermissionDenied(_("You do not have permission to do this."))
        if ticket.review_status != ReviewStatus.PENDING:
            raise ValidationError(_("This incident is not waiting for an improvement decision."))
        data: dict[str, Any] = {
            "ticket": ticket,
            "outcome": outcome,
            "reason": str(reason or "").strip(),
            "decided_by": actor,
        }
        if outcome == ReviewOutcome.PROBLEM:
            if problem is not None:
                found = _visible(
                    Ticket, actor, problem, "problem", _("No such problem, or you may not see it.")
                )
                if found.kind != Kind.PROBLEM:
                    raise ValidationError({"problem": _("Choose a problem.")})
            else:
                title = str(problem_title or "").strip() or _("Problem: %(title)s") % {"title": ticket.title}
                found = create_ticket(
                    actor=actor,
                    kind=Kind.PROBLEM,
                    data={
                        "title": title[:200],
                        "description": ticket.description,
                        "organisation": ticket.organisation,
                        "service": ticket.service,
                        "channel": Channel.API,
                    },
                    cis=list(ticket.cis.all()),
                )
            data["problem"] = found
            if not TicketLink.objects.filter(from_ticket=ticket, to_ticket=found, kind="caused_by").exists():
                link_tickets(actor=actor, from_ticket=ticket, to_ticket=found, kind="caused_by")
        elif outcome == ReviewOutcome.IMPROVEMENT:
            title = str(improvement_title or "").strip()
            if not title:
                raise ValidationError({"improvement_title": _("Name the improvement.")})
            data["improvement"] = improvement.create_improvement(
                actor=actor,
                data={
                    "title": title[:200],
                    "description": "\n".join(ticket.review_reasons) + "\n\n" + ticket.resolution,
                    "organisation": ticket.organisation,
                    "source_ticket": ticket,
                    "service": ticket.service,
                },
            )
        elif not data["reason"]:
            raise ValidationError({"reason": _("Give the reason for dismissing the review.")})
        decision = create_record(ReviewDecision, actor=actor, data=data, check=False)
        before = snapshot(ticket)
        ticket.review_status = ReviewStatus.DECIDED
        _save(ticket)
        record(ticket, "review_decided", before, {"outcome": outcome})
        automation.close_if_confirmed(ticket)
    return decision


def confirm_resolution(ticket_id: int, *, actor: Any) -> Ticket:
    """The requester confirms a resolution; the ticket closes when its closure policy lets it."""
    with writing():
        ticket = (
            Ticket.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("state")
            .get(pk=ticket_id)
        )
        person = workflow.person_of(actor)
        if person is None or person.pk != ticket.requester_id:
            raise PermissionDenied(_("Only the requester confirms a resolution."))
        if ticket.state_category != StateCategory.RESOLVED:
            raise ActionNotAllowed(_("This ticket is not waiting for your confirmation."), allowed=[])
        before = snapshot(ticket)
        ticket.confirmed_at = timezone.now()
        _save(ticket)
        record(ticket, "confirmed", before)
        automation.close_if_confirmed(ticket)
    return ticket


# -- saved views -------------------------------------------------------------------------------


def save_view(*, actor: Any, name: str, query: str) -> SavedView:
    """Save the current queue filter under a name (replacing a view of the same name)."""
    name, query = str(name or "").strip(), str(query or "").lstrip("?")
    if not name:
        raise ValidationError({"name": _("Name the view.")})
    with writing():
        existing = SavedView.objects.filter(user=actor, name=name).first()
        if existing is not None:
            existing.query = query
            existing.full_clean()
            existing.version += 1
            existing.save()
            audit.record(existing, action="update", changes={"query": [None, query]})
            return existing
        return create_record(
            SavedView, actor=actor, data={"user": actor, "name": name, "query": query}, check=False
        )


def delete_view(view_id: int, *, actor: Any) -> None:
    """Delete one of the actor's saved views."""
    with writing():
        view = SavedView.objects.filter(user=actor).select_for_update().get(pk=view_id)
        audit.record(view, action="delete", changes={"name": [view.name, None]})
        view.delete()


# -- configuration records ---------------------------------------------------------------------


def configuration_services(model: Any) -> tuple[Any, Any, Any]:
    """Return create, update and delete services for a configuration model (states, rules, ...).

    They authorise with the model's access policy, validate (``clean`` checks rule conditions,
    guard names, ...) and audit like every other write.
    """
    from kaizen.core.services import delete_record, update_record

    def create(*, actor: Any, data: Mapping[str, Any]) -> Any:
        return create_record(model, actor=actor, data=data)

    def update(pk: int, *, actor: Any, changes: Mapping[str, Any], version: int | None) -> Any:
        return update_record(model, pk, actor=actor, changes=changes, expected_version=version)

    def delete(pk: int, *, actor: Any, version: int | None = None) -> None:
        delete_record(model, pk, actor=actor, expected_version=version)

    return create, update, delete


def save_transition(
    *,
    actor: Any,
    data: Mapping[str, Any],
    sources: Iterable[Any],
    pk: int | None = None,
    version: int | None = None,
) -> Any:
    """Create or change a workflow transition with its source states (administrators)."""
    from kaizen.core.services import update_record

    from .models import WorkflowTransition

    sources = list(sources)
    with writing():
        if pk is None:
            transition = create_record(WorkflowTransition, actor=actor, data=data)
            before: list[int] = []
        else:
            before = sorted(WorkflowTransition.objects.get(pk=pk).sources.values_list("pk", flat=True))
            transition = update_record(
                WorkflowTransition, pk, actor=actor, changes=data, expected_version=version
            )
        wrong = [s for s in sources if s.kind != transition.kind]
        if wrong:
            raise ValidationError(
                {
                    "sources": _("These states belong to another ticket kind: %(s)s")
                    % {"s": ", ".join(map(str, wrong))}
                }
            )
        transition.sources.set(sources)
        after = sorted(s.pk for s in sources)
        if after != before:
            audit.record(transition, action="sources", changes={"sources": [before, after]})
    return transition
