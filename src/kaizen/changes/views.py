"""Pages of change enablement: the board, raising and editing a change, its panel on the desk's
ticket page, the change calendar, the CAB agenda, the KPIs and the settings (thin: parse →
authorise → one service or query → render)."""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.approvals.choices import ApprovalState, RoundOutcome
from kaizen.approvals.models import Approval, ApprovalRound
from kaizen.core import access
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.core.ui.registry import ModelUI
from kaizen.core.ui.views import SERVICE_ERRORS, apply_service_errors
from kaizen.tickets import panels
from kaizen.tickets import services as tickets
from kaizen.tickets import workflow as ticket_workflow
from kaizen.tickets.choices import FINAL_CATEGORIES, Channel, Kind, LinkKind, StateCategory
from kaizen.tickets.models import Ticket, TicketLink, WorkflowState

from . import policies, queries, schedule, services
from .choices import ChangeType, WindowKind
from .forms import (
    PLAN_LABELS,
    SHORT_TYPES,
    BoardFilterForm,
    BoardForm,
    ChangeCreateForm,
    ChangeEditForm,
    PeriodForm,
    ProceedForm,
    ReviewForm,
    TemplateForm,
    WindowForm,
    same_minute,
    service_field,
)
from .models import WORKERS, Change, ChangeBoard, ChangeTemplate, ChangeWindow
from .workflow import PLAN_FIELDS

BOARD_STATES = ("new", "assessment", "awaiting_approval", "scheduled", "implementing", "review")
BOARD_LIMIT = 500
PROCEED = ("submit", "schedule")
"""Actions that check the schedule and accept a reason for going ahead despite its warnings."""
FIRST_YEAR, LAST_YEAR = 1971, 2199
WARNING_LABELS = {
    "conflict": gettext_lazy("Conflict"),
    WindowKind.FREEZE: gettext_lazy("Freeze window"),
    WindowKind.BLACKOUT: gettext_lazy("Blackout window"),
    WindowKind.MAINTENANCE: gettext_lazy("Outside the maintenance windows"),
}
SHADE_ORDER = (WindowKind.BLACKOUT, WindowKind.FREEZE, WindowKind.MAINTENANCE)
WINDOW_LABELS = {
    WindowKind.BLACKOUT: gettext_lazy("Blackout window"),
    WindowKind.FREEZE: gettext_lazy("Freeze window"),
    WindowKind.MAINTENANCE: gettext_lazy("Maintenance window"),
}
GET_PREFILL = 20_000


def _workers(user: Any) -> bool:
    return access.has_any_role(user, WORKERS)


def _require_worker(request: HttpRequest) -> None:
    """Raising and editing changes is for the roles that work changes."""
    if not _workers(request.user):
        raise PermissionDenied(_("Change enablement is for staff; requesters use the portal."))


def _require_staff(request: HttpRequest) -> None:
    """The board, calendar, agenda and KPIs are read by every staff role (CAB members, auditors)."""
    if not access.has_any_role(request.user, access.STAFF_ROLES):
        raise PermissionDenied(_("Change enablement is for staff; requesters use the portal."))


def decision_target(user: Any) -> dict[str, Any]:
    """Where an approver's decision is posted: the staff inbox (back to this page, with delegation),
    or the portal's approval page for approvers without a staff role (it decides, then shows itself)."""
    inbox = access.has_any_role(user, access.STAFF_ROLES)
    return {
        "decide_url": reverse("approvals:inbox" if inbox else "portal:approvals"),
        "can_delegate": inbox,
    }


def _ticket_url(ticket_id: int) -> str:
    return reverse("tickets:ticket", args=[ticket_id])


def _change(request: HttpRequest, pk: int) -> Change:
    """Return the change record of a change ticket the user sees (404 otherwise)."""
    change: Change | None = (
        schedule.visible_changes(request.user)
        .select_related("ticket", "ticket__state", "ticket__organisation", "template")
        .filter(ticket_id=pk)
        .first()
    )
    if change is None:
        raise Http404(_("No such change, or you may not see it."))
    return change


