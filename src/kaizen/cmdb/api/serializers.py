"""Serializers of the CMDB API."""

from __future__ import annotations

from typing import ClassVar

from rest_framework import serializers

from kaizen.core.api.serializers import StrictModelSerializer

from ..models import (
    CIType,
    ConfigurationItem,
    ImportJob,
    Relationship,
    RelationshipRule,
    RelationshipType,
    SoftwareInstallation,
)


class CITypeSerializer(StrictModelSerializer):
    """A CI type and its attribute schema."""

    class Meta:
        model = CIType
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "name",
            "name_en",
            "description",
            "attribute_schema",
            "is_builtin",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["is_builtin", "created_at", "updated_at"]


class RelationshipTypeSerializer(StrictModelSerializer):
    """A relationship type, read from source to target (``name``) and back (``reverse_name``)."""

    class Meta:
        model = RelationshipType
        fields: ClassVar[list[str]] = [
            "id",
            "code",
            "name",
            "name_en",
            "reverse_name",
            "reverse_name_en",
            "propagation",
            "is_builtin",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["is_builtin", "created_at", "updated_at"]


class RelationshipRuleSerializer(StrictModelSerializer):
    """Allows a relationship type between two CI types (null = any type)."""

    class Meta:
        model = RelationshipRule
        fields: ClassVar[list[str]] = ["id", "relationship_type", "source_type", "target_type", "version"]


CHANGE_HELP = (
    "The change being implemented that lists this CI (CHG number); required to change a CI under "
    "strict change control."
)


def change_field() -> serializers.CharField:
    """The write-only ``change`` of writes that touch strict CIs."""
    return serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=30, help_text=CHANGE_HELP
    )


class CISerializer(StrictModelSerializer):
    """A configuration item. Updates of strict CIs name the ``change`` being implemented."""

    change = change_field()

    class Meta:
        model = ConfigurationItem
        fields: ClassVar[list[str]] = [
            "id",
            "number",
            "name",
            "ci_type",
            "status",
            "organisation",
            "owner_team",
            "location",
            "description",
            "attributes",
            "control_level",
            "external_id",
            "change",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["number", "created_at", "updated_at"]


class SoftwareSerializer(StrictModelSerializer):
    """A software package on a CI, as a package URL (``package_version`` defaults from the purl)."""

    class Meta:
        model = SoftwareInstallation
        fields: ClassVar[list[str]] = [
            "id",
            "ci",
            "purl",
            "name",
            "package_version",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = ["name", "created_at", "updated_at"]


class RelationshipSerializer(StrictModelSerializer):
    """A relationship: ``source`` ``relationship_type`` ``target`` (e.g. app runs on server).

    Relating a strict CI names the ``change`` being implemented that lists it.
    """

    change = change_field()

    class Meta:
        model = Relationship
        fields: ClassVar[list[str]] = [
            "id",
            "source",
            "relationship_type",
            "target",
            "organisation",
            "description",
            "started_at",
            "ended_at",
            "change",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields: ClassVar[list[str]] = [
            "organisation",
            "started_at",
            "ended_at",
            "created_at",
            "updated_at",
        ]


class ImportJobSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A CMDB import job: state, progress and the per-row report."""

    class Meta:
        model = ImportJob
        fields: ClassVar[list[str]] = [
            "id",
            "file_name",
            "options",
            "state",
            "processed",
            "total",
            "report",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields
