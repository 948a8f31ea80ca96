"""Reads of the accounts domain used by views and the API; each starts from ``visible_to``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kaizen.core.access import Role, has_any_role

from .models import Person, User


def grantable_users(user: Any) -> QuerySet[User]:
    """Return the active logins ``user`` may name in a role membership.

    An administrator may pick the login of any person they can see; anybody else only themselves.
    """
    qs = User.objects.filter(is_active=True)
    if user is not None and getattr(user, "is_superuser", False):
        return qs
    if has_any_role(user, [Role.ADMIN]):
        people = Person.objects.visible_to(user, "view").exclude(user__isnull=True).values("user_id")
        return qs.filter(pk__in=people)
    return qs.filter(pk=getattr(user, "pk", None))
