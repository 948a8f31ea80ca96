"""Every write of service requests: catalogue items, requests from the catalogue, approvals, tasks.

A request from the catalogue is a ticket of kind ``request`` whose form values are validated
against the item's typed fields. With approvers it waits for their decisions (in order, or any
one); once approved it gets the item's fulfilment tasks; when the last task is done or
cancelled the request is marked fulfilled automatically.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Team, User
from kaizen.cmdb import policies as typed
from kaizen.core import audit, events
from kaizen.core.services import ActionNotAllowed, create_record, delete_record, update_record
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Channel, Kind, StateCategory, Visibility
from kaizen.tickets.models import Ticket

from .choices import ApprovalMode, ApprovalState, TaskState
from .events import ApprovalRequested
from .models import Approval, CatalogApprover, CatalogItem, CatalogTask, FulfilmentTask

MAX_TASKS = 20
MAX_APPROVERS = 10


# -- catalogue items ---------------------------------------------------------------------------


def _set_children(
    item: CatalogItem, approvers: Iterable[User] | None, tasks: Iterable[tuple[str, Team]] | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if approvers is not None:
        approvers = list(dict.fromkeys(approvers))
        if len(approvers) > MAX_APPROVERS:
            raise ValidationError({"approvers": _("At most %(n)s approvers.") % {"n": MAX_APPROVERS}})
        before = list(item.approver_rows.values_list("user_id", flat=True))
        CatalogApprover.objects.filter(item=item).delete()
        CatalogApprover.objects.bulk_create(
            [CatalogApprover(item=item, user=user, order=i) for i, user in enumerate(approvers)]
        )
        after = [u.pk for u in approvers]
        if before != after:
            changes["approvers"] = [before, after]
    if tasks is not None:
        tasks = list(tasks)
        if len(tasks) > MAX_TASKS:
            raise ValidationError({"tasks": _("At most %(n)s tasks.") % {"n": MAX_TASKS}})
        before_tasks = [f"{t.title}|{t.team_id}" for t in item.task_templates.all()]
        CatalogTask.objects.filter(item=item).delete()
        CatalogTask.objects.bulk_create(
            [
                CatalogTask(item=item, title=title[:200], team=team, order=i)
                for i, (title, team) in enumerate(tasks)
            ]
        )
        after_tasks = [f"{title[:200]}|{team.pk}" for title, team in tasks]
        if before_tasks != after_tasks:
            changes["tasks"] = [before_tasks, after_tasks]
    if item.approval_mode != ApprovalMode.NONE and not item.approver_rows.exists():
        raise ValidationError({"approvers": _("Name at least one approver, or choose no approval.")})
    return changes


def create_item(
    *,
    actor: Any,
    data: Mapping[str, Any],
    approvers: Iterable[User] | None = None,
    tasks: Iterable[tuple[str, Team]] | None = None,
) -> CatalogItem:
    """Offer a catalogue item under a service, with its form, approvers and tasks (managers)."""
    with transaction.atomic():
        item = create_record(CatalogItem, actor=actor, data=data)
        changes = _set_children(
            item, approvers if approvers is not None else [], tasks if tasks is not None else []
        )
        if changes:
            audit.record(item, action="members", changes=changes)
    return item


def update_item(
    item_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    approvers: Iterable[User] | None = None,
    tasks: Iterable[tuple[str, Team]] | None = None,
) -> CatalogItem:
    """Change a catalogue item if ``version`` is current."""
    with transaction.atomic():
        item = update_record(CatalogItem, item_id, actor=actor, changes=changes, expected_version=version)
        delta = _set_children(item, approvers, tasks)
        if delta:
            audit.record(item, action="members", changes=delta)
    return item


def delete_item(item_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a catalogue item no request refers to (withdraw it otherwise: offered = no)."""
    delete_record(CatalogItem, item_id, actor=actor, expected_version=version)


# -- requests ----------------------------------------------------------------------------------


def clean_values(item: CatalogItem, values: Any) -> dict[str, Any]:
    """Validate the form values of a request against the item's fields (field -> error)."""
    cleaned, errors = typed.clean_attributes(item.form_schema, values)
    if errors:
        raise ValidationError(
            {f"form_values.{k}" if k != "__all__" else "form_values": v for k, v in errors.items()}
        )
    return cleaned


