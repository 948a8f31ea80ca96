"""Every write of service level management: calendars and their revisions, agreement matching, clocks.

Calendars: each create or update appends a :class:`CalendarRevision` valid from that moment, so a
running clock counts the old hours before the edit and the new ones after it.

Tickets: ``tickets.history`` calls :func:`ticket_changed` inside the ticket's transaction whenever
its state, priority, team, assignee, service, organisation or kind changed (or the desk replied in
public). It matches the agreements again (recording a change of agreement with the moment and the
reason), recomputes the clocks from the state history, stores the next due time for the queues and,
once a ticket stops, the measured results the reports aggregate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.core import audit, events
from kaizen.core.services import create_record, delete_record, update_record
from kaizen.tickets import history
from kaizen.tickets import services as tickets
from kaizen.tickets.models import Ticket

from . import calendars, clocks, ics, policies, queries
from .choices import AgreementKind
from .events import AgreementChanged
from .models import Agreement, BusinessCalendar, CalendarRevision, ClockResult, TicketAgreement

# -- calendars ---------------------------------------------------------------------------------


def _check_definition(definition: Any) -> dict[str, Any]:
    if not isinstance(definition, Mapping):
        raise ValidationError({"definition": _("The calendar definition must be an object.")})
    merged = {**calendars.DEFAULT_DEFINITION, **definition}
    errors = calendars.definition_errors(merged)
    if errors:
        raise ValidationError(errors)
    return merged


def create_calendar(*, actor: Any, data: Mapping[str, Any], check: bool = True) -> BusinessCalendar:
    """Create a business calendar and its first revision (valid from the beginning).

    Raises:
        ValidationError: an invalid definition (overlapping ranges, unknown time zone, ...).
        PermissionDenied: the actor may not configure calendars.
    """
    values = dict(data)
    values["definition"] = _check_definition(values.get("definition", {}))
    with transaction.atomic():
        calendar = create_record(BusinessCalendar, actor=actor, data=values, check=check)
        CalendarRevision.objects.create(
            calendar=calendar,
            valid_from=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
            definition=calendar.definition,
        )
        if calendar.is_default:
            BusinessCalendar.objects.exclude(pk=calendar.pk).filter(is_default=True).update(is_default=False)
    return calendar


def update_calendar(
    calendar_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> BusinessCalendar:
    """Change a calendar; a new definition holds from now on (running clocks keep the past as it was).

    Raises:
        ValidationError: an invalid definition.
        ConflictError: someone changed the calendar since ``version``.
        PermissionDenied: the actor may not configure calendars.
    """
    values = dict(changes)
    if "definition" in values:
        values["definition"] = _check_definition(values["definition"])
    with transaction.atomic():
        before = BusinessCalendar.objects.get(pk=calendar_id).definition
        calendar = update_record(
            BusinessCalendar, calendar_id, actor=actor, changes=values, expected_version=version
        )
        if calendar.definition != before:
            now = timezone.now()
            CalendarRevision.objects.filter(calendar=calendar, valid_from__gte=now).delete()
            CalendarRevision.objects.create(calendar=calendar, valid_from=now, definition=calendar.definition)
        if calendar.is_default:
            BusinessCalendar.objects.exclude(pk=calendar.pk).filter(is_default=True).update(is_default=False)
    return calendar


def delete_calendar(calendar_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a calendar no agreement uses.

    Raises:
        ValidationError: an agreement still counts in this calendar.
    """
    if Agreement.objects.filter(calendar_id=calendar_id).exists():
        raise ValidationError(_("Agreements use this calendar; choose another calendar for them first."))
    delete_record(BusinessCalendar, calendar_id, actor=actor, expected_version=version)


def import_ics(
    calendar_id: int, *, actor: Any, data: bytes, version: int | None
) -> tuple[BusinessCalendar, ics.Imported]:
    """Add the closed days and closures of an iCalendar file to a calendar (from now on).

    Raises:
        ValidationError: the file cannot be read, has too many events, or the result is invalid.
    """
    calendar = BusinessCalendar.objects.get(pk=calendar_id)
    definition = dict(calendar.definition)
    try:
        imported = ics.parse_ics(data, time_zone=definition.get("time_zone", "Asia/Tokyo"))
    except ics.IcsError as exc:
        raise ValidationError({"file": str(exc)}) from exc
    dates = sorted({*definition.get("closed_dates", []), *(d.isoformat() for d in imported.closed_dates)})
    known = {(c["start"], c["end"]) for c in definition.get("closures", [])}
    closures = [*definition.get("closures", [])]
    closures += [c for c in imported.closures if (c["start"], c["end"]) not in known]
    definition.update(closed_dates=dates, closures=closures)
    updated = update_calendar(calendar_id, actor=actor, changes={"definition": definition}, version=version)
    return updated, imported