def _service_errors(form: Any, exc: Exception, renames: dict[str, str] | None = None) -> None:
    """Show a service error on the form, with the service's field names mapped to the form's."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        names = renames or {}
        exc = ValidationError({names.get(k, service_field(k)): v for k, v in exc.error_dict.items()})
    apply_service_errors(form, exc)


def _day(raw: str) -> tuple[dt.date, str]:
    """Parse a ``date`` parameter (empty: today); the second value is the error, if any."""
    raw = raw.strip()[:20]
    if not raw:
        return timezone.localdate(), ""
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        return timezone.localdate(), _("Enter a date as YYYY-MM-DD.")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return timezone.localdate(), _("Choose a date between %(first)s and %(last)s.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    return day, ""


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def visible_ids(found: list[schedule.ScheduleWarning], user: Any) -> set[int]:
    """Return the changes named by ``found`` that ``user`` may see (one query)."""
    ids = {w.ticket_id for w in found if w.ticket_id}
    if not ids:
        return set()
    return set(schedule.visible_changes(user).filter(ticket_id__in=ids).values_list("ticket_id", flat=True))


def shown_warnings(
    found: list[schedule.ScheduleWarning], user: Any, visible: set[int] | None = None
) -> list[dict[str, Any]]:
    """Return warnings for display; a conflict with a change the user may not see is not named."""
    if visible is None:
        visible = visible_ids(found, user)
    out = []
    for w in found:
        hidden = w.kind == "conflict" and w.ticket_id not in visible
        out.append(
            {
                "kind": w.kind,
                "label": WARNING_LABELS.get(w.kind, w.kind),
                "message": _(
                    "Another change you may not see touches a dependent CI in an overlapping window."
                )
                if hidden
                else w.message,
                "ticket_id": None if hidden else w.ticket_id,
                "ref": "" if hidden else w.ref,
                "starts_at": w.starts_at,
                "ends_at": w.ends_at,
            }
        )
    return out


def _state_labels() -> dict[str, str]:
    found = {s.code: s.label() for s in WorkflowState.objects.filter(kind=Kind.CHANGE, code__in=BOARD_STATES)}
    return {code: found.get(code, code) for code in BOARD_STATES}


# -- the board ------------------------------------------------------------------------------------


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The open changes by state (or as a table), filtered by type, risk, service and team."""
    _require_staff(request)
    form = BoardFilterForm(request.GET or None, user=request.user)
    qs = schedule.visible_changes(request.user).filter(ticket__state__code__in=BOARD_STATES)
    if form.is_bound and form.is_valid():
        qs = form.apply(qs)
    rows = list(
        qs.select_related(
            "ticket", "ticket__state", "ticket__service", "ticket__team", "ticket__organisation", "template"
        ).order_by(F("planned_start").asc(nulls_last=True), "ticket_id")[: BOARD_LIMIT + 1]
    )
    more = len(rows) > BOARD_LIMIT
    rows = rows[:BOARD_LIMIT]
    labels = _state_labels()
    columns = [
        {"code": code, "label": labels[code], "rows": [r for r in rows if r.ticket.state.code == code]}
        for code in BOARD_STATES
    ]
    view = "table" if request.GET.get("view") == "table" else "board"
    params = request.GET.copy()
    params.pop("view", None)
    return render(
        request,
        "changes/board.html",
        {
            "form": form,
            "columns": columns,
            "rows": rows,
            "more": more,
            "limit": BOARD_LIMIT,
            "view": view,
            "query": params.urlencode(),
            "tab": "board",
            "max_score": policies.MAX_SCORE,
            "can_work": _workers(request.user),
        },
    )


# -- raise and edit -------------------------------------------------------------------------------


