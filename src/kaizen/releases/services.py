"""Every write of release management: releases, their bundled changes, acceptance items and moves;
the operations acceptance checklists.

Keyword-only, one transaction each, audited through :mod:`kaizen.core.services` and
:mod:`kaizen.core.audit`, versions compared (:class:`~kaizen.core.services.ConflictError`).
Writes to a release's items lock the release row first, so an item cannot be unchecked while
the release goes live (the go-live check and the uncheck are serialised).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Person
from kaizen.core import access, audit, events, sequences
from kaizen.core.services import ActionNotAllowed, ConflictError, create_record, delete_record, update_record
from kaizen.portfolio.models import Service
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

from . import policies
from .choices import ItemCategory, ItemKind, ReleaseAction, ReleaseState
from .events import ReleaseCreated, ReleaseStateChanged
from .models import (
    MAX_EVIDENCE,
    MAX_ITEM,
    PLAN_FIELDS,
    AcceptanceItem,
    Checklist,
    ChecklistItem,
    Release,
)

SEQUENCE = "release"
MAX_CHANGES = 200
MAX_ITEMS = 300
MAX_CHECKLIST_ITEMS = 100
MAX_ID = 2**63 - 1
RELEASE_FIELDS = frozenset(
    {"organisation", "title", "description", "service", "owner", "planned_at", *PLAN_FIELDS}
)
"""Fields of a release a caller may set (number, state and the go-live stamps are the services')."""
ITEM_FIELDS = frozenset({"kind", "category", "text", "guidance", "mandatory", "order", "checked", "evidence"})
LOCKED_ITEM_FIELDS = ("kind", "category", "text", "mandatory")
"""What an item of the operations team's minimum keeps."""
CHECKLIST_ITEM_FIELDS = frozenset({"category", "text", "guidance", "mandatory", "order"})


# -- helpers --------------------------------------------------------------------------------------


def _unknown(values: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(str(k) for k in values if k not in allowed)
    if unknown:
        raise ValidationError({k[:50]: _("Unknown field.") for k in unknown})


def _text(value: Any, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("Expected text.")})
    if len(value) > limit:
        raise ValidationError({field: _("At most %(n)s characters.") % {"n": limit}})
    return value.strip()


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError({field: _("Expected true or false.")})
    return value


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _ids(values: Iterable[Any], field: str) -> list[int]:
    """Return record ids from ids or records; anything else is a validation error."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ValidationError({field: _("Expected a list of ids.")})
    out: list[int] = []
    for value in values:
        pk = getattr(value, "pk", value)
        if isinstance(pk, str) and pk.strip().isdigit():
            pk = int(pk)
        if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ID:
            raise ValidationError({field: _("Expected a list of ids.")})
        out.append(pk)
        if len(out) > MAX_CHANGES:
            raise ValidationError({field: _("At most %(n)s at once.") % {"n": MAX_CHANGES}})
    return list(dict.fromkeys(out))


def _lock(
    release_id: Any, actor: Any, action: str, missing: type[Exception] = Release.DoesNotExist
) -> Release:
    """Lock a release the actor may see; PermissionDenied when ``action`` is not theirs."""
    release = Release.objects.select_for_update().filter(pk=release_id).first()
    if release is None or not access.can(actor, "view", Release, obj=release):
        raise missing
    if action != "view" and not access.can(actor, action, Release, obj=release):
        raise PermissionDenied(_("You do not have permission to do this."))
    return release


def _check_version(release: Release, version: int | None) -> None:
    if version is not None and release.version != version:
        raise ConflictError(current_version=release.version, sent_version=version)


def _require_editable(release: Release) -> None:
    if release.state not in policies.EDITABLE_STATES:
        raise ValidationError(
            _("The release is %(state)s: its plan, items and changes no longer change.")
            % {"state": release.get_state_display()}
        )


def _bump(release: Release, *, action: str, changes: Mapping[str, Any]) -> None:
    """Give the release a new version for a write outside its own fields (bundled changes, watchers)."""
    release.version += 1
    release.save(update_fields=["version", "updated_at"])
    audit.record(release, action=action, changes=changes)


def _visible(actor: Any, model: type[Any], value: Any, field: str) -> None:
    if value is None or value == "":
        return
    pk = getattr(value, "pk", value)
    if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit() or int(pk) > MAX_ID:
        raise ValidationError({field: _("No such record, or you may not see it.")})
    if not model.objects.visible_to(actor).filter(pk=int(pk)).exists():
        raise ValidationError({field: _("No such record, or you may not see it.")})


def _check_lengths(model: type[Any], values: Mapping[str, Any]) -> None:
    """Refuse over-long text (the database does not limit text columns; the model does not check them)."""
    for name, value in values.items():
        field = model._meta.get_field(name) if name in {f.name for f in model._meta.fields} else None
        limit = getattr(field, "max_length", None)
        if limit and isinstance(value, str) and len(value) > limit:
            raise ValidationError({name: _("At most %(n)s characters.") % {"n": limit}})


def _release_values(actor: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(data, RELEASE_FIELDS)
    values = dict(data)
    _check_lengths(Release, values)
    _visible(actor, Service, values.get("service"), "service")
    _visible(actor, Person, values.get("owner"), "owner")
    return values


def _set_watchers(release: Release, actor: Any, watchers: Iterable[Any] | None) -> bool:
    """Replace the watchers; return whether they changed (audited)."""
    if watchers is None:
        return False
    ids = _ids(watchers, "watchers")
    found = set(Person.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationError({"watchers": _("No such record, or you may not see it.")})
    before = sorted(release.watchers.values_list("pk", flat=True))
    after = sorted(ids)
    if before == after:
        return False
    release.watchers.set(after)
    audit.record(release, action="watchers", changes={"watchers": [before, after]})
    return True


# -- releases -------------------------------------------------------------------------------------


def create_release(
    *,
    actor: Any,
    data: Mapping[str, Any],
    watchers: Iterable[Any] | None = None,
    change_tickets: Iterable[Any] = (),
    apply_checklists: bool = True,
) -> Release:
    """Record a release (``REL-nnnnnn``) in planning, with the operations acceptance checklist.

    The items of every active checklist of the release's organisation are copied into it (the
    shipped minimum when the organisation has none), so operations acceptance is never forgotten.

    Raises:
        PermissionDenied: the actor may not plan releases in the organisation.
        ValidationError: unknown or invalid fields, invisible service, owner, watchers or changes.
    """
    with transaction.atomic():
        values = _release_values(actor, data)
        release = create_record(
            Release,
            actor=actor,
            data={**values, "number": sequences.next_number(SEQUENCE, "REL"), "state": ReleaseState.PLANNING},
        )
        _set_watchers(release, actor, watchers)
        if apply_checklists:
            _copy_checklists(release, None)
        add = _ids(change_tickets, "change_tickets")
        if add:
            _bundle(release, actor, add=add, remove=[])
        events.emit(ReleaseCreated(release_id=release.pk, number=release.number))
    return release


def update_release(
    release_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    watchers: Iterable[Any] | None = None,
) -> Release:
    """Change a release's plan if ``version`` is current (before it goes live).

    Raises:
        Release.DoesNotExist: no such release visible to the actor.
        ConflictError: stale version.
        ValidationError: invalid values, a release no longer in planning or approved, or a move to
            another organisation while changes are bundled.
    """
    with transaction.atomic():
        current = _lock(release_id, actor, "change")
        _check_version(current, version)
        _require_editable(current)
        values = _release_values(actor, changes)
        target = values.get("organisation", current.organisation_id)
        target_id = getattr(target, "pk", target)
        if target_id != current.organisation_id and current.change_tickets.exists():
            raise ValidationError(
                {
                    "organisation": _(
                        "Remove the bundled changes before moving the release to another organisation."
                    )
                }
            )
        release = update_record(Release, current.pk, actor=actor, changes=values, expected_version=version)
        if _set_watchers(release, actor, watchers) and release.version == current.version:
            release.version += 1
            release.save(update_fields=["version", "updated_at"])
    return release


def delete_release(release_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a release that never went live (a live or rolled-back release stays on record)."""
    with transaction.atomic():
        release = _lock(release_id, actor, "delete")
        _check_version(release, version)
        if release.state in (ReleaseState.LIVE, ReleaseState.ROLLED_BACK):
            raise ValidationError(_("A release that went live stays on record; it cannot be deleted."))
        for item_id in release.items.values_list("pk", flat=True):
            delete_record(AcceptanceItem, item_id, actor=actor, check=False)
        delete_record(Release, release.pk, actor=actor, expected_version=version)


def _bundle(release: Release, actor: Any, *, add: list[int], remove: list[int]) -> bool:
    before = sorted(release.change_tickets.values_list("pk", flat=True))
    if add:
        found = set(
            Ticket.objects.visible_to(actor)
            .filter(pk__in=add, kind=Kind.CHANGE, organisation_id=release.organisation_id)
            .values_list("pk", flat=True)
        )
        missing = [i for i in add if i not in found]
        if missing:
            raise ValidationError(
                {
                    "add": _("No such change in the release's organisation: %(ids)s.")
                    % {"ids": ", ".join(str(i) for i in missing[:20])}
                }
            )
    absent = [i for i in remove if i not in before]
    if absent:
        raise ValidationError(
            {
                "remove": _("Not bundled in this release: %(ids)s.")
                % {"ids": ", ".join(str(i) for i in absent[:20])}
            }
        )
    after = sorted((set(before) | set(add)) - set(remove))
    if len(after) > MAX_CHANGES:
        raise ValidationError({"add": _("A release bundles at most %(n)s changes.") % {"n": MAX_CHANGES}})
    if after == before:
        return False
    if add:
        release.change_tickets.add(*add)
    if remove:
        release.change_tickets.remove(*remove)
    _bump(release, action="changes", changes={"change_tickets": [before, after]})
    return True


def set_changes(
    release_id: int, *, actor: Any, add: Iterable[Any] = (), remove: Iterable[Any] = (), version: int | None
) -> Release:
    """Bundle changes into a release or take them out (changes of its organisation the actor sees).

    Raises:
        Release.DoesNotExist: no such release visible to the actor.
        ConflictError: stale version.
        ValidationError: an id that is not a visible change of the release's organisation, or not
            bundled (remove); a release that is no longer editable.
    """
    add_ids, remove_ids = _ids(add, "add"), _ids(remove, "remove")
    with transaction.atomic():
        release = _lock(release_id, actor, "change")
        _check_version(release, version)
        _require_editable(release)
        _bundle(release, actor, add=add_ids, remove=remove_ids)
    return release


def _facts(release: Release) -> tuple[list[policies.ItemFacts], list[policies.ChangeFacts]]:
    items = [
        policies.ItemFacts(text=i.text, kind=i.kind, mandatory=i.mandatory, checked=i.checked)
        for i in AcceptanceItem.objects.filter(release=release).order_by("kind", "order", "id")
    ]
    changes = [
        policies.ChangeFacts(number=t.number, state_code=t.state.code, state_label=t.state.label())
        for t in release.change_tickets.select_related("state").order_by("number")
    ]
    return items, changes


def transition(release_id: int, code: str, *, actor: Any, version: int | None, reason: str = "") -> Release:
    """Move a release: approve, replan, go live, roll back or cancel (``policies.TRANSITIONS``).

    Approval needs the owner, the planned go-live and the service acceptance criteria checked;
    go-live needs every mandatory item checked and every bundled change approved (scheduled or
    later). Cancelling and rolling back need a reason.

    Raises:
        Release.DoesNotExist: no such release visible to the actor.
        ActionNotAllowed: the move does not apply in the release's state (lists those that do).
        PermissionDenied: the actor may not make this move.
        ConflictError: stale version.
        ValidationError: what keeps the release from the move, field by field.
    """
    move = policies.TRANSITIONS.get(code)
    with transaction.atomic():
        release = _lock(release_id, actor, "view")
        _check_version(release, version)
        possible = [
            c
            for c in policies.allowed(release.state)
            if access.can(actor, policies.TRANSITIONS[c].permission, Release, obj=release)
        ]
        if move is None or release.state not in move.sources:
            label = ReleaseAction(code).label if code in ReleaseAction.values else code[:50]
            raise ActionNotAllowed(
                _("%(action)s does not apply to a release that is %(state)s.")
                % {"action": label, "state": release.get_state_display()},
                allowed=possible,
            )
        if not access.can(actor, move.permission, Release, obj=release):
            raise PermissionDenied(_("You do not have permission to do this."))
        text = _text(reason, "reason", MAX_EVIDENCE)
        if move.needs_reason and not text:
            raise ValidationError({"reason": _("Give the reason.")})
        items, changes = _facts(release)
        if code == "approve":
            problems = policies.approval_problems(
                items, has_owner=release.owner_id is not None, has_planned_at=release.planned_at is not None
            )
        elif code == "go_live":
            problems = policies.go_live_problems(items, changes)
        else:
            problems = {}
        if problems:
            raise ValidationError(problems)
        now, user = timezone.now(), _user(actor)
        values: dict[str, Any] = {"state": move.target}
        if code == "approve":
            values.update(approved_at=now, approved_by=user)
        elif code == "replan":
            values.update(approved_at=None, approved_by=None)
        elif code == "go_live":
            values.update(went_live_at=now, went_live_by=user)
        else:
            values["closed_reason"] = text
        updated = update_record(
            Release,
            release.pk,
            actor=actor,
            changes=values,
            expected_version=None,
            check=False,
            action=code,
            meta={"reason": text} if text else None,
        )
        events.emit(
            ReleaseStateChanged(
                release_id=updated.pk,
                number=updated.number,
                action=code,
                from_state=release.state,
                to_state=updated.state,
            )
        )
    return updated


def approve(release_id: int, *, actor: Any, version: int | None) -> Release:
    """Approve a release for go-live once it meets its service acceptance criteria (seed 001)."""
    return transition(release_id, "approve", actor=actor, version=version)


def replan(release_id: int, *, actor: Any, version: int | None) -> Release:
    """Send an approved release back to planning (its approval is withdrawn)."""
    return transition(release_id, "replan", actor=actor, version=version)


def go_live(release_id: int, *, actor: Any, version: int | None) -> Release:
    """Put an approved release live; refused while a mandatory item is unchecked or a change is unapproved."""
    return transition(release_id, "go_live", actor=actor, version=version)


def roll_back(release_id: int, *, actor: Any, version: int | None, reason: str) -> Release:
    """Record that a live release was rolled back, and why."""
    return transition(release_id, "roll_back", actor=actor, version=version, reason=reason)


def cancel(release_id: int, *, actor: Any, version: int | None, reason: str) -> Release:
    """Cancel a release that has not gone live, with the reason."""
    return transition(release_id, "cancel", actor=actor, version=version, reason=reason)


# -- acceptance items -------------------------------------------------------------------------------


def _item_values(values: Mapping[str, Any]) -> dict[str, Any]:
    _unknown(values, ITEM_FIELDS)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("text", "guidance"):
            out[key] = _text(value, key, MAX_ITEM)
        elif key == "evidence":
            out[key] = _text(value, key, MAX_EVIDENCE)
        elif key in ("mandatory", "checked"):
            out[key] = _bool(value, key)
        elif key == "kind":
            if value not in ItemKind.values:
                raise ValidationError(
                    {"kind": _("Choose a service acceptance criterion or an operations item.")}
                )
            out[key] = value
        elif key == "category":
            if value not in ("", None, *ItemCategory.values):
                raise ValidationError({"category": _("Choose a category from the list.")})
            out[key] = value or ""
        elif key == "order":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32_767:
                raise ValidationError({"order": _("Enter a whole number from 0 to 32767.")})
            out[key] = value
    return out


def _normalise_category(values: dict[str, Any], kind: str, category: str) -> None:
    if kind == ItemKind.SERVICE:
        values["category"] = ""
    elif not category:
        values["category"] = ItemCategory.OTHER


def _check_evidence(*, mandatory: bool, checked: bool, evidence: str) -> None:
    problem = policies.evidence_problem(mandatory=mandatory, checked=checked, evidence=evidence)
    if problem:
        raise ValidationError({"evidence": problem})


def _release_of(value: Any) -> Any:
    if value is None or value == "":
        raise ValidationError({"release": _("This field is required.")})
    pk = getattr(value, "pk", value)
    if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit() or int(pk) > MAX_ID:
        raise ValidationError({"release": _("No such record, or you may not see it.")})
    return int(pk)


def add_item(release_id: Any, *, actor: Any, data: Mapping[str, Any]) -> AcceptanceItem:
    """Add an acceptance item to a release (checked at once when ``checked`` with its evidence).

    Raises:
        Release.DoesNotExist: no such release visible to the actor.
        ValidationError: invalid values, a mandatory item checked without evidence, too many items,
            a release that is no longer editable.
    """
    values = _item_values(data)
    with transaction.atomic():
        release = _lock(_release_of(release_id), actor, "change")
        _require_editable(release)
        present = release.items.count()
        if present >= MAX_ITEMS:
            raise ValidationError(_("A release has at most %(n)s items.") % {"n": MAX_ITEMS})
        if not values.get("text"):
            raise ValidationError({"text": _("This field is required.")})
        kind = values.setdefault("kind", ItemKind.SERVICE)
        _normalise_category(values, kind, values.get("category", ""))
        checked = values.pop("checked", False)
        values.setdefault("mandatory", True)
        _check_evidence(mandatory=values["mandatory"], checked=checked, evidence=values.get("evidence", ""))
        if "order" not in values:
            last = release.items.filter(kind=kind).aggregate(m=Max("order"))["m"] or 0
            values["order"] = min(last + 10, 32_767)
        stamps = (
            {"checked": True, "checked_at": timezone.now(), "checked_by": _user(actor)} if checked else {}
        )
        return create_record(AcceptanceItem, actor=actor, data={**values, **stamps, "release": release})


def update_item(
    item_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> AcceptanceItem:
    """Change an acceptance item, or check / uncheck it, if ``version`` is current.

    Checking records who and when; a checked mandatory item keeps its evidence. Items of the
    operations team's minimum keep their text, kind, category and mandatory flag.

    Raises:
        AcceptanceItem.DoesNotExist: no such item visible to the actor.
        ConflictError: stale version.
        ValidationError: invalid values, missing evidence, a locked field, a release no longer editable.
    """
    values = _item_values(changes)
    with transaction.atomic():
        release_id = AcceptanceItem.objects.filter(pk=item_id).values_list("release_id", flat=True).first()
        if release_id is None:
            raise AcceptanceItem.DoesNotExist
        release = _lock(release_id, actor, "view", AcceptanceItem.DoesNotExist)
        item = AcceptanceItem.objects.get(pk=item_id)
        if not access.can(actor, "view", AcceptanceItem, obj=item):
            raise AcceptanceItem.DoesNotExist
        if version is not None and item.version != version:
            raise ConflictError(current_version=item.version, sent_version=version)
        _require_editable(release)
        if item.locked:
            refused = [k for k in LOCKED_ITEM_FIELDS if k in values and values[k] != getattr(item, k)]
            if refused:
                raise ValidationError(
                    {
                        k: _(
                            "This item is part of the operations team's minimum checklist: check it with "
                            "its evidence, or with the reason it does not apply."
                        )
                        for k in refused
                    }
                )
        if "text" in values and not values["text"]:
            raise ValidationError({"text": _("This field is required.")})
        kind = values.get("kind", item.kind)
        if "kind" in values or "category" in values:
            _normalise_category(values, kind, values.get("category", item.category))
        action = "update"
        if "checked" in values and values["checked"] != item.checked:
            if values["checked"]:
                values.update(checked_at=timezone.now(), checked_by=_user(actor))
                action = "check"
            else:
                values.update(checked_at=None, checked_by=None)
                action = "uncheck"
        _check_evidence(
            mandatory=values.get("mandatory", item.mandatory),
            checked=values.get("checked", item.checked),
            evidence=values.get("evidence", item.evidence),
        )
        return update_record(
            AcceptanceItem, item.pk, actor=actor, changes=values, expected_version=version, action=action
        )


def check_item(item_id: int, *, actor: Any, evidence: str, version: int | None) -> AcceptanceItem:
    """Check an acceptance item with its evidence (required for mandatory items)."""
    return update_item(item_id, actor=actor, changes={"checked": True, "evidence": evidence}, version=version)


def uncheck_item(item_id: int, *, actor: Any, version: int | None) -> AcceptanceItem:
    """Uncheck an acceptance item (its evidence stays for the next check)."""
    return update_item(item_id, actor=actor, changes={"checked": False}, version=version)


def delete_item(item_id: int, *, actor: Any, version: int | None = None) -> None:
    """Remove an item from a release (not one of the operations team's mandatory minimum)."""
    with transaction.atomic():
        release_id = AcceptanceItem.objects.filter(pk=item_id).values_list("release_id", flat=True).first()
        if release_id is None:
            raise AcceptanceItem.DoesNotExist
        release = _lock(release_id, actor, "view", AcceptanceItem.DoesNotExist)
        item = AcceptanceItem.objects.get(pk=item_id)
        if not access.can(actor, "view", AcceptanceItem, obj=item):
            raise AcceptanceItem.DoesNotExist
        _require_editable(release)
        if item.locked:
            raise ValidationError(
                _(
                    "This item is part of the operations team's minimum checklist and cannot be removed: "
                    "check it with the reason it does not apply."
                )
            )
        delete_record(AcceptanceItem, item.pk, actor=actor, expected_version=version)


def _copy_checklists(release: Release, checklist: Checklist | None) -> int:
    """Copy checklist items into a release (every active checklist of its organisation by default).

    Items already present (same category and text) are skipped, so copying twice adds nothing.
    """
    if checklist is not None:
        rows = [(i.category, i.text, i.guidance, i.mandatory) for i in checklist.items.all()]
    else:
        sources = list(
            Checklist.objects.filter(organisation_id=release.organisation_id, is_active=True).values_list(
                "pk", flat=True
            )
        )
        rows = [
            (i.category, i.text, i.guidance, i.mandatory)
            for i in ChecklistItem.objects.filter(checklist__in=sources).order_by(
                "checklist__name", "checklist_id", "order", "id"
            )
        ]
        if not sources:
            rows = [(d.category, d.text, d.guidance, d.mandatory) for d in policies.DEFAULT_CHECKLIST]
    present = set(release.items.filter(kind=ItemKind.OPERATIONS).values_list("category", "text"))
    last = release.items.filter(kind=ItemKind.OPERATIONS).aggregate(m=Max("order"))["m"] or 0
    made = 0
    room = MAX_ITEMS - release.items.count()
    for category, text, guidance, mandatory in rows:
        if (category, text) in present or made >= room:
            continue
        present.add((category, text))
        last = min(last + 10, 32_767)
        create_record(
            AcceptanceItem,
            actor=None,
            check=False,
            data={
                "release": release,
                "kind": ItemKind.OPERATIONS,
                "category": category or ItemCategory.OTHER,
                "text": text,
                "guidance": guidance,
                "mandatory": mandatory,
                "from_checklist": True,
                "order": last,
            },
        )
        made += 1
    return made


def apply_checklist(release_id: int, *, actor: Any, checklist: Any) -> int:
    """Copy an operations acceptance checklist's items into a release; return how many were added.

    Raises:
        Release.DoesNotExist: no such release visible to the actor.
        ValidationError: no such active checklist visible to the actor; a release no longer editable.
    """
    with transaction.atomic():
        release = _lock(release_id, actor, "change")
        _require_editable(release)
        pk = getattr(checklist, "pk", checklist)
        if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit() or int(pk) > MAX_ID:
            raise ValidationError({"checklist": _("No such active checklist.")})
        found = Checklist.objects.visible_to(actor).filter(pk=int(pk), is_active=True).first()
        if found is None:
            raise ValidationError({"checklist": _("No such active checklist.")})
        made = _copy_checklists(release, found)
        if made:
            audit.record(release, action="apply_checklist", meta={"checklist": found.pk, "items": made})
    return made


# -- operations acceptance checklists ---------------------------------------------------------------


def _checklist_item_values(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise ValidationError({"items": _("Each item is an object with category, text and mandatory.")})
    _unknown(values, CHECKLIST_ITEM_FIELDS | ({"checklist"} if not creating else frozenset()))
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("text", "guidance"):
            out[key] = _text(value, key, MAX_ITEM)
        elif key == "mandatory":
            out[key] = _bool(value, key)
        elif key == "category":
            if value not in ItemCategory.values:
                raise ValidationError({"category": _("Choose a category from the list.")})
            out[key] = value
        elif key == "order":
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 32_767:
                raise ValidationError({"order": _("Enter a whole number from 0 to 32767.")})
            out[key] = value
        else:
            out[key] = value
    return out


def create_checklist(
    *, actor: Any, data: Mapping[str, Any], items: Iterable[Mapping[str, Any]] | None = None
) -> Checklist:
    """Start an operations acceptance checklist (managers); without ``items`` it gets the shipped minimum.

    Raises:
        PermissionDenied: the actor may not manage checklists of the organisation.
        ValidationError: invalid values or items.
    """
    _check_lengths(Checklist, data)
    with transaction.atomic():
        checklist = create_record(Checklist, actor=actor, data=data)
        if items is None:
            rows: list[Mapping[str, Any]] = [
                {"category": d.category, "text": d.text, "guidance": d.guidance, "mandatory": d.mandatory}
                for d in policies.DEFAULT_CHECKLIST
            ]
        elif isinstance(items, str | bytes | Mapping):
            raise ValidationError({"items": _("Each item is an object with category, text and mandatory.")})
        else:
            rows = list(items)
        if len(rows) > MAX_CHECKLIST_ITEMS:
            raise ValidationError({"items": _("At most %(n)s items.") % {"n": MAX_CHECKLIST_ITEMS}})
        for n, row in enumerate(rows, start=1):
            values = _checklist_item_values(row, creating=True)
            values.setdefault("order", n * 10)
            create_record(ChecklistItem, actor=actor, check=False, data={**values, "checklist": checklist})
    return checklist


def update_checklist(
    checklist_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> Checklist:
    """Change a checklist's name, description or active flag if ``version`` is current."""
    _check_lengths(Checklist, changes)
    return update_record(Checklist, checklist_id, actor=actor, changes=changes, expected_version=version)


def delete_checklist(checklist_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete a checklist and its items (releases keep the items they copied)."""
    with transaction.atomic():
        for item_id in ChecklistItem.objects.filter(checklist_id=checklist_id).values_list("pk", flat=True):
            delete_record(ChecklistItem, item_id, actor=actor, check=False)
        delete_record(Checklist, checklist_id, actor=actor, expected_version=version)


def create_checklist_item(*, actor: Any, data: Mapping[str, Any]) -> ChecklistItem:
    """Add an item to an operations acceptance checklist (managers)."""
    values = dict(data)
    checklist = values.pop("checklist", None)
    if checklist is None:
        raise ValidationError({"checklist": _("This field is required.")})
    values = _checklist_item_values(values, creating=True)
    with transaction.atomic():
        pk = getattr(checklist, "pk", checklist)
        if isinstance(pk, bool) or not isinstance(pk, int | str) or not str(pk).isdigit() or int(pk) > MAX_ID:
            raise ValidationError({"checklist": _("No such record, or you may not see it.")})
        found = Checklist.objects.visible_to(actor).filter(pk=int(pk)).first()
        if found is None:
            raise ValidationError({"checklist": _("No such record, or you may not see it.")})
        if "order" not in values or values["order"] is None:
            last = ChecklistItem.objects.filter(checklist_id=pk).aggregate(m=Max("order"))["m"] or 0
            values["order"] = min(last + 10, 32_767)
        if ChecklistItem.objects.filter(checklist_id=pk).count() >= MAX_CHECKLIST_ITEMS:
            raise ValidationError(_("A checklist has at most %(n)s items.") % {"n": MAX_CHECKLIST_ITEMS})
        return create_record(ChecklistItem, actor=actor, data={**values, "checklist": found})


def update_checklist_item(
    item_id: int, *, actor: Any, changes: Mapping[str, Any], version: int | None
) -> ChecklistItem:
    """Change a checklist item if ``version`` is current (releases keep what they copied)."""
    values = _checklist_item_values(changes, creating=False)
    return update_record(ChecklistItem, item_id, actor=actor, changes=values, expected_version=version)


def delete_checklist_item(item_id: int, *, actor: Any, version: int | None = None) -> None:
    """Remove an item from a checklist (the operations team prunes what no longer matters)."""
    delete_record(ChecklistItem, item_id, actor=actor, expected_version=version)
