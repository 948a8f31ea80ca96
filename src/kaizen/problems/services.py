"""Every write of problem management: keyword-only, one transaction, authorised, validated, audited.

Problem tickets are written by the ticket core (``tickets.services``); this module writes what
problem management adds: the problem's details (owner, root cause, workaround, debt-list data),
known errors, the links to incidents and to the fixing change, and the reminders. Details audit
rows carry the version they produced (``meta.version``), so a stale edit gets a conflict that
lists what changed meanwhile.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Organisation, Person
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import access, audit, events, sequences
from kaizen.core.services import ActionNotAllowed, ConflictError, create_record, delete_record, update_record
from kaizen.portfolio.models import Service
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import ACTIVE_CATEGORIES, Channel, Kind, LinkKind
from kaizen.tickets.models import Comment, Ticket, TicketLink

from . import policies
from .choices import KnownErrorState
from .events import KnownErrorPublished, ProblemDetailsChanged, ProblemReminderDue
from .models import MAX_RANK, MAX_TEXT, KnownError, ProblemRecord

DETAIL_FIELDS = frozenset(
    {"owner", "root_cause", "workaround", "shared_with_development", "development_ref", "rank"}
)
TICKET_FIELDS = frozenset(
    {"title", "description", "organisation", "service", "category", "team", "assignee", "impact", "urgency"}
)
KNOWN_ERROR_FIELDS = frozenset(
    {"organisation", "problem", "title", "symptoms", "root_cause", "workaround", "keywords"}
)
MAX_INCIDENTS = 50
MAX_SCOPE = 50
KNOWN_ERROR_SEQUENCE = "problems.known_error"
REMINDER_BATCH = 500


# -- helpers -----------------------------------------------------------------------------------


def _ids(values: Iterable[Any], field: str, limit: int) -> list[int]:
    """Return distinct positive ids in the given order; anything else is a field error."""
    if isinstance(values, str | bytes | Mapping):
        raise ValidationError({field: _("Give a list of ids.")})
    out: list[int] = []
    for value in values:
        raw = getattr(value, "pk", value)
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise ValidationError({field: _("Give a list of ids.")})
        text = str(raw).strip()
        if not text.isdigit() or len(text) > 18 or int(text) < 1:
            raise ValidationError({field: _("Give a list of ids.")})
        if int(text) not in out:
            out.append(int(text))
    if len(out) > limit:
        raise ValidationError({field: _("At most %(n)s.") % {"n": limit}})
    return out


def _problem(actor: Any, problem_id: Any) -> Ticket:
    """Return the problem ticket the actor may see.

    Raises:
        Ticket.DoesNotExist: no such problem, or the actor may not see it.
    """
    found = (
        Ticket.objects.visible_to(actor)
        .filter(pk=_ids([problem_id], "problem", 1)[0], kind=Kind.PROBLEM)
        .select_related("state", "organisation")
        .first()
    )
    if found is None:
        raise Ticket.DoesNotExist(_("No such problem, or you may not see it."))
    return found


def _ticket_of_kind(actor: Any, value: Any, kind: str, field: str, message: str) -> Ticket:
    try:
        pk = _ids([value], field, 1)[0]
    except ValidationError:
        raise ValidationError({field: message}) from None
    found = Ticket.objects.visible_to(actor).filter(pk=pk, kind=kind).first()
    if found is None:
        raise ValidationError({field: message})
    return found


def _organisation(actor: Any, value: Any) -> Organisation:
    message = _("No such organisation, or you may not see it.")
    try:
        pk = _ids([value], "organisation", 1)[0]
    except ValidationError:
        raise ValidationError({"organisation": message}) from None
    found = Organisation.objects.visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"organisation": message})
    return found


def _require_worker(actor: Any, ticket: Ticket | int) -> None:
    if not tickets.is_worker(actor, ticket):
        raise PermissionDenied(_("You do not have permission to do this."))


def _first_moved(ticket: Ticket) -> dt.datetime:
    """When a problem last moved before problem management looked at it: its state or a person's note."""
    latest = (
        Comment.objects.filter(ticket=ticket, author__isnull=False).aggregate(at=Max("created_at"))["at"]
        or ticket.state_changed_at
    )
    return max(latest, ticket.state_changed_at)