def _template_initial(request: HttpRequest) -> dict[str, Any]:
    """Return the initial values of the new change form (query string, then the chosen template)."""
    form_fields = set(ChangeCreateForm(user=request.user).fields)
    initial: dict[str, Any] = {
        k: v[:GET_PREFILL] for k, v in request.GET.items() if k in form_fields and k != "template"
    }
    raw = request.GET.get("template", "")
    if raw.isdigit() and len(raw) <= 12:
        chosen = ChangeTemplate.objects.visible_to(request.user).filter(pk=int(raw), is_active=True).first()
        if chosen is None:
            messages.warning(request, _("The standard change template no longer exists or was withdrawn."))
            return initial
        initial.update(
            {
                "template": chosen.pk,
                "change_type": ChangeType.STANDARD,
                "reason": chosen.description,
                **{name: getattr(chosen, name) for name in PLAN_FIELDS},
            }
        )
        if not initial.get("title"):
            initial["title"] = chosen.label()
        if chosen.service_id:
            initial["service"] = chosen.service_id
        if chosen.team_id:
            initial["team"] = chosen.team_id
    return initial


@login_required
def create(request: HttpRequest) -> HttpResponse:
    """Raise a change (RFC) through ``services.raise_change``, optionally from a standard template."""
    _require_worker(request)
    templates = list(ChangeTemplate.objects.visible_to(request.user).filter(is_active=True).order_by("name"))
    if request.method == "POST":
        form = ChangeCreateForm(request.POST, user=request.user)
        if form.is_valid():
            template = form.cleaned_data.get("template")
            try:
                ticket = services.raise_change(
                    actor=request.user,
                    data={**form.ticket_data(), "channel": Channel.PORTAL},
                    change=form.change_values(),
                    cis=form.cleaned_data["cis"],
                    template=template.pk if template is not None else None,
                )
            except SERVICE_ERRORS as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, _("%(number)s was raised.") % {"number": ticket.number})
                return HttpResponseRedirect(_ticket_url(ticket.pk))
        return render(
            request,
            "changes/create.html",
            {"form": form, "templates": templates, "max_score": policies.MAX_SCORE},
            status=400,
        )
    form = ChangeCreateForm(user=request.user, initial=_template_initial(request))
    return render(
        request,
        "changes/create.html",
        {"form": form, "templates": templates, "max_score": policies.MAX_SCORE},
    )


