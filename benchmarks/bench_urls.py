"""Kaizen's routes plus ``GET /bench/ping``: a minimal Django view behind the same middleware."""

from django.http import HttpRequest, JsonResponse
from django.urls import path

from kaizen.urls import handler404, handler500  # noqa: F401
from kaizen.urls import urlpatterns as kaizen_urlpatterns


def ping(request: HttpRequest) -> JsonResponse:
    """Return a constant JSON object: the cost of Django, the middleware and the server alone."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/ping", ping), *kaizen_urlpatterns]
