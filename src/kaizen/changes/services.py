"""Every write of change enablement: raise a change, edit it, review it; boards, templates, windows.

A change is a ticket of kind ``change`` plus its :class:`~kaizen.changes.models.Change` record.
Edits of the record give the ticket a new version (``tickets.services.touch``), so two people
editing one change conflict (409) whichever part they edit. State changes go through the ticket
workflow (``POST /api/v1/changes/{id}/actions/<code>/``); this module reacts to them: a
submitted change gets its CAB (or ECAB) round of approvals, a decided round schedules or rejects
it, implementation records its actual times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.approvals import services as approvals
from kaizen.core import audit
from kaizen.core.services import create_record, delete_record, update_record
from kaizen.tickets import services as tickets
from kaizen.tickets import workflow as ticket_workflow
from kaizen.tickets.choices import FINAL_CATEGORIES, Channel, Kind, LinkKind, StateCategory
from kaizen.tickets.models import Ticket, TicketLink

from . import policies, schedule
from .choices import ChangeType, ReviewOutcome
from .models import MAX_PLAN, Change, ChangeBoard, ChangeTemplate, ChangeWindow
from .workflow import PLAN_FIELDS, change_of

CHANGE_FIELDS = frozenset(
    {
        "change_type",
        "reason",
        "risk_answers",
        *PLAN_FIELDS,
        "planned_start",
        "planned_end",
    }
)
"""Fields of the change record a caller may set (the template only when raising)."""
APPROVED_LOCK = frozenset(
    {"change_type", "risk_answers", "planned_start", "planned_end", "implementation_plan", "backout_plan"}
)
"""What an approved (or waiting) normal change may not change without being sent back for rework."""
EMERGENCY_LOCK = frozenset({"change_type", "planned_start", "planned_end"})
"""Emergencies complete their documentation after approval; their type and window stay."""
CAUSED_WINDOW = dt.timedelta(hours=72)
"""An incident on an affected CI starting this long after a change's implementation is linked to it."""


def _text(value: Any, field: str, limit: int = MAX_PLAN) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Expected text.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": limit}})
    return value.strip()


