"""RFC 9457 problem details for every API error.

Body: ``type``, ``title``, ``status``, ``detail`` and, for invalid input, ``errors``
(field -> list of messages; ``non_field_errors`` for the whole object). Media type
``application/problem+json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core import exceptions as dj
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from kaizen.core.services import ActionNotAllowed, ConflictError

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"


class PreconditionRequired(drf.APIException):
    """An update was sent without the version it is based on."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = "Send the record's current version (field 'version' or If-Match header)."
    default_code = "precondition_required"


class Conflict(drf.APIException):
    """The request conflicts with the record's current state."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def problem(status_code: int, detail: str, *, title: str | None = None, **extra: Any) -> dict[str, Any]:
    """Build a problem-details body."""
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": PROBLEM_TYPE,
        "title": title or HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
    }
    body.update(extra)
    return body


def problem_response(status_code: int, detail: str, **extra: Any) -> JsonResponse:
    """Return a problem-details response outside DRF (middleware, URL handlers)."""
    return JsonResponse(
        problem(status_code, detail, **extra),
        status=status_code,
        content_type=MEDIA_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


def _flatten(detail: Any) -> Any:
    if isinstance(detail, Mapping):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _django_validation(exc: dj.ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if k == dj.NON_FIELD_ERRORS else k): [str(m) for m in v]
            for k, v in exc.message_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _translate(exc: Exception) -> drf.APIException | None:
    if isinstance(exc, drf.APIException):
        return exc
    if isinstance(exc, Http404 | dj.ObjectDoesNotExist):
        return drf.NotFound(_("Not found."))
    if isinstance(exc, dj.PermissionDenied):
        return drf.PermissionDenied(str(exc) or _("You do not have permission to do this."))
    if isinstance(exc, dj.ValidationError):
        return drf.ValidationError(_django_validation(exc))
    if isinstance(exc, ConflictError | ActionNotAllowed):
        return Conflict(str(exc))
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(_("Other records still refer to this one; remove or reassign them first."))
    if isinstance(exc, dj.RequestDataTooBig):
        return drf.APIException(_("The request body is too large."))
    if isinstance(exc, dj.SuspiciousOperation):
        return drf.ParseError(str(exc))
    return None


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response | None:
    """DRF exception handler producing problem details; unknown errors stay 500 (and get logged)."""
    api_exc = _translate(exc)
    if api_exc is None:
        return None
    if isinstance(exc, dj.RequestDataTooBig):
        api_exc.status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    extra: dict[str, Any] = {}
    if isinstance(api_exc, drf.ValidationError):
        errors = _flatten(api_exc.detail)
        if not isinstance(errors, dict):
            errors = {"non_field_errors": errors if isinstance(errors, list) else [errors]}
        extra["errors"] = errors
        detail = _("The request is invalid: see 'errors'.")
    else:
        detail = str(_flatten(api_exc.detail))
    if isinstance(exc, ConflictError):
        extra["current_version"] = exc.current_version
        if exc.changes:
            extra["changes_since"] = exc.changes
    if isinstance(exc, ActionNotAllowed):
        extra["allowed"] = exc.allowed
    body = problem(api_exc.status_code, detail, **extra)
    headers = {}
    wait = getattr(api_exc, "wait", None)
    if isinstance(api_exc, drf.Throttled) and wait is not None:
        headers["Retry-After"] = str(int(wait))
    auth_header = getattr(api_exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    set_rollback()
    return Response(body, status=api_exc.status_code, headers=headers, content_type=MEDIA_TYPE)
