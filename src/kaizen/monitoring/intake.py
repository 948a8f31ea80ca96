"""The intake endpoints: ``POST /api/v1/events/<source>/``, one per monitoring source.

Deliberately not DRF: the hot path authenticates the integration's token, checks the size and
the JSON syntax, stores the raw body and answers 202. Parsing, de-duplication and incidents run in
the worker (:mod:`kaizen.monitoring.processing`). Errors are RFC 9457 problem+json.

The production web server serves the common case without Django's request stack at all
(:func:`fast_path`, wrapped around the WSGI application in :mod:`kaizen.wsgi`): a POST with a valid
token and a JSON body of an allowed size is stored and answered right there. Everything else (a
bad token, a bad host, a body too large or not JSON, any doubt) goes on to the Django view below,
which gives the error answer, so both paths answer a request the same way (ADR 0009 addendum).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port, validate_host
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from kaizen.core.api.problems import problem_response

from . import services
from .choices import Source

MAX_TOKEN = 200


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
    token = _token_of(request.META)
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


# -- the production fast path -----------------------------------------------------------------

PREFIX = "/api/v1/events/"
log = logging.getLogger("kaizen.monitoring")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_headers: dict[bool, list[tuple[str, str]]] = {}


def fast_path(app: WSGIApp) -> WSGIApp:
    """Wrap a WSGI application so that intake deliveries skip Django's middleware and URL routing.

    A POST to ``/api/v1/events/<source>/`` is stored here when everything about it is in order
    (known source, allowed host, valid token, a JSON body within the limits); the answer carries
    the same security headers as Django's. Anything else is handed to ``app`` unchanged (a body
    already read is handed on as well), so every error answer comes from the Django view; so is
    a request during which something failed here. The persistent connection is not pinged before
    the insert (Django's health check would cost a round trip per delivery): a connection found
    dead fails here, is closed, and Django's view stores the delivery on a new one; a delivery
    stored before a failure is recognised as the same body again by the redelivery check.

    The security headers are built here, once per process, before the first request.
    """
    _security_headers(False), _security_headers(True)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith(PREFIX):
            try:
                answer = _fast(environ)
            except Exception:  # e.g. the database is down: Django answers (and reconnects) as usual
                log.warning("intake fast path failed; the request goes to Django", exc_info=True)
                if not connection.in_atomic_block:
                    connection.close()
                answer = None
            if answer is not None:
                start_response("202 Accepted", answer[0])
                return [answer[1]]
        return app(environ, start_response)

    return application


def _fast(environ: dict[str, Any]) -> tuple[list[tuple[str, str]], bytes] | None:
    """Store the delivery and return (headers, body) of the 202, or None to let Django answer."""
    source = environ["PATH_INFO"][len(PREFIX) :]
    if not source.endswith("/") or source[:-1] not in Source.values or not _host_allowed(environ):
        return None
    secure = _is_secure(environ)
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    token = _token_of(environ)
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    if not token or length <= 0 or length > settings.MAX_REQUEST_BYTES:
        return None
    _tidy_connection()
    integration = services.authenticate(token[: MAX_TOKEN + 1], source=source[:-1])
    if integration is None or length > integration.max_body_bytes:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)  # from here on, Django can read it again if it answers
    if not _is_json(body, length):
        return None
    received = services.receive(
        integration,
        body=body,
        content_type=str(environ.get("CONTENT_TYPE", "")),
        remote_addr=str(environ.get("REMOTE_ADDR", ""))[:64],
    )
    _tidy_connection()
    payload = json.dumps(
        {"status": "accepted", "delivery": received.delivery_id, "duplicate": received.duplicate}
    ).encode()
    return [*_security_headers(secure), ("Content-Length", str(len(payload)))], payload


def _is_json(body: bytes, length: int) -> bool:
    if len(body) != length or not body.strip():
        return False
    try:
        json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return True


def _tidy_connection() -> None:
    """What Django does at a request's start and end: close a connection past its age or broken."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
        connection.health_check_done = True  # type: ignore[attr-defined]  # no ping: see fast_path


def _host_allowed(environ: dict[str, Any]) -> bool:
    if settings.USE_X_FORWARDED_HOST:
        return False  # let Django apply its rules
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "")
    domain, _port = split_domain_port(host)
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    return bool(domain) and validate_host(domain, allowed)


def _is_secure(environ: dict[str, Any]) -> bool:
    """Django's ``request.is_secure()``: the trusted proxy header when configured, else the scheme."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        if header in environ:
            return str(environ[header]).split(",", 1)[0].strip() == secure_value
    return environ.get("wsgi.url_scheme") == "https"


def _token_of(environ: dict[str, Any]) -> str:
    """The token from ``Authorization: Bearer``, ``X-Kaizen-Token`` or the ``token`` query parameter."""
    header = str(environ.get("HTTP_AUTHORIZATION", ""))
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    token = str(environ.get("HTTP_X_KAIZEN_TOKEN") or "")
    query = str(environ.get("QUERY_STRING", ""))
    if not token and "token=" in query:
        found = parse_qs(query).get("token")
        token = found[-1] if found else ""
    return token.strip()


def _security_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers Django's header middlewares put on a JSON answer, built once per process."""
    if secure not in _headers:
        from csp.middleware import CSPMiddleware
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.security import SecurityMiddleware

        request = HttpRequest()
        request.method, request.path = "POST", PREFIX
        request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "443" if secure else "80"}
        if secure:
            request.META["wsgi.url_scheme"] = "https"
            request.is_secure = lambda: True  # type: ignore[method-assign]
        response = SecurityMiddleware(
            XFrameOptionsMiddleware(
                CSPMiddleware(lambda _r: HttpResponse(b"", content_type="application/json"))
            )
        )(request)
        assert isinstance(response, HttpResponse)
        _headers[secure] = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
    return _headers[secure]
