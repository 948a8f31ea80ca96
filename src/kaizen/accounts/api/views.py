"""API endpoints of the accounts domain."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kaizen.core.api.viewsets import RecordViewSet

from .. import filters, services
from ..models import Membership, Organisation, Person, Team, User
from . import serializers


class OrganisationViewSet(RecordViewSet):
    """Organisations: customers, internal departments and suppliers."""

    model = Organisation
    serializer_class = serializers.OrganisationSerializer
    filterset_class = filters.OrganisationFilter
    create_service = staticmethod(services.create_organisation)
    update_service = staticmethod(services.update_organisation)
    delete_service = staticmethod(services.delete_organisation)


class PersonViewSet(RecordViewSet):
    """People, with or without a login."""

    model = Person
    serializer_class = serializers.PersonSerializer
    filterset_class = filters.PersonFilter
    select_related = ("user",)
    create_service = staticmethod(services.create_person)
    update_service = staticmethod(services.update_person)
    delete_service = staticmethod(services.delete_person)

    @extend_schema(request=serializers.NewLoginSerializer, responses={201: serializers.PersonSerializer})
    @action(detail=True, methods=["post"])
    def login(self, request: Request, pk: str | None = None) -> Response:
        """Give this person a login (username, optional initial password)."""
        person = self.get_object()
        ser = serializers.NewLoginSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        services.create_login(
            person.pk,
            actor=request.user,
            username=ser.validated_data["username"],
            password=ser.validated_data.get("password") or None,
        )
        return Response(self.get_serializer(self._refetch(person.pk)).data, status=201)


class TeamViewSet(RecordViewSet):
    """Teams and their members."""

    model = Team
    serializer_class = serializers.TeamSerializer
    filterset_class = filters.TeamFilter
    prefetch_related = ("members",)
    create_service = staticmethod(services.create_team)
    update_service = staticmethod(services.update_team)
    delete_service = staticmethod(services.delete_team)

    def service_kwargs(self, data: dict[str, Any]) -> dict[str, Any]:
        members = data.pop("members", None)
        kwargs: dict[str, Any] = {"data": data}
        if members is not None:
            kwargs["members"] = members
        return kwargs


class MembershipViewSet(RecordViewSet):
    """Role memberships."""

    model = Membership
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilter
    select_related = ("user", "organisation")
    create_service = staticmethod(services.grant_role)
    update_service = staticmethod(services.update_membership)
    delete_service = staticmethod(services.revoke_role)


class MeSerializer(drf_serializers.ModelSerializer):  # type: ignore[type-arg]
    """The caller's own profile and preferences."""

    roles = drf_serializers.SerializerMethodField()

    class Meta:
        model = User
        fields: ClassVar[list[str]] = [
            "id",
            "username",
            "email",
            "language",
            "time_zone",
            "is_superuser",
            "roles",
        ]
        read_only_fields: ClassVar[list[str]] = ["id", "username", "email", "is_superuser", "roles"]

    def get_roles(self, user: User) -> list[dict[str, Any]]:
        return [
            {"role": m.role, "organisation": m.organisation_id}
            for m in Membership.objects.filter(user=user).order_by("role", "organisation_id")
        ]


class MeView(APIView):
    """``GET /api/v1/me/``: who am I; ``PATCH``: change my language and time zone."""

    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(request=MeSerializer, responses=MeSerializer)
    def patch(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        allowed = {"language", "time_zone"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValidationError({k: [_("Unknown or read-only field.")] for k in unknown})
        for key in allowed & set(data):
            if not isinstance(data[key], str):
                raise ValidationError({key: [_("Expected a string.")]})
        user = services.update_preferences(
            actor=request.user, language=data.get("language"), time_zone=data.get("time_zone")
        )
        return Response(MeSerializer(user).data)
