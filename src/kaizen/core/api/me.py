"""``/api/v1/me/``: the caller's profile, preferences and personal API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaizen.core.api import auth
from kaizen.core.models import ApiToken


class TokenSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A token as listed (the secret is never shown again)."""

    class Meta:
        model = ApiToken
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]
        read_only_fields = fields


class NewTokenSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Input for a new token."""

    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({k: [_("Unknown field.")] for k in unknown})
        return super().to_internal_value(data)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """List, create and revoke your own API tokens. DELETE revokes (the row is kept for audit)."""

    serializer_class = TokenSerializer

    def get_queryset(self) -> Any:
        return ApiToken.objects.filter(user_id=getattr(self.request.user, "pk", 0))

    @extend_schema(request=NewTokenSerializer, responses={201: TokenSerializer})
    def create(self, request: Request) -> Response:
        """Create a token; the response's ``token`` field is the only time the secret is shown."""
        ser = NewTokenSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        token, raw = auth.issue_token(
            user=request.user,
            name=ser.validated_data["name"],
            expires_in_days=ser.validated_data.get("expires_in_days"),
        )
        data = dict(TokenSerializer(token).data)
        data["token"] = raw
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token = self.get_object()
        auth.revoke_token(token.pk, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["get"])
    def current(self, request: Request) -> Response:
        """Describe the token this request was made with (if any)."""
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return Response(TokenSerializer(token).data if token else None)
