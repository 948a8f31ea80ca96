"""The agent UI: queues, quick create, the ticket page and its actions (thin: parse → service → render)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaizen.core.services import ActionNotAllowed
from kaizen.core.ui.views import SERVICE_ERRORS, apply_service_errors, history_rows
from kaizen.core.ui.widgets import model_choices
from kaizen.portfolio import impact

from . import automation, downloads, panels, queries, services, tables, workflow
from .choices import Kind, ReviewStatus, Visibility
from .filters import TicketFilter
from .forms import (
    ActionForm,
    BulkForm,
    CommentForm,
    LinkForm,
    MajorForm,
    ReviewForm,
    TicketCreateForm,
    TicketEditForm,
    can_work,
    tags_list,
)
from .models import Attachment, Comment, SavedView, Ticket, TicketLink

PAGE = 50
QUEUE_FILTERS = ("q", "kind", "priority", "team", "assignee", "organisation", "service", "major", "tag")
PARAM_GUARDS = {"resolution", "cause_class", "comment", "assignee"}
SORTS = {
    "priority": ("priority", "-id"),
    "newest": ("-id",),
    "oldest": ("id",),
    "updated": ("-updated_at", "-id"),
    "due": ("sla_due_at", "id"),
}
"""Queue orders (keyset pagination on these columns); ``due`` lists the tickets whose clock runs."""


def _staff(request: HttpRequest) -> None:
    if not can_work(request.user) and not _reads(request.user):
        raise PermissionDenied(_("The service desk is for staff; requesters use the portal."))


def _reads(user: Any) -> bool:
    from kaizen.core.access import STAFF_ROLES, has_any_role

    return has_any_role(user, STAFF_ROLES)


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    ticket = queries.tickets(request.user).filter(pk=pk).first()
    if ticket is None:
        raise Http404(_("No such ticket, or you may not see it."))
    return ticket


def _url(ticket: Ticket) -> str:
    return reverse("tickets:ticket", args=[ticket.pk])


# -- keyset pages ------------------------------------------------------------------------------


def _cursor(row: dict[str, Any], order: tuple[str, ...]) -> str:
    values = []
    for key in order:
        value = row[key.lstrip("-")]
        values.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def _after(qs: QuerySet[Ticket], order: tuple[str, ...], token: str) -> QuerySet[Ticket]:
    """Return the rows after the cursor ``token`` in ``order`` (keyset pagination, no OFFSET)."""
    from django.db.models import Q
    from django.utils.dateparse import parse_datetime

    try:
        values = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return qs
    if not isinstance(values, list) or len(values) != len(order):
        return qs
    parsed = []
    for key, value in zip(order, values, strict=True):
        name = key.lstrip("-")
        if name in ("updated_at", "sla_due_at"):
            value = parse_datetime(str(value)) if isinstance(value, str) else None
        elif not isinstance(value, int) or isinstance(value, bool):
            value = None
        if value is None:
            return qs
        parsed.append((name, key.startswith("-"), value))
    condition = Q()
    for i, (name, desc, value) in enumerate(parsed):
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": value})
        for earlier, _desc, earlier_value in parsed[:i]:
            step &= Q(**{earlier: earlier_value})
        condition |= step
    return qs.filter(condition)


# -- queues ------------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """One queue with filters, keyset pages, saved views and bulk actions."""
    _staff(request)
    name = request.GET.get("queue", "mine" if workflow.person_of(request.user) else "active")
    if name not in queries.QUEUES:
        name = "active"
    qs = queries.queue(request.user, name)
    filterset = TicketFilter(request.GET or None, queryset=qs, request=request)
    for field_name, field in filterset.form.fields.items():
        field.widget.attrs.setdefault("id", f"filter-{field_name}")
    errors = {}
    if filterset.is_bound:
        if filterset.is_valid():
            qs = filterset.qs
        else:
            errors = filterset.errors
    sort = request.GET.get("sort", "priority")
    order = SORTS.get(sort, SORTS["priority"])
    if sort == "due":
        qs = qs.filter(sla_due_at__isnull=False)
    qs = qs.order_by(*order)
    token = request.GET.get("after", "")[:500]
    if token:
        qs = _after(qs, order, token)
    now = timezone.now()
    rows = tables.rows(qs, PAGE + 1, now=now)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    params = request.GET.copy()
    params.pop("after", None)
    next_url = ""
    if more and rows:
        params["after"] = _cursor(rows[-1], order)
        next_url = "?" + params.urlencode()
        params.pop("after")
    if name == "stale":
        why = {
            hit.ticket.pk: hit.why
            for hit in automation.stale_hits(tickets=queries.tickets(request.user), limit=500)
        }
        for row in rows:
            row["stale_why"] = why.get(row["id"], "")
    counts = queries.queue_counts(request.user)
    bulk_form = BulkForm(user=request.user)
    _fill_choices(filterset.form, bulk_form)
    return render(
        request,
        "tickets/queue.html",
        {
            "queue": name,
            "queues": [(k, v, counts.get(k, "")) for k, v in queries.QUEUES.items()],
            "filterset": filterset,
            "shown_filters": [filterset.form[n] for n in QUEUE_FILTERS],
            "filter_errors": errors,
            "rows": rows,
            "next_url": next_url,
            "first_url": "?" + params.urlencode() if token else "",
            "sort": sort,
            "sorts": [
                ("priority", _("Priority")),
                ("newest", _("Newest")),
                ("oldest", _("Oldest")),
                ("updated", _("Recently updated")),
                ("due", _("Service level due first")),
            ],
            "now": now,
            "query": params.urlencode(),
            "saved_views": SavedView.objects.filter(user=request.user),
            "bulk": bulk_form,
            "can_work": can_work(request.user),
            "kinds": Kind.choices,
        },
    )


CHOICE_FIELDS = ("team", "assignee", "organisation", "service")
"""The filters whose options are records (each a ``visible_to`` queryset whose ``__str__`` is the name)."""


def _fill_choices(filters: Any, bulk_form: BulkForm) -> None:
    """Give the record selects of the queue page their options from values queries.

    The fields keep their querysets, so a submitted value is still checked against what the user
    may see; only the options shown come from :func:`model_choices`. The bulk bar's team select
    shows the filter's team list: both fields are ``Team.objects.visible_to(user)``.
    """
    for name in CHOICE_FIELDS:
        field = filters.fields[name]
        field.widget.choices = model_choices(field.queryset, empty_label=field.empty_label)
    bulk_form.fields["team"].widget.choices = filters.fields["team"].widget.choices


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Save the current queue filter under a name."""
    _staff(request)
    try:
        services.save_view(
            actor=request.user,
            name=request.POST.get("name", "")[:100],
            query=request.POST.get("query", "")[:2000],
        )
        messages.success(request, _("The view was saved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return HttpResponseRedirect(reverse("tickets:queue") + "?" + request.POST.get("query", "")[:2000])


@login_required
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one of the user's saved views."""
    try:
        services.delete_view(pk, actor=request.user)
    except SavedView.DoesNotExist as exc:
        raise Http404 from exc
    return HttpResponseRedirect(reverse("tickets:queue"))


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Apply one operation to the selected tickets; report what could not be done."""
    if not can_work(request.user):
        raise PermissionDenied
    form = BulkForm(request.POST, user=request.user)
    back = reverse("tickets:queue") + "?" + request.POST.get("query", "")[:2000]
    if not form.is_valid():
        messages.error(request, _("Choose tickets and an operation."))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    person = workflow.person_of(request.user)
    done, failed = 0, []
    for ticket in queries.tickets(request.user).filter(pk__in=data["ids"]):
        try:
            if data["operation"] == "assign_me":
                if person is None:
                    raise ValidationError(_("Your login has no person record."))
                changes: dict[str, Any] = {"assignee": person}
                if ticket.team_id and not ticket.team.members.filter(pk=person.pk).exists():
                    changes["team"] = None
                services.update_ticket(ticket.pk, actor=request.user, changes=changes, version=ticket.version)
            elif data["operation"] == "set_team":
                if data.get("team") is None:
                    raise ValidationError(_("Choose a team."))
                services.update_ticket(
                    ticket.pk, actor=request.user, changes={"team": data["team"]}, version=ticket.version
                )
            elif data["operation"] == "add_tag":
                tags = [*ticket.tags.values_list("name", flat=True), data.get("tag", "")]
                services.update_ticket(
                    ticket.pk, actor=request.user, changes={}, version=ticket.version, tags=tags
                )
            else:
                services.apply_action(
                    ticket.pk,
                    data.get("action", ""),
                    actor=request.user,
                    version=ticket.version,
                    params={"comment": data.get("comment", "")},
                )
            done += 1
        except (*SERVICE_ERRORS, ActionNotAllowed) as exc:
            failed.append(f"{ticket.number}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
    if done:
        messages.success(request, _("%(n)s ticket(s) updated.") % {"n": done})
    for line in failed[:20]:
        messages.error(request, line)
    return HttpResponseRedirect(back)


# -- create ------------------------------------------------------------------------------------


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Quick create for agents (a phone call, a walk-in), with templates."""
    if not can_work(request.user):
        raise PermissionDenied(_("The service desk is for staff; requesters use the portal."))
    kind = request.GET.get("kind") or request.POST.get("kind") or Kind.INCIDENT
    if kind not in Kind.values:
        kind = Kind.INCIDENT
    if request.method == "POST":
        form = TicketCreateForm(request.POST, user=request.user, kind=kind)
        if form.is_valid():
            data = form.service_data()
            template = data.pop("template", None)
            try:
                ticket = services.create_ticket(
                    actor=request.user,
                    kind=kind,
                    data={
                        **data,
                        **(
                            {"impact": form.cleaned_data["impact"]} if form.cleaned_data.get("impact") else {}
                        ),
                    },
                    cis=form.cleaned_data["cis"],
                    tags=tags_list(form.cleaned_data.get("tags", "")),
                    template=template,
                    impact_reason=form.cleaned_data.get("impact_reason", ""),
                )
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(number)s was created.") % {"number": ticket.number})
                return HttpResponseRedirect(_url(ticket))
        return render(
            request, "tickets/create.html", {"form": form, "kind": kind, "kinds": Kind.choices}, status=400
        )
    initial: dict[str, Any] = {
        k: v[:200] for k, v in request.GET.items() if k in ("title", "organisation", "requester", "service")
    }
    template_id = request.GET.get("template", "")
    if template_id.isdigit():
        from .models import TicketTemplate

        template = TicketTemplate.objects.filter(pk=int(template_id), kind=kind, is_active=True).first()
        if template is not None:
            initial.update(
                {
                    "template": template.pk,
                    "title": template.title,
                    "description": template.description,
                    "category": template.category_id,
                    "service": template.service_id,
                    "team": template.team_id,
                    "urgency": template.urgency or 3,
                    "impact": template.impact or "",
                    "tags": template.tags,
                }
            )
    form = TicketCreateForm(user=request.user, kind=kind, initial=initial)
    return render(request, "tickets/create.html", {"form": form, "kind": kind, "kinds": Kind.choices})


# -- the ticket page ---------------------------------------------------------------------------


def _impact_summary(ticket: Ticket, user: Any) -> dict[str, Any]:
    """Services and customers the affected CIs reach (for the ticket page)."""
    services_seen: dict[int, dict[str, Any]] = {}
    customers: dict[int, str] = {}
    for ci in ticket.cis.all()[:10]:
        described = impact.describe(impact.traverse(("ci", ci.pk)), user)
        for row in described["services"]:
            services_seen.setdefault(row["id"], row)
        for customer in described["customers"]:
            customers[customer["id"]] = customer["name"]
    return {
        "services": sorted(services_seen.values(), key=lambda r: (r["depth"], r["label"]))[:20],
        "customers": sorted(customers.values()),
    }


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    edit: TicketEditForm | None = None,
    comment: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    worker = services.is_worker(user, ticket)
    transitions = workflow.available(ticket, user)
    buttons = [
        {"code": t.code, "label": t.label(), "form": bool(PARAM_GUARDS & set(t.guards))} for t in transitions
    ]
    comments = list(
        Comment.objects.visible_to(user)
        .filter(ticket=ticket)
        .select_related("author")
        .prefetch_related("attachments")
    )
    files = list(Attachment.objects.visible_to(user).filter(ticket=ticket, comment__isnull=True))
    links = list(
        TicketLink.objects.visible_to(user).filter(from_ticket=ticket).select_related("to_ticket__state")
    ) + list(
        TicketLink.objects.visible_to(user).filter(to_ticket=ticket).select_related("from_ticket__state")
    )
    person = workflow.person_of(user)
    return render(
        request,
        "tickets/ticket.html",
        {
            "ticket": ticket,
            "worker": worker,
            "buttons": buttons,
            "comments": comments,
            "timeline": [c for c in comments if c.is_timeline],
            "files": files,
            "links": links,
            "edit": edit or (TicketEditForm.for_ticket(ticket, user=user) if worker else None),
            "comment_form": comment or CommentForm(),
            "link_form": LinkForm(),
            "major_form": MajorForm(initial={"version": ticket.version}),
            "impact": _impact_summary(ticket, user) if ticket.cis.exists() else None,
            "panels": panels.render(request, ticket),
            "history": history_rows(ticket),
            "watching": person is not None and ticket.watchers.filter(pk=person.pk).exists(),
            "watchers": list(ticket.watchers.all()),
            "review_pending": ticket.review_status == ReviewStatus.PENDING,
            "decisions": list(ticket.review_decisions.select_related("problem", "improvement")),
            "stale": [
                hit.why
                for hit in automation.stale_hits(tickets=Ticket.objects.filter(pk=ticket.pk), limit=10)
            ],
        },
        status=status,
    )


@login_required
def ticket_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page: conversation, work notes, fields, CMDB impact, links, history."""
    ticket = _ticket(request, pk)
    if not _reads(request.user):
        return HttpResponseRedirect(reverse("portal:ticket", args=[pk]))
    return _page(request, ticket)


@login_required
@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the fields of the ticket page (a stale version shows what changed meanwhile)."""
    ticket = _ticket(request, pk)
    form = TicketEditForm.for_ticket(ticket, user=request.user, data=request.POST)
    if form.is_valid():
        data = form.service_data()
        for key in ("resolution", "cause_class"):
            data[key] = form.cleaned_data.get(key, "")
        if form.cleaned_data.get("impact"):
            data["impact"] = form.cleaned_data["impact"]
        try:
            services.update_ticket(
                ticket.pk,
                actor=request.user,
                changes=data,
                version=form.cleaned_data["version"],
                cis=form.cleaned_data["cis"],
                tags=tags_list(form.cleaned_data.get("tags", "")),
                impact_reason=form.cleaned_data.get("impact_reason", ""),
            )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
            if hasattr(exc, "changes") and exc.changes:
                form.conflict = exc.changes  # type: ignore[attr-defined]
        else:
            messages.success(request, _("%(number)s was saved.") % {"number": ticket.number})
            return HttpResponseRedirect(_url(ticket))
    return _page(request, _ticket(request, pk), edit=form, status=400)


@login_required
def action(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Apply a workflow action; actions that need a note, a resolution or a person ask first."""
    ticket = _ticket(request, pk)
    transition = next((t for t in workflow.available(ticket, request.user) if t.code == code), None)
    guards = list(transition.guards) if transition else []
    if request.method == "POST":
        form = ActionForm(request.POST, user=request.user, guards=guards)
        if form.is_valid():
            try:
                services.apply_action(
                    ticket.pk,
                    code,
                    actor=request.user,
                    version=form.cleaned_data["version"],
                    params=form.params(),
                )
            except ActionNotAllowed as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(_url(ticket))
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("%(number)s: %(action)s")
                    % {"number": ticket.number, "action": transition.label() if transition else code},
                )
                return HttpResponseRedirect(_url(ticket))
        status = 400
    else:
        if transition is None:
            messages.error(request, _("This action does not apply to the ticket now."))
            return HttpResponseRedirect(_url(ticket))
        visibility = Visibility.PUBLIC if code in services.PUBLIC_ACTIONS else Visibility.INTERNAL
        form = ActionForm(
            user=request.user,
            guards=guards,
            initial={
                "version": ticket.version,
                "visibility": visibility,
                "resolution": ticket.resolution,
                "cause_class": ticket.cause_class,
            },
        )
        status = 200
    return render(
        request,
        "tickets/action.html",
        {"ticket": ticket, "form": form, "transition": transition, "code": code},
        status=status,
    )


@login_required
@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a reply or work note (and its file) from the ticket page."""
    ticket = _ticket(request, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused file leaves no half-written comment
                note = services.add_comment(
                    ticket.pk,
                    actor=request.user,
                    body=data["body"],
                    visibility=data["visibility"],
                    channel="portal",
                    is_timeline=data.get("is_timeline", False),
                )
                upload = data.get("file")
                if upload is not None:
                    services.add_attachment(
                        ticket.pk,
                        actor=request.user,
                        name=upload.name,
                        data=upload.read(),
                        comment_id=note.pk,
                    )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            return HttpResponseRedirect(_url(ticket) + f"#comment-{note.pk}")
    return _page(request, _ticket(request, pk), comment=form, status=400)


@login_required
@require_POST
def attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach a file to the ticket."""
    ticket = _ticket(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file."))
    else:
        try:
            services.add_attachment(ticket.pk, actor=request.user, name=upload.name, data=upload.read())
            messages.success(request, _("The file was attached."))
        except SERVICE_ERRORS as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
            return HttpResponseRedirect(_url(ticket))
    return HttpResponseRedirect(_url(ticket))


@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an attachment (images may be shown inline)."""
    return downloads.attachment_response(request.user, pk, inline=request.GET.get("inline") == "1")


@login_required
@require_POST
def major(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare or end a major incident."""
    ticket = _ticket(request, pk)
    form = MajorForm(request.POST)
    if form.is_valid():
        try:
            services.declare_major(
                ticket.pk,
                actor=request.user,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                major=not ticket.major,
            )
        except SERVICE_ERRORS as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, _("Say why."))
    return HttpResponseRedirect(_url(ticket))


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the improvement decision of an incident that meets a criterion."""
    ticket = _ticket(request, pk)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem = None
        if data["outcome"] == "problem" and data.get("problem"):
            problem = (
                queries.tickets(request.user)
                .filter(number=data["problem"].strip().upper(), kind=Kind.PROBLEM)
                .first()
            )
            if problem is None:
                form.add_error("problem", _("No such problem, or you may not see it."))
        if not form.errors:
            try:
                services.record_review_decision(
                    ticket.pk,
                    actor=request.user,
                    outcome=data["outcome"],
                    problem=problem,
                    problem_title=data.get("problem_title", ""),
                    improvement_title=data.get("improvement_title", ""),
                    reason=data.get("reason", ""),
                )
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("The decision was recorded."))
                return HttpResponseRedirect(_url(ticket))
    return render(
        request,
        "tickets/review.html",
        {"ticket": ticket, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """Link the ticket to another one by number."""
    ticket = _ticket(request, pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        other = (
            queries.tickets(request.user).filter(number=form.cleaned_data["number"].strip().upper()).first()
        )
        if other is None:
            messages.error(request, _("No such ticket, or you may not see it."))
        else:
            try:
                services.link_tickets(
                    actor=request.user, from_ticket=ticket, to_ticket=other, kind=form.cleaned_data["kind"]
                )
            except SERVICE_ERRORS as exc:
                messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.error(request, _("Give a ticket number and the kind of link."))
    return HttpResponseRedirect(_url(ticket))


@login_required
@require_POST
def unlink(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a link between tickets."""
    try:
        link_row = TicketLink.objects.visible_to(request.user).get(pk=pk)
        back = link_row.from_ticket_id
        services.unlink_tickets(pk, actor=request.user)
    except TicketLink.DoesNotExist as exc:
        raise Http404 from exc
    return HttpResponseRedirect(reverse("tickets:ticket", args=[back]))


@login_required
@require_POST
def watch(request: HttpRequest, pk: int) -> HttpResponse:
    """Start or stop watching the ticket."""
    ticket = _ticket(request, pk)
    try:
        services.set_watching(ticket.pk, actor=request.user, watching=request.POST.get("watch") == "1")
    except SERVICE_ERRORS as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return HttpResponseRedirect(_url(ticket))


@login_required
def stale_view(request: HttpRequest) -> HttpResponse:
    """Every ticket a stale rule would act on now, and why."""
    _staff(request)
    hits = automation.stale_hits(tickets=queries.tickets(request.user), limit=500)
    return render(request, "tickets/stale.html", {"hits": hits})


def query_string(**params: Any) -> str:
    """Return a query string without empty values."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})