def request_item(
    *,
    actor: Any,
    item: CatalogItem | int,
    values: Mapping[str, Any] | None = None,
    description: str = "",
    urgency: int | None = None,
    data: Mapping[str, Any] | None = None,
    channel: str = Channel.PORTAL,
) -> Ticket:
    """Request a catalogue item: validate its form, record the request, start approval or fulfilment.

    Raises:
        ValidationError: the item is unknown, withdrawn or invisible, or a form value is invalid.
    """
    with transaction.atomic():
        pk = item.pk if isinstance(item, CatalogItem) else int(item)
        found = (
            CatalogItem.objects.visible_to(actor)
            .select_related("service", "team")
            .filter(pk=pk, is_active=True)
            .first()
        )
        if found is None:
            raise ValidationError({"catalog_item": _("No such catalogue item, or you may not request it.")})
        cleaned = clean_values(found, values or {})
        payload: dict[str, Any] = {
            "title": found.label()[:200],
            "description": description,
            "catalog_item": found.pk,
            "form_values": cleaned,
            "service": found.service_id,
            "channel": channel,
            **({"urgency": urgency} if urgency else {}),
            **dict(data or {}),
        }
        approvers = list(found.approver_rows.select_related("user"))
        needs_approval = found.approval_mode != ApprovalMode.NONE and bool(approvers)
        # The fulfilling team gets the request once it is approved, not before.
        routing = {"team": found.team} if found.team_id and not needs_approval else {}
        ticket = tickets.create_ticket(actor=actor, kind=Kind.REQUEST, data=payload, routing=routing)
        if needs_approval:
            for position, row in enumerate(approvers):
                waiting = found.approval_mode == ApprovalMode.ANY or position == 0
                state = ApprovalState.WAITING if waiting else ApprovalState.PENDING
                approval = create_record(
                    Approval,
                    actor=actor,
                    check=False,
                    data={"ticket": ticket, "approver": row.user, "order": row.order, "state": state},
                )
                if waiting:
                    events.emit(ApprovalRequested(ticket_id=ticket.pk, approval_id=approval.pk))
            tickets.transition(
                ticket, "submit_for_approval", actor=None, params={}, system=True, rule=_("Approval required")
            )
        else:
            _start_fulfilment(ticket, found)
    return ticket


def _start_fulfilment(ticket: Ticket, item: CatalogItem) -> None:
    for template in item.task_templates.select_related("team"):
        create_record(
            FulfilmentTask,
            actor=None,
            check=False,
            data={"ticket": ticket, "title": template.title, "team": template.team, "order": template.order},
        )


def decide(approval_id: int, *, actor: Any, approve: bool, comment: str = "") -> Approval:
    """Record an approver's decision; the request moves on when the decisions are complete.

    Raises:
        PermissionDenied: the actor is not this approver.
        ValidationError: not the approver's turn yet, or already decided; a rejection needs a comment.
    """
    comment = str(comment or "").strip()
    if len(comment) > 5000:
        raise ValidationError({"comment": _("At most %(n)s characters.") % {"n": 5000}})
    with transaction.atomic():
        approval = (
            Approval.objects.select_for_update().select_related("ticket").filter(pk=approval_id).first()
        )
        if approval is None or (approval.approver_id != getattr(actor, "pk", None)):
            raise PermissionDenied(_("Only the named approver decides."))
        if approval.state == ApprovalState.PENDING:
            raise ValidationError(_("An earlier approver has not decided yet."))
        if approval.state != ApprovalState.WAITING:
            raise ValidationError(_("This approval has already been decided."))
        if not approve and not comment:
            raise ValidationError({"comment": _("Say why the request is rejected.")})
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("state", "catalog_item")
            .get(pk=approval.ticket_id)
        )
        if ticket.state_category != StateCategory.APPROVAL:
            raise ValidationError(_("This request no longer waits for approval."))
        before = {"state": approval.state}
        approval.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        approval.decided_at = timezone.now()
        approval.comment = comment
        approval.version += 1
        approval.save()
        audit.record(
            approval,
            action="approve" if approve else "reject",
            changes={"state": [before["state"], approval.state]},
        )
        others = Approval.objects.filter(ticket=ticket).exclude(pk=approval.pk).order_by("order", "id")
        item = ticket.catalog_item
        if not approve:
            others.filter(state__in=[ApprovalState.WAITING, ApprovalState.PENDING]).update(
                state=ApprovalState.SKIPPED
            )
            tickets.transition(
                ticket,
                "reject",
                actor=actor,
                params={"comment": comment, "visibility": Visibility.PUBLIC},
                system=True,
                rule=_("Rejected"),
            )
        elif item is not None and item.approval_mode == ApprovalMode.ANY:
            others.filter(state__in=[ApprovalState.WAITING, ApprovalState.PENDING]).update(
                state=ApprovalState.SKIPPED
            )
            _approved(ticket, item, actor)
        else:
            following = others.filter(state=ApprovalState.PENDING).first()
            if following is None:
                _approved(ticket, item, actor)
            else:
                Approval.objects.filter(pk=following.pk).update(state=ApprovalState.WAITING)
                events.emit(ApprovalRequested(ticket_id=ticket.pk, approval_id=following.pk))
    return approval


