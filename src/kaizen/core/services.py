"""Generic write services for :class:`~kaizen.core.models.Record` models.

Domain services build on these so that every write is authorised, validated, version-checked,
audited and done in one transaction, the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kaizen.core import access, audit
from kaizen.core.models import Record

R = TypeVar("R", bound=Record)


class ConflictError(Exception):
    """The record changed since the caller read it (stale ``version``).

    ``changes`` may describe what changed since the sent version (who, when, field, old, new), so
    the second of two editors sees what the first one did.
    """

    def __init__(
        self, *, current_version: int, sent_version: int, changes: list[dict[str, Any]] | None = None
    ) -> None:
        self.current_version = current_version
        self.sent_version = sent_version
        self.changes = changes or []
        super().__init__(
            _(
                "The record was changed by someone else (version %(current)s, you sent %(sent)s). "
                "Reload and try again."
            )
            % {"current": current_version, "sent": sent_version}
        )


class ActionNotAllowed(Exception):
    """A workflow action that does not apply to the record in its current state (API: 409).

    ``allowed`` lists the actions the actor may apply now, so a client can recover.
    """

    def __init__(self, message: str, *, allowed: list[str]) -> None:
        self.allowed = allowed
        super().__init__(message)


def add_scope(obj: Record) -> int | None:
    """Return the organisation whose ``add`` right creating ``obj`` requires."""
    getter = getattr(obj, "add_scope_id", None)
    if callable(getter):
        value = getter()
        return int(value) if value is not None else None
    return obj.organisation_id_for_audit()


def _require(actor: Any, action: str, obj: Record, *, new: bool = False) -> None:
    model = type(obj)
    allowed = (
        access.can(actor, action, model, organisation_id=add_scope(obj))
        if new
        else access.can(actor, action, model, obj=obj)
    )
    if not allowed:
        raise PermissionDenied(_("You do not have permission to do this."))


def create_record(
    model: type[R],
    *,
    actor: Any,
    data: Mapping[str, Any],
    check: bool = True,
    meta: Mapping[str, Any] | None = None,
) -> R:
    """Validate, authorise, save and audit a new record.

    Raises:
        PermissionDenied: the actor may not add this record in its organisation.
        django.core.exceptions.ValidationError: the data is invalid.
    """
    with transaction.atomic():
        obj = model(**data)
        if check:
            _require(actor, "add", obj, new=True)
        obj.full_clean()
        obj.save(force_insert=True)
        audit.record(
            obj, action="create", changes={k: [None, v] for k, v in _audited(obj).items()}, meta=meta
        )
    return obj


def _audited(obj: Record) -> dict[str, Any]:
    return audit.snapshot(obj, exclude=type(obj).audit_exclude)


def update_record(
    model: type[R],
    pk: Any,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    expected_version: int | None,
    check: bool = True,
    meta: Mapping[str, Any] | None = None,
    action: str = "update",
) -> R:
    """Apply ``changes`` to a record if its version is still ``expected_version``.

    The row is locked for the transaction, so of several concurrent writers with the same
    version exactly one succeeds and the others get :class:`ConflictError`. ``expected_version``
    may only be None for internal callers that hold no copy (jobs).

    Raises:
        model.DoesNotExist: no such record.
        ConflictError: stale version.
        PermissionDenied: the actor may not change it (or move it to the target organisation).
        django.core.exceptions.ValidationError: the result is invalid.
    """
    with transaction.atomic():
        obj = cast(R, model._default_manager.select_for_update().get(pk=pk))
        if check:
            _require(actor, "change", obj)
        if expected_version is not None and obj.version != expected_version:
            raise ConflictError(current_version=obj.version, sent_version=expected_version)
        before = _audited(obj)
        scope_before = add_scope(obj)
        for name, value in changes.items():
            setattr(obj, name, value)
        if check and add_scope(obj) != scope_before:
            _require(actor, "add", obj, new=True)
        obj.full_clean()
        delta = audit.diff(before, _audited(obj))
        if not delta:
            return obj
        obj.version += 1
        obj.save()
        audit.record(obj, action=action, changes=delta, meta=meta)
    return obj


def delete_record(
    model: type[R],
    pk: Any,
    *,
    actor: Any,
    expected_version: int | None = None,
    check: bool = True,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """Delete a record (version-checked when given) and audit its last values (and ``meta``)."""
    with transaction.atomic():
        obj = model._default_manager.select_for_update().get(pk=pk)
        if check:
            _require(actor, "delete", obj)
        if expected_version is not None and obj.version != expected_version:
            raise ConflictError(current_version=obj.version, sent_version=expected_version)
        audit.record(
            obj, action="delete", changes={k: [v, None] for k, v in _audited(obj).items()}, meta=meta
        )
        obj.delete()
