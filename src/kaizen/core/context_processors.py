"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kaizen.core import navigation


def navigation_context(request: HttpRequest) -> dict[str, Any]:
    """Expose the navigation entries the current user may see."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": navigation.nav_for(user)}
