"""API endpoints of the CMDB."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, UnsupportedMediaType, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core import access
from kaizen.core.api.viewsets import RecordViewSet

from .. import exports, filters, services, tasks
from ..models import (
    CIType,
    ConfigurationItem,
    ImportJob,
    Relationship,
    RelationshipRule,
    RelationshipType,
    SoftwareInstallation,
)
from . import serializers


class CITypeViewSet(RecordViewSet):
    """CI types and their attribute schemas (administrators change them; all staff read them)."""

    model = CIType
    serializer_class = serializers.CITypeSerializer
    filterset_class = filters.CITypeFilter
    create_service = staticmethod(services.create_ci_type)
    update_service = staticmethod(services.update_ci_type)
    delete_service = staticmethod(services.delete_ci_type)


class RelationshipTypeViewSet(RecordViewSet):
    """Relationship types and how failures propagate along them."""

    model = RelationshipType
    serializer_class = serializers.RelationshipTypeSerializer
    filterset_class = filters.RelationshipTypeFilter
    create_service = staticmethod(services.create_relationship_type)
    update_service = staticmethod(services.update_relationship_type)
    delete_service = staticmethod(services.delete_relationship_type)


class RelationshipRuleViewSet(RecordViewSet):
    """Which CI types a relationship type may join."""

    model = RelationshipRule
    serializer_class = serializers.RelationshipRuleSerializer
    create_service = staticmethod(services.create_rule)
    update_service = staticmethod(services.update_rule)
    delete_service = staticmethod(services.delete_rule)


def change_from_query(request: Request) -> dict[str, Any]:
    """The ``?change=`` of a delete that touches a strict CI (at most 30 characters are read)."""
    return {"change": str(request.query_params.get("change", ""))[:31]}


class CIViewSet(RecordViewSet):
    """Configuration items. Strict CIs change only under a change being implemented that lists them.

    Name it as ``change`` (CHG number) in the body of an update, or ``?change=`` on delete.
    """

    model = ConfigurationItem
    serializer_class = serializers.CISerializer
    filterset_class = filters.CIFilter
    create_service = staticmethod(services.create_ci)
    update_service = staticmethod(services.update_ci)
    delete_service = staticmethod(services.delete_ci)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        change = data.pop("change", "")
        if self.action in ("update", "partial_update"):
            return {"data": data, "change": change}
        return {"data": data}

    def delete_kwargs(self) -> dict[str, Any]:
        return change_from_query(self.request)


class RelationshipViewSet(RecordViewSet):
    """Relationships between CIs. DELETE ends a relationship (it stays for "as of" impact).

    Relating or unrelating a strict CI names the change being implemented: ``change`` in the body,
    ``?change=`` on delete.
    """

    model = Relationship
    serializer_class = serializers.RelationshipSerializer
    filterset_class = filters.RelationshipFilter
    select_related = ("source", "target", "relationship_type")
    create_service = staticmethod(services.relate)
    update_service = staticmethod(services.update_relationship)
    delete_service = staticmethod(services.end_relationship)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        change = data.pop("change", "")
        if self.action == "create":
            return {"data": data, "change": change}
        return {"data": data}

    def delete_kwargs(self) -> dict[str, Any]:
        return change_from_query(self.request)

    def get_queryset(self) -> QuerySet[Any]:
        qs = super().get_queryset()
        if "current" not in self.request.query_params:
            qs = qs.filter(ended_at__isnull=True)
        return qs


class SoftwareViewSet(RecordViewSet):
    """Software inventory of CIs (package URLs)."""

    model = SoftwareInstallation
    serializer_class = serializers.SoftwareSerializer
    filterset_class = filters.SoftwareFilter
    select_related = ("ci",)
    create_service = staticmethod(services.add_software)
    update_service = staticmethod(services.update_software)
    delete_service = staticmethod(services.remove_software)


EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "json": ("application/json", "json"),
    "yaml": ("application/yaml; charset=utf-8", "yaml"),
}


@extend_schema(
    parameters=[
        OpenApiParameter("as", str, enum=list(EXPORT_TYPES), description="csv (default), json or yaml")
    ],
    responses={200: OpenApiTypes.BINARY},
)
@api_view(["GET"])
def export_cis(request: Request) -> Any:
    """Export the CIs matching the list filters (same parameters as ``GET /api/v1/cis/``)."""
    kind = request.query_params.get("as", "csv")
    if kind not in EXPORT_TYPES:
        raise ValidationError(
            {"as": [_("Expected one of: %(choices)s.") % {"choices": ", ".join(EXPORT_TYPES)}]}
        )
    filterset = filters.CIFilter(
        request.query_params, queryset=ConfigurationItem.objects.visible_to(request.user), request=request
    )
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    content_type, suffix = EXPORT_TYPES[kind]
    writer = {"csv": exports.as_csv, "json": exports.as_json, "yaml": exports.as_yaml}[kind]
    response = StreamingHttpResponse(writer(filterset.qs), content_type=content_type)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="kaizen-cis-{stamp}.{suffix}"'
    return response


class ImportOptionsSerializer(drf_serializers.Serializer):  # type: ignore[type-arg]
    """Options of an import (query parameters, or form fields next to ``file``)."""

    dry_run = drf_serializers.BooleanField(default=False)
    continue_on_error = drf_serializers.BooleanField(default=False)
    organisation = drf_serializers.CharField(required=False, allow_blank=True, max_length=50)
    change = drf_serializers.CharField(required=False, allow_blank=True, max_length=30)
    encoding = drf_serializers.ChoiceField(
        choices=["", "utf-8", "utf-8-sig", "cp932", "shift_jis", "euc-jp", "utf-16"], required=False
    )


class ImportView(APIView):
    """Submit a CMDB import (CSV, JSON or YAML) to run as a job; poll it at ``/api/v1/cmdb/import/{id}/``.

    Send the file as multipart field ``file``, or as the raw body with ``Content-Type`` text/csv,
    application/json or application/yaml. The limit is ``KAIZEN_MAX_IMPORT_BYTES``.
    """

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
        parameters=[ImportOptionsSerializer],
        responses={202: serializers.ImportJobSerializer},
    )
    def post(self, request: Request) -> Response:
        if not access.has_any_role(request.user, access.policy_of(ConfigurationItem).roles_for("add")):
            raise PermissionDenied(_("You do not have permission to do this."))
        content_type = request.content_type.split(";")[0].strip().lower()
        if content_type == "multipart/form-data":
            upload = request.data.get("file")
            if upload is None or not hasattr(upload, "read"):
                raise ValidationError({"file": [_("Attach the file to import as the field file.")]})
            data, name = upload.read(), str(upload.name)[:200]
            raw_options = {k: v for k, v in request.data.items() if k != "file"}
        elif content_type in RAW_TYPES:
            data, name = request._request.read(), f"upload.{RAW_TYPES[content_type]}"
            raw_options = dict(request.query_params.items())
        else:
            raise UnsupportedMediaType(content_type)
        if not data:
            raise ValidationError({"file": [_("The file is empty.")]})
        options = ImportOptionsSerializer(data={**dict(request.query_params.items()), **raw_options})
        options.is_valid(raise_exception=True)
        job = ImportJob(created_by=request.user, file_name=name, options=options.validated_data)
        job.file.save(f"{uuid.uuid4().hex}-{Path(name).name}"[:100], ContentFile(data), save=False)
        job.save()
        transaction.on_commit(lambda: tasks.run_import_job(job.pk))
        return Response(
            serializers.ImportJobSerializer(job).data,
            status=202,
            headers={"Location": f"/api/v1/cmdb/import/{job.pk}/"},
        )


RAW_TYPES = {
    "text/csv": "csv",
    "application/json": "json",
    "application/yaml": "yaml",
    "text/yaml": "yaml",
    "application/x-yaml": "yaml",
}


class ImportJobView(APIView):
    """State, progress and per-row report of an import job (its creator and administrators)."""

    @extend_schema(responses={200: serializers.ImportJobSerializer})
    def get(self, request: Request, pk: int) -> Response:
        job = ImportJob.objects.visible_to(request.user).filter(pk=pk).first()
        if job is None:
            raise Http404(_("No such record, or you may not see it."))
        return Response(serializers.ImportJobSerializer(job).data)
