"""Creating the first administrator (``kaizen init``, ``kaizen up``)."""

from __future__ import annotations

import secrets

from django.db import transaction

from kaizen.core import audit, context
from kaizen.core.access import Role

from .models import Membership, User


def create_first_admin(*, username: str, password: str | None, email: str = "") -> tuple[bool, str | None]:
    """Create a superuser with a global admin role unless an administrator already exists.

    Returns (created, generated password or None when the caller supplied one).
    """
    with context.acting(channel=context.Channel.CLI, label="kaizen init"), transaction.atomic():
        if (
            User.objects.filter(is_superuser=True).exists()
            or Membership.objects.filter(role=Role.ADMIN, organisation__isnull=True).exists()
        ):
            return False, None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12)
        user = User(username=username, email=email, is_superuser=True, is_staff=True)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        audit.record(
            user, action="create", changes={"username": [None, username], "is_superuser": [None, True]}
        )
        membership = Membership.objects.create(user=user, organisation=None, role=Role.ADMIN)
        audit.record(
            membership, action="create", changes={"role": [None, Role.ADMIN], "user": [None, user.pk]}
        )
    return True, generated
