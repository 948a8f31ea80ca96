"""The approval inbox of staff: every approval waiting for the user, decide or delegate here."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kaizen.core import access
from kaizen.core.access import STAFF_ROLES

from . import services
from .forms import DecisionForm
from .models import Approval


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("You do not have permission to do this.")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """List the approvals waiting for the user (oldest first) and the user's recent decisions."""
    if not access.has_any_role(request.user, STAFF_ROLES):
        return HttpResponseRedirect(reverse("portal:approvals"))
    if request.method == "POST":
        return _decide(request)
    waiting = list(services.inbox(request.user)[:200])
    decided = list(
        Approval.objects.filter(approver=request.user)
        .exclude(state__in=["waiting", "pending"])
        .select_related("ticket", "round")
        .order_by("-decided_at", "-id")[:50]
    )
    return render(
        request, "approvals/inbox.html", {"waiting": waiting, "decided": decided, "form": DecisionForm()}
    )


def _decide(request: HttpRequest) -> HttpResponse:
    form = DecisionForm(request.POST)
    approval_id = request.POST.get("approval", "")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = ""
    target = back or reverse("approvals:inbox")
    if not form.is_valid() or not approval_id.isdigit():
        messages.error(request, _("Choose approve, reject or delegate."))
        return HttpResponseRedirect(target)
    data = form.cleaned_data
    try:
        if data["decision"] == "delegate":
            to = get_user_model().objects.filter(username=data.get("to", "").strip(), is_active=True).first()
            if to is None:
                raise ValidationError(_("No active login with that name."))
            services.delegate(int(approval_id), actor=request.user, to=to, comment=data.get("comment", ""))
            messages.success(request, _("The decision was handed to %(name)s.") % {"name": str(to)})
        else:
            services.decide(
                int(approval_id),
                actor=request.user,
                approve=data["decision"] == "approve",
                comment=data.get("comment", ""),
            )
            messages.success(request, _("Your decision was recorded."))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _message(exc))
    return HttpResponseRedirect(target)