def _datetime(value: Any, field: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        from django.utils.dateparse import parse_datetime

        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError({field: _("Enter a date and time (ISO 8601).")})
        value = parsed
    if not isinstance(value, dt.datetime):
        raise ValidationError({field: _("Enter a date and time (ISO 8601).")})
    moment: dt.datetime = timezone.make_aware(value) if timezone.is_naive(value) else value
    return moment


def _clean_fields(values: Mapping[str, Any], impact: int) -> dict[str, Any]:
    """Validate change fields given by a caller; computes the risk score and level from the answers."""
    unknown = sorted(set(values) - CHANGE_FIELDS)
    if unknown:
        raise ValidationError({k[:50]: _("Unknown field.") for k in unknown})
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "change_type":
            if value not in ChangeType.values:
                raise ValidationError({"change_type": _("Choose standard, normal or emergency.")})
            out[key] = value
        elif key in ("planned_start", "planned_end"):
            out[key] = _datetime(value, key)
        elif key == "risk_answers":
            if value in (None, {}):
                out.update(risk_answers={}, risk_score=None, risk_level="")
                continue
            errors = policies.check_answers(value)
            if errors:
                raise ValidationError({f"risk_answers.{k}": v for k, v in errors.items()})
            points = policies.score(value)
            out.update(risk_answers=dict(value), risk_score=points, risk_level=policies.level(points, impact))
        else:
            out[key] = _text(value, key)
    return out


def _check_window(change: Change) -> None:
    errors = policies.check_window(change.planned_start, change.planned_end)
    if errors:
        raise ValidationError(errors)


def _visible_template(actor: Any, template: Any) -> ChangeTemplate:
    pk = template.pk if isinstance(template, ChangeTemplate) else template
    if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit():
        raise ValidationError({"template": _("No such standard change template.")})
    found = ChangeTemplate.objects.visible_to(actor).filter(pk=int(pk), is_active=True).first()
    if found is None:
        raise ValidationError(
            {"template": _("The standard change template no longer exists or was withdrawn.")}
        )
    return found


def raise_change(
    *,
    actor: Any,
    data: Mapping[str, Any],
    change: Mapping[str, Any] | None = None,
    cis: Iterable[Any] = (),
    tags: Iterable[str] = (),
    template: ChangeTemplate | int | None = None,
) -> Ticket:
    """Record a request for change (RFC): the ticket and its change record, in one transaction.

    ``template``: a standard change template (the change becomes standard, its plans come from the
    template). Impact is computed from the affected CIs in the CMDB as for incidents.

    Raises:
        ValidationError: unknown or invalid fields, a withdrawn template, a standard change
            without template, a window ending before it starts.
        PermissionDenied: the actor may not record changes for the organisation.
    """
    values = dict(change or {})
    data = dict(data)
    with tickets.writing():
        chosen = _visible_template(actor, template) if template is not None else None
        if chosen is not None:
            values.setdefault("change_type", ChangeType.STANDARD)
            if values["change_type"] != ChangeType.STANDARD:
                raise ValidationError({"change_type": _("A change from a template is a standard change.")})
            for key in PLAN_FIELDS:
                if not str(values.get(key) or "").strip():
                    values[key] = getattr(chosen, key)
            values.setdefault("reason", chosen.description)
            if not data.get("title"):
                data["title"] = chosen.label()[:200]
            if chosen.service_id and not data.get("service"):
                data["service"] = chosen.service_id
            if chosen.team_id and not data.get("team"):
                data["team"] = chosen.team_id
        elif values.get("change_type") == ChangeType.STANDARD:
            raise ValidationError({"template": _("A standard change comes from a template: choose one.")})
        data.setdefault("channel", Channel.API)
        ticket = tickets.create_ticket(actor=actor, kind=Kind.CHANGE, data=data, cis=cis, tags=tags)
        fields = _clean_fields(values, ticket.impact)
        record = create_record(
            Change,
            actor=actor,
            check=False,
            data={"ticket": ticket, "template": chosen, **fields},
        )
        _check_window(record)
        ticket.change = record
    return ticket


def update_change(ticket_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None) -> Change:
    """Change a change's record (plans, risk answers, window, type) if the ticket's ``version`` is current.

    Raises:
        Ticket.DoesNotExist: no such change visible to the actor.
        ConflictError: stale version (lists what changed since).
        ValidationError: invalid values, or a field the change's state no longer allows.
    """
    with tickets.writing():
        ticket = tickets.lock_for_change(ticket_id, actor=actor, version=version)
        current = Change.objects.select_for_update().filter(ticket=ticket).first()
        if ticket.kind != Kind.CHANGE or current is None:
            raise Ticket.DoesNotExist
        if ticket.state_category in FINAL_CATEGORIES:
            raise ValidationError(_("This change is finished; record its review instead."))
        fields = _clean_fields(changes, ticket.impact)
        locked: set[str] | frozenset[str] = set()
        if ticket.state_category == StateCategory.RESOLVED:
            # In review only the documentation may still be completed (emergencies do it now).
            locked = CHANGE_FIELDS - {"reason", "risk_answers", *PLAN_FIELDS}
        elif ticket.state.code not in ("new", "assessment"):
            locked = EMERGENCY_LOCK if current.change_type == ChangeType.EMERGENCY else APPROVED_LOCK
        if current.change_type == ChangeType.STANDARD and ticket.state.code != "new":
            locked = EMERGENCY_LOCK | {"implementation_plan", "backout_plan"}
        refused = sorted(
            k
            for k in fields
            if k in locked and fields[k] != getattr(current, k) and k not in ("risk_score", "risk_level")
        )
        if refused:
            raise ValidationError(
                {
                    k: _("Send the change back for rework before changing this (it is %(state)s).")
                    % {"state": ticket.state.label()}
                    for k in refused
                }
            )
        if fields.get("change_type") == ChangeType.STANDARD and current.template_id is None:
            raise ValidationError({"change_type": _("A standard change comes from a template: choose one.")})
        before = tickets.snapshot(ticket)
        updated = update_record(
            Change, ticket.pk, actor=actor, changes=fields, expected_version=None, check=False
        )
        _check_window(updated)
        if updated.version != current.version:
            tickets.touch(ticket, action="change_record", before=before, meta={"fields": sorted(fields)})
    return updated


def record_review(ticket_id: int, *, actor: Any, outcome: str, notes: str, version: int | None) -> Change:
    """Record the post-implementation review of an implemented change (success, partial, failed, backed out).

    Raises:
        ValidationError: the change is not in review, an unknown outcome, or no notes for an
            unsuccessful change.
    """
    if outcome not in ReviewOutcome.values:
        raise ValidationError(
            {"outcome": _("Choose successful, partially successful, failed or backed out.")}
        )
    text = _text(notes, "review_notes")
    if outcome != ReviewOutcome.SUCCESS and not text:
        raise ValidationError({"review_notes": _("Describe what went wrong and what was learnt.")})
    with tickets.writing():
        ticket = tickets.lock_for_change(ticket_id, actor=actor, version=version)
        if ticket.kind != Kind.CHANGE or ticket.state_category != StateCategory.RESOLVED:
            raise ValidationError(
                _("Only an implemented change in review gets a post-implementation review.")
            )
        before = tickets.snapshot(ticket)
        updated = update_record(
            Change,
            ticket.pk,
            actor=actor,
            changes={
                "outcome": outcome,
                "review_notes": text,
                "reviewed_at": timezone.now(),
                "reviewed_by": actor if getattr(actor, "is_authenticated", False) else None,
            },
            expected_version=None,
            check=False,
        )
        tickets.touch(ticket, action="change_review", before=before, meta={"outcome": outcome})
    return updated


# -- reactions to the workflow --------------------------------------------------------------------


@ticket_workflow.after_action
def _after_action(ticket: Ticket, code: str, params: Mapping[str, Any], actor: Any) -> None:
    """Keep the change record in step with its ticket's transitions."""
    if ticket.kind != Kind.CHANGE:
        return
    change = Change.objects.select_for_update().filter(ticket=ticket).first()
    if change is None:
        return
    now = timezone.now()
    updates: dict[str, Any] = {}
    if code in ("submit", "schedule"):
        found = schedule.warnings_for(change)
        updates["schedule_warnings"] = [w.as_dict() for w in found]
        reason = str(params.get("override_reason") or "").strip()[:2000]
        updates["override_reason"] = reason if found else ""
    if code == "implement":
        updates["actual_start"] = now
    elif code in ("complete", "back_out"):
        updates["actual_end"] = now
        updates["actual_start"] = change.actual_start or now
    if updates:
        update_record(Change, change.pk, actor=actor, changes=updates, expected_version=None, check=False)
    if code == "submit":
        _ask_board(ticket, change, actor)
    elif code == "rework":
        approvals.withdraw(ticket, reason=str(params.get("comment") or "")[:500])


def _ask_board(ticket: Ticket, change: Change, actor: Any) -> None:
    board = schedule.board_for(change.change_type)
    if board is None:  # the change_board guard refuses this; a workflow edited without it lands here
        raise ValidationError(_("No active approval board decides this type of change."))
    members = list(board.members.filter(is_active=True).order_by("id"))
    purpose = board.label()
    approvals.start(
        ticket,
        approvers=members,
        mode=board.mode,
        quorum=board.quorum,
        purpose=purpose,
        actor=actor,
        allow_self=False,
    )


def _decided(ticket: Ticket, round_: Any, approved: bool, actor: Any) -> None:
    """A change's round is decided: schedule it, or reject it with the reason."""
    if ticket.state.code != "awaiting_approval":
        return
    if approved:
        tickets.transition(
            ticket, "approve", actor=actor, params={}, system=True, rule=round_.purpose or _("Approved")
        )
        return
    reason = approvals.rejection_reason(round_)
    tickets.transition(
        ticket,
        "reject",
        actor=actor,
        params={"comment": reason or _("Rejected")},
        system=True,
        rule=round_.purpose or _("Rejected"),
    )


approvals.register_outcome(Kind.CHANGE, _decided)


def link_caused_incidents(incident_id: int) -> list[TicketLink]:
    """Link a new incident to the changes implemented on its CIs shortly before it started.

    The post-implementation review sees them, and the KPI "changes that caused incidents" counts
    them; a reviewer removes a link that turns out to be a coincidence.
    """
    with tickets.writing():
        incident = Ticket.objects.filter(pk=incident_id, kind=Kind.INCIDENT).first()
        if incident is None:
            return []
        ci_ids = list(
            Ticket.cis.through.objects.filter(ticket_id=incident.pk).values_list(
                "configurationitem_id", flat=True
            )
        )
        if not ci_ids:
            return []
        started = incident.created_at
        candidates = (
            Change.objects.filter(
                ticket__organisation_id=incident.organisation_id,
                actual_start__isnull=False,
                actual_start__lte=started,
                ticket__cis__in=ci_ids,
            )
            .exclude(actual_end__lt=started - CAUSED_WINDOW)
            .values_list("ticket_id", "ticket__number")
            .distinct()
        )
        made = []
        existing = set(
            TicketLink.objects.filter(from_ticket=incident, kind=LinkKind.CAUSED_BY).values_list(
                "to_ticket_id", flat=True
            )
        )
        for change_id, number in candidates:
            if change_id in existing:
                continue
            link = create_record(
                TicketLink,
                actor=None,
                check=False,
                data={"from_ticket": incident, "to_ticket_id": change_id, "kind": LinkKind.CAUSED_BY},
                meta={
                    "rule": _("Incident on a CI within %(h)s hours after change %(number)s")
                    % {"h": int(CAUSED_WINDOW.total_seconds() // 3600), "number": number}
                },
            )
            made.append(link)
    return made


# -- configuration ------------------------------------------------------------------------------


def _set_members(board: ChangeBoard, members: Iterable[Any] | None) -> None:
    if members is None:
        return
    users = list(dict.fromkeys(members))
    if len(users) > approvals.MAX_APPROVERS:
        raise ValidationError({"members": _("At most %(n)s members.") % {"n": approvals.MAX_APPROVERS}})
    before = sorted(board.members.values_list("pk", flat=True))
    board.members.set(users)
    after = sorted(u.pk for u in users)
    if before != after:
        audit.record(board, action="members", changes={"members": [before, after]})


def _check_board(board: ChangeBoard) -> None:
    count = board.members.count()
    if board.mode == "quorum" and not (board.quorum and 1 <= board.quorum <= max(count, 1)):
        raise ValidationError(
            {"quorum": _("The quorum is 1 to %(n)s (the number of members).") % {"n": max(count, 1)}}
        )


def create_board(*, actor: Any, data: Mapping[str, Any], members: Iterable[Any] | None = None) -> ChangeBoard:
    """Set up the CAB or the ECAB with its members (managers)."""
    with transaction.atomic():
        board = create_record(ChangeBoard, actor=actor, data=data)
        _set_members(board, members if members is not None else [])
        _check_board(board)
    return board


def update_board(
    board_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    members: Iterable[Any] | None = None,
) -> ChangeBoard:
    """Change a board or its members if ``version`` is current."""
    with transaction.atomic():
        board = update_record(ChangeBoard, board_id, actor=actor, changes=changes, expected_version=version)
        _set_members(board, members)
        _check_board(board)
    return board


def delete_board(board_id: int, *, actor: Any, version: int | None = None) -> None:
    """Remove a board (deactivate it instead while changes wait for it)."""
    delete_record(ChangeBoard, board_id, actor=actor, expected_version=version)


def create_template(*, actor: Any, data: Mapping[str, Any]) -> ChangeTemplate:
    """Pre-approve a standard change (managers)."""
    return create_record(ChangeTemplate, actor=actor, data=data)


def update_template(
    template_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> ChangeTemplate:
    """Change a standard change template."""
    return update_record(ChangeTemplate, template_id, actor=actor, changes=changes, expected_version=version)


def delete_template(template_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a template no change refers to (withdraw it otherwise: active = no)."""
    delete_record(ChangeTemplate, template_id, actor=actor, expected_version=version)


def _set_services(window: ChangeWindow, services: Iterable[Any] | None) -> None:
    if services is None:
        return
    before = sorted(window.services.values_list("pk", flat=True))
    window.services.set(list(services))
    after = sorted(window.services.values_list("pk", flat=True))
    if before != after:
        audit.record(window, action="members", changes={"services": [before, after]})


def create_window(
    *, actor: Any, data: Mapping[str, Any], services: Iterable[Any] | None = None
) -> ChangeWindow:
    """Declare a freeze, blackout or maintenance window (managers)."""
    with transaction.atomic():
        window = create_record(ChangeWindow, actor=actor, data=data)
        _set_services(window, services)
    return window


def update_window(
    window_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    services: Iterable[Any] | None = None,
) -> ChangeWindow:
    """Change a window if ``version`` is current."""
    with transaction.atomic():
        window = update_record(
            ChangeWindow, window_id, actor=actor, changes=changes, expected_version=version
        )
        _set_services(window, services)
    return window


def delete_window(window_id: int, *, actor: Any, version: int | None = None) -> None:
    """Remove a window."""
    delete_record(ChangeWindow, window_id, actor=actor, expected_version=version)


def require_change(ticket: Ticket) -> Change:
    """Return the change record of a change ticket (PermissionDenied for other tickets)."""
    change = change_of(ticket)
    if change is None:
        raise PermissionDenied(_("This ticket is not a change."))
    return change
