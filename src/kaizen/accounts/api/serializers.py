"""API representations of the accounts domain."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer, VisibleRelatedField

from ..models import Membership, Organisation, Person, Team
from ..queries import grantable_users


class OrganisationSerializer(StrictModelSerializer):
    """An organisation."""

    class Meta:
        model = Organisation
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "code",
            "kind",
            "parent",
            "description",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class PersonSerializer(StrictModelSerializer):
    """A person; ``username`` is the login, if any (read-only here)."""

    username = serializers.CharField(source="user.username", read_only=True, default=None)

    class Meta:
        model = Person
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "name_kana",
            "email",
            "phone",
            "job_title",
            "organisation",
            "username",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class TeamSerializer(StrictModelSerializer):
    """A team with its member ids."""

    members = VisibleRelatedField(many=True, queryset=Person.objects.all(), required=False)

    class Meta:
        model = Team
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "organisation",
            "email",
            "description",
            "lead",
            "members",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class UserField(serializers.SlugRelatedField):  # type: ignore[type-arg]
    """A user referenced by username; only users of visible people (or oneself) are accepted."""

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        return grantable_users(getattr(request, "user", None))


class MembershipSerializer(StrictModelSerializer):
    """A role of a user in an organisation (``organisation`` null: every organisation)."""

    user = UserField(slug_field="username")

    class Meta:
        model = Membership
        fields: ClassVar[list[str]] = [
            "id",
            "user",
            "organisation",
            "role",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["created_at", "updated_at"]


class NewLoginSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Input for giving a person a login."""

    username = serializers.RegexField(r"^[\w.@+-]{1,150}$", max_length=150)
    password = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        min_length=10,
        max_length=128,
        trim_whitespace=False,
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({k: ["Unknown field."] for k in unknown})
        return super().to_internal_value(data)
