"""Pages of release management: releases (list, detail with plan, changes, acceptance items and moves),
and the operations acceptance checklists the operations team maintains.

Thin: parse, authorise (``visible_to``/``can``), call one service, render. A refused write shows the
release page again with the reason (400, 403 or 409), never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaizen.core import access
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.core.ui.registry import ModelUI, RelatedPanel
from kaizen.core.ui.views import refused_page
from kaizen.tickets.choices import Kind, StateCategory
from kaizen.tickets.models import Ticket

from . import policies, queries, services
from .choices import ItemCategory, ItemKind, ReleaseAction
from .filters import ChecklistFilter, ChecklistItemFilter, ReleaseFilter
from .forms import (
    ApplyChecklistForm,
    BundleForm,
    CheckForm,
    ChecklistForm,
    ChecklistItemForm,
    ItemForm,
    ReleaseForm,
    VersionForm,
)
from .models import PLAN_FIELDS, AcceptanceItem, Checklist, ChecklistItem, Release

MAX_CHOICES = 200
ERRORS = (ValidationError, PermissionDenied, ConflictError, ActionNotAllowed)


class ReleaseUI(ModelUI):
    """Pages of releases."""

    model = Release
    slug = "releases"
    namespace = "releases"
    form_class = ReleaseForm
    filterset_class = ReleaseFilter
    columns = ("number", "title", "state", "service", "planned_at", "owner", "organisation")
    sortable = ("number", "title", "state", "planned_at")
    detail_fields = (
        "state",
        "organisation",
        "service",
        "owner",
        "planned_at",
        "watchers",
        "approved_at",
        "approved_by",
        "went_live_at",
        "went_live_by",
        "closed_reason",
        "description",
    )
    select_related = ("organisation", "service", "owner", "approved_by", "went_live_by")
    prefetch_related = ("watchers",)
    detail_template = "releases/release_detail.html"
    create_service = staticmethod(services.create_release)
    update_service = staticmethod(services.update_release)
    delete_service = staticmethod(services.delete_release)

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        if access.has_any_role(request.user, access.STAFF_ROLES):
            url = reverse("releases:release-checklists-list")
            return [{"label": _("Operations acceptance checklists"), "url": url}]
        return []

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        release = queries.with_details(Release.objects.filter(pk=obj.pk)).get()
        readiness = queries.readiness(release)
        can_change = access.can(user, "change", Release, obj=release)
        editable = release.state in policies.EDITABLE_STATES
        bundled = list(release.change_tickets.all())
        available: list[Ticket] = []
        if can_change and editable:
            available = list(
                Ticket.objects.visible_to(user)
                .filter(kind=Kind.CHANGE, organisation_id=release.organisation_id)
                .exclude(state_category=StateCategory.CANCELLED)
                .exclude(pk__in=[t.pk for t in bundled])
                .select_related("state")
                .order_by("-id")[:MAX_CHOICES]
            )
        moves = []
        for code in policies.allowed(release.state):
            move = policies.TRANSITIONS[code]
            if access.can(user, move.permission, Release, obj=release):
                moves.append(
                    {
                        "code": code,
                        "label": ReleaseAction(code).label,
                        "needs_reason": move.needs_reason,
                        "url": reverse("releases:action", args=[release.pk, code]),
                        "problems": _flat(
                            readiness.approval
                            if code == "approve"
                            else readiness.go_live
                            if code == "go_live"
                            else {}
                        ),
                    }
                )
        operations = queries.items_of(release, ItemKind.OPERATIONS)
        groups = []
        for value, label in ItemCategory.choices:
            rows = [i for i in operations if i.category == value]
            if rows:
                groups.append({"label": label, "items": rows})
        return {
            "release": release,
            "readiness": readiness,
            "showing_readiness": editable,
            "plan": [
                {
                    "label": getattr(Release._meta.get_field(n), "verbose_name", n),
                    "value": getattr(release, n),
                }
                for n in PLAN_FIELDS
            ],
            "bundled": bundled,
            "blocking_ids": {t.pk for t in readiness.blocking},
            "available": available,
            "criteria": queries.items_of(release, ItemKind.SERVICE),
            "operation_groups": groups,
            "can_edit_items": can_change and editable,
            "moves": moves,
            "item_form": ItemForm(initial={"kind": ItemKind.SERVICE, "mandatory": True}),
            "checklists": list(Checklist.objects.visible_to(user).filter(is_active=True).order_by("name"))
            if can_change and editable
            else [],
        }


def _flat(problems: dict[str, list[str]]) -> list[str]:
    return [message for messages_ in problems.values() for message in messages_]


def _page(request: HttpRequest, release_id: int, status: int, message: str) -> HttpResponse:
    """Show the release page again with ``message`` as an error (the write was refused)."""
    return refused_page(ReleaseUI, request, release_id, status, message)


def _status(exc: Exception) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConflictError | ActionNotAllowed):
        return 409
    return 400


def _text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do this.")


def _form_text(form: Any) -> str:
    return " ".join(
        f"{form.fields[k].label or k}: {e}" if k in form.fields else str(e)
        for k, errs in form.errors.items()
        for e in errs
    )


def _visible_release(request: HttpRequest, pk: int, action: str = "change") -> Release:
    release = Release.objects.visible_to(request.user).filter(pk=pk).first()
    if release is None:
        raise Http404(_("No such record, or you may not see it."))
    if not access.can(request.user, action, Release, obj=release):
        raise PermissionDenied(_("You do not have permission to do this."))
    return release


def _visible_item(request: HttpRequest, pk: int) -> AcceptanceItem:
    item = AcceptanceItem.objects.visible_to(request.user).filter(pk=pk).select_related("release").first()
    if item is None:
        raise Http404(_("No such record, or you may not see it."))
    if not access.can(request.user, "change", AcceptanceItem, obj=item):
        raise PermissionDenied(_("You do not have permission to do this."))
    return item


def _done(request: HttpRequest, release_id: int, message: str) -> HttpResponse:
    messages.success(request, message)
    return HttpResponseRedirect(reverse("releases:releases-detail", args=[release_id]) + "#acceptance")


def _write(
    request: HttpRequest,
    release_id: int,
    form: Any,
    run: Callable[[dict[str, Any]], Any],
    message: Callable[[Any], str],
) -> HttpResponse:
    """Validate ``form``, run the service with its data, then show the release with the outcome."""
    if not form.is_valid():
        return _page(request, release_id, 400, _form_text(form))
    try:
        result = run(form.cleaned_data)
    except ERRORS as exc:
        return _page(request, release_id, _status(exc), _text(exc))
    return _done(request, release_id, message(result))


@login_required
@require_POST
def action(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Approve, send back to planning, put live, roll back or cancel a release."""
    move = policies.TRANSITIONS.get(code)
    release = _visible_release(request, pk, move.permission if move is not None else "change")
    label = ReleaseAction(code).label if code in ReleaseAction.values else code
    return _write(
        request,
        release.pk,
        VersionForm(request.POST),
        lambda data: services.transition(
            release.pk, code, actor=request.user, version=data["version"], reason=data.get("reason", "")
        ),
        lambda done: _("%(release)s: %(action)s — done.") % {"release": done.number, "action": label},
    )


