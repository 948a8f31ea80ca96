"""Pages of monitoring: the live alert console, an alert's page and actions, integrations (tokens shown
once), CI mapping rules and maintenance windows.

Thin: parse, authorise (``visible_to``/``can``), call one service or query, render. Service errors
become messages or form errors, never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaizen.core import access
from kaizen.core.services import ConflictError
from kaizen.core.ui.display import display, field_label
from kaizen.core.ui.registry import ModelUI
from kaizen.core.ui.views import (
    SERVICE_ERRORS,
    RecordCreateView,
    RecordDetailView,
    RecordListView,
    apply_service_errors,
    history_rows,
)
from kaizen.tickets import panels

from . import queries, services
from .choices import Severity
from .filters import AlertFilter
from .forms import (
    SILENCE_HOURS,
    AlertActionForm,
    IntegrationForm,
    LinkForm,
    MappingForm,
    SilenceForm,
    VersionForm,
    WindowForm,
)
from .models import Alert, CIMapping, Integration, MaintenanceWindow

PAGE = 100
MAX_PAGE = 100_000
MAX_ID = 2**53
BODY_SHOWN = 2_000
SHOWN_FILTERS = ("state", "status", "severity", "source", "integration", "acknowledged", "q")
ID_FILTERS = ("integration", "ci", "incident")
SEVERITY_RANK = Case(
    *[When(severity=code, then=Value(rank)) for rank, code in enumerate(Severity.values)],
    default=Value(len(Severity.values)),
    output_field=IntegerField(),
)
SORTS: dict[str, tuple[Any, ...]] = {
    "changed": ("-changed_at", "-id"),
    "severity": (SEVERITY_RANK.asc(), "-last_seen_at", "-id"),
    "last_seen": ("-last_seen_at", "-id"),
    "first_seen": ("-first_seen_at", "-id"),
}
ALERT_FIELDS = (
    "status",
    "severity",
    "previous_severity",
    "trend",
    "integration",
    "organisation",
    "dedup_key",
    "host",
    "address",
    "service_name",
    "resource",
    "environment",
    "metric",
    "value",
    "external_id",
    "ci",
    "service",
    "first_seen_at",
    "last_seen_at",
    "changed_at",
    "started_at",
    "closed_at",
    "duplicates",
    "events",
    "flapping",
    "suppressed",
    "acknowledged_at",
    "acknowledged_by",
    "silenced_until",
    "version",
)
ACTION_ERRORS = (ValidationError, PermissionDenied, ConflictError, Alert.DoesNotExist)


def _staff(user: Any) -> bool:
    return access.has_any_role(user, access.STAFF_ROLES)


def _require_staff(request: HttpRequest) -> None:
    if not _staff(request.user):
        raise PermissionDenied(_("Monitoring is for staff."))


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, Alert.DoesNotExist):
        return _("No such alert, or you may not see it.")
    return str(exc) or _("You do not have permission to do this.")


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# -- the alert console -------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[AlertFilter, QuerySet[Alert], dict[str, Any]]:
    """Return the console's filter, the matching alerts (sorted) and the filter errors."""
    base = queries.alerts(request.user).select_related("acknowledged_by")
    params = request.GET
    filterset = AlertFilter(params or None, queryset=base, request=request)
    form = filterset.form
    choices = [("", "---------")] + [(str(i.pk), i.name) for i in queries.integrations(request.user)]
    form.fields["integration"].widget = forms.Select(choices=choices)
    form.fields["acknowledged"].widget = forms.Select(
        choices=[("", "---------"), ("true", _("Acknowledged")), ("false", _("Not acknowledged"))]
    )
    for name, field in form.fields.items():
        field.widget.attrs.setdefault("id", f"filter-{name}")
    valid = not filterset.is_bound or filterset.is_valid()
    if filterset.is_bound and valid:
        for name in ID_FILTERS:
            if not _valid_id(form.cleaned_data.get(name)):
                form.add_error(name, _("Not a valid id."))
                valid = False
    qs = filterset.qs if valid else base.filter(is_open=True)
    errors = dict(form.errors) if filterset.is_bound else {}
    return filterset, qs.order_by(*SORTS.get(params.get("sort", ""), SORTS["changed"])), errors


