"""Portfolio pages: services, packages, dependencies, the service catalogue and impact analysis."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.cmdb.models import ConfigurationItem
from kaizen.core.ui.registry import ModelUI, RelatedPanel

from . import graph, impact, services
from .choices import Lifecycle
from .filters import DependencyFilter, PackageFilter, ServiceFilter
from .forms import DependencyForm, ImpactForm, PackageForm, ServiceForm
from .models import PackageMember, Service, ServiceDependency, ServicePackage


class ServiceUI(ModelUI):
    """Pages of services."""

    model = Service
    slug = "services"
    namespace = "portfolio"
    form_class = ServiceForm
    filterset_class = ServiceFilter
    columns = ("name", "code", "lifecycle", "organisation", "provider_kind", "owner_team", "service_hours")
    sortable = ("name", "code", "lifecycle")
    detail_fields = (
        "code",
        "lifecycle",
        "planned_live_on",
        "live_since",
        "retired_on",
        "organisation",
        "provider_kind",
        "supplier",
        "owner_team",
        "owner",
        "service_hours",
        "customers",
        "description",
    )
    select_related = ("organisation", "owner_team", "owner", "supplier")
    prefetch_related = ("customers",)
    related_panels = (
        RelatedPanel(
            title=gettext_lazy("Depends on"),
            rows=lambda obj, user: (
                ServiceDependency.objects.visible_to(user)
                .filter(service=obj, ended_at__isnull=True)
                .select_related("depends_on_service", "depends_on_ci")
            ),
            columns=("__str__", "depends_on_service", "depends_on_ci", "description"),
            related_model=ServiceDependency,
            create_param="service",
        ),
        RelatedPanel(
            title=gettext_lazy("Needed by"),
            rows=lambda obj, user: (
                ServiceDependency.objects.visible_to(user)
                .filter(depends_on_service=obj, ended_at__isnull=True)
                .select_related("service")
            ),
            columns=("__str__", "service", "description"),
            related_model=ServiceDependency,
        ),
    )
    create_service = staticmethod(services.create_service)
    update_service = staticmethod(services.update_service)
    delete_service = staticmethod(services.delete_service)

    @staticmethod
    def extra_actions(obj: Any, user: Any) -> list[dict[str, str]]:
        return [{"label": _("Impact"), "url": reverse("portfolio:service-impact", args=[obj.pk])}]


class PackageUI(ModelUI):
    """Pages of service packages."""

    model = ServicePackage
    slug = "service-packages"
    namespace = "portfolio"
    form_class = PackageForm
    filterset_class = PackageFilter
    columns = ("name", "code", "organisation")
    sortable = ("name", "code")
    detail_fields = ("name", "code", "organisation", "description")
    select_related = ("organisation",)
    detail_template = "portfolio/package_detail.html"
    create_service = staticmethod(services.create_package)
    update_service = staticmethod(services.update_package)
    delete_service = staticmethod(services.delete_package)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        visible = Service.objects.visible_to(user).values("pk")
        members = PackageMember.objects.filter(package=obj, service__in=visible).select_related("service")
        return {"members": members}


class DependencyUI(ModelUI):
    """Pages of service dependencies; deleting one ends it (kept for "as of" impact analysis)."""

    model = ServiceDependency
    slug = "service-dependencies"
    namespace = "portfolio"
    form_class = DependencyForm
    filterset_class = DependencyFilter
    columns: ClassVar[tuple[str, ...]] = (
        "__str__",
        "service",
        "depends_on_service",
        "depends_on_ci",
        "started_at",
    )
    detail_fields = (
        "service",
        "depends_on_service",
        "depends_on_ci",
        "description",
        "started_at",
        "ended_at",
    )
    select_related = ("service", "depends_on_service", "depends_on_ci")
    default_filters: ClassVar[dict[str, str]] = {"current": "true"}
    create_service = staticmethod(services.add_dependency)
    update_service = staticmethod(services.update_dependency)
    delete_service = staticmethod(services.end_dependency)


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """The service catalogue: live services the user may see (a requester: their organisations')."""
    rows = (
        Service.objects.visible_to(request.user)
        .filter(lifecycle=Lifecycle.LIVE)
        .select_related("organisation", "owner_team")
        .prefetch_related("customers")
        .order_by("name")
    )
    return render(request, "portfolio/catalogue.html", {"services": rows})


def _impact_page(request: HttpRequest, start: impact.NodeKey, obj: Any, back_url: str) -> HttpResponse:
    form = ImpactForm(request.GET or None)
    direction: impact.Direction = "up"
    depth = impact.DEFAULT_DEPTH
    as_of: dt.datetime | None = None
    if form.is_bound and form.is_valid():
        direction = "down" if form.cleaned_data["direction"] == "down" else "up"
        depth = form.cleaned_data["depth"] or impact.DEFAULT_DEPTH
        as_of = form.cleaned_data["as_of"]
        if as_of is not None and timezone.is_naive(as_of):
            as_of = timezone.make_aware(as_of)
    result = impact.traverse(start, direction=direction, max_depth=depth, as_of=as_of)
    described = impact.describe(result, request.user)
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "portfolio/impact.html",
        {
            "obj": obj,
            "back_url": back_url,
            "form": form,
            "impact": described,
            "graph": graph.layout(result, described),
            "direction": direction,
        },
        status=status,
    )


@login_required
def ci_impact(request: HttpRequest, pk: int) -> HttpResponse:
    """Impact analysis page of a CI."""
    ci = ConfigurationItem.objects.visible_to(request.user).filter(pk=pk).first()
    if ci is None:
        raise Http404(_("No such record, or you may not see it."))
    return _impact_page(request, ("ci", ci.pk), ci, reverse("cmdb:cis-detail", args=[ci.pk]))


@login_required
def service_impact(request: HttpRequest, pk: int) -> HttpResponse:
    """Impact analysis page of a service."""
    service = Service.objects.visible_to(request.user).filter(pk=pk).first()
    if service is None:
        raise Http404(_("No such record, or you may not see it."))
    return _impact_page(
        request, ("service", service.pk), service, reverse("portfolio:services-detail", args=[pk])
    )