def ensure_record(ticket_id: int) -> ProblemRecord:
    """Return the details row of a problem ticket, creating it (empty, audited) when missing.

    Problems recorded by the desk, the API or an improvement decision get their row here, from
    the ticket-created event or on first use; concurrent callers get the same row.

    Raises:
        Ticket.DoesNotExist: no problem ticket with this id.
    """
    found = ProblemRecord.objects.filter(pk=ticket_id).first()
    if found is not None:
        return found
    ticket = Ticket.objects.get(pk=ticket_id, kind=Kind.PROBLEM)
    try:
        with transaction.atomic():
            return create_record(
                ProblemRecord,
                actor=None,
                data={"ticket": ticket, "last_moved_at": _first_moved(ticket)},
                check=False,
                meta={"version": 1},
            )
    except (IntegrityError, ValidationError):  # created meanwhile by another writer
        return ProblemRecord.objects.get(pk=ticket_id)


def note_movement(ticket_id: int, *, at: dt.datetime | None = None) -> bool:
    """Record that a problem moved at ``at`` (a state change, an edit, a person's work note).

    Bookkeeping for the reminders and the debt list, not audited (the change itself is). Events
    may arrive out of order, so the latest moment wins. Returns False for tickets that are not
    problems.
    """
    at = at or timezone.now()
    if not Ticket.objects.filter(pk=ticket_id, kind=Kind.PROBLEM).exists():
        return False
    with transaction.atomic():
        ensure_record(ticket_id)
        ProblemRecord.objects.filter(pk=ticket_id, last_moved_at__lt=at).update(last_moved_at=at)
    return True


def changes_since(record: ProblemRecord, version: int) -> list[dict[str, Any]]:
    """Return what happened to a problem's details after ``version`` (for the conflict answer)."""
    return audit.changes_since(record, version)


def _person(actor: Any, value: Any) -> Person | None:
    if value in (None, ""):
        return None
    message = _("No such person, or you may not see them.")
    try:
        pk = _ids([value], "owner", 1)[0]
    except ValidationError:
        raise ValidationError({"owner": message}) from None
    person = Person.objects.visible_to(actor).filter(pk=pk, is_active=True).first()
    if person is None:
        raise ValidationError({"owner": message})
    return person


