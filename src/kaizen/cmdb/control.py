"""Change control of strict CIs: they change only under a change that is being implemented.

A CI whose control level is *strict* may be edited, deleted, related or unrelated only when the
caller names a change (its ``CHG-`` number) that is in implementation and lists the CI among its
affected CIs. A strict CI that is still *planned* (being built, not in service) is not under
control yet: it is built and related freely, and putting it in use is its last free edit.

The CMDB does not know change management (a later layer); change enablement registers the check
and the record of what was done under the change at start-up (:func:`register`). Without it,
strict CIs cannot be changed at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .choices import CIStatus, ControlLevel
from .models import ConfigurationItem

MAX_REFERENCE = 30
"""Longest change reference accepted (a ``CHG-`` number or a ticket id)."""

Authorise = Callable[[Sequence[ConfigurationItem], str, Any], dict[str, Any]]
"""fn(strict CIs, change reference, actor) -> audit meta naming the change; raises ValidationError."""
Record = Callable[[dict[str, Any], Sequence[ConfigurationItem], str, Sequence[str]], None]
"""fn(meta from Authorise, CIs, action, changed field names): note the edit on the change."""

_hooks: dict[str, Any] = {}


def register(*, authorise: Authorise, record: Record) -> None:
    """Install change management's check and record (``kaizen.changes`` does at start-up)."""
    _hooks["authorise"] = authorise
    _hooks["record"] = record


def strict(cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    """Return the CIs of ``cis`` that are under strict change control (strict and not planned)."""
    return [ci for ci in cis if ci.control_level == ControlLevel.STRICT and ci.status != CIStatus.PLANNED]


def authorise(cis: Iterable[ConfigurationItem], change: Any, actor: Any) -> dict[str, Any] | None:
    """Check that ``change`` allows ``actor`` to change the strict CIs among ``cis``.

    Returns:
        None when no CI is strict (no change is needed); else the audit meta naming the change.

    Raises:
        ValidationError: see :func:`require`.
    """
    controlled = strict(cis)
    return require(controlled, change, actor) if controlled else None


def require(controlled: Sequence[ConfigurationItem], change: Any, actor: Any) -> dict[str, Any]:
    """Check that ``change`` allows ``actor`` to change ``controlled`` (CIs that were strict).

    Raises:
        ValidationError: on ``change``: no change named, not a change number, no such change
            visible to the actor, not in implementation, or it does not list every one of the CIs.
    """
    if isinstance(change, bool) or not isinstance(change, str | int | None):
        raise ValidationError({"change": _("Give the change number, e.g. CHG-000123.")})
    reference = str(change).strip() if change is not None else ""
    if not reference:
        names = ", ".join(ci.number for ci in controlled)
        raise ValidationError(
            {
                "change": _(
                    "%(cis)s is under strict change control: name the change being implemented "
                    "that lists it (its CHG number)."
                )
                % {"cis": names}
            }
        )
    if len(reference) > MAX_REFERENCE:
        raise ValidationError({"change": _("Give the change number, e.g. CHG-000123.")})
    check: Authorise | None = _hooks.get("authorise")
    if check is None:
        raise ValidationError(
            {"change": _("Change management is not available, so CIs under strict control cannot change.")}
        )
    return check(controlled, reference, actor)


def record(
    meta: dict[str, Any] | None, controlled: Sequence[ConfigurationItem], action: str, fields: Sequence[str]
) -> None:
    """Note on the change what was done to ``controlled`` (nothing when no change was needed)."""
    note: Record | None = _hooks.get("record")
    if meta is not None and note is not None and controlled:
        note(meta, controlled, action, fields)
