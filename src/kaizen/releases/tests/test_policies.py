"""The pure decisions of release management: state machine, approval and go-live readiness, evidence."""

from __future__ import annotations

import pytest

from kaizen.releases import policies
from kaizen.releases.choices import ItemCategory, ItemKind, ReleaseAction, ReleaseState
from kaizen.releases.policies import ChangeFacts, ItemFacts

S, K = ReleaseState, ItemKind


def item(
    kind: str = K.OPERATIONS, *, mandatory: bool = True, checked: bool = False, text: str = "x"
) -> ItemFacts:
    return ItemFacts(text=text, kind=kind, mandatory=mandatory, checked=checked)


def change(code: str, number: str = "CHG-000001") -> ChangeFacts:
    return ChangeFacts(number=number, state_code=code, state_label=code)


@pytest.mark.parametrize(
    ("state", "moves"),
    [
        (S.PLANNING, ["approve", "cancel"]),
        (S.APPROVED, ["replan", "go_live", "cancel"]),
        (S.LIVE, ["roll_back"]),
        (S.ROLLED_BACK, []),
        (S.CANCELLED, []),
    ],
)
def test_moves_by_state(state, moves):
    assert policies.allowed(state) == moves


def test_every_move_has_a_label_and_lands_in_a_state():
    assert set(policies.TRANSITIONS) == set(ReleaseAction.values)
    for move in policies.TRANSITIONS.values():
        assert move.target in S.values and move.sources <= set(S.values)
        assert move.permission in ("approve", "change")
    assert {c for c, m in policies.TRANSITIONS.items() if m.needs_reason} == {"cancel", "roll_back"}
    assert set(policies.EDITABLE_STATES) == {S.PLANNING, S.APPROVED}


@pytest.mark.parametrize(
    ("code", "blocks"),
    [
        ("new", True),
        ("assessment", True),
        ("awaiting_approval", True),
        ("rejected", True),
        ("cancelled", True),
        ("scheduled", False),
        ("implementing", False),
        ("review", False),
        ("closed", False),
    ],
)
def test_which_change_states_block_go_live(code, blocks):
    assert bool(policies.blocking_changes([change(code)])) is blocks
    problems = policies.go_live_problems([], [change(code, "CHG-000042")])
    assert ("changes" in problems) is blocks
    if blocks:
        assert "CHG-000042" in problems["changes"][0]


def test_go_live_lists_every_unchecked_mandatory_item_of_both_kinds():
    items = [
        item(K.SERVICE, text="受入テスト"),
        item(K.OPERATIONS, text="緊急連絡先"),
        item(K.OPERATIONS, text="監視", checked=True),
        item(K.OPERATIONS, text="ログ保管", mandatory=False),
    ]
    problems = policies.go_live_problems(items, [change("scheduled")])
    assert list(problems) == ["items"]
    assert "2" in problems["items"][0]
    assert any("受入テスト" in m for m in problems["items"]) and any(
        "緊急連絡先" in m for m in problems["items"]
    )
    assert not any("監視" in m or "ログ保管" in m for m in problems["items"])


def test_go_live_needs_a_change_and_nothing_else_when_all_is_checked():
    assert list(policies.go_live_problems([item(checked=True)], [])) == ["changes"]
    assert policies.go_live_problems([item(checked=True)], [change("closed")]) == {}
    assert policies.go_live_problems([], [change("review")]) == {}


def test_approval_needs_owner_date_and_the_service_acceptance_criteria():
    assert set(policies.approval_problems([], has_owner=False, has_planned_at=False)) == {
        "owner",
        "planned_at",
        "items",
    }
    only_ops = [item(K.OPERATIONS)]
    assert "items" in policies.approval_problems(only_ops, has_owner=True, has_planned_at=True)
    unchecked = [item(K.SERVICE, text="性能"), item(K.OPERATIONS)]
    problems = policies.approval_problems(unchecked, has_owner=True, has_planned_at=True)
    assert any("性能" in m for m in problems["items"])
    ready = [item(K.SERVICE, checked=True), item(K.SERVICE, mandatory=False), item(K.OPERATIONS)]
    assert policies.approval_problems(ready, has_owner=True, has_planned_at=True) == {}


@pytest.mark.parametrize(
    ("mandatory", "checked", "evidence", "refused"),
    [
        (True, True, "", True),
        (True, True, "  \n", True),
        (True, True, "TR-1", False),
        (True, False, "", False),
        (False, True, "", False),
        (False, False, "", False),
    ],
)
def test_evidence_for_mandatory_items(mandatory, checked, evidence, refused):
    assert (
        policies.evidence_problem(mandatory=mandatory, checked=checked, evidence=evidence) is not None
    ) is refused


def test_the_shipped_checklist_covers_the_seed_minimum():
    categories = {d.category for d in policies.DEFAULT_CHECKLIST if d.mandatory}
    assert {
        ItemCategory.CONTACTS,
        ItemCategory.EMERGENCY_CONTACTS,
        ItemCategory.MONITORING,
        ItemCategory.RUNBOOKS,
        ItemCategory.BACKUPS,
        ItemCategory.MUST_NEVER_DO,
    } <= categories
    texts = [d.text for d in policies.DEFAULT_CHECKLIST]
    assert len(texts) == len(set(texts)) and all(len(t) <= 500 for t in texts)
