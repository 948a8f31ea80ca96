"""Pages of the request catalogue (managers) and the fulfilment task action of the desk."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaizen.core.ui.registry import ModelUI, RelatedPanel
from kaizen.core.ui.views import SERVICE_ERRORS
from kaizen.tickets.models import Ticket

from . import services
from .forms import CatalogItemForm, TaskForm
from .models import CatalogItem, FulfilmentTask


class CatalogItemUI(ModelUI):
    """Pages of catalogue items."""

    model = CatalogItem
    slug = "catalog-items"
    namespace = "requests"
    form_class = CatalogItemForm
    columns = ("__str__", "service", "approval_mode", "team", "is_active")
    detail_fields = (
        "service",
        "name",
        "name_en",
        "description",
        "form_schema",
        "approval_mode",
        "team",
        "is_active",
    )
    select_related = ("service", "team")
    create_service = staticmethod(services.create_item)
    update_service = staticmethod(services.update_item)
    delete_service = staticmethod(services.delete_item)
    related_panels: ClassVar = (
        RelatedPanel(
            title=_("Requests"),
            rows=lambda obj, user: obj.tickets.visible_to(user).select_related("state").order_by("-id"),
            columns=("number", "title", "state"),
            related_model=Ticket,
        ),
    )


@login_required
@require_POST
def update_task(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark a fulfilment task done, cancelled or open again (from the ticket page)."""
    task = FulfilmentTask.objects.visible_to(request.user).filter(pk=pk).first()
    if task is None:
        raise Http404
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            services.update_task(
                task.pk,
                actor=request.user,
                changes={"state": form.cleaned_data["state"], "note": form.cleaned_data.get("note", "")},
                version=form.cleaned_data["version"],
            )
            messages.success(request, _("The task was updated."))
        except SERVICE_ERRORS as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, _("The task form was incomplete; reload the page."))
    return HttpResponseRedirect(reverse("tickets:ticket", args=[task.ticket_id]))


def panels(ticket: Any, user: Any) -> dict[str, Any]:
    """Return the approvals and tasks of a request for the desk's ticket page."""
    return {
        "approvals": list(ticket.approvals.select_related("approver")),
        "tasks": list(
            FulfilmentTask.objects.visible_to(user).filter(ticket=ticket).select_related("team", "assignee")
        ),
    }