@login_required
@require_POST
def bundle(request: HttpRequest, pk: int) -> HttpResponse:
    """Bundle a change into the release, or take one out."""
    release = _visible_release(request, pk)
    return _write(
        request,
        release.pk,
        BundleForm(request.POST),
        lambda data: services.set_changes(
            release.pk,
            actor=request.user,
            add=[data["add"]] if data.get("add") else [],
            remove=[data["remove"]] if data.get("remove") else [],
            version=data["version"],
        ),
        lambda _result: _("The bundled changes were saved."),
    )


@login_required
@require_POST
def add_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a service acceptance criterion or an operations item to the release."""
    release = _visible_release(request, pk)
    return _write(
        request,
        release.pk,
        ItemForm(request.POST),
        lambda data: services.add_item(release.pk, actor=request.user, data=data),
        lambda _result: _("The item was added."),
    )


@login_required
@require_POST
def apply_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    """Copy an operations acceptance checklist into the release."""
    release = _visible_release(request, pk)
    return _write(
        request,
        release.pk,
        ApplyChecklistForm(request.POST),
        lambda data: services.apply_checklist(release.pk, actor=request.user, checklist=data["checklist"]),
        lambda made: _("%(n)s items were added from the checklist.") % {"n": made},
    )


@login_required
@require_POST
def check_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Check an acceptance item with its evidence."""
    item = _visible_item(request, pk)
    return _write(
        request,
        item.release_id,
        CheckForm(request.POST),
        lambda data: services.check_item(
            item.pk, actor=request.user, evidence=data.get("evidence", ""), version=data["version"]
        ),
        lambda _result: _("Checked: %(item)s") % {"item": item.text},
    )


@login_required
@require_POST
def uncheck_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Uncheck an acceptance item."""
    item = _visible_item(request, pk)
    return _write(
        request,
        item.release_id,
        VersionForm(request.POST),
        lambda data: services.uncheck_item(item.pk, actor=request.user, version=data["version"]),
        lambda _result: _("Unchecked: %(item)s") % {"item": item.text},
    )


@login_required
@require_POST
def remove_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove an acceptance item from the release."""
    item = _visible_item(request, pk)
    return _write(
        request,
        item.release_id,
        VersionForm(request.POST),
        lambda data: services.delete_item(item.pk, actor=request.user, version=data["version"]),
        lambda _result: _("Removed: %(item)s") % {"item": item.text},
    )


class ChecklistUI(ModelUI):
    """Pages of operations acceptance checklists (managers maintain them, staff read them)."""

    model = Checklist
    slug = "release-checklists"
    namespace = "releases"
    form_class = ChecklistForm
    filterset_class = ChecklistFilter
    columns = ("name", "organisation", "is_active", "updated_at")
    sortable = ("name",)
    detail_fields = ("name", "name_en", "organisation", "description", "is_active")
    select_related = ("organisation",)
    related_panels: ClassVar = (
        RelatedPanel(
            title=gettext_lazy("Items"),
            rows=lambda obj, user: ChecklistItem.objects.visible_to(user).filter(checklist=obj),
            columns=("text", "category", "mandatory", "guidance", "order"),
            related_model=ChecklistItem,
            create_param="checklist",
        ),
    )
    create_service = staticmethod(services.create_checklist)
    update_service = staticmethod(services.update_checklist)
    delete_service = staticmethod(services.delete_checklist)


class ChecklistItemUI(ModelUI):
    """Pages of the items of operations acceptance checklists."""

    model = ChecklistItem
    slug = "release-checklist-items"
    namespace = "releases"
    form_class = ChecklistItemForm
    filterset_class = ChecklistItemFilter
    columns = ("text", "checklist", "category", "mandatory", "order")
    sortable = ("text", "order")
    detail_fields = ("checklist", "category", "text", "guidance", "mandatory", "order")
    select_related = ("checklist",)
    create_service = staticmethod(services.create_checklist_item)
    update_service = staticmethod(services.update_checklist_item)
    delete_service = staticmethod(services.delete_checklist_item)
