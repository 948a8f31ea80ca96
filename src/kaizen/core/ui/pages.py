"""Platform pages: dashboard, audit trail, language switch."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaizen.core import access, navigation
from kaizen.core.filters import AuditFilter
from kaizen.core.models import AuditEntry
from kaizen.core.ui.display import field_label
from kaizen.core.ui.registry import detail_url

PREFERENCE_HOOKS: list[Any] = []
"""Callables ``(user, language)`` that persist a logged-in user's language (set by accounts)."""


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Show the counts the user's roles care about and the latest changes they may see.

    Users with a start page of their own (requesters: the portal) are sent there.
    """
    home = navigation.home_for(request.user)
    if home is not None:
        return redirect(home)
    figures = [
        {"label": f.label, "count": count, "url_name": f.url_name}
        for f, count in navigation.figures_for(request.user)
    ]
    recent = link_entries(list(AuditEntry.objects.visible_to(request.user, "view").order_by("-seq")[:15]))
    return render(
        request,
        "core/dashboard.html",
        {"figures": figures, "recent": recent, "can_read_audit": _can_read_audit(request.user)},
    )


def _can_read_audit(user: Any) -> bool:
    return access.has_any_role(user, access.policy_of(AuditEntry).roles_for("view"))


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """List audit entries the user may read, filtered by record, actor, action and time."""
    qs = AuditEntry.objects.visible_to(request.user, "view").order_by("-seq")
    filterset = AuditFilter(request.GET or None, queryset=qs)
    for name, field in filterset.form.fields.items():
        field.widget.attrs.setdefault("id", f"filter-{name}")
        if name in {"since", "until"}:
            field.widget.input_type = "datetime-local"
    if filterset.is_bound and filterset.is_valid():
        qs = filterset.qs
    paginator = Paginator(qs, 50)
    try:
        number = max(1, min(int(request.GET.get("page", "1")), 100_000))
    except ValueError:
        number = 1
    page = paginator.get_page(number)
    rows = link_entries(list(page.object_list))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "core/audit_trail.html",
        {
            "filterset": filterset,
            "filter_errors": filterset.errors if filterset.is_bound else {},
            "page": page,
            "rows": rows,
            "query": params.urlencode(),
            "can_read_audit": _can_read_audit(request.user),
        },
    )


def link_entries(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Pair each audit entry with the page of its record when the record still exists.

    One query per record type, not per entry.
    """
    from django.apps import apps

    wanted: dict[str, set[str]] = {}
    for entry in entries:
        if entry.record_id.isdigit():
            wanted.setdefault(entry.record_type, set()).add(entry.record_id)
    urls: dict[tuple[str, str], str] = {}
    models: dict[str, Any] = {}
    for record_type in {e.record_type for e in entries}:
        try:
            models[record_type] = apps.get_model(record_type)
        except (LookupError, ValueError):
            continue
    for record_type, ids in wanted.items():
        if record_type in models:
            for obj in models[record_type]._default_manager.filter(pk__in=[int(i) for i in ids]):
                urls[(record_type, str(obj.pk))] = detail_url(obj)
    return [
        {
            "entry": e,
            "url": urls.get((e.record_type, e.record_id), ""),
            "model": models[e.record_type]._meta.verbose_name if e.record_type in models else e.record_type,
            "fields": ", ".join(
                field_label(models[e.record_type], name) if e.record_type in models else name
                for name in sorted(e.changes or {})
                if name != "id"
            ),
        }
        for e in entries
    ]


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the UI language; a logged-in user's choice is saved in their preferences."""
    language = request.POST.get("language", "")
    target = request.POST.get("next", "") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        for hook in PREFERENCE_HOOKS:
            hook(request.user, language)
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a refused form post (expired page or cookies blocked) instead of Django's page."""
    return render(
        request,
        "core/error.html",
        {
            "title": _("The form has expired"),
            "message": _("Reload the page and send the form again. Cookies must be enabled."),
        },
        status=403,
    )
