"""Personal API tokens: ``Authorization: Bearer kzn_<prefix>_<secret>``."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from kaizen.core import audit, context
from kaizen.core.models import ApiToken

TOKEN_PREFIX = "kzn_"
MAX_TOKEN_LENGTH = 200


def digest(raw: str) -> str:
    """Return the stored digest of a raw token (SHA-256: tokens carry 256 bits of entropy)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(*, user: Any, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Create a token for ``user`` and return it with the raw secret, which is never stored."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    expires: datetime | None = None
    if expires_in_days is not None:
        if expires_in_days < 1:
            raise ValueError(_("A token must be valid for at least one day."))
        expires = timezone.now() + timedelta(days=expires_in_days)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100] or "token", prefix=prefix, digest=digest(raw), expires_at=expires
        )
        audit.record(token, action="create", changes={"name": [None, token.name], "user": [None, user.pk]})
    return token, raw


def revoke_token(token_id: int, *, user: Any) -> ApiToken:
    """Revoke one of ``user``'s tokens."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token_id, user=user)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(token, action="revoke")
    return token


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate API requests by a personal token."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Authorization header: use 'Bearer <token>'."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = ApiToken.objects.select_related("user").filter(digest=digest(raw)).first()
        now = timezone.now()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("This user is inactive."))
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        context.bind(user=token.user, channel=context.Channel.API)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describe the personal token authentication in the OpenAPI schema."""

    target_class = "kaizen.core.api.auth.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "kzn_<prefix>_<secret>"}