def _approved(ticket: Ticket, item: CatalogItem | None, actor: Any) -> None:
    tickets.transition(ticket, "approve", actor=actor, params={}, system=True, rule=_("Approved"))
    if item is not None:
        if item.team is not None and ticket.team_id is None:
            tickets.route(ticket, team=item.team, rule=_("Catalogue item: %(item)s") % {"item": item.label()})
        _start_fulfilment(ticket, item)


def update_task(
    task_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> FulfilmentTask:
    """Change a fulfilment task (assignee, note, state); the request is fulfilled with its last task."""
    allowed = {k: v for k, v in changes.items() if k in ("assignee", "note", "state", "title")}
    if set(changes) - set(allowed):
        raise ValidationError(_("Only the title, assignee, note and state of a task can be changed."))
    if "state" in allowed and allowed["state"] not in TaskState.values:
        raise ValidationError({"state": _("Unknown state.")})
    with transaction.atomic():
        current = FulfilmentTask.objects.select_for_update().select_related("ticket").get(pk=task_id)
        if not tickets.is_worker(actor, current.ticket):
            raise PermissionDenied(_("You do not have permission to do this."))
        if allowed.get("state") in (TaskState.DONE, TaskState.CANCELLED) and current.state == TaskState.OPEN:
            allowed["done_at"] = timezone.now()
        elif allowed.get("state") == TaskState.OPEN:
            allowed["done_at"] = None
        task = update_record(
            FulfilmentTask, task_id, actor=actor, changes=allowed, expected_version=version, check=False
        )
        _fulfil_when_done(task.ticket_id)
    return task


def _fulfil_when_done(ticket_id: int) -> None:
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("state").get(pk=ticket_id)
    tasks = FulfilmentTask.objects.filter(ticket_id=ticket_id)
    if not tasks.exists() or tasks.filter(state=TaskState.OPEN).exists():
        return
    if ticket.state_category not in (StateCategory.OPEN, StateCategory.NEW, StateCategory.PENDING):
        return
    titles = "\n".join(f"- {t.title}: {t.get_state_display()}" for t in tasks.order_by("order", "id"))
    # A workflow changed to need more before fulfilment leaves the request open.
    with contextlib.suppress(ValidationError, ActionNotAllowed):
        tickets.transition(
            ticket,
            "resolve",
            actor=None,
            params={"resolution": _("Every fulfilment task is finished:") + "\n" + titles},
            system=True,
            rule=_("Fulfilment tasks finished"),
        )


def _intake(*, actor: Any, data: Mapping[str, Any]) -> Ticket:
    """Create a request given as ticket fields with a ``catalog_item`` (the requests API)."""
    data = dict(data)
    item = data.pop("catalog_item")
    values = data.pop("form_values", {})
    description = data.pop("description", "")
    urgency = data.pop("urgency", None)
    data.pop("title", None)
    return request_item(
        actor=actor,
        item=item,
        values=values,
        description=description,
        urgency=urgency,
        data=data,
        channel=Channel.API,
    )


tickets.register_intake(Kind.REQUEST, _intake)
