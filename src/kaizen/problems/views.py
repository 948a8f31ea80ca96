"""Pages of problem management: the debt list and its exports, problems from incidents, problem
details, known errors, and the panels of the ticket page (thin: parse → service or query → render).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaizen.core import access
from kaizen.core.lib.spreadsheet import CSV, XLSX, as_csv, as_xlsx
from kaizen.core.services import ConflictError
from kaizen.core.ui.registry import ModelUI
from kaizen.core.ui.views import SERVICE_ERRORS, apply_service_errors
from kaizen.tickets import panels
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

from . import exports, queries, services
from .choices import DebtView, KnownErrorState
from .filters import DebtFilter, KnownErrorFilter
from .forms import (
    FixForm,
    FromIncidentsForm,
    IncidentLinkForm,
    KnownErrorForm,
    ProblemDetailsForm,
    VersionForm,
)
from .models import WORKERS, KnownError

PAGE = 50
MAX_PAGE = 100_000


def _staff(user: Any) -> bool:
    return access.has_any_role(user, access.STAFF_ROLES)


def _require_staff(request: HttpRequest) -> None:
    if not _staff(request.user):
        raise PermissionDenied(_("Problem management is for staff."))


def _ticket_url(pk: int) -> str:
    return reverse("tickets:ticket", args=[pk])


def _problem(request: HttpRequest, pk: int) -> Ticket:
    found = queries.problems(request.user).select_related("state", "organisation").filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such problem, or you may not see it."))
    return found


# -- known errors ------------------------------------------------------------------------------


class KnownErrorUI(ModelUI):
    """Known errors: symptoms, root cause and workaround, published for the front line."""

    model = KnownError
    slug = "known-errors"
    namespace = "problems"
    form_class = KnownErrorForm
    filterset_class = KnownErrorFilter
    columns = ("__str__", "state", "problem", "organisation", "published_at")
    detail_fields = (
        "organisation",
        "state",
        "keywords",
        "services",
        "cis",
        "published_at",
        "retired_at",
    )
    sortable = ("published_at", "updated_at")
    select_related = ("organisation", "problem")
    prefetch_related = ("services", "cis")
    detail_template = "problems/known_error_detail.html"
    create_service = staticmethod(services.create_known_error)
    update_service = staticmethod(services.update_known_error)
    delete_service = staticmethod(services.delete_known_error)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        return {
            "can_publish": obj.state != KnownErrorState.PUBLISHED
            and access.can(user, "change", KnownError, obj=obj),
            "can_retire": obj.state != KnownErrorState.RETIRED
            and access.can(user, "change", KnownError, obj=obj),
            "state_form": VersionForm(initial={"version": obj.version}),
        }


def _known_error(request: HttpRequest, pk: int) -> KnownError:
    found = queries.known_errors(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such record, or you may not see it."))
    return found


def _state_change(request: HttpRequest, pk: int, publish: bool) -> HttpResponse:
    known_error = _known_error(request, pk)
    target = reverse("problems:known-errors-detail", args=[known_error.pk])
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form is missing the record version. Reload the page."))
        return HttpResponseRedirect(target)
    try:
        if publish:
            services.publish_known_error(
                known_error.pk, actor=request.user, version=form.cleaned_data["version"]
            )
            messages.success(request, _("%(name)s was published.") % {"name": known_error})
        else:
            services.retire_known_error(
                known_error.pk,
                actor=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data.get("reason", ""),
            )
            messages.success(request, _("%(name)s was retired.") % {"name": known_error})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(target)


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a known error (agents get it suggested on matching incidents)."""
    return _state_change(request, pk, publish=True)


@login_required
@require_POST
def retire(request: HttpRequest, pk: int) -> HttpResponse:
    """Retire a known error that no longer applies."""
    return _state_change(request, pk, publish=False)


# -- the debt list -----------------------------------------------------------------------------


def _debt(request: HttpRequest) -> tuple[Any, Any, dict[str, Any], str]:
    """Return the filtered debt list, its filter set, its errors and the chosen view."""
    view = request.GET.get("view", DebtView.ALL)
    if view not in DebtView.values:
        view = DebtView.ALL
    qs = queries.debt_list(request.user)
    if view == DebtView.DEVELOPMENT:
        qs = qs.filter(problem_record__shared_with_development=True)
    params = request.GET.copy()
    for name in ("view", "page", "format"):
        params.pop(name, None)
    filterset = DebtFilter(params or None, queryset=qs, request=request)
    for name, field in filterset.form.fields.items():
        field.widget.attrs.setdefault("id", f"filter-{name}")
    errors: dict[str, Any] = {}
    if filterset.is_bound:
        if filterset.is_valid():
            qs = filterset.qs
        else:
            errors = filterset.errors
    return qs, filterset, errors, view


