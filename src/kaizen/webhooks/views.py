"""Webhook pages: endpoints (generic pages), the test event and redelivery actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaizen.core import access
from kaizen.core.ui.registry import ModelUI, RelatedPanel

from . import services
from .filters import EndpointFilter
from .forms import EndpointForm
from .models import WebhookDelivery, WebhookEndpoint

RECENT = 50


class EndpointUI(ModelUI):
    """Pages of webhook endpoints (administrators only)."""

    model = WebhookEndpoint
    slug = "webhooks"
    namespace = "webhooks"
    form_class = EndpointForm
    filterset_class = EndpointFilter
    columns = ("name", "url", "is_active", "allow_private")
    sortable = ("name", "url")
    detail_fields = ("name", "url", "is_active", "allow_private", "description")
    detail_template = "webhooks/endpoint_detail.html"
    related_panels = (
        RelatedPanel(
            title=gettext_lazy("Recent deliveries"),
            rows=lambda obj, user: WebhookDelivery.objects.visible_to(user).filter(endpoint=obj),
            columns=(
                "__str__",
                "created_at",
                "state",
                "attempts",
                "last_status",
                "next_attempt_at",
                "last_error",
            ),
            related_model=WebhookDelivery,
        ),
    )
    create_service = staticmethod(services.create_endpoint)
    update_service = staticmethod(services.update_endpoint)
    delete_service = staticmethod(services.delete_endpoint)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        can_change = access.can(user, "change", WebhookEndpoint, obj=obj)
        attention = (
            WebhookDelivery.objects.visible_to(user)
            .filter(endpoint=obj, state__in=["failed", "refused"])
            .order_by("-created_at", "-pk")[:RECENT]
        )
        return {
            "secret": obj.secret if can_change else "",
            "can_send": can_change,
            "test_url": reverse("webhooks:webhooks-test", args=[obj.pk]),
            "attention": list(attention) if can_change else [],
            "topics": [str(t) for t in obj.topics] if isinstance(obj.topics, list) else [],
        }


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.visible_to(request.user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404(_("No such record, or you may not see it."))
    return endpoint


@login_required
@require_POST
def send_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a ``webhook.ping`` delivery to one endpoint."""
    endpoint = _endpoint(request, pk)
    services.send_test(endpoint.pk, actor=request.user)
    messages.success(request, _("A test event was queued for %(name)s.") % {"name": endpoint})
    return HttpResponseRedirect(reverse("webhooks:webhooks-detail", args=[endpoint.pk]))


@login_required
@require_POST
def redeliver(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed or refused delivery again."""
    delivery = (
        WebhookDelivery.objects.visible_to(request.user).filter(pk=pk).select_related("endpoint").first()
    )
    if delivery is None:
        raise Http404(_("No such record, or you may not see it."))
    try:
        services.redeliver(delivery.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The delivery was queued again."))
    return HttpResponseRedirect(reverse("webhooks:webhooks-detail", args=[delivery.endpoint_id]))
