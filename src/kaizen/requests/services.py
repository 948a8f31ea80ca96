"""Every write of service requests: catalogue items, requests from the catalogue, approvals, tasks.

A request from the catalogue is a ticket of kind ``request`` whose form values are validated
against the item's typed fields. With approvers it waits for their decisions (a round of
:mod:`kaizen.approvals`: in order, or any one); once approved it gets the item's fulfilment
tasks; when the last task is done or cancelled the request is marked fulfilled automatically.
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
from kaizen.approvals import services as approvals
from kaizen.cmdb import policies as typed
from kaizen.core import audit
from kaizen.core.services import ActionNotAllowed, create_record, delete_record, update_record
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Channel, Kind, StateCategory, Visibility
from kaizen.tickets.models import Ticket

from .choices import ApprovalMode, TaskState
from .models import CatalogApprover, CatalogItem, CatalogTask, FulfilmentTask

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
        approvers = [row.user for row in found.approver_rows.select_related("user")]
        needs_approval = found.approval_mode != ApprovalMode.NONE and bool(approvers)
        # The fulfilling team gets the request once it is approved, not before.
        routing = {"team": found.team} if found.team_id and not needs_approval else {}
        ticket = tickets.create_ticket(actor=actor, kind=Kind.REQUEST, data=payload, routing=routing)
        if needs_approval:
            approvals.start(
                ticket,
                approvers=approvers,
                mode=found.approval_mode,
                purpose=_("Catalogue item: %(item)s") % {"item": found.label()},
                actor=actor,
                # A catalogue approver may request the item for themselves and approve it.
                allow_self=True,
            )
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


def _decided(ticket: Ticket, round_: Any, approved: bool, actor: Any) -> None:
    """A request's round of approvals is decided: fulfil it, or reject it with the reason."""
    if ticket.state_category != StateCategory.APPROVAL:
        return
    if not approved:
        reason = approvals.rejection_reason(round_)
        tickets.transition(
            ticket,
            "reject",
            actor=actor,
            params={"comment": reason or _("Rejected"), "visibility": Visibility.PUBLIC},
            system=True,
            rule=_("Rejected"),
        )
        return
    item = None
    if ticket.catalog_item_id is not None:
        item = CatalogItem.objects.filter(pk=ticket.catalog_item_id).select_related("team").first()
    _approved(ticket, item, actor)


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
approvals.register_outcome(Kind.REQUEST, _decided)