def _clean_details(actor: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the types of problem details and look the owner up (only people the actor may see)."""
    unknown = sorted(set(values) - DETAIL_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "owner":
            out[name] = _person(actor, value)
        elif name in ("root_cause", "workaround", "development_ref"):
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ValidationError({name: _("Give a text.")})
            limit = MAX_TEXT if name != "development_ref" else 200
            if len(value) > limit:
                raise ValidationError({name: _("At most %(n)s characters.") % {"n": limit}})
            out[name] = value.strip()
        elif name == "shared_with_development":
            if not isinstance(value, bool):
                raise ValidationError({name: _("Give true or false.")})
            out[name] = value
        else:  # rank
            if value in (None, ""):
                out[name] = None
            elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_RANK:
                raise ValidationError({name: _("The rank is 1 to 1,000,000.")})
            else:
                out[name] = value
    return out


# -- problems ----------------------------------------------------------------------------------


def _common_service(incidents: list[Ticket]) -> Service | None:
    counted = Counter(i.service_id for i in incidents if i.service_id is not None)
    if not counted:
        return None
    service_id = counted.most_common(1)[0][0]
    return next(i.service for i in incidents if i.service_id == service_id)


def _description(incidents: list[Ticket]) -> str:
    if not incidents:
        return ""
    lines = [_("Recorded from these incidents:")]
    lines += [f"- {i.number} {i.title}" for i in incidents]
    return "\n".join(lines)


def create_problem(
    *,
    actor: Any,
    incidents: Iterable[Any] = (),
    data: Mapping[str, Any],
    cis: Iterable[Any] | None = None,
    channel: str = Channel.API,
) -> Ticket:
    """Record a problem from incidents (or a trend, without any) with its details, in one transaction.

    Each incident is linked as "is caused by" the problem. Unless given, the organisation is the
    first incident's, the service the one most of them name and the CIs theirs (those the actor
    may see). ``data`` holds the ticket's fields (title, description, service, team, assignee,
    impact, urgency) and the details (owner, root cause, workaround, shared with development,
    development reference, rank).

    Raises:
        ValidationError: an incident the actor may not see (another organisation's), bad values.
        PermissionDenied: the actor does not work tickets of that organisation.
    """
    values = dict(data)
    details = {k: values.pop(k) for k in list(values) if k in DETAIL_FIELDS}
    unknown = sorted(set(values) - TICKET_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    ids = _ids(incidents, "incidents", MAX_INCIDENTS)
    title = values.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValidationError({"title": _("Name the problem.")})
    with tickets.writing():
        found = {
            t.pk: t
            for t in Ticket.objects.visible_to(actor)
            .filter(pk__in=ids, kind=Kind.INCIDENT)
            .select_related("organisation", "service")
        }
        if len(found) != len(ids):
            raise ValidationError({"incidents": _("No such incident, or you may not see it.")})
        rows = [found[pk] for pk in ids]
        if values.get("organisation") in (None, ""):
            if not rows:
                raise ValidationError({"organisation": _("Choose the organisation.")})
            values["organisation"] = rows[0].organisation
        if "service" not in values:
            values["service"] = _common_service(rows)
        if not str(values.get("description") or "").strip():
            values["description"] = _description(rows)
        values["organisation"] = _organisation(actor, values["organisation"])
        _require_worker(actor, values["organisation"].pk)
        cleaned = _clean_details(actor, details)
        if cis is None:
            ci_ids = sorted({pk for t in rows for pk in t.cis.values_list("pk", flat=True)})
            cis = list(
                ConfigurationItem.objects.visible_to(actor).filter(pk__in=ci_ids).order_by("pk")[:MAX_SCOPE]
            )
        ticket = tickets.create_ticket(
            actor=actor, kind=Kind.PROBLEM, data={**values, "channel": channel}, cis=cis
        )
        for incident in rows:
            tickets.link_tickets(actor=actor, from_ticket=incident, to_ticket=ticket, kind=LinkKind.CAUSED_BY)
        create_record(
            ProblemRecord,
            actor=actor,
            data={"ticket": ticket, "last_moved_at": timezone.now(), **cleaned},
            meta={"version": 1},
        )
    return ticket


def update_details(
    problem_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> ProblemRecord:
    """Change a problem's details (owner, root cause, workaround, sharing, rank) if ``version`` is current.

    Raises:
        Ticket.DoesNotExist: no such problem, or the actor may not see it.
        PermissionDenied: the actor may not change problems of its organisation.
        ConflictError: someone changed the details since ``version`` (lists what they changed).
        ValidationError: unknown fields or bad values.
    """
    with transaction.atomic():
        ticket = _problem(actor, problem_id)
        ensure_record(ticket.pk)
        record = (
            ProblemRecord.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=ticket.pk)
        )
        if not access.can(actor, "change", ProblemRecord, obj=record):
            raise PermissionDenied(_("You do not have permission to do this."))
        if version is not None and record.version != version:
            raise ConflictError(
                current_version=record.version, sent_version=version, changes=changes_since(record, version)
            )
        cleaned = _clean_details(actor, changes)
        before = record.version
        saved = update_record(
            ProblemRecord,
            record.pk,
            actor=actor,
            changes=cleaned,
            expected_version=version,
            meta={"version": before + 1},
        )
        if saved.version != before:
            now = timezone.now()
            ProblemRecord.objects.filter(pk=saved.pk).update(last_moved_at=now)
            saved.last_moved_at = now
            events.emit(
                ProblemDetailsChanged(ticket_id=ticket.pk, number=ticket.number, fields=sorted(cleaned))
            )
    return saved


def link_fix(problem_id: int, *, actor: Any, change: Ticket | int) -> TicketLink:
    """Record that a change fixes the problem (the problem "is fixed by" the change); idempotent.

    Raises:
        Ticket.DoesNotExist: no such problem, or the actor may not see it.
        ValidationError: no such change, or the actor may not see it.
        PermissionDenied: the actor does not work tickets of the problem's organisation.
    """
    with tickets.writing():
        problem = _problem(actor, problem_id)
        _require_worker(actor, problem)
        target = _ticket_of_kind(
            actor, change, Kind.CHANGE, "change", _("No such change, or you may not see it.")
        )
        existing = TicketLink.objects.filter(
            from_ticket=problem, to_ticket=target, kind=LinkKind.FIXED_BY
        ).first()
        if existing is not None:
            return existing
        link = tickets.link_tickets(
            actor=actor, from_ticket=problem, to_ticket=target, kind=LinkKind.FIXED_BY
        )
        note_movement(problem.pk)
    return link


def link_incident(problem_id: int, *, actor: Any, incident: Ticket | int) -> TicketLink:
    """Link an incident to the problem that causes it (the incident "is caused by" it); idempotent.

    Raises:
        Ticket.DoesNotExist: no such problem, or the actor may not see it.
        ValidationError: no such incident, or the actor may not see it.
        PermissionDenied: the actor does not work tickets of the incident's organisation.
    """
    with tickets.writing():
        problem = _problem(actor, problem_id)
        source = _ticket_of_kind(
            actor, incident, Kind.INCIDENT, "incident", _("No such incident, or you may not see it.")
        )
        _require_worker(actor, source)
        existing = TicketLink.objects.filter(
            from_ticket=source, to_ticket=problem, kind=LinkKind.CAUSED_BY
        ).first()
        if existing is not None:
            return existing
        return tickets.link_tickets(
            actor=actor, from_ticket=source, to_ticket=problem, kind=LinkKind.CAUSED_BY
        )


# -- known errors ------------------------------------------------------------------------------


def _known_error_values(actor: Any, values: dict[str, Any], current: KnownError | None) -> dict[str, Any]:
    """Check the problem (visible, a problem, same organisation) and compute the search text."""
    unknown = sorted(set(values) - KNOWN_ERROR_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(unknown)}
        )
    if values.get("problem") not in (None, ""):
        values["problem"] = _ticket_of_kind(
            actor, values["problem"], Kind.PROBLEM, "problem", _("No such problem, or you may not see it.")
        )
    elif "problem" in values:
        values["problem"] = None
    problem = values.get("problem", current.problem if current else None)
    organisation = values.get("organisation", current.organisation if current else None)
    if problem is not None and organisation is None:
        values["organisation"] = organisation = problem.organisation
    if organisation in (None, ""):
        raise ValidationError({"organisation": _("Choose the organisation.")})
    org_id = getattr(organisation, "pk", organisation)
    if problem is not None and org_id != problem.organisation_id:
        raise ValidationError({"problem": _("Choose a problem of the known error's organisation.")})
    texts = {}
    for name in ("title", "symptoms", "root_cause", "workaround", "keywords"):
        value = values.get(name, getattr(current, name, "") if current else "")
        if value is None:
            value = values[name] = ""
        if not isinstance(value, str):
            raise ValidationError({name: _("Give a text.")})
        texts[name] = value
    values["search_text"] = policies.search_text(*texts.values())
    return values


def _set_scope(known_error: KnownError, actor: Any, services: Any, cis: Any) -> bool:
    """Replace the services and CIs given (None keeps them); audit and return whether they changed."""
    changes: dict[str, list[list[int]]] = {}
    for name, model, values in (("services", Service, services), ("cis", ConfigurationItem, cis)):
        if values is None:
            continue
        ids = _ids(values, name, MAX_SCOPE)
        rows = list(model.objects.visible_to(actor).filter(pk__in=ids))
        if len(rows) != len(ids):
            raise ValidationError({name: _("No such record, or you may not see it.")})
        manager = getattr(known_error, name)
        before = sorted(manager.values_list("pk", flat=True))
        if before != sorted(ids):
            manager.set(rows)
            changes[name] = [before, sorted(ids)]
    if changes:
        audit.record(known_error, action="set_scope", changes=changes)
    return bool(changes)


def create_known_error(
    *, actor: Any, data: Mapping[str, Any], services: Iterable[Any] = (), cis: Iterable[Any] = ()
) -> KnownError:
    """Record a known error (a draft; :func:`publish_known_error` makes agents see it on incidents).

    The organisation defaults to the problem's; the number is the next ``KE-nnnnnn``.

    Raises:
        ValidationError: bad values, a problem the actor may not see or of another organisation.
        PermissionDenied: the actor may not record known errors in that organisation.
    """
    with transaction.atomic():
        values = _known_error_values(actor, dict(data), None)
        known_error = create_record(
            KnownError,
            actor=actor,
            data={
                **values,
                "number": sequences.next_number(KNOWN_ERROR_SEQUENCE, "KE"),
                "state": KnownErrorState.DRAFT,
            },
        )
        _set_scope(known_error, actor, list(services), list(cis))
        if known_error.problem_id is not None:
            note_movement(known_error.problem_id)
    return known_error


def update_known_error(
    known_error_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    services: Iterable[Any] | None = None,
    cis: Iterable[Any] | None = None,
) -> KnownError:
    """Change a known error and, when given, its services and CIs (None keeps them).

    Raises:
        KnownError.DoesNotExist: no such known error.
        ConflictError: someone changed it since ``version``.
        PermissionDenied: the actor may not change it.
        ValidationError: bad values.
    """
    with transaction.atomic():
        current = (
            KnownError.objects.select_for_update(of=("self",))
            .select_related("problem", "organisation")
            .get(pk=known_error_id)
        )
        values = _known_error_values(actor, dict(changes), current)
        saved = update_record(
            KnownError, known_error_id, actor=actor, changes=values, expected_version=version
        )
        scoped = _set_scope(
            saved, actor, None if services is None else list(services), None if cis is None else list(cis)
        )
        if scoped and saved.version == current.version:  # only the scope changed: still a new version
            KnownError.objects.filter(pk=saved.pk).update(version=F("version") + 1)
            saved.version += 1
        if saved.problem_id is not None and (scoped or saved.version != current.version):
            note_movement(saved.problem_id)
    return saved


def publish_known_error(known_error_id: int, *, actor: Any, version: int | None) -> KnownError:
    """Publish a known error: agents get it suggested on matching incidents.

    It needs a workaround (what the front line does meanwhile; "none" is an answer). A problem
    still new or under investigation moves to "known error" when its workflow lets the actor.

    Raises:
        ValidationError: no workaround, or already published.
        ConflictError: stale ``version``.
        PermissionDenied: the actor may not change it.
    """
    with tickets.writing():
        current = KnownError.objects.select_for_update().get(pk=known_error_id)
        if current.state == KnownErrorState.PUBLISHED:
            raise ValidationError(_("This known error is already published."))
        if not current.workaround.strip():
            raise ValidationError({"workaround": _("Describe the workaround before publishing.")})
        saved = update_record(
            KnownError,
            known_error_id,
            actor=actor,
            changes={"state": KnownErrorState.PUBLISHED, "published_at": timezone.now(), "retired_at": None},
            expected_version=version,
            action="publish",
        )
        if saved.problem_id is not None:
            _mark_known_error(saved, actor)
            note_movement(saved.problem_id)
        events.emit(
            KnownErrorPublished(known_error_id=saved.pk, number=saved.number, problem_id=saved.problem_id)
        )
    return saved


def _mark_known_error(known_error: KnownError, actor: Any) -> None:
    """Move the problem to its "known error" state if that action applies for the actor now."""
    try:
        with transaction.atomic():
            problem = tickets.lock_for_change(int(known_error.problem_id or 0), actor=actor)
            if "known_error" not in tickets.allowed_actions(problem, actor):
                return
            comment = _("Known error %(number)s published: %(title)s") % {
                "number": known_error.number,
                "title": known_error.title,
            }
            tickets.transition(problem, "known_error", actor=actor, params={"comment": comment}, system=False)
    except (Ticket.DoesNotExist, PermissionDenied, ActionNotAllowed, ValidationError):
        return


def retire_known_error(
    known_error_id: int, *, actor: Any, version: int | None, reason: str = ""
) -> KnownError:
    """Retire a known error that no longer applies (the fix is in): it is no longer suggested.

    Raises:
        ValidationError: already retired.
        ConflictError: stale ``version``.
        PermissionDenied: the actor may not change it.
    """
    reason = str(reason or "").strip()[:1000]
    with transaction.atomic():
        current = KnownError.objects.select_for_update().get(pk=known_error_id)
        if current.state == KnownErrorState.RETIRED:
            raise ValidationError(_("This known error is already retired."))
        saved = update_record(
            KnownError,
            known_error_id,
            actor=actor,
            changes={"state": KnownErrorState.RETIRED, "retired_at": timezone.now()},
            expected_version=version,
            action="retire",
            meta={"reason": reason} if reason else None,
        )
        if saved.problem_id is not None:
            note_movement(saved.problem_id)
    return saved


def delete_known_error(known_error_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a known error (managers; normally it is retired instead)."""
    delete_record(KnownError, known_error_id, actor=actor, expected_version=version)


# -- reminders ---------------------------------------------------------------------------------


def reminder_days() -> int:
    """Return the configured reminder threshold in days (``KAIZEN_PROBLEM_REMINDER_DAYS``; 0: off)."""
    return max(0, int(getattr(settings, "PROBLEM_REMINDER_DAYS", 0)))


def remind_stale(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Remind the owners of open problems that have not moved for ``days`` (the periodic job).

    Each reminder is an internal work note on the problem, an audit row on it and a mail to the
    owner (the assignee, or the team, when the problem has no owner). A problem is reminded at
    most once per period: again only when it still has not moved ``days`` after the last
    reminder. Returns how many problems were reminded.
    """
    now = now or timezone.now()
    days = reminder_days() if days is None else days
    if days <= 0:
        return 0
    open_problems = Ticket.objects.filter(kind=Kind.PROBLEM, state_category__in=ACTIVE_CATEGORIES)
    for pk in list(
        open_problems.filter(problem_record__isnull=True).values_list("pk", flat=True)[:REMINDER_BATCH]
    ):
        ensure_record(pk)
    cutoff = now - dt.timedelta(days=days)
    due = list(
        ProblemRecord.objects.filter(ticket__in=open_problems, last_moved_at__lte=cutoff)
        .filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff))
        .order_by("last_moved_at")
        .values_list("pk", flat=True)[:REMINDER_BATCH]
    )
    return sum(1 for pk in due if _remind(pk, now=now, days=days))


def _remind(ticket_id: int, *, now: dt.datetime, days: int) -> bool:
    with tickets.writing():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("state").get(pk=ticket_id)
        record = (
            ProblemRecord.objects.select_for_update(of=("self",)).select_related("owner").get(pk=ticket_id)
        )
        if ticket.state_category not in ACTIVE_CATEGORIES or not policies.is_due(
            last_moved_at=record.last_moved_at, reminded_at=record.reminded_at, now=now, days=days
        ):
            return False
        ProblemRecord.objects.filter(pk=ticket_id).update(reminded_at=now)
        since = timezone.localtime(record.last_moved_at).strftime("%Y-%m-%d %H:%M")
        owner = record.owner
        text = _(
            "Reminder: this problem has not moved for %(days)s days (last moved %(since)s). "
            "Owner: %(owner)s. Record what happened, change its state or update its details."
        ) % {"days": days, "since": since, "owner": owner or _("nobody")}
        tickets.add_system_note(ticket, body=text, label=_("Problem reminders"))
        audit.record(
            ticket,
            action="problem_reminder",
            meta={
                "days": days,
                "last_moved_at": record.last_moved_at.isoformat(),
                "owner": str(owner) if owner else "",
                "version": ticket.version,
            },
        )
        events.emit(
            ProblemReminderDue(
                ticket_id=ticket.pk,
                number=ticket.number,
                days=days,
                last_moved_at=record.last_moved_at.isoformat(),
                owner_id=owner.pk if owner else None,
            )
        )
    return True
