"""Generic API view set for Record models: scoped reads, service writes, versioned updates."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core.api.problems import PreconditionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


def expected_version(request: Request, body: Mapping[str, Any]) -> int:
    """Return the version the client based its update on (body ``version`` or If-Match)."""
    if body.get("version") is not None:
        return int(body["version"])
    header = request.headers.get("If-Match")
    if header:
        match = _ETAG.match(header)
        if not match:
            raise PreconditionRequired(_('If-Match must be the record\'s version, e.g. "3".'))
        return int(match.group(1))
    raise PreconditionRequired(
        _("Send the record's current version (field 'version' or If-Match header) with every update.")
    )


def etag(version: int) -> str:
    """Return the ETag of a record version."""
    return f'"{version}"'


class RecordViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
    """CRUD over a Record model, through its ``visible_to`` scope and its domain services.

    Subclasses set ``create_service``, ``update_service`` and ``delete_service`` (keyword-only
    service functions) and may override :meth:`service_kwargs` for extra arguments.
    """

    model: ClassVar[type[Model]]
    create_service: ClassVar[Callable[..., Any]]
    update_service: ClassVar[Callable[..., Any]]
    delete_service: ClassVar[Callable[..., Any]]
    select_related: ClassVar[tuple[str, ...]] = ()
    prefetch_related: ClassVar[tuple[str, ...]] = ()

    def get_queryset(self) -> QuerySet[Any]:
        qs: QuerySet[Any] = self.model.objects.visible_to(self.request.user, "view")  # type: ignore[attr-defined]
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        """Split validated data into service keyword arguments (default: all in ``data``)."""
        return {"data": data}

    def _refetch(self, pk: Any) -> Any:
        # The service has authorised the write; re-read without the request's cached role scope,
        # which does not know an organisation created by this very request.
        qs = self.model._default_manager.all()
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs.get(pk=pk)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        response["ETag"] = etag(instance.version)
        return response

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        obj = type(self).create_service(actor=request.user, **self.service_kwargs(data))
        out = self.get_serializer(self._refetch(obj.pk))
        return Response(out.data, status=status.HTTP_201_CREATED, headers={"ETag": etag(obj.version)})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        version = expected_version(request, request.data if isinstance(request.data, Mapping) else {})
        data = dict(serializer.validated_data)
        data.pop("version", None)
        kwargs_ = self.service_kwargs(data)
        changes = kwargs_.pop("data")
        obj = type(self).update_service(
            instance.pk, actor=request.user, changes=changes, version=version, **kwargs_
        )
        out = self.get_serializer(self._refetch(obj.pk))
        return Response(out.data, headers={"ETag": etag(obj.version)})

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        header = request.headers.get("If-Match")
        version = expected_version(request, {}) if header else None
        type(self).delete_service(instance.pk, actor=request.user, version=version, **self.delete_kwargs())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def delete_kwargs(self) -> dict[str, Any]:
        """Extra keyword arguments for the delete service (e.g. a reason from the query string)."""
        return {}