def _valid_id(value: Any) -> bool:
    """Tell whether a cleaned id filter is empty or a whole number the database can hold."""
    if value is None:
        return True
    return isinstance(value, Decimal) and value == value.to_integral_value() and 0 < value < MAX_ID


def _console(request: HttpRequest) -> dict[str, Any]:
    """Return what the console and its live partial render: one page of rows and the filters."""
    filterset, qs, errors = _filtered(request)
    page = Paginator(qs, PAGE).get_page(_page_number(request.GET.get("page")))
    alerts = list(page.object_list)
    params = request.GET.copy()
    query = params.urlencode()
    params.pop("page", None)
    can_change = queries.changeable_alerts(request.user, [a.pk for a in alerts])
    now = timezone.now()
    return {
        "filterset": filterset,
        "shown_filters": [filterset.form[n] for n in SHOWN_FILTERS],
        "hidden_filters": {n: request.GET.get(n, "")[:20] for n in ("ci", "incident") if request.GET.get(n)},
        "filter_errors": errors,
        "hidden_errors": [
            str(e) for name, found in errors.items() if name not in SHOWN_FILTERS for e in found
        ],
        "rows": [_row(a, now, a.pk in can_change) for a in alerts],
        "page": page,
        "query": params.urlencode(),
        "rows_url": reverse("monitoring:console-rows") + (f"?{query}" if query else ""),
        "back": reverse("monitoring:console") + (f"?{query}" if query else ""),
        "sort": request.GET.get("sort", "changed") if request.GET.get("sort") in SORTS else "changed",
        "sorts": [
            ("changed", _("Last change")),
            ("severity", _("Severity")),
            ("last_seen", _("Last seen")),
            ("first_seen", _("First seen")),
        ],
        "silence_hours": SILENCE_HOURS,
        "now": now,
    }


