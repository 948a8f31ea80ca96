"""The intake endpoints: ``POST /api/v1/events/<source>/``, one per monitoring source.

Deliberately not DRF: the hot path authenticates the integration's token, checks the size and
the JSON syntax, stores the raw body and answers 202. Parsing, de-duplication and incidents run in
the worker (:mod:`kaizen.monitoring.processing`). Errors are RFC 9457 problem+json.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kaizen.core.api.problems import problem_response

from . import services
from .choices import Source

MAX_TOKEN = 200


def _token(request: HttpRequest) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return (request.META.get("HTTP_X_KAIZEN_TOKEN") or request.GET.get("token") or "").strip()


def _client(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


@csrf_exempt
def receive(request: HttpRequest, source: str) -> HttpResponse:
    """Store one delivery of ``source`` and answer 202 (401 bad token, 413 too large, 400 not JSON)."""
    if source not in Source.values:
        return problem_response(404, _("Unknown monitoring source: %(s)s.") % {"s": source[:50]})
    if request.method != "POST":
        response = problem_response(405, _("Send alerts with POST."))
        response["Allow"] = "POST"
        return response
    token = _token(request)
    integration = services.authenticate(token[: MAX_TOKEN + 1], source=source) if token else None
    if integration is None:
        response = problem_response(401, _("Missing or invalid integration token."))
        response["WWW-Authenticate"] = 'Bearer realm="kaizen-events"'
        return response
    limit = integration.max_body_bytes
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return problem_response(400, _("Invalid Content-Length header."))
    if length > limit:
        return problem_response(413, _("The body is too large (limit %(n)s bytes).") % {"n": limit})
    body = request.read(limit + 1)
    if len(body) > limit:
        return problem_response(413, _("The body is too large (limit %(n)s bytes).") % {"n": limit})
    if not body.strip():
        return problem_response(400, _("The body is empty."))
    try:
        json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return problem_response(400, _("The body is not valid JSON (UTF-8)."))
    received = services.receive(
        integration,
        body=body,
        content_type=str(request.META.get("CONTENT_TYPE", "")),
        remote_addr=_client(request),
    )
    return JsonResponse(
        {"status": "accepted", "delivery": received.delivery_id, "duplicate": received.duplicate}, status=202
    )
