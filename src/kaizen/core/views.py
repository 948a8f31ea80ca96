"""Platform pages: error handlers (problem+json under /api/)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

from kaizen.core.api.problems import problem_response


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 handler: problem+json for the API, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return problem_response(404, _("Not found."))
    return defaults.page_not_found(request, exception or Exception())


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """500 handler: problem+json for the API, the HTML page elsewhere."""
    if request.path.startswith("/api/"):
        return problem_response(500, _("Internal server error. The error was logged."))
    return defaults.server_error(request)
