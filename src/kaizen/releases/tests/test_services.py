"""Releases end to end at service level: checklists copied, evidence, approval, go-live and its refusals,
bundled changes of the right organisation, versions, audit rows and the go-live mail."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kaizen.core.access import Role
from kaizen.core.models import AuditEntry, OutboxMessage
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.releases import policies, services
from kaizen.releases.choices import ItemCategory, ItemKind, ReleaseState
from kaizen.releases.models import AcceptanceItem, Release
from kaizen.tickets.tests.factories import ticket

from .factories import (
    OrganisationFactory,
    admin,
    approved,
    check_all,
    checklist,
    criterion,
    draft_change,
    fresh,
    person_of,
    release,
    scheduled_change,
    setup_changes,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> None:
    setup_changes()


def _items(rel: Release, kind: str = ItemKind.OPERATIONS) -> list[AcceptanceItem]:
    return list(AcceptanceItem.objects.filter(release=rel, kind=kind).order_by("order", "id"))


def test_a_release_gets_its_number_and_the_shipped_operations_checklist():
    org = OrganisationFactory()
    first, second = release(org), release(org)
    assert first.number.startswith("REL-") and first.number != second.number
    assert first.state == ReleaseState.PLANNING
    items = _items(first)
    assert [i.text for i in items] == [d.text for d in policies.DEFAULT_CHECKLIST]
    assert all(i.from_checklist and not i.checked for i in items)
    categories = {i.category for i in items}
    assert {
        "contacts",
        "emergency_contacts",
        "monitoring",
        "runbooks",
        "backups",
        "must_never_do",
    } <= categories


def test_the_organisations_active_checklists_are_copied_into_new_releases():
    org, other = OrganisationFactory(), OrganisationFactory()
    checklist(org, items=[{"category": "contacts", "text": "連絡先一覧", "mandatory": True}])
    checklist(org, name="アプリ保守", items=[{"category": "runbooks", "text": "Runbook", "mandatory": False}])
    checklist(org, name="旧版", is_active=False, items=[{"category": "other", "text": "古い項目"}])
    checklist(other, items=[{"category": "backups", "text": "他社の項目"}])
    rel = release(org)
    assert sorted(i.text for i in _items(rel)) == ["Runbook", "連絡先一覧"]
    assert {i.text: i.mandatory for i in _items(rel)} == {"Runbook": False, "連絡先一覧": True}


def test_a_new_checklist_starts_with_the_shipped_minimum():
    made = checklist(OrganisationFactory())
    assert [i.text for i in made.items.order_by("order")] == [d.text for d in policies.DEFAULT_CHECKLIST]
    assert AuditEntry.objects.filter(record_type="releases.checklistitem", action="create").count() == len(
        policies.DEFAULT_CHECKLIST
    )


def test_applying_a_checklist_copies_missing_items_once():
    org = OrganisationFactory()
    rel = release(org, checklists=False)
    extra = checklist(org, items=[{"category": "monitoring", "text": "ジョブ監視"}])
    assert services.apply_checklist(rel.pk, actor=admin(), checklist=extra.pk) == 1
    assert services.apply_checklist(rel.pk, actor=admin(), checklist=extra.pk) == 0
    assert [i.text for i in _items(rel)] == ["ジョブ監視"]
    with pytest.raises(ValidationError):
        services.apply_checklist(rel.pk, actor=admin(), checklist="x")
    with pytest.raises(ValidationError):
        services.apply_checklist(rel.pk, actor=admin(), checklist=10**9)


def test_checking_a_mandatory_item_needs_evidence():
    rel = release(OrganisationFactory())
    item = _items(rel)[0]
    with pytest.raises(ValidationError) as caught:
        services.check_item(item.pk, actor=admin(), evidence="   ", version=item.version)
    assert "evidence" in caught.value.message_dict
    done = services.check_item(
        item.pk, actor=admin(), evidence="連絡先一覧 v3 を共有フォルダに格納", version=1
    )
    assert done.checked and done.checked_by == admin() and done.checked_at is not None and done.version == 2
    with pytest.raises(ValidationError):
        services.update_item(item.pk, actor=admin(), changes={"evidence": ""}, version=2)
    optional = criterion(rel, "帳票の確認", mandatory=False)
    assert services.check_item(optional.pk, actor=admin(), evidence="", version=1).checked
    with pytest.raises(ValidationError):
        services.update_item(optional.pk, actor=admin(), changes={"mandatory": True}, version=2)
    with pytest.raises(ValidationError):
        criterion(rel, "受入テスト", checked=True)
    undone = services.uncheck_item(item.pk, actor=admin(), version=2)
    assert not undone.checked and undone.checked_by is None and undone.evidence


def test_the_operations_minimum_cannot_be_removed_or_made_optional():
    rel = release(OrganisationFactory())
    locked = next(i for i in _items(rel) if i.mandatory)
    optional = next(i for i in _items(rel) if not i.mandatory)
    for changes in ({"mandatory": False}, {"text": "別の項目"}, {"kind": "service"}, {"category": "other"}):
        with pytest.raises(ValidationError):
            services.update_item(locked.pk, actor=admin(), changes=changes, version=1)
    with pytest.raises(ValidationError):
        services.delete_item(locked.pk, actor=admin(), version=1)
    services.update_item(locked.pk, actor=admin(), changes={"guidance": "夜間の当番表も"}, version=1)
    services.delete_item(optional.pk, actor=admin(), version=1)
    own = criterion(rel)
    services.delete_item(own.pk, actor=admin(), version=1)
    assert not AcceptanceItem.objects.filter(pk__in=[optional.pk, own.pk]).exists()
    assert AuditEntry.objects.filter(record_id=str(own.pk), action="delete").exists()


def test_approval_needs_owner_date_and_checked_service_acceptance_criteria():
    org = OrganisationFactory()
    rel = release(org)
    with pytest.raises(ValidationError) as caught:
        services.approve(rel.pk, actor=admin(), version=rel.version)
    assert {"owner", "planned_at", "items"} <= set(caught.value.message_dict)
    rel = services.update_release(
        rel.pk,
        actor=admin(),
        changes={"owner": person_of(admin()), "planned_at": "2027-01-12T20:00:00+09:00"},
        version=rel.version,
    )
    item = criterion(rel, "性能テストに合格")
    with pytest.raises(ValidationError) as caught:
        services.approve(rel.pk, actor=admin(), version=rel.version)
    assert any("性能テストに合格" in m for m in caught.value.message_dict["items"])
    services.check_item(item.pk, actor=admin(), evidence="TR-2", version=item.version)
    done = services.approve(rel.pk, actor=admin(), version=fresh(rel).version)
    assert done.state == ReleaseState.APPROVED and done.approved_by == admin()


def test_go_live_is_refused_while_mandatory_items_are_unchecked_and_lists_them():
    org = OrganisationFactory()
    rel = approved(org, changes_=[scheduled_change(org)])
    with pytest.raises(ValidationError) as caught:
        services.go_live(rel.pk, actor=admin(), version=rel.version)
    messages = caught.value.message_dict["items"]
    unchecked = [i.text for i in _items(rel) if i.mandatory]
    assert str(len(unchecked)) in messages[0]
    for text in unchecked:
        assert any(text in m for m in messages), text
    assert "changes" not in caught.value.message_dict
    assert fresh(rel).state == ReleaseState.APPROVED


def test_go_live_is_refused_while_a_bundled_change_is_still_in_draft():
    org = OrganisationFactory()
    draft = draft_change(org)
    rel = approved(org, changes_=[draft, scheduled_change(org)])
    check_all(rel)
    with pytest.raises(ValidationError) as caught:
        services.go_live(rel.pk, actor=admin(), version=fresh(rel).version)
    errors = caught.value.message_dict
    assert list(errors) == ["changes"]
    assert len(errors["changes"]) == 1 and draft.number in errors["changes"][0]


def test_go_live_is_refused_without_any_change():
    org = OrganisationFactory()
    rel = approved(org)
    check_all(rel)
    with pytest.raises(ValidationError) as caught:
        services.go_live(rel.pk, actor=admin(), version=fresh(rel).version)
    assert list(caught.value.message_dict) == ["changes"]


def test_go_live_is_allowed_when_complete_audited_announced_and_mailed(django_capture_on_commit_callbacks):
    org = OrganisationFactory()
    assignee = user_with_role(Role.AGENT, org)
    change_ticket = scheduled_change(org)
    from kaizen.tickets import services as tickets

    tickets.update_ticket(
        change_ticket.pk, actor=admin(), changes={"assignee": person_of(assignee)}, version=None
    )
    watcher = person_of(user_with_role(Role.MANAGER, org))
    rel = approved(org, changes_=[change_ticket])
    services.update_release(rel.pk, actor=admin(), changes={}, version=rel.version, watchers=[watcher])
    check_all(rel)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = services.go_live(rel.pk, actor=admin(), version=fresh(rel).version)
    assert done.state == ReleaseState.LIVE and done.went_live_at and done.went_live_by == admin()
    assert AuditEntry.objects.filter(
        record_id=str(rel.pk), record_type="releases.release", action="go_live"
    ).exists()
    message = OutboxMessage.objects.filter(topic="release.state_changed").order_by("-id").first()
    assert message.payload["to_state"] == "live" and message.payload["number"] == rel.number
    to = sorted(a for m in mail.outbox for a in m.to)
    assert to == sorted([rel.owner.email, watcher.email, assignee.email])
    assert all(rel.number in m.subject for m in mail.outbox)
    assert all(m.extra_headers["X-Kaizen-Release"] == rel.number for m in mail.outbox)


def test_a_live_release_is_frozen_and_kept():
    org = OrganisationFactory()
    rel = approved(org, changes_=[scheduled_change(org)])
    check_all(rel)
    rel = services.go_live(rel.pk, actor=admin(), version=fresh(rel).version)
    item = _items(rel)[0]
    for attempt in (
        lambda: services.update_release(rel.pk, actor=admin(), changes={"title": "x"}, version=rel.version),
        lambda: criterion(rel),
        lambda: services.uncheck_item(item.pk, actor=admin(), version=item.version),
        lambda: services.set_changes(rel.pk, actor=admin(), add=[draft_change(org)], version=rel.version),
        lambda: services.delete_release(rel.pk, actor=admin(), version=rel.version),
    ):
        with pytest.raises(ValidationError):
            attempt()
    assert fresh(rel).version == rel.version


def test_moves_that_do_not_apply_are_refused_with_the_ones_that_do():
    rel = release(OrganisationFactory())
    with pytest.raises(ActionNotAllowed) as caught:
        services.go_live(rel.pk, actor=admin(), version=rel.version)
    assert sorted(caught.value.allowed) == ["approve", "cancel"]
    with pytest.raises(ActionNotAllowed):
        services.transition(rel.pk, "launch", actor=admin(), version=rel.version)


def test_cancel_and_roll_back_need_a_reason(django_capture_on_commit_callbacks):
    org = OrganisationFactory()
    rel = release(org)
    with pytest.raises(ValidationError) as caught:
        services.cancel(rel.pk, actor=admin(), version=rel.version, reason="  ")
    assert "reason" in caught.value.message_dict
    assert (
        services.cancel(rel.pk, actor=admin(), version=rel.version, reason="要件変更").closed_reason
        == "要件変更"
    )
    live = approved(org, changes_=[scheduled_change(org)])
    check_all(live)
    live = services.go_live(live.pk, actor=admin(), version=fresh(live).version)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        back = services.roll_back(live.pk, actor=admin(), version=live.version, reason="帳票が出力できない")
    assert back.state == ReleaseState.ROLLED_BACK
    assert [m.to for m in mail.outbox] == [[live.owner.email]]
    assert "帳票が出力できない" in mail.outbox[0].body


def test_only_changes_of_the_release_organisation_that_the_actor_sees_are_bundled():
    org, other = OrganisationFactory(), OrganisationFactory()
    rel = release(org, checklists=False)
    theirs = draft_change(other)
    incident = ticket(org)
    for bad in ([theirs], [incident], [10**12]):
        with pytest.raises(ValidationError) as caught:
            services.set_changes(rel.pk, actor=admin(), add=bad, version=fresh(rel).version)
        assert "add" in caught.value.message_dict
    agent = user_with_role(Role.AGENT, org)
    hidden_org = OrganisationFactory()
    hidden = draft_change(hidden_org)
    with pytest.raises(ValidationError):
        services.set_changes(rel.pk, actor=agent, add=[hidden], version=fresh(rel).version)
    mine = draft_change(org)
    done = services.set_changes(rel.pk, actor=agent, add=[mine], version=fresh(rel).version)
    assert list(done.change_tickets.all()) == [mine] and done.version == 2
    entry = AuditEntry.objects.get(record_id=str(rel.pk), action="changes")
    assert entry.changes == {"change_tickets": [[], [mine.pk]]}
    with pytest.raises(ValidationError):
        services.set_changes(rel.pk, actor=agent, remove=[theirs], version=2)
    for bad in ("1,2", [True], [1.5], [-3], {"a": 1}, None):
        with pytest.raises(ValidationError):
            services.set_changes(rel.pk, actor=agent, add=bad, version=2)
    with pytest.raises(ValidationError):
        services.update_release(rel.pk, actor=admin(), changes={"organisation": other}, version=2)
    assert services.set_changes(rel.pk, actor=agent, remove=[mine], version=2).version == 3


def test_stale_versions_conflict_and_change_nothing():
    rel = release(OrganisationFactory())
    services.update_release(rel.pk, actor=admin(), changes={"title": "新しい件名"}, version=1)
    with pytest.raises(ConflictError):
        services.update_release(rel.pk, actor=admin(), changes={"title": "古い件名"}, version=1)
    with pytest.raises(ConflictError):
        services.set_changes(rel.pk, actor=admin(), add=[draft_change(rel.organisation)], version=1)
    with pytest.raises(ConflictError):
        services.cancel(rel.pk, actor=admin(), version=1, reason="x")
    item = _items(rel)[0]
    services.check_item(item.pk, actor=admin(), evidence="ok", version=1)
    with pytest.raises(ConflictError):
        services.uncheck_item(item.pk, actor=admin(), version=1)
    current = fresh(rel)
    assert current.title == "新しい件名" and current.version == 2 and current.state == ReleaseState.PLANNING


def test_rights_decide_who_plans_checks_and_approves():
    org = OrganisationFactory()
    rel = release(org)
    auditor, agent = user_with_role(Role.AUDITOR, org), user_with_role(Role.AGENT, org)
    stranger = user_with_role(Role.MANAGER, OrganisationFactory())
    item = _items(rel)[0]
    with pytest.raises(PermissionDenied):
        services.check_item(item.pk, actor=auditor, evidence="x", version=1)
    with pytest.raises(PermissionDenied):
        services.create_release(actor=auditor, data={"organisation": org, "title": "x"})
    with pytest.raises(Release.DoesNotExist):
        services.update_release(rel.pk, actor=stranger, changes={"title": "x"}, version=1)
    with pytest.raises(AcceptanceItem.DoesNotExist):
        services.check_item(item.pk, actor=stranger, evidence="x", version=1)
    criterion(rel)
    check_all(rel, kind=ItemKind.SERVICE)
    services.update_release(
        rel.pk,
        actor=agent,
        changes={"owner": person_of(agent), "planned_at": "2027-01-12T20:00:00+09:00"},
        version=1,
    )
    with pytest.raises(PermissionDenied):
        services.approve(rel.pk, actor=agent, version=2)
    change_manager = user_with_role(Role.CHANGE_MANAGER, org)
    assert services.approve(rel.pk, actor=change_manager, version=2).state == ReleaseState.APPROVED


def test_invalid_values_are_validation_errors():
    org = OrganisationFactory()
    rel = release(org)
    bad_releases = [
        {"nonsense": 1},
        {"title": ""},
        {"title": "x" * 201},
        {"planned_at": "tomorrow"},
        {"service": 10**9},
        {"owner": "abc"},
        {"description": "bell\x07"},
        {"handover": "x" * 20_001},
    ]
    for changes in bad_releases:
        with pytest.raises(ValidationError):
            services.update_release(rel.pk, actor=admin(), changes=changes, version=1)
    bad_items = [
        {"text": ""},
        {"text": "x" * 501},
        {"text": 5},
        {"kind": "customer", "text": "x"},
        {"category": "coffee", "text": "x"},
        {"mandatory": "yes", "text": "x"},
        {"order": -1, "text": "x"},
        {"evidence": ["x"], "text": "x"},
        {"nonsense": True, "text": "x"},
    ]
    for data in bad_items:
        with pytest.raises(ValidationError):
            services.add_item(rel.pk, actor=admin(), data=data)
    with pytest.raises(ValidationError):
        services.create_checklist(
            actor=admin(), data={"organisation": org, "name": "x"}, items=[{"text": "x", "x": 1}]
        )
    with pytest.raises(ValidationError):
        services.create_checklist(actor=admin(), data={"organisation": org, "name": "x"}, items="x")
    assert fresh(rel).version == 1


def test_operations_items_get_a_category_and_criteria_none():
    rel = release(OrganisationFactory(), checklists=False)
    ops = services.add_item(rel.pk, actor=admin(), data={"kind": "operations", "text": "監視"})
    sac = services.add_item(
        rel.pk, actor=admin(), data={"kind": "service", "text": "受入", "category": "backups"}
    )
    assert ops.category == ItemCategory.OTHER and sac.category == ""


def test_deleting_a_release_removes_its_items_with_audit_rows():
    rel = release(OrganisationFactory())
    ids = [str(i.pk) for i in _items(rel)]
    manager = user_with_role(Role.MANAGER, rel.organisation)
    services.delete_release(rel.pk, actor=manager, version=1)
    assert not Release.objects.filter(pk=rel.pk).exists()
    assert AuditEntry.objects.filter(
        record_type="releases.acceptanceitem", record_id__in=ids, action="delete"
    ).count() == len(ids)
