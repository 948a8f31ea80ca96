"""API endpoints of release management: releases (with their moves, items and bundled changes),
acceptance items, and the operations acceptance checklists."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core.api.viewsets import RecordViewSet, etag, expected_version

from .. import queries, services
from ..filters import AcceptanceItemFilter, ChecklistFilter, ChecklistItemFilter, ReleaseFilter
from ..models import AcceptanceItem, Checklist, ChecklistItem, Release
from . import serializers


class ReleaseViewSet(RecordViewSet):
    """Releases. Moves: ``POST {id}/actions/{approve|replan|go-live|roll-back|cancel}/`` with ``version``.

    Going live is refused (400, ``errors``) while a mandatory acceptance item is unchecked or a
    bundled change is not approved yet.
    """

    model = Release
    serializer_class = serializers.ReleaseSerializer
    filterset_class = ReleaseFilter
    select_related = ("organisation", "service", "owner")
    prefetch_related = ()

    def get_queryset(self) -> QuerySet[Any]:
        return queries.with_details(super().get_queryset())

    def _refetch(self, pk: Any) -> Any:
        return queries.with_details(Release.objects.all()).get(pk=pk)

    create_service = staticmethod(services.create_release)
    update_service = staticmethod(services.update_release)
    delete_service = staticmethod(services.delete_release)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"data": data}
        if "watchers" in data:
            kwargs["watchers"] = data.pop("watchers")
        return kwargs

    def _fresh(self, pk: int) -> Response:
        release = self._refetch(pk)
        return Response(self.get_serializer(release).data, headers={"ETag": etag(release.version)})

    @extend_schema(request=serializers.MoveSerializer, responses={200: serializers.ReleaseSerializer})
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<code>[A-Za-z0-9_-]{1,50})")
    def actions(self, request: Request, pk: str, code: str) -> Response:
        """Approve, send back to planning, go live, roll back or cancel; 409 lists the moves that apply."""
        release = self.get_object()
        body = serializers.MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = expected_version(request, body.validated_data)
        done = services.transition(
            release.pk,
            code.replace("-", "_"),
            actor=request.user,
            version=version,
            reason=body.validated_data.get("reason", ""),
        )
        return self._fresh(done.pk)

    @extend_schema(request=serializers.BundleSerializer, responses={200: serializers.ReleaseSerializer})
    @action(detail=True, methods=["post"])
    def changes(self, request: Request, pk: str) -> Response:
        """Bundle change tickets into the release (``add``) or take them out (``remove``)."""
        release = self.get_object()
        body = serializers.BundleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        version = expected_version(request, values)
        services.set_changes(
            release.pk,
            actor=request.user,
            add=values.get("add", []),
            remove=values.get("remove", []),
            version=version,
        )
        return self._fresh(release.pk)

    @extend_schema(request=serializers.ItemSerializer, responses={200: serializers.ItemSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def items(self, request: Request, pk: str) -> Response:
        """The release's acceptance items; POST adds one (``kind``: service or operations)."""
        release = self.get_object()
        if request.method == "GET":
            rows = AcceptanceItem.objects.visible_to(request.user).filter(release=release)
            rows = rows.select_related("release").order_by("kind", "order", "id")[:500]
            return Response(serializers.ItemSerializer(rows, many=True, context={"request": request}).data)
        body = serializers.ItemSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("version", None)
        given = data.pop("release", None)
        if given is not None and given.pk != release.pk:
            raise ApiValidationError({"release": [_("The item is added to the release of the address.")]})
        item = services.add_item(release.pk, actor=request.user, data=data)
        out = serializers.ItemSerializer(AcceptanceItem.objects.get(pk=item.pk), context={"request": request})
        return Response(out.data, status=status.HTTP_201_CREATED, headers={"ETag": etag(item.version)})

    @extend_schema(request=serializers.ApplyChecklistSerializer, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="apply-checklist")
    def apply_checklist(self, request: Request, pk: str) -> Response:
        """Copy an operations acceptance checklist's items into the release (existing ones are skipped)."""
        release = self.get_object()
        body = serializers.ApplyChecklistSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = services.apply_checklist(
            release.pk, actor=request.user, checklist=body.validated_data["checklist"]
        )
        return Response({"added": made})


class AcceptanceItemViewSet(RecordViewSet):
    """Acceptance items of releases; PATCH ``{"checked": true, "evidence": ..., "version": n}`` checks one."""

    model = AcceptanceItem
    serializer_class = serializers.ItemSerializer
    filterset_class = AcceptanceItemFilter
    select_related = ("release",)
    create_service = staticmethod(services.add_item)
    update_service = staticmethod(services.update_item)
    delete_service = staticmethod(services.delete_item)

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().order_by("-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("version", None)
        release = data.pop("release", None)
        item = services.add_item(release.pk if release is not None else None, actor=request.user, data=data)
        out = self.get_serializer(self._refetch(item.pk))
        return Response(out.data, status=status.HTTP_201_CREATED, headers={"ETag": etag(item.version)})

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        data.pop("release", None)
        return {"data": data}


class ChecklistViewSet(RecordViewSet):
    """Operations acceptance checklists; every active one is copied into new releases of its organisation."""

    model = Checklist
    serializer_class = serializers.ChecklistSerializer
    filterset_class = ChecklistFilter
    select_related = ("organisation",)
    prefetch_related = ("items",)
    create_service = staticmethod(services.create_checklist)
    update_service = staticmethod(services.update_checklist)
    delete_service = staticmethod(services.delete_checklist)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"data": data}
        if "items" in data:
            kwargs["items"] = [dict(i) for i in data.pop("items")]
        return kwargs


class ChecklistItemViewSet(RecordViewSet):
    """Items of operations acceptance checklists."""

    model = ChecklistItem
    serializer_class = serializers.ChecklistItemSerializer
    filterset_class = ChecklistItemFilter
    select_related = ("checklist",)
    create_service = staticmethod(services.create_checklist_item)
    update_service = staticmethod(services.update_checklist_item)
    delete_service = staticmethod(services.delete_checklist_item)

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().order_by("-id")
