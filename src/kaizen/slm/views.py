"""Pages of service level management: calendars (with a month view and ICS import), tiers, agreements,
outages, and the clocks panel of the ticket page."""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaizen.core import access
from kaizen.core.services import ConflictError
from kaizen.core.ui.registry import ModelUI
from kaizen.tickets import panels
from kaizen.tickets.models import Ticket

from . import calendars, queries, services
from .forms import AgreementForm, AssignAgreementForm, CalendarForm, IcsForm, OutageForm, TierForm
from .models import Agreement, BusinessCalendar, Outage, ServiceTier, TicketAgreement

_tier = services.record_services(ServiceTier)
_outage = services.record_services(Outage)


def _staff(user: Any) -> bool:
    return access.has_any_role(user, access.STAFF_ROLES)


def month_view(calendar: BusinessCalendar, year: int, month: int) -> dict[str, Any]:
    """Return the weeks of one month with each day's open hours, holidays and closures (local time)."""
    timeline, zone = queries.timeline(calendar.pk)
    definition = calendar.definition
    holidays_ = calendars.public_holidays(definition.get("public_holidays", ""), year)
    year_end = set(calendars.year_end_dates(year)) if definition.get("year_end") else set()
    company = set(definition.get("closed_dates", []))
    weeks = []
    for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        days = []
        for day in week:
            start = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
            end = start + dt.timedelta(days=1)
            schedule = timeline.schedule_at(start)
            hours = [
                _range(s.astimezone(zone), e.astimezone(zone), end)
                for s, e in schedule.open_intervals(start, end)
            ]
            reason = holidays_.get(day, "")
            if not reason and day in year_end:
                reason = _("Year-end closure")
            if not reason and day.isoformat() in company:
                reason = _("Company holiday")
            days.append(
                {
                    "date": day,
                    "in_month": day.month == month,
                    "hours": hours,
                    "reason": reason,
                    "open": bool(hours),
                }
            )
        weeks.append(days)
    return {"weeks": weeks, "year": year, "month": month}


def _range(start: dt.datetime, end: dt.datetime, midnight: dt.datetime) -> str:
    return f"{start:%H:%M}–{'24:00' if end == midnight else f'{end:%H:%M}'}"


class CalendarUI(ModelUI):
    """Business calendars."""

    model = BusinessCalendar
    slug = "calendars"
    namespace = "slm"
    form_class = CalendarForm
    columns = ("__str__", "is_default", "updated_at")
    detail_fields = ("name", "name_en", "description", "is_default")
    detail_template = "slm/calendar_detail.html"
    create_service = staticmethod(services.create_calendar)
    update_service = staticmethod(services.update_calendar)
    delete_service = staticmethod(services.delete_calendar)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            **_month_context(obj, today.year, today.month),
            "ics_form": IcsForm(initial={"version": obj.version}),
            "revisions": list(obj.revisions.order_by("-valid_from")[:20]),
            "definition": obj.definition,
        }


class TierUI(ModelUI):
    """Service tiers."""

    model = ServiceTier
    slug = "tiers"
    namespace = "slm"
    form_class = TierForm
    columns = ("__str__", "monthly_fee", "order")
    detail_fields = ("name", "name_en", "description", "targets", "monthly_fee", "order")
    create_service = staticmethod(_tier[0])
    update_service = staticmethod(_tier[1])
    delete_service = staticmethod(_tier[2])


class AgreementUI(ModelUI):
    """SLAs, OLAs and underpinning contracts."""

    model = Agreement
    slug = "agreements"
    namespace = "slm"
    form_class = AgreementForm
    columns = ("__str__", "kind", "service", "customer", "tier", "calendar", "is_active")
    detail_fields = (
        "kind",
        "name",
        "name_en",
        "description",
        "service",
        "customer",
        "team",
        "supplier",
        "ticket_kinds",
        "priorities",
        "calendar",
        "tier",
        "targets",
        "pause_states",
        "supplier_states",
        "warn_at",
        "escalations",
        "alert_outside_hours",
        "monthly_limit",
        "availability_target",
        "order",
        "is_active",
    )
    select_related = ("service", "customer", "tier", "calendar")
    create_service = staticmethod(services.create_agreement)
    update_service = staticmethod(services.update_agreement)
    delete_service = staticmethod(services.delete_agreement)


class OutageUI(ModelUI):
    """Outages of services."""

    model = Outage
    slug = "outages"
    namespace = "slm"
    form_class = OutageForm
    columns = ("__str__", "service", "start", "end", "planned")
    detail_fields = ("service", "start", "end", "planned", "description", "ticket")
    select_related = ("service",)
    create_service = staticmethod(_outage[0])
    update_service = staticmethod(_outage[1])
    delete_service = staticmethod(_outage[2])


PAGES: list[tuple[type[ModelUI], Any]] = [
    (AgreementUI, gettext_lazy("Agreements (SLA, OLA, contracts)")),
    (TierUI, gettext_lazy("Service tiers")),
    (CalendarUI, gettext_lazy("Business calendars")),
    (OutageUI, gettext_lazy("Outages")),
]


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The hub of service level management: agreements, tiers, calendars, outages, reports."""
    if not _staff(request.user):
        raise PermissionDenied
    return render(request, "slm/home.html", {"pages": [(ui.url_name("list"), label) for ui, label in PAGES]})


def _month_context(calendar: BusinessCalendar, year: int, month: int) -> dict[str, Any]:
    previous = dt.date(year, month, 1) - dt.timedelta(days=1)
    following = dt.date(year, month, 28) + dt.timedelta(days=5)
    return {
        "month": month_view(calendar, year, month),
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "weekdays": [calendars.weekday_name(d) for d in range(7)],
    }


@login_required
def calendar_month(request: HttpRequest, pk: int) -> HttpResponse:
    """One month of a calendar: open hours, holidays and closures per day (``?month=YYYY-MM``)."""
    calendar = get_object_or_404(BusinessCalendar.objects.visible_to(request.user), pk=pk)
    if not _staff(request.user):
        raise PermissionDenied
    text = request.GET.get("month", "") or f"{timezone.localdate():%Y-%m}"
    try:
        year, month = (int(part) for part in text.split("-", 1))
        dt.date(year, month, 1)
        if not 1950 <= year <= 2150:
            raise ValueError(text)
    except ValueError:
        return render(
            request,
            "slm/calendar_month.html",
            {"calendar": calendar, "error": _("Choose a month as YYYY-MM between 1950 and 2150.")},
            status=400,
        )
    return render(
        request, "slm/calendar_month.html", {"calendar": calendar, **_month_context(calendar, year, month)}
    )


@login_required
@require_POST
def import_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """Add an iCalendar file's closed days and closures to a calendar."""
    calendar = get_object_or_404(BusinessCalendar.objects.visible_to(request.user, "change"), pk=pk)
    form = IcsForm(request.POST, request.FILES)
    target = reverse("slm:calendars-detail", args=[calendar.pk])
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(target)
    upload = form.cleaned_data["file"]
    from . import ics

    if upload.size > ics.MAX_BYTES:
        messages.error(
            request, _("The file is larger than %(n)s MB.") % {"n": ics.MAX_BYTES // (1024 * 1024)}
        )
        return HttpResponseRedirect(target)
    try:
        _updated, imported = services.import_ics(
            calendar.pk, actor=request.user, data=upload.read(), version=form.cleaned_data["version"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError:
        messages.error(request, _("Someone changed this calendar meanwhile; reload and import again."))
    except PermissionDenied:
        raise
    else:
        messages.success(
            request,
            _("Imported %(dates)s closed days and %(closures)s closures; %(skipped)s events skipped.")
            % {
                "dates": len(imported.closed_dates),
                "closures": len(imported.closures),
                "skipped": len(imported.skipped),
            },
        )
    return HttpResponseRedirect(target)


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a ticket under an agreement by hand (with a reason)."""
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user, "change"), pk=pk)
    form = AssignAgreementForm(request.POST)
    if form.is_valid():
        try:
            services.assign_agreement(
                ticket.pk,
                actor=request.user,
                agreement_id=form.cleaned_data["agreement"].pk,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The agreement was changed."))
    else:
        messages.error(request, _("Choose an agreement and give the reason."))
    return HttpResponseRedirect(reverse("tickets:ticket", args=[ticket.pk]))


@panels.register(20)
def clocks_panel(request: HttpRequest, ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
    """The ticket page panel: each clock (state, elapsed, paused, due) and the agreements over time."""
    if not _staff(request.user):
        return None
    found = queries.ticket_clocks([ticket.pk], now=timezone.now()).get(ticket.pk, [])
    held = list(
        TicketAgreement.objects.filter(ticket=ticket).select_related("agreement").order_by("-since")[:10]
    )
    can_change = access.can(request.user, "change", Ticket, obj=ticket)
    return (
        "slm/_clocks.html",
        {
            "clocks": found,
            "held": held,
            "assign_form": AssignAgreementForm() if can_change else None,
        },
    )