# -- tickets: agreements, clocks, results ------------------------------------------------------


MATCH_FIELDS = frozenset({"service_id", "organisation_id", "kind", "priority", "team_id"})


def _ancestors(organisation_id: int) -> list[int]:
    """Return the organisation and its parents (an SLA with a parent company covers its subsidiaries)."""
    from kaizen.accounts.models import Organisation

    chain, current = [organisation_id], organisation_id
    for _depth in range(20):
        parent = Organisation.objects.filter(pk=current).values_list("parent_id", flat=True).first()
        if parent is None or parent in chain:
            break
        chain.append(parent)
        current = parent
    return chain


def _current(ticket: Ticket) -> dict[str, TicketAgreement]:
    return {ta.kind: ta for ta in TicketAgreement.objects.filter(ticket=ticket, until__isnull=True)}


def _switch(
    ticket: Ticket,
    kind: str,
    held: TicketAgreement | None,
    agreement: Agreement | None,
    why: str,
    now: dt.datetime,
) -> None:
    """End the agreement ``held`` (if any), start ``agreement`` (if any) and audit the change."""
    if held is not None:
        TicketAgreement.objects.filter(pk=held.pk).update(until=now)
    if agreement is not None:
        TicketAgreement.objects.create(
            ticket=ticket, agreement=agreement, kind=kind, since=now, reason=why[:300]
        )
    audit.record(
        ticket,
        action="agreement",
        changes={kind: [held.agreement_id if held else None, agreement.pk if agreement else None]},
        meta={"reason": why, "version": ticket.version},
    )


def rematch(
    ticket: Ticket, *, now: dt.datetime | None = None, reason: str = "", new: bool = False
) -> dict[str, Agreement | None]:
    """Match the ticket's agreements again and record every change (inside the ticket's transaction).

    ``new``: the ticket was created in this transaction (it holds no agreement yet).
    """
    now = now or timezone.now()
    agreements = queries.active_agreements()
    if any(a.customer_id is not None for a in agreements):
        ticket._customer_chain = _ancestors(ticket.organisation_id)  # type: ignore[attr-defined]
    chosen = policies.match(agreements, ticket)
    current = {} if new else _current(ticket)
    for kind in AgreementKind.values:
        agreement = chosen.get(kind)
        held = current.get(kind)
        if (held.agreement_id if held else None) == (agreement.pk if agreement else None):
            continue
        why = reason or (policies.why(agreement, ticket) if agreement is not None else "")
        _switch(ticket, kind, held, agreement, why, now)
        events.emit(
            AgreementChanged(
                ticket_id=ticket.pk,
                kind=kind,
                agreement_id=agreement.pk if agreement else None,
                previous_id=held.agreement_id if held else None,
            )
        )
    return chosen


def refresh(ticket: Ticket, *, now: dt.datetime | None = None) -> list[queries.TicketClock]:
    """Recompute the ticket's clocks, store the next due time and, once stopped, the results."""
    now = now or timezone.now()
    found = queries.ticket_clocks([ticket.pk], now=now).get(ticket.pk, [])
    due, state, breached = policies.projection(found, breached=ticket.sla_breached)
    if (due, state, breached) != (ticket.sla_due_at, ticket.sla_state, ticket.sla_breached):
        tickets.set_service_level(ticket, due_at=due, state=state, breached=breached)
    _store_results(ticket, found)
    return found


def _store_results(ticket: Ticket, found: list[queries.TicketClock]) -> None:
    stopped = ticket.state_category in clocks.STOPPED
    if not found:
        return
    if not stopped:
        if ticket.reopen_count:
            ClockResult.objects.filter(ticket=ticket).delete()  # reopened: measured again when it stops
        return
    keep = []
    for item in found:
        clock = item.clock
        if clock.stopped_at is None or clock.state not in (clocks.MET, clocks.BREACHED):
            continue
        local = clock.stopped_at.astimezone(item.zone)
        values = {
            "month": local.date().replace(day=1),
            "stopped_at": clock.stopped_at,
            "target_seconds": int(clock.target.total_seconds()),
            "elapsed_seconds": int(clock.elapsed.total_seconds()),
            "met": clock.state == clocks.MET,
            "service_id": ticket.service_id,
            "customer_id": ticket.organisation_id,
            "priority": ticket.priority,
            "ticket_kind": ticket.kind,
        }
        row, _created = ClockResult.objects.update_or_create(
            ticket=ticket, agreement_id=item.agreement_id, metric=clock.metric, defaults=values
        )
        keep.append(row.pk)
    ClockResult.objects.filter(ticket=ticket).exclude(pk__in=keep).delete()