def _changed_values(form: ChangeEditForm, change: Change) -> dict[str, Any]:
    """Return only what the editor changed (a ``datetime-local`` input shows minutes, not seconds)."""
    out: dict[str, Any] = {}
    for key, value in form.change_values().items():
        current = getattr(change, key)
        if key in ("planned_start", "planned_end"):
            if not same_minute(value, current):
                out[key] = value
        elif key == "risk_answers":
            if value != (current or {}):
                out[key] = value
        elif value != current:
            out[key] = value
    return out


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a change's record with the ticket version it was opened at (stale: 409 with what changed)."""
    _require_worker(request)
    change = _change(request, pk)
    ticket = change.ticket
    conflict: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST":
        form = ChangeEditForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.update_change(
                    ticket.pk,
                    actor=request.user,
                    changes=_changed_values(form, change),
                    version=form.cleaned_data["version"],
                )
            except Ticket.DoesNotExist as exc:
                raise Http404(_("No such change, or you may not see it.")) from exc
            except ConflictError as exc:
                _service_errors(form, exc)
                conflict = exc.changes
                status = 409
            except SERVICE_ERRORS as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, _("%(number)s was saved.") % {"number": ticket.number})
                return HttpResponseRedirect(_ticket_url(ticket.pk))
        status = status if status != 200 else 400
        change = _change(request, pk)
    else:
        form = ChangeEditForm(user=request.user, initial=ChangeEditForm.initial_for(change))
    return render(
        request,
        "changes/edit.html",
        {
            "form": form,
            "change": change,
            "ticket": change.ticket,
            "conflict": conflict,
            "max_score": policies.MAX_SCORE,
        },
        status=status,
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the post-implementation review of a change in review."""
    _require_worker(request)
    change = _change(request, pk)
    ticket = change.ticket
    status = 200
    if request.method == "POST":
        form = ReviewForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_review(
                    ticket.pk,
                    actor=request.user,
                    outcome=data["outcome"],
                    notes=data.get("notes", ""),
                    version=data["version"],
                )
            except Ticket.DoesNotExist as exc:
                raise Http404(_("No such change, or you may not see it.")) from exc
            except SERVICE_ERRORS as exc:
                _service_errors(form, exc, {"review_notes": "notes"})
                if isinstance(exc, ConflictError):
                    status = 409
            else:
                messages.success(
                    request, _("The review of %(number)s was recorded.") % {"number": ticket.number}
                )
                return HttpResponseRedirect(_ticket_url(ticket.pk))
    else:
        form = ReviewForm(
            initial={"version": ticket.version, "outcome": change.outcome, "notes": change.review_notes}
        )
    return render(
        request, "changes/review.html", {"form": form, "change": change, "ticket": ticket}, status=status
    )


@login_required
def proceed(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Submit or schedule a change despite its scheduling warnings, with the reason for going ahead.

    The desk's generic action buttons post no ``override_reason``; this form does.
    """
    _require_worker(request)
    if code not in PROCEED:
        raise Http404
    change = _change(request, pk)
    ticket = change.ticket
    transition = next((t for t in ticket_workflow.available(ticket, request.user) if t.code == code), None)
    if request.method == "POST":
        form = ProceedForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                tickets.apply_action(
                    ticket.pk,
                    code,
                    actor=request.user,
                    version=data["version"],
                    params={"override_reason": data["override_reason"], "comment": data.get("comment", "")},
                )
            except ActionNotAllowed as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(_ticket_url(ticket.pk))
            except Ticket.DoesNotExist as exc:
                raise Http404 from exc
            except SERVICE_ERRORS as exc:
                _service_errors(form, exc)
            else:
                label = transition.label() if transition is not None else code
                messages.success(
                    request, _("%(number)s: %(action)s") % {"number": ticket.number, "action": label}
                )
                return HttpResponseRedirect(_ticket_url(ticket.pk))
        status = 400
    else:
        if transition is None:
            messages.error(request, _("This action does not apply to the change now."))
            return HttpResponseRedirect(_ticket_url(ticket.pk))
        form = ProceedForm(initial={"version": ticket.version})
        status = 200
    return render(
        request,
        "changes/proceed.html",
        {
            "form": form,
            "change": change,
            "ticket": ticket,
            "code": code,
            "transition": transition,
            "warnings": shown_warnings(schedule.warnings_for(change), request.user),
        },
        status=status,
    )


# -- the panel on the ticket page -----------------------------------------------------------------


def _answers(change: Change) -> list[dict[str, Any]]:
    answers = change.risk_answers or {}
    out = []
    for question in policies.QUESTIONS:
        code = answers.get(question.code)
        found = next(((label, score) for c, label, score in question.answers if c == code), None)
        out.append(
            {
                "question": question.text,
                "answer": found[0] if found else "",
                "score": found[1] if found else None,
            }
        )
    return out


def _rounds(ticket: Ticket, user: Any) -> list[dict[str, Any]]:
    rows = (
        ApprovalRound.objects.visible_to(user)
        .filter(ticket=ticket)
        .order_by("-id")
        .prefetch_related(
            Prefetch(
                "approvals",
                queryset=Approval.objects.select_related("approver", "on_behalf_of").order_by("order", "id"),
            )
        )
    )
    out = []
    for round_ in rows:
        approvals = list(round_.approvals.all())
        out.append(
            {
                "round": round_,
                "approvals": approvals,
                "mine": [
                    a
                    for a in approvals
                    if a.approver_id == user.pk
                    and a.state == ApprovalState.WAITING
                    and round_.outcome == RoundOutcome.OPEN
                ],
            }
        )
    return out


@panels.register(10)
def change_panel(request: HttpRequest, ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
    """The change's own panel on the desk's ticket page: risk, plans, window, warnings, approvals, impact."""
    user = request.user
    if ticket.kind != Kind.CHANGE or not access.has_any_role(user, access.STAFF_ROLES):
        return None
    change = Change.objects.select_related("template", "reviewed_by").filter(ticket_id=ticket.pk).first()
    if change is None:
        return None
    change.ticket = ticket
    worker = tickets.is_worker(user, ticket)
    in_review = ticket.state_category == StateCategory.RESOLVED
    # Once the change is in review or over, its window is history: show what was known when it
    # was submitted or scheduled, not today's calendar (other changes since booked around it).
    settled = in_review or ticket.state_category in FINAL_CATEGORIES
    found = schedule.recorded_warnings(change.schedule_warnings) if settled else schedule.warnings_for(change)
    warnings = shown_warnings(found, user)
    available = ticket_workflow.available(ticket, user) if worker else []
    proceed_actions = [t for t in available if t.code in PROCEED] if warnings and not settled else []
    caused = list(
        TicketLink.objects.visible_to(user)
        .filter(to_ticket=ticket, kind=LinkKind.CAUSED_BY)
        .select_related("from_ticket", "from_ticket__state")
        .order_by("-id")[:50]
    )
    return (
        "changes/_panel.html",
        {
            "change": change,
            "worker": worker,
            "editable": worker and not in_review and ticket.state_category not in FINAL_CATEGORIES,
            "answers": _answers(change),
            "max_score": policies.MAX_SCORE,
            "plans": [(PLAN_LABELS[name], getattr(change, name)) for name in PLAN_FIELDS],
            "warnings": warnings,
            "warnings_recorded": settled,
            "proceed_actions": proceed_actions,
            "proceed_form": ProceedForm(initial={"version": ticket.version}),
            "rounds": _rounds(ticket, user),
            "impact": schedule.impact_of(ticket, user),
            "caused": caused,
            "review_form": ReviewForm(
                auto_id="review_%s",
                initial={"version": ticket.version, "outcome": change.outcome, "notes": change.review_notes},
            )
            if worker and in_review
            else None,
            "back": _ticket_url(ticket.pk),
            **decision_target(user),
        },
    )


# -- the change calendar --------------------------------------------------------------------------


def _clock(value: dt.datetime, day_start: dt.datetime, day_end: dt.datetime) -> str:
    if value <= day_start:
        return "00:00"
    if value >= day_end:
        return "24:00"
    return timezone.localtime(value).strftime("%H:%M")


def _by_day(changes: list[schedule.Planned], bounds: list[dt.datetime]) -> list[list[schedule.Planned]]:
    """Return the changes of each day (``bounds``: the midnights), in their order, each change once per
    day it touches (a month holds thousands of changes: no scan of all of them per day)."""
    days: list[list[schedule.Planned]] = [[] for _ in bounds[:-1]]
    for c in changes:
        i = max(0, bisect.bisect_right(bounds, c.start) - 1)
        while i < len(days) and bounds[i] < c.end:  # from the day it starts to the day it ends
            days[i].append(c)
            i += 1
    return days


def _grid(first: dt.date, days: int, found: dict[str, Any], month: int | None) -> list[list[dict[str, Any]]]:
    today = timezone.localdate()
    weeks: list[list[dict[str, Any]]] = []
    bounds = [_midnight(first + dt.timedelta(days=offset)) for offset in range(days + 1)]
    changes = _by_day(found["changes"], bounds)
    for offset in range(days):
        day = first + dt.timedelta(days=offset)
        start, end = bounds[offset], bounds[offset + 1]
        blocks = [
            {
                "change": c,
                "from": _clock(c.start, start, end),
                "to": _clock(c.end, start, end),
                "continues": c.start < start,
            }
            for c in changes[offset]
        ]
        windows = [
            {"window": w, "label": WINDOW_LABELS.get(w.kind, w.kind)}
            for w in found["windows"]
            if w.starts_at < end and w.ends_at > start
        ]
        kinds = {w["window"].kind for w in windows}
        shade = next((k for k in SHADE_ORDER if k in kinds), "")
        if offset % 7 == 0:
            weeks.append([])
        weeks[-1].append(
            {
                "date": day,
                "in_period": month is None or day.month == month,
                "today": day == today,
                "blocks": blocks,
                "windows": windows,
                "shade": shade,
            }
        )
    return weeks


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    """The change calendar: a month or a week of planned changes with the change windows shaded."""
    _require_staff(request)
    view = request.GET.get("view", "month")
    if view not in ("month", "week"):
        view = "month"
    day, error = _day(request.GET.get("date", ""))
    context: dict[str, Any] = {"view": view, "tab": "calendar", "error": error}
    if error:
        return render(request, "changes/calendar.html", context, status=400)
    if view == "month":
        first_of_month = day.replace(day=1)
        following = (first_of_month + dt.timedelta(days=32)).replace(day=1)
        first = first_of_month - dt.timedelta(days=first_of_month.weekday())
        last = following - dt.timedelta(days=1)
        days = (last - first).days + 1
        days += (7 - days % 7) % 7
        previous = (first_of_month - dt.timedelta(days=1)).replace(day=1)
        title = first_of_month
        month: int | None = first_of_month.month
    else:
        first = day - dt.timedelta(days=day.weekday())
        days = 7
        previous, following = first - dt.timedelta(days=7), first + dt.timedelta(days=7)
        title = first
        month = None
    found = schedule.calendar(request.user, _midnight(first), _midnight(first + dt.timedelta(days=days)))
    context.update(
        {
            "weeks": _grid(first, days, found, month),
            "weekdays": [(first + dt.timedelta(days=i)) for i in range(7)],
            "title": title,
            "day": day,
            "previous": previous,
            "following": following,
            "today": timezone.localdate(),
            "window_kinds": [(k, WINDOW_LABELS[k]) for k in SHADE_ORDER],
            "change_types": SHORT_TYPES,
            "count": len(found["changes"]),
        }
    )
    return render(request, "changes/calendar.html", context)


# -- the CAB agenda -------------------------------------------------------------------------------


@login_required
def cab(request: HttpRequest) -> HttpResponse:
    """The CAB agenda of a day: the changes to decide with what the CAB needs, and those coming up."""
    _require_staff(request)
    day, error = _day(request.GET.get("date", ""))
    if error:
        return render(request, "changes/cab.html", {"error": error, "tab": "cab"}, status=400)
    found = schedule.agenda(request.user, day)
    user = request.user
    # The agenda has redacted every conflict with a change the user may not see: the changes its
    # warnings still name are the visible ones (no query needed).
    visible = {w.ticket_id for i in found["decide"] + found["upcoming"] for w in i.warnings if w.ticket_id}

    def wrap(item: schedule.AgendaItem) -> dict[str, Any]:
        return {
            "item": item,
            "warnings": shown_warnings(item.warnings, user, visible),
            "mine": [
                a for a in item.approvals if a.approver_id == user.pk and a.state == ApprovalState.WAITING
            ],
        }

    board_ = schedule.board_for(ChangeType.NORMAL)
    return render(
        request,
        "changes/cab.html",
        {
            "day": day,
            "decide": [wrap(i) for i in found["decide"]],
            "upcoming": [wrap(i) for i in found["upcoming"]],
            "board": board_,
            "previous": day - dt.timedelta(days=7),
            "following": day + dt.timedelta(days=7),
            "back": request.get_full_path(),
            "max_score": policies.MAX_SCORE,
            "tab": "cab",
            **decision_target(user),
        },
    )


# -- KPIs -----------------------------------------------------------------------------------------


KPI_GROUPS = (
    ("team", gettext_lazy("By team")),
    ("service", gettext_lazy("By service")),
    ("type", gettext_lazy("By type of change")),
)


def _kpi_rows(rows: list[queries.KpiRow], group: str) -> dict[str, Any]:
    types = dict(SHORT_TYPES)
    shown = [
        {
            "label": str(types.get(r.key, r.label)) if group == "type" else r.label,
            "implemented": r.implemented,
            "reviewed": r.reviewed,
            "successful": r.successful,
            "unsuccessful": r.unsuccessful,
            "caused_incidents": r.caused_incidents,
            "rate": None if r.success_rate is None else round(r.success_rate * 100, 1),
        }
        for r in rows
    ]
    reviewed = sum(r.reviewed for r in rows)
    successful = sum(r.successful for r in rows)
    total = {
        "implemented": sum(r.implemented for r in rows),
        "reviewed": reviewed,
        "successful": successful,
        "unsuccessful": sum(r.unsuccessful for r in rows),
        "caused_incidents": sum(r.caused_incidents for r in rows),
        "rate": round(successful / reviewed * 100, 1) if reviewed else None,
    }
    return {"rows": shown, "total": total}


@login_required
def kpis(request: HttpRequest) -> HttpResponse:
    """Change success rate and changes that caused incidents per team, service and type for a period."""
    _require_staff(request)
    today = timezone.localdate()
    bound = "start" in request.GET or "end" in request.GET
    form = PeriodForm(
        request.GET if bound else None, initial={"start": today - dt.timedelta(days=30), "end": today}
    )
    if bound and not form.is_valid():
        return render(request, "changes/kpis.html", {"form": form, "tab": "kpis"}, status=400)
    start = form.cleaned_data["start"] if bound else today - dt.timedelta(days=30)
    end = form.cleaned_data["end"] if bound else today
    if not (FIRST_YEAR <= start.year <= LAST_YEAR and FIRST_YEAR <= end.year <= LAST_YEAR):
        form.add_error(
            "start",
            _("Choose dates between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
        return render(request, "changes/kpis.html", {"form": form, "tab": "kpis"}, status=400)
    period = (_midnight(start), _midnight(end + dt.timedelta(days=1)))
    tables = [
        {
            "group": group,
            "label": label,
            **_kpi_rows(queries.kpis(request.user, *period, group_by=group), group),
        }
        for group, label in KPI_GROUPS
    ]
    return render(
        request,
        "changes/kpis.html",
        {"form": form, "tables": tables, "start": start, "end": end, "tab": "kpis"},
    )


# -- settings -------------------------------------------------------------------------------------


class TemplateUI(ModelUI):
    """Pages of standard change templates."""

    model = ChangeTemplate
    slug = "change-templates"
    namespace = "changes"
    form_class = TemplateForm
    columns = ("__str__", "service", "team", "max_duration_minutes", "is_active")
    detail_fields = tuple(TemplateForm.Meta.fields)
    select_related = ("service", "team")
    create_service = staticmethod(services.create_template)
    update_service = staticmethod(services.update_template)
    delete_service = staticmethod(services.delete_template)


class BoardUI(ModelUI):
    """Pages of the change boards (CAB, ECAB) and their members."""

    model = ChangeBoard
    slug = "change-boards"
    namespace = "changes"
    form_class = BoardForm
    columns = ("__str__", "kind", "mode", "quorum", "meets_on", "is_active")
    detail_fields = ("kind", "name", "name_en", "mode", "quorum", "meets_on", "members", "is_active")
    prefetch_related = ("members",)
    create_service = staticmethod(services.create_board)
    update_service = staticmethod(services.update_board)
    delete_service = staticmethod(services.delete_board)


class WindowUI(ModelUI):
    """Pages of the freeze, blackout and maintenance windows."""

    model = ChangeWindow
    slug = "change-windows"
    namespace = "changes"
    form_class = WindowForm
    columns = ("__str__", "kind", "starts_at", "ends_at", "is_active")
    detail_fields = ("name", "name_en", "kind", "starts_at", "ends_at", "services", "reason", "is_active")
    prefetch_related = ("services",)
    create_service = staticmethod(services.create_window)
    update_service = staticmethod(services.update_window)
    delete_service = staticmethod(services.delete_window)


SETTINGS_PAGES: list[tuple[type[ModelUI], Any]] = [
    (TemplateUI, gettext_lazy("Standard change templates")),
    (BoardUI, gettext_lazy("Change boards (CAB and ECAB)")),
    (WindowUI, gettext_lazy("Change windows (freeze, blackout, maintenance)")),
]


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    """The hub of change enablement's configuration pages."""
    if not access.has_any_role(request.user, access.STAFF_ROLES):
        raise PermissionDenied
    return render(
        request,
        "changes/settings.html",
        {"pages": [(ui.url_name("list"), label) for ui, label in SETTINGS_PAGES], "tab": "settings"},
    )
