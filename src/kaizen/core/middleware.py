"""Request middleware: body size limit, user preferences, acting context for the audit trail."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaizen.core import context
from kaizen.core.api.problems import problem_response

Handler = Callable[[HttpRequest], HttpResponse]


class BodySizeLimitMiddleware:
    """Refuse bodies larger than ``KAIZEN_MAX_REQUEST_BYTES`` with 413 before reading them."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.limit = settings.MAX_REQUEST_BYTES
        self.import_limit = getattr(settings, "MAX_IMPORT_BYTES", self.limit)
        self.import_paths = tuple(getattr(settings, "IMPORT_PATHS", ()))
        pattern = getattr(settings, "UPLOAD_PATH_PATTERN", "")
        self.upload_paths = re.compile(pattern) if pattern else None
        self.upload_limit = int(getattr(settings, "ATTACHMENT_MAX_BYTES", self.limit)) + 65_536

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(self.import_paths):
            limit = self.import_limit
        elif self.upload_paths is not None and self.upload_paths.match(request.path):
            limit = max(self.limit, self.upload_limit)
        else:
            limit = self.limit
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            length = -1
        if length < 0 or length > limit:
            detail = (
                _("The request body is too large (limit %(limit)s bytes).") % {"limit": limit}
                if length > 0
                else _("Invalid Content-Length header.")
            )
            status = 413 if length > 0 else 400
            if request.path.startswith("/api/"):
                return problem_response(status, detail)
            return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserPreferencesMiddleware:
    """Activate the logged-in user's language and time zone (defaults: browser, then settings)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        tz_name = settings.TIME_ZONE
        if user is not None and user.is_authenticated:
            language = getattr(user, "language", "")
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
            tz_name = getattr(user, "time_zone", "") or tz_name
        try:
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.activate(zoneinfo.ZoneInfo(settings.TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class AuditContextMiddleware:
    """Record who acts through which channel (web or API) for the audit trail.

    Token-authenticated API requests are resolved later by DRF; the token authentication binds
    the user into the context then.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        channel = context.Channel.API if request.path.startswith("/api/") else context.Channel.WEB
        user = getattr(request, "user", None)
        with context.acting(
            user=user if user is not None and user.is_authenticated else None, channel=channel
        ):
            return self.get_response(request)
