"""Strict change control of the CMDB: which change allows a CI under strict control to change.

The CMDB asks (through :mod:`kaizen.cmdb.control`) before a strict CI is edited, deleted, related
or unrelated: the caller names a change, which must be one the actor may see, of the CI's
organisation, being implemented now (state *Implementing*), and listing every such CI among its
affected CIs. What was done is then noted on the change as an internal work note, and the audit
row of the CI names the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils.translation import gettext as _

from kaizen.cmdb.models import ConfigurationItem
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

IMPLEMENTING = "implementing"
"""The state a change is in while its CIs may change."""
MAX_LISTED = 20
"""CIs named one by one in a work note (the rest are counted)."""


def _find(reference: str, actor: Any) -> Ticket | None:
    """Return the change ticket named by a CHG number (or its id) that the actor may see."""
    visible = Ticket.objects.visible_to(actor).filter(kind=Kind.CHANGE).select_related("state")
    if reference.isdigit():
        return visible.filter(pk=int(reference)).first()
    return visible.filter(number=reference.upper()).first()


def authorise(cis: Sequence[ConfigurationItem], reference: str, actor: Any) -> dict[str, Any]:
    """Return the audit meta naming the change that allows ``cis`` to change; raise otherwise."""
    change = _find(reference, actor)
    if change is None:
        raise ValidationError({"change": _("No change %(ref)s, or you may not see it.") % {"ref": reference}})
    foreign = [ci.number for ci in cis if ci.organisation_id != change.organisation_id]
    if foreign:
        raise ValidationError(
            {
                "change": _("%(change)s is a change of another organisation than %(cis)s.")
                % {"change": change.number, "cis": ", ".join(foreign)}
            }
        )
    if change.state.code != IMPLEMENTING:
        raise ValidationError(
            {
                "change": _(
                    "%(change)s is not being implemented: CIs under strict control change only "
                    "while their change is in implementation (start it first)."
                )
                % {"change": change.number}
            }
        )
    listed = set(change.cis.values_list("pk", flat=True))
    missing = [ci.number for ci in cis if ci.pk not in listed]
    if missing:
        raise ValidationError(
            {
                "change": _(
                    "%(change)s does not list %(cis)s among its affected CIs: add them to the change first."
                )
                % {"change": change.number, "cis": ", ".join(missing)}
            }
        )
    return {"change": change.number, "change_id": change.pk}


NOTES = {
    "update": lambda: _("CMDB: %(cis)s updated under this change."),
    "delete": lambda: _("CMDB: %(cis)s deleted under this change."),
    "relate": lambda: _("CMDB: %(cis)s related to another CI under this change."),
    "end_relationship": lambda: _("CMDB: a relationship of %(cis)s ended under this change."),
    "import": lambda: _("CMDB: %(cis)s updated by an import under this change."),
}
"""action -> the work note's sentence (translated when written)."""


def _label(field: str) -> str:
    try:
        return str(ConfigurationItem._meta.get_field(field).verbose_name)
    except FieldDoesNotExist:
        return field


def record(
    meta: dict[str, Any], cis: Sequence[ConfigurationItem], action: str, fields: Sequence[str]
) -> None:
    """Write an internal work note on the change saying what was done to its CIs."""
    with tickets.writing():
        ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=meta["change_id"])
        names = ", ".join(f"{ci.number} {ci.name}" for ci in cis[:MAX_LISTED])
        if len(cis) > MAX_LISTED:
            names += " " + _("and %(n)s more") % {"n": len(cis) - MAX_LISTED}
        body = NOTES.get(action, NOTES["update"])() % {"cis": names}
        if fields and action in ("relate", "end_relationship"):
            body += " " + _("Relationship: %(relationship)s.") % {"relationship": fields[0]}
        elif fields:
            body += " " + _("Fields: %(fields)s.") % {"fields": ", ".join(_label(f) for f in fields)}
        tickets.add_system_note(ticket, body=body, label=_("Change control"))
