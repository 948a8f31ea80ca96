"""CMDB pages: CIs, CI types, relationship types and rules, relationships, software inventory."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, ClassVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kaizen.core import access
from kaizen.core.ui.registry import ModelUI, RelatedPanel

from . import control, policies, services, tasks
from .filters import CIFilter, CITypeFilter, RelationshipFilter, RelationshipTypeFilter, SoftwareFilter
from .forms import (
    CIForm,
    CITypeForm,
    ImportForm,
    RelationshipForm,
    RelationshipRuleForm,
    RelationshipTypeForm,
    SoftwareForm,
)
from .models import (
    CIType,
    ConfigurationItem,
    ImportJob,
    Relationship,
    RelationshipRule,
    RelationshipType,
    SoftwareInstallation,
)


class CIUI(ModelUI):
    """Pages of configuration items."""

    model = ConfigurationItem
    slug = "cis"
    namespace = "cmdb"
    form_class = CIForm
    filterset_class = CIFilter
    columns = ("number", "name", "ci_type", "status", "organisation", "owner_team", "control_level")
    sortable = ("number", "name", "status", "control_level")
    detail_fields = (
        "number",
        "ci_type",
        "status",
        "organisation",
        "owner_team",
        "location",
        "control_level",
        "external_id",
        "description",
    )
    select_related = ("ci_type", "organisation", "owner_team")
    detail_template = "cmdb/ci_detail.html"
    create_service = staticmethod(services.create_ci)
    update_service = staticmethod(services.update_ci)
    delete_service = staticmethod(services.delete_ci)

    @classmethod
    def delete_needs_change(cls, obj: Any) -> bool:
        return bool(control.strict([obj]))

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        query = request.GET.copy()
        query.pop("page", None)
        query.pop("sort", None)
        actions = []
        for kind in ("csv", "json", "yaml"):
            query["as"] = kind
            actions.append(
                {
                    "label": _("Export %(format)s") % {"format": kind.upper()},
                    "url": reverse("api-ci-export") + "?" + query.urlencode(),
                }
            )
        if access.has_any_role(request.user, access.policy_of(ConfigurationItem).roles_for("add")):
            actions.append({"label": _("Import"), "url": reverse("cmdb:import")})
        return actions

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        language = translation.get_language() or "ja"
        attributes = [
            {"label": policies.attribute_label(d, language), "value": obj.attributes.get(d["name"])}
            for d in obj.ci_type.attribute_schema
            if isinstance(d, dict) and "name" in d
        ]
        known = {d.get("name") for d in obj.ci_type.attribute_schema if isinstance(d, dict)}
        attributes += [{"label": k, "value": v} for k, v in obj.attributes.items() if k not in known]
        visible = Relationship.objects.visible_to(user).filter(ended_at__isnull=True)
        outgoing = visible.filter(source=obj).select_related("relationship_type", "target__ci_type")
        incoming = visible.filter(target=obj).select_related("relationship_type", "source__ci_type")
        can_relate = access.can(user, "add", Relationship, organisation_id=obj.organisation_id)
        try:
            impact_url = reverse("portfolio:ci-impact", args=[obj.pk])
        except NoReverseMatch:
            impact_url = ""
        return {
            "attributes": attributes,
            "outgoing": outgoing,
            "incoming": incoming,
            "software": SoftwareInstallation.objects.visible_to(user).filter(ci=obj),
            "relate_url": reverse("cmdb:relationships-create") + f"?source={obj.pk}" if can_relate else "",
            "software_url": reverse("cmdb:software-create") + f"?ci={obj.pk}" if can_relate else "",
            "impact_url": impact_url,
        }

    @staticmethod
    def extra_actions(obj: Any, user: Any) -> list[dict[str, str]]:
        try:
            return [{"label": _("Impact"), "url": reverse("portfolio:ci-impact", args=[obj.pk])}]
        except NoReverseMatch:
            return []


class CITypeUI(ModelUI):
    """Pages of CI types."""

    model = CIType
    slug = "ci-types"
    namespace = "cmdb"
    form_class = CITypeForm
    filterset_class = CITypeFilter
    columns = ("name", "name_en", "code", "is_builtin")
    sortable = ("name", "code")
    detail_fields = ("name", "name_en", "code", "description", "is_builtin")
    detail_template = "cmdb/ci_type_detail.html"
    related_panels = (
        RelatedPanel(
            title=gettext_lazy("Configuration items"),
            rows=lambda obj, user: ConfigurationItem.objects.visible_to(user).filter(ci_type=obj),
            columns=("number", "name", "status", "organisation"),
            related_model=ConfigurationItem,
            create_param="ci_type",
        ),
    )
    create_service = staticmethod(services.create_ci_type)
    update_service = staticmethod(services.update_ci_type)
    delete_service = staticmethod(services.delete_ci_type)

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        language = translation.get_language() or "ja"
        return {
            "schema": [
                {**d, "display_label": policies.attribute_label(d, language)}
                for d in obj.attribute_schema
                if isinstance(d, dict)
            ]
        }


class RelationshipTypeUI(ModelUI):
    """Pages of relationship types."""

    model = RelationshipType
    slug = "relationship-types"
    namespace = "cmdb"
    form_class = RelationshipTypeForm
    filterset_class = RelationshipTypeFilter
    columns = ("name", "reverse_name", "code", "propagation", "is_builtin")
    sortable = ("name", "code")
    detail_fields = (
        "name",
        "name_en",
        "reverse_name",
        "reverse_name_en",
        "code",
        "propagation",
        "is_builtin",
    )
    related_panels = (
        RelatedPanel(
            title=gettext_lazy("Rules"),
            rows=lambda obj, user: (
                RelationshipRule.objects.visible_to(user)
                .filter(relationship_type=obj)
                .select_related("source_type", "target_type")
            ),
            columns=("__str__",),
            related_model=RelationshipRule,
            create_param="relationship_type",
        ),
    )
    create_service = staticmethod(services.create_relationship_type)
    update_service = staticmethod(services.update_relationship_type)
    delete_service = staticmethod(services.delete_relationship_type)


class RelationshipRuleUI(ModelUI):
    """Pages of relationship rules."""

    model = RelationshipRule
    slug = "relationship-rules"
    namespace = "cmdb"
    form_class = RelationshipRuleForm
    columns = ("__str__", "relationship_type", "source_type", "target_type")
    detail_fields = ("relationship_type", "source_type", "target_type")
    select_related = ("relationship_type", "source_type", "target_type")
    create_service = staticmethod(services.create_rule)
    update_service = staticmethod(services.update_rule)
    delete_service = staticmethod(services.delete_rule)


class RelationshipUI(ModelUI):
    """Pages of relationships; deleting one ends it (it stays for "as of" impact analysis)."""

    model = Relationship
    slug = "relationships"
    namespace = "cmdb"
    form_class = RelationshipForm
    filterset_class = RelationshipFilter
    columns: ClassVar[tuple[str, ...]] = (
        "__str__",
        "source",
        "relationship_type",
        "target",
        "started_at",
        "ended_at",
    )
    detail_fields = (
        "source",
        "relationship_type",
        "target",
        "organisation",
        "description",
        "started_at",
        "ended_at",
    )
    select_related = ("source", "target", "relationship_type")
    default_filters: ClassVar[dict[str, str]] = {"current": "true"}
    create_service = staticmethod(services.relate)
    update_service = staticmethod(services.update_relationship)
    delete_service = staticmethod(services.end_relationship)

    @classmethod
    def delete_needs_change(cls, obj: Any) -> bool:
        return bool(control.strict([obj.source, obj.target]))


class SoftwareUI(ModelUI):
    """Pages of the software inventory."""

    model = SoftwareInstallation
    slug = "software"
    namespace = "cmdb"
    form_class = SoftwareForm
    filterset_class = SoftwareFilter
    columns = ("__str__", "ci", "purl", "package_version")
    detail_fields = ("ci", "purl", "name", "package_version")
    select_related = ("ci",)
    create_service = staticmethod(services.add_software)
    update_service = staticmethod(services.update_software)
    delete_service = staticmethod(services.remove_software)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a CSV, JSON or YAML file; it is checked and applied by a background job."""
    if not access.has_any_role(request.user, access.policy_of(ConfigurationItem).roles_for("add")):
        raise PermissionDenied(_("You do not have permission to do this."))
    bound = request.method == "POST"
    form = ImportForm(request.POST if bound else None, request.FILES if bound else None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        options = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        job = ImportJob(created_by=request.user, file_name=str(upload.name)[:200], options=options)
        job.file.save(f"{uuid.uuid4().hex}-{Path(upload.name).name}"[:100], upload, save=False)
        job.save()
        transaction.on_commit(lambda: tasks.run_import_job(job.pk))
        return HttpResponseRedirect(reverse("cmdb:import-job", args=[job.pk]))
    jobs = ImportJob.objects.visible_to(request.user)[:10]
    return render(
        request, "cmdb/import.html", {"form": form, "jobs": jobs}, status=400 if form.errors else 200
    )


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """State and report of an import job; the page refreshes itself while the job runs."""
    job = ImportJob.objects.visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404(_("No such record, or you may not see it."))
    return render(
        request, "cmdb/import_job.html", {"job": job, "running": job.state in ("queued", "running")}
    )
