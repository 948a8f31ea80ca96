"""Every write of the CMDB: keyword-only, one transaction, authorised, validated, audited."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.core import access, sequences
from kaizen.core.services import create_record, delete_record, update_record

from . import control
from .models import (
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipRule,
    RelationshipType,
    SoftwareInstallation,
)

CI_SEQUENCE = "cmdb.ci"


def create_ci_type(*, actor: Any, data: Mapping[str, Any]) -> CIType:
    """Define a CI type and its attribute schema (administrators)."""
    return create_record(CIType, actor=actor, data=data)


def update_ci_type(ci_type_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None) -> CIType:
    """Change a CI type. Existing CIs keep their values; they are validated again when next edited."""
    return update_record(CIType, ci_type_id, actor=actor, changes=changes, expected_version=version)


def delete_ci_type(ci_type_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a CI type that no CI uses."""
    delete_record(CIType, ci_type_id, actor=actor, expected_version=version)


def create_relationship_type(*, actor: Any, data: Mapping[str, Any]) -> RelationshipType:
    """Define a relationship type (administrators)."""
    return create_record(RelationshipType, actor=actor, data=data)


def update_relationship_type(
    type_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> RelationshipType:
    """Change a relationship type."""
    return update_record(RelationshipType, type_id, actor=actor, changes=changes, expected_version=version)


def delete_relationship_type(type_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a relationship type that no relationship uses."""
    delete_record(RelationshipType, type_id, actor=actor, expected_version=version)


def create_rule(*, actor: Any, data: Mapping[str, Any]) -> RelationshipRule:
    """Allow a relationship type between two CI types."""
    return create_record(RelationshipRule, actor=actor, data=data)


def update_rule(
    rule_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> RelationshipRule:
    """Change a relationship rule."""
    return update_record(RelationshipRule, rule_id, actor=actor, changes=changes, expected_version=version)


def delete_rule(rule_id: int, *, actor: Any, version: int | None = None) -> None:
    """Remove a relationship rule (existing relationships stay)."""
    delete_record(RelationshipRule, rule_id, actor=actor, expected_version=version)


def create_ci(*, actor: Any, data: Mapping[str, Any]) -> ConfigurationItem:
    """Record a configuration item; it gets the next ``CI-nnnnnn`` number."""
    with transaction.atomic():
        return create_record(
            ConfigurationItem, actor=actor, data={**data, "number": sequences.next_number(CI_SEQUENCE, "CI")}
        )


def update_ci(
    ci_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None, change: Any = None
) -> ConfigurationItem:
    """Change a CI if ``version`` is current; strict CIs only under ``change`` (see :mod:`.control`)."""
    with transaction.atomic():
        current = ConfigurationItem.objects.select_for_update().get(pk=ci_id)
        meta = control.authorise([current], change, actor)
        changes = dict(changes)
        changes.pop("number", None)
        ci = update_record(
            ConfigurationItem, ci_id, actor=actor, changes=changes, expected_version=version, meta=meta
        )
        control.record(meta, [current], "update", sorted(k for k in changes if k != "version"))
        return ci


def delete_ci(ci_id: int, *, actor: Any, version: int | None = None, change: Any = None) -> None:
    """Delete a CI that no relationship (current or past) refers to; strict CIs only under ``change``."""
    with transaction.atomic():
        current = ConfigurationItem.objects.select_for_update().get(pk=ci_id)
        meta = control.authorise([current], change, actor)
        delete_record(ConfigurationItem, ci_id, actor=actor, expected_version=version, meta=meta)
        control.record(meta, [current], "delete", [])


def add_software(*, actor: Any, data: Mapping[str, Any]) -> SoftwareInstallation:
    """Record a software package on a CI."""
    return create_record(SoftwareInstallation, actor=actor, data=data)


def update_software(
    software_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> SoftwareInstallation:
    """Change a software inventory row."""
    return update_record(
        SoftwareInstallation, software_id, actor=actor, changes=changes, expected_version=version
    )


def remove_software(software_id: int, *, actor: Any, version: int | None = None) -> None:
    """Remove a software package from a CI's inventory."""
    delete_record(SoftwareInstallation, software_id, actor=actor, expected_version=version)


def relate(*, actor: Any, data: Mapping[str, Any], change: Any = None) -> Relationship:
    """Relate two CIs with a typed relationship; the actor must see both and may edit the source's.

    A strict CI at either end is related only under ``change`` (see :mod:`.control`).

    Raises:
        ValidationError: unknown or invisible target, self-relationship, type rule violated,
            duplicate relationship, strict CI without a change that allows it.
    """
    with transaction.atomic():
        source: ConfigurationItem = data["source"]
        target: ConfigurationItem = data["target"]
        if not access.can(actor, "view", ConfigurationItem, obj=target):
            raise ValidationError({"target": _("No such CI, or you may not see it.")})
        ends = [source, target] if source.pk != target.pk else [source]
        meta = control.authorise(ends, change, actor)
        rel = create_record(
            Relationship,
            actor=actor,
            data={**data, "organisation_id": source.organisation_id, "started_at": timezone.now()},
            meta=meta,
        )
        control.record(meta, control.strict(ends), "relate", [str(rel)])
        return rel


def update_relationship(
    relationship_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Relationship:
    """Change the note of a relationship (to link other CIs, end it and relate anew)."""
    allowed = {k: v for k, v in changes.items() if k == "description"}
    if set(changes) - {"description", "source", "target", "relationship_type"}:
        raise ValidationError(_("Only the note of a relationship can be changed."))
    current = (
        Relationship.objects.filter(pk=relationship_id)
        .values("source", "target", "relationship_type")
        .first()
    )
    if current is not None:
        for key in ("source", "target", "relationship_type"):
            if key in changes and getattr(changes[key], "pk", changes[key]) != current[key]:
                raise ValidationError({key: _("End this relationship and create a new one instead.")})
    return update_record(
        Relationship, relationship_id, actor=actor, changes=allowed, expected_version=version
    )


def end_relationship(
    relationship_id: int, *, actor: Any, version: int | None = None, change: Any = None
) -> None:
    """End a relationship now; the row stays so that impact "as of" a past date can replay it.

    A strict CI at either end is unrelated only under ``change`` (see :mod:`.control`).
    """
    with transaction.atomic():
        rel = Relationship.objects.select_for_update().get(pk=relationship_id)
        if rel.ended_at is not None:
            raise ValidationError(_("This relationship has already ended."))
        if not access.can(actor, "delete", Relationship, obj=rel):
            raise PermissionDenied(_("You do not have permission to do this."))
        ends = list(ConfigurationItem.objects.filter(pk__in={rel.source_id, rel.target_id}))
        meta = control.authorise(ends, change, actor)
        update_record(
            Relationship,
            relationship_id,
            actor=actor,
            changes={"ended_at": timezone.now()},
            expected_version=version,
            check=False,
            action="end",
            meta=meta,
        )
        control.record(meta, control.strict(ends), "end_relationship", [str(rel)])