def _page_number(value: str | None) -> int:
    try:
        return min(max(1, int(value or 1)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def _row(alert: Alert, now: dt.datetime, can_change: bool) -> dict[str, Any]:
    return {
        "alert": alert,
        "can_change": can_change,
        "silenced": alert.silenced_until is not None and alert.silenced_until > now,
    }


def _counts(request: HttpRequest) -> dict[str, Any]:
    found = queries.counts(request.user)
    return {
        "counts": [
            (code, label, found.get(code, 0)) for code, label in Severity.choices if code != Severity.OK
        ],
        "total": sum(found.values()),
    }


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """The alert console: open alerts by default, filters, counts by severity, live rows."""
    _require_staff(request)
    return render(request, "monitoring/console.html", {**_console(request), **_counts(request)})


@login_required
def console_rows(request: HttpRequest) -> HttpResponse:
    """The rows of the console only (polled by htmx every 10 seconds)."""
    _require_staff(request)
    return render(request, "monitoring/_alert_rows.html", _console(request))


@login_required
def console_counts(request: HttpRequest) -> HttpResponse:
    """The counts by severity of the console header (polled by htmx)."""
    _require_staff(request)
    return render(request, "monitoring/_counts.html", _counts(request))


# -- one alert ---------------------------------------------------------------------------------


def _alert(request: HttpRequest, pk: int) -> Alert:
    alert = (
        queries.alerts(request.user).select_related("acknowledged_by", "organisation").filter(pk=pk).first()
    )
    if alert is None:
        raise Http404(_("No such alert, or you may not see it."))
    return alert


def _pairs(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return sorted(
            (str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in value.items()
        )
    if value in (None, "", [], {}):
        return []
    return [("", json.dumps(value, ensure_ascii=False))]


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One alert: every field, labels and annotations, its event log, incident, history and actions."""
    _require_staff(request)
    alert = _alert(request, pk)
    now = timezone.now()
    url = alert.url if alert.url.lower().startswith(("https://", "http://")) else ""
    return render(
        request,
        "monitoring/alert_detail.html",
        {
            "alert": alert,
            "fields": [{"label": field_label(Alert, n), "value": display(alert, n)} for n in ALERT_FIELDS],
            "row": _row(alert, now, bool(queries.changeable_alerts(request.user, [alert.pk]))),
            "labels": _pairs(alert.labels),
            "annotations": _pairs(alert.annotations),
            "events": queries.alert_events(alert),
            "history": history_rows(alert),
            "source_url": url,
            "back": reverse("monitoring:alert-detail", args=[alert.pk]),
            "silence_hours": SILENCE_HOURS,
            "now": now,
        },
    )


def _back(request: HttpRequest, alert_id: int, form: forms.Form) -> HttpResponseRedirect:
    target = (form.cleaned_data.get("next") if hasattr(form, "cleaned_data") else "") or ""
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("monitoring:alert-detail", args=[alert_id])
    return HttpResponseRedirect(target)


def _act(
    request: HttpRequest, pk: int, form: AlertActionForm, work: Callable[[Alert], Any], done: str
) -> HttpResponse:
    """Run one action on a visible alert; report its outcome as a message and go back."""
    _require_staff(request)
    alert = _alert(request, pk)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return _back(request, alert.pk, form)
    try:
        work(alert)
    except ACTION_ERRORS as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done % {"title": alert.title[:80]})
    return _back(request, alert.pk, form)


@login_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge an open alert."""
    form = AlertActionForm(request.POST)
    return _act(
        request,
        pk,
        form,
        lambda alert: services.acknowledge(
            alert.pk, actor=request.user, version=form.cleaned_data["version"]
        ),
        _("Acknowledged: %(title)s"),
    )


@login_required
@require_POST
def silence(request: HttpRequest, pk: int) -> HttpResponse:
    """Silence an alert for 1, 4 or 24 hours, or lift its silence."""
    form = SilenceForm(request.POST)

    def work(alert: Alert) -> Any:
        data = form.cleaned_data
        until = None if data.get("lift") else timezone.now() + dt.timedelta(hours=data["hours"])
        return services.silence(alert.pk, actor=request.user, until=until, version=data["version"])

    lifting = request.POST.get("lift") in ("1", "on", "true")
    return _act(
        request, pk, form, work, _("Silence lifted: %(title)s") if lifting else _("Silenced: %(title)s")
    )


@login_required
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach an alert to an incident by number (``INC-000123``), or detach it."""
    form = LinkForm(request.POST)

    def work(alert: Alert) -> Any:
        data = form.cleaned_data
        incident_id = None
        if not data.get("unlink"):
            incident = queries.incident_by_number(request.user, data["number"])
            if incident is None:
                raise ValidationError(_("No such incident, or you may not change it."))
            incident_id = incident.pk
        return services.link_incident(
            alert.pk, actor=request.user, incident_id=incident_id, version=data["version"]
        )

    unlinking = request.POST.get("unlink") in ("1", "on", "true")
    return _act(
        request,
        pk,
        form,
        work,
        _("Detached from the incident: %(title)s") if unlinking else _("Linked: %(title)s"),
    )


# -- integrations ------------------------------------------------------------------------------


def _endpoint(request: HttpRequest, integration: Integration) -> str:
    base = settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    return base + reverse("api-events", args=[integration.source])


def _deliveries(integration: Integration) -> list[dict[str, Any]]:
    rows = []
    for delivery in queries.recent_deliveries(integration):
        body = bytes(delivery.body or b"")[: BODY_SHOWN * 4].decode("utf-8", errors="replace")
        rows.append(
            {
                "delivery": delivery,
                "body": body[:BODY_SHOWN],
                "cut": len(body) > BODY_SHOWN or len(delivery.body) > BODY_SHOWN * 4,
            }
        )
    return rows


class IntegrationListView(RecordListView):
    """The integrations list, with the open alert count column labelled."""

    def context(self, **extra: Any) -> dict[str, Any]:
        for column in extra.get("columns", []):
            if column["name"] == "open_alerts":
                column["label"] = _("Open alerts")
        return super().context(**extra)


class IntegrationDetailView(RecordDetailView):
    """An integration: endpoint, token prefix, deliveries; right after creation or rotation, the token."""

    new_token = ""
    rotated = False

    def context(self, **extra: Any) -> dict[str, Any]:
        obj = extra.get("obj")
        if isinstance(obj, Integration):
            extra.update(
                endpoint=_endpoint(self.request, obj),
                new_token=self.new_token,
                rotated=self.rotated,
                previous_valid=obj.previous_valid_until is not None
                and obj.previous_valid_until > timezone.now(),
            )
        return super().context(**extra)


def _token_page(request: HttpRequest, pk: int, token: str, *, rotated: bool) -> HttpResponse:
    """Render the integration's page once with its new token (never stored, never cached)."""
    view = IntegrationDetailView(ui=IntegrationUI, new_token=token, rotated=rotated)
    view.setup(request, pk=pk)
    response = view.get(request, pk)
    patch_cache_control(response, no_store=True, private=True)
    return response


class IntegrationCreateView(RecordCreateView):
    """Create an integration and show its token on the answer itself, once."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            try:
                integration, token = self.ui.create(actor=request.user, form=form)
            except SERVICE_ERRORS as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was created.") % {"name": integration})
                return _token_page(request, integration.pk, token, rotated=False)
        return self.show(form, status=400)


class IntegrationUI(ModelUI):
    """Monitoring integrations: managers configure them, staff read them."""

    model = Integration
    slug = "integrations"
    namespace = "monitoring"
    form_class = IntegrationForm
    columns = (
        "name",
        "source",
        "organisation",
        "is_enabled",
        "last_received_at",
        "last_error",
        "open_alerts",
    )
    sortable = ("name", "source", "last_received_at")
    detail_fields = (
        "name",
        "source",
        "organisation",
        "description",
        "is_enabled",
        "default_service",
        "create_incidents",
        "incident_severity",
        "min_duration",
        "expire_after",
        "group_window",
        "reopen_window",
        "flap_changes",
        "flap_window",
        "max_body_bytes",
        "run_as",
        "last_received_at",
        "last_error_at",
    )
    detail_template = "monitoring/integration_detail.html"
    create_service = staticmethod(services.create_integration)
    update_service = staticmethod(services.update_integration)
    delete_service = staticmethod(services.delete_integration)

    @classmethod
    def queryset(cls, user: Any, action: str = "view") -> QuerySet[Any]:
        if action == "view":
            return queries.integrations(user).order_by("name")
        return super().queryset(user, action)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        return {
            "deliveries": _deliveries(obj),
            "thresholds": json.dumps(obj.thresholds, ensure_ascii=False, indent=2) if obj.thresholds else "",
            "topics": [str(t) for t in obj.sns_topics] if isinstance(obj.sns_topics, list) else [],
            "alerts_url": reverse("monitoring:console") + f"?integration={obj.pk}",
        }

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        return _hub_links(cls)

    @classmethod
    def urls(cls) -> list[URLPattern]:
        replaced = {
            f"{cls.slug}-list": IntegrationListView,
            f"{cls.slug}-create": IntegrationCreateView,
            f"{cls.slug}-detail": IntegrationDetailView,
        }
        patterns = []
        for pattern in super().urls():
            view = replaced.get(pattern.name or "")
            patterns.append(
                path(str(pattern.pattern), view.as_view(ui=cls), name=pattern.name) if view else pattern
            )
        return patterns


def _integration(request: HttpRequest, pk: int) -> Integration:
    integration = Integration.objects.visible_to(request.user).filter(pk=pk).first()
    if integration is None:
        raise Http404(_("No such record, or you may not see it."))
    if not access.can(request.user, "change", Integration, obj=integration):
        raise PermissionDenied(_("You do not have permission to do this."))
    return integration


@login_required
@require_POST
def rotate_token(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a new token and show it once; the previous one keeps working for 24 hours."""
    integration = _integration(request, pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            rotated, token = services.rotate_token(
                integration.pk, actor=request.user, version=form.cleaned_data["version"]
            )
        except SERVICE_ERRORS as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("A new token was issued for %(name)s.") % {"name": rotated})
            return _token_page(request, rotated.pk, token, rotated=True)
    else:
        messages.error(request, _("The form is missing the record version. Reload the page."))
    return HttpResponseRedirect(reverse("monitoring:integrations-detail", args=[integration.pk]))


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    """End the previous token's grace period now."""
    integration = _integration(request, pk)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            services.revoke_previous_token(
                integration.pk, actor=request.user, version=form.cleaned_data["version"]
            )
        except SERVICE_ERRORS as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("The previous token no longer works."))
    else:
        messages.error(request, _("The form is missing the record version. Reload the page."))
    return HttpResponseRedirect(reverse("monitoring:integrations-detail", args=[integration.pk]))


# -- rules and windows -------------------------------------------------------------------------


class MappingUI(ModelUI):
    """CI mapping rules: which alert field finds which CI."""

    model = CIMapping
    slug = "mappings"
    namespace = "monitoring"
    form_class = MappingForm
    columns = ("__str__", "integration", "organisation", "order", "pattern", "is_active")
    sortable = ("order",)
    detail_fields = (
        "organisation",
        "integration",
        "order",
        "match_field",
        "label",
        "pattern",
        "ci_field",
        "ci_attribute",
        "is_active",
    )
    select_related = ("integration", "organisation")
    create_service = staticmethod(services.create_mapping)
    update_service = staticmethod(services.update_mapping)
    delete_service = staticmethod(services.delete_mapping)

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        return _hub_links(cls)


class WindowUI(ModelUI):
    """Maintenance windows: planned periods in which alerts open no incident."""

    model = MaintenanceWindow
    slug = "windows"
    namespace = "monitoring"
    form_class = WindowForm
    columns = ("name", "organisation", "starts_at", "ends_at", "all_of_organisation")
    sortable = ("name", "starts_at", "ends_at")
    detail_fields = (
        "name",
        "organisation",
        "starts_at",
        "ends_at",
        "all_of_organisation",
        "cis",
        "services",
        "reason",
    )
    select_related = ("organisation",)
    create_service = staticmethod(services.create_window)
    update_service = staticmethod(services.update_window)
    delete_service = staticmethod(services.delete_window)

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        return _hub_links(cls)


PAGES: list[tuple[type[ModelUI], Any]] = [
    (IntegrationUI, gettext_lazy("Monitoring integrations")),
    (MappingUI, gettext_lazy("CI mapping rules")),
    (WindowUI, gettext_lazy("Maintenance windows")),
]


def _hub_links(current: type[ModelUI]) -> list[dict[str, str]]:
    links = [{"url": reverse("monitoring:console"), "label": _("Alert console")}]
    links += [
        {"url": reverse(ui.url_name("list")), "label": str(label)} for ui, label in PAGES if ui is not current
    ]
    return links


@panels.register(30)
def incident_alerts_panel(request: HttpRequest, ticket: Any) -> tuple[str, dict[str, Any]] | None:
    """The incident page panel: the monitoring alerts linked to the incident (open first)."""
    if not _staff(request.user):
        return None
    linked = queries.alerts(request.user).filter(incident_id=ticket.pk)
    total = linked.count()
    if not total:
        return None
    rows = list(linked.order_by("-is_open", "-changed_at")[:20])
    return (
        "monitoring/_incident_alerts.html",
        {"alerts": rows, "total": total, "open_count": linked.filter(is_open=True).count()},
    )