def _page_number(raw: str | None) -> int:
    try:
        return min(max(1, int(raw or 1)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


@login_required
def debt(request: HttpRequest) -> HttpResponse:
    """The debt list: open problems by rank, priority and age, with filters and the development view."""
    _require_staff(request)
    qs, filterset, errors, view = _debt(request)
    page = Paginator(qs, PAGE).get_page(_page_number(request.GET.get("page")))
    query = request.GET.copy()
    query.pop("page", None)
    export = query.copy()
    now = timezone.now()
    rows = [
        {"ticket": t, "record": getattr(t, "problem_record", None), "age": exports.age_days(t, now)}
        for t in page
    ]
    days = services.reminder_days()
    return render(
        request,
        "problems/debt.html",
        {
            "rows": rows,
            "page": page,
            "filterset": filterset,
            "filter_errors": errors,
            "view": view,
            "views": DebtView.choices,
            "query": query.urlencode(),
            "view_query": _without(query, "view"),
            "csv_url": _export_url(export, "csv"),
            "xlsx_url": _export_url(export, "xlsx"),
            "stale_before": now - dt.timedelta(days=days) if days else None,
            "reminder_days": days,
            "can_create": access.has_any_role(request.user, WORKERS),
        },
    )


def _without(params: QueryDict, name: str) -> str:
    copy = params.copy()
    copy.pop(name, None)
    return copy.urlencode()


def _export_url(params: QueryDict, kind: str) -> str:
    copy = params.copy()
    copy["format"] = kind
    return reverse("problems:export") + "?" + copy.urlencode()


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The debt list as shown (filters and view) as CSV (``?format=csv``) or XLSX (``?format=xlsx``)."""
    _require_staff(request)
    kind = request.GET.get("format", "csv")
    if kind not in ("csv", "xlsx"):
        return render(
            request,
            "core/error.html",
            {"title": _("The export cannot be made"), "message": _("Choose the format csv or xlsx.")},
            status=400,
        )
    qs, _filterset, errors, view = _debt(request)
    if errors:
        return render(
            request,
            "core/error.html",
            {"title": _("The export cannot be made"), "message": _("Correct the filters first.")},
            status=400,
        )
    table = exports.debt_table(qs)
    stamp = f"{timezone.localdate():%Y%m%d}"
    name = f"problem-debt-{'development-' if view == DebtView.DEVELOPMENT else ''}{stamp}"
    if kind == "xlsx":
        response = HttpResponse(as_xlsx([table]), content_type=XLSX)
    else:
        response = HttpResponse(as_csv(table).encode("utf-8"), content_type=CSV)
    response["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


# -- problems ----------------------------------------------------------------------------------


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Record a problem from incidents (by number) or from a trend."""
    if not access.has_any_role(request.user, WORKERS):
        raise PermissionDenied(_("You do not have permission to do this."))
    if request.method == "POST":
        form = FromIncidentsForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            values: dict[str, Any] = {"title": data["title"], "description": data.get("description", "")}
            if data.get("service") is not None:
                values["service"] = data["service"]
            if data.get("owner") is not None:
                values["owner"] = data["owner"]
            try:
                ticket = services.create_problem(actor=request.user, incidents=data["incidents"], data=values)
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(number)s was created.") % {"number": ticket.number})
                return HttpResponseRedirect(_ticket_url(ticket.pk))
        return render(request, "problems/create.html", {"form": form}, status=400)
    initial: dict[str, Any] = {}
    incident_id = request.GET.get("incident", "")
    if incident_id.isdigit() and len(incident_id) < 19:
        incident = (
            Ticket.objects.visible_to(request.user).filter(pk=int(incident_id), kind=Kind.INCIDENT).first()
        )
        if incident is not None:
            initial = {"incidents": incident.number, "title": incident.title, "service": incident.service_id}
    return render(
        request, "problems/create.html", {"form": FromIncidentsForm(user=request.user, initial=initial)}
    )


@login_required
def details(request: HttpRequest, pk: int) -> HttpResponse:
    """The details of a problem (GET: the form; POST: save). A stale version lists what changed."""
    _require_staff(request)
    ticket = _problem(request, pk)
    if request.method != "POST":
        form = ProblemDetailsForm.for_record(queries.record_of(ticket), user=request.user)
        return render(request, "problems/details.html", {"ticket": ticket, "form": form, "conflict": []})
    form = ProblemDetailsForm(request.POST, user=request.user)
    status, conflict = 400, []
    if form.is_valid():
        try:
            services.update_details(
                ticket.pk, actor=request.user, changes=form.changes(), version=form.cleaned_data["version"]
            )
        except ConflictError as exc:
            form.add_error(None, str(exc))
            status, conflict = 409, exc.changes
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
            status = 403 if isinstance(exc, PermissionDenied) else 400
        else:
            messages.success(request, _("The details of %(number)s were saved.") % {"number": ticket.number})
            return HttpResponseRedirect(_ticket_url(ticket.pk))
    return render(
        request,
        "problems/details.html",
        {"ticket": ticket, "form": form, "conflict": conflict},
        status=status,
    )


@login_required
@require_POST
def fix(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the change that fixes a problem, by its number."""
    ticket = _problem(request, pk)
    form = FixForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(_ticket_url(ticket.pk))
    change = (
        Ticket.objects.visible_to(request.user)
        .filter(number=form.cleaned_data["number"], kind=Kind.CHANGE)
        .values_list("pk", flat=True)
        .first()
    )
    if change is None:
        messages.error(request, _("No such change, or you may not see it."))
        return HttpResponseRedirect(_ticket_url(ticket.pk))
    try:
        services.link_fix(ticket.pk, actor=request.user, change=change)
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The fixing change was linked."))
    return HttpResponseRedirect(_ticket_url(ticket.pk))


@login_required
@require_POST
def link_incident(request: HttpRequest, pk: int) -> HttpResponse:
    """Link an incident to the problem of a suggested known error (one click on the incident page)."""
    incident = Ticket.objects.visible_to(request.user).filter(pk=pk, kind=Kind.INCIDENT).first()
    if incident is None:
        raise Http404(_("No such ticket, or you may not see it."))
    form = IncidentLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a problem."))
        return HttpResponseRedirect(_ticket_url(incident.pk))
    try:
        services.link_incident(form.cleaned_data["problem"], actor=request.user, incident=incident.pk)
    except Ticket.DoesNotExist:
        messages.error(request, _("No such problem, or you may not see it."))
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The incident was linked to the problem."))
    return HttpResponseRedirect(_ticket_url(incident.pk))


# -- panels of the ticket page -----------------------------------------------------------------


@panels.register(10)
def problem_panel(request: HttpRequest, ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
    """The problem's details, known errors, incidents and fixing changes, on the problem's page."""
    if ticket.kind != Kind.PROBLEM or not _staff(request.user):
        return None
    summary = queries.summary(request.user, ticket)
    worker = tickets.is_worker(request.user, ticket)
    return (
        "problems/_problem_panel.html",
        {
            "summary": summary,
            "record": summary.record,
            "details_form": ProblemDetailsForm.for_record(summary.record, user=request.user)
            if worker
            else None,
            "fix_form": FixForm() if worker else None,
            "can_add_known_error": worker
            and access.can(request.user, "add", KnownError, organisation_id=ticket.organisation_id),
            "new_known_error": reverse("problems:known-errors-create")
            + "?"
            + urlencode({"problem": ticket.pk}),
            "reminder_days": services.reminder_days(),
        },
    )


@panels.register(15)
def known_error_panel(request: HttpRequest, ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
    """Published known errors matching an incident, with one click to link their problem."""
    if ticket.kind != Kind.INCIDENT or not _staff(request.user):
        return None
    found = queries.suggestions(request.user, ticket)
    linked = queries.linked_problem_ids(ticket)
    return (
        "problems/_known_error_panel.html",
        {
            "suggestions": found,
            "linked": linked,
            "worker": tickets.is_worker(request.user, ticket),
            "search_url": reverse("problems:known-errors-list"),
            "create_url": reverse("problems:create") + "?" + urlencode({"incident": ticket.pk}),
        },
    )