@history.on_change
def ticket_changed(ticket: Ticket, changed: frozenset[str]) -> None:
    """Keep a ticket's agreements and clocks current after a change (called by the ticket core)."""
    new = history.CREATED in changed
    chosen = rematch(ticket, new=new) if changed & MATCH_FIELDS else None
    if new and not chosen:
        return  # nothing applies to a new ticket: no clocks to keep
    refresh(ticket)


def assign_agreement(ticket_id: int, *, actor: Any, agreement_id: int, reason: str) -> Ticket:
    """Put a ticket under a chosen agreement by hand (recorded with the reason; rules may change it later).

    Raises:
        ValidationError: no reason, or an inactive agreement.
        PermissionDenied: the actor may not change the ticket.
    """
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this agreement applies.")})
    with tickets.writing():
        ticket = tickets.lock_for_change(ticket_id, actor=actor)
        agreement = Agreement.objects.filter(pk=agreement_id, is_active=True).first()
        if agreement is None:
            raise ValidationError({"agreement": _("No such active agreement.")})
        now = timezone.now()
        held = _current(ticket).get(agreement.kind)
        if held is None or held.agreement_id != agreement.pk:
            _switch(ticket, agreement.kind, held, agreement, reason, now)
        refresh(ticket, now=now)
    return ticket


# -- tiers, agreements, outages ----------------------------------------------------------------

M2M = ("pause_states", "supplier_states")


def _set_m2m(agreement: Agreement, values: Mapping[str, Any]) -> None:
    for name in M2M:
        if name not in values:
            continue
        manager = getattr(agreement, name)
        before = sorted(manager.values_list("pk", flat=True))
        manager.set(values[name])
        after = sorted(manager.values_list("pk", flat=True))
        if before != after:
            audit.record(agreement, action="update", changes={name: [before, after]})


def create_agreement(*, actor: Any, data: Mapping[str, Any]) -> Agreement:
    """Create an SLA, OLA or underpinning contract; it applies to tickets recorded or changed from now on.

    Raises:
        ValidationError: it could never apply (no target for its priorities), bad targets or steps.
        PermissionDenied: the actor may not configure agreements.
    """
    values = dict(data)
    m2m = {k: values.pop(k) for k in M2M if k in values}
    if not values.get("calendar"):
        values["calendar"] = BusinessCalendar.objects.filter(is_default=True).first()
    values.setdefault("ticket_kinds", ["incident", "request"])
    values.setdefault("warn_at", [75, 90])
    with transaction.atomic():
        agreement = create_record(Agreement, actor=actor, data=values)
        _set_m2m(agreement, m2m)
    return agreement


def update_agreement(
    agreement_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Agreement:
    """Change an agreement; clocks of open tickets under it are recomputed with the new terms.

    Raises:
        ValidationError: invalid terms.
        ConflictError: someone changed it since ``version``.
    """
    values = dict(changes)
    m2m = {k: values.pop(k) for k in M2M if k in values}
    with transaction.atomic():
        agreement = update_record(
            Agreement, agreement_id, actor=actor, changes=values, expected_version=version
        )
        _set_m2m(agreement, m2m)
    return agreement


def delete_agreement(agreement_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete an agreement no ticket was measured against; otherwise deactivate it instead.

    Raises:
        ValidationError: tickets were measured against it (keep it for the reports, set it inactive).
    """
    if TicketAgreement.objects.filter(agreement_id=agreement_id).exists():
        raise ValidationError(
            _("Tickets were measured against this agreement; make it inactive so the reports keep it.")
        )
    delete_record(Agreement, agreement_id, actor=actor, expected_version=version)


def record_services(model: Any) -> tuple[Any, Any, Any]:
    """Return create, update and delete services for tiers and outages (authorised, validated, audited)."""
    return tickets.configuration_services(model)
