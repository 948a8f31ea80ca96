"""Pure decisions of release management: the state machine, approval and go-live readiness,
evidence for mandatory items, and the shipped operations acceptance checklist.

No ORM here: callers pass plain facts (:class:`ItemFacts`, :class:`ChangeFacts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .choices import ItemCategory, ItemKind, ReleaseState

S = ReleaseState


@dataclass(frozen=True)
class Transition:
    """One move of the release state machine: from which states, to which, under which right."""

    code: str
    sources: frozenset[str]
    target: str
    permission: str
    needs_reason: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.code: t
    for t in (
        Transition("approve", frozenset({S.PLANNING}), S.APPROVED, "approve"),
        Transition("replan", frozenset({S.APPROVED}), S.PLANNING, "change"),
        Transition("go_live", frozenset({S.APPROVED}), S.LIVE, "change"),
        Transition("roll_back", frozenset({S.LIVE}), S.ROLLED_BACK, "change", needs_reason=True),
        Transition("cancel", frozenset({S.PLANNING, S.APPROVED}), S.CANCELLED, "change", needs_reason=True),
    )
}
"""Approve (against the service acceptance criteria), go live (against everything), roll back, cancel."""

EDITABLE_STATES = frozenset({S.PLANNING, S.APPROVED})
"""A release's plan, items and bundled changes change only before it goes live."""

READY_CHANGE_STATES = frozenset({"scheduled", "implementing", "review", "closed"})
"""States of the shipped change workflow in which a change is approved (at least scheduled).

Draft, assessment, awaiting approval, rejected and cancelled changes keep a release from going live.
"""


def allowed(state: str) -> list[str]:
    """Return the transition codes that apply in ``state`` (before rights are considered)."""
    return [code for code, t in TRANSITIONS.items() if state in t.sources]


@dataclass(frozen=True)
class ItemFacts:
    """What readiness needs to know about one acceptance item."""

    text: str
    kind: str
    mandatory: bool
    checked: bool


@dataclass(frozen=True)
class ChangeFacts:
    """What readiness needs to know about one bundled change."""

    number: str
    state_code: str
    state_label: str


def unchecked_mandatory(items: Iterable[ItemFacts], kind: str | None = None) -> list[ItemFacts]:
    """Return the mandatory items not checked yet (of ``kind``, or of every kind)."""
    return [i for i in items if i.mandatory and not i.checked and (kind is None or i.kind == kind)]


def blocking_changes(changes: Iterable[ChangeFacts]) -> list[ChangeFacts]:
    """Return the bundled changes that are not approved yet (or were rejected or cancelled)."""
    return [c for c in changes if c.state_code not in READY_CHANGE_STATES]


def _kind_label(kind: str) -> str:
    return str(ItemKind(kind).label) if kind in ItemKind.values else kind


def _item_messages(items: Sequence[ItemFacts]) -> list[str]:
    return [
        _("Unchecked: %(kind)s — %(text)s") % {"kind": _kind_label(i.kind), "text": i.text} for i in items
    ]


def approval_problems(
    items: Sequence[ItemFacts], *, has_owner: bool, has_planned_at: bool
) -> dict[str, list[str]]:
    """Return what keeps a release from approval: its owner, its date and the service acceptance criteria.

    Seed 001: a release is approved once it meets its service acceptance criteria, so at least one
    criterion must be recorded and every mandatory one checked.
    """
    out: dict[str, list[str]] = {}
    if not has_owner:
        out["owner"] = [_("Name the release owner.")]
    if not has_planned_at:
        out["planned_at"] = [_("Plan the go-live date and time.")]
    criteria = [i for i in items if i.kind == ItemKind.SERVICE]
    if not criteria:
        out["items"] = [_("Record at least one service acceptance criterion (what the customer accepts).")]
    else:
        missing = unchecked_mandatory(criteria)
        if missing:
            out["items"] = [
                _("%(n)s mandatory service acceptance criteria are unchecked.") % {"n": len(missing)},
                *_item_messages(missing),
            ]
    return out


def go_live_problems(items: Sequence[ItemFacts], changes: Sequence[ChangeFacts]) -> dict[str, list[str]]:
    """Return what keeps a release from going live: unchecked mandatory items, unapproved changes.

    A release with no bundled change cannot go live either: it puts approved changes into service.
    """
    out: dict[str, list[str]] = {}
    missing = unchecked_mandatory(items)
    if missing:
        out["items"] = [
            _("Cannot go live: %(n)s mandatory items are unchecked.") % {"n": len(missing)},
            *_item_messages(missing),
        ]
    if not changes:
        out["changes"] = [_("Bundle at least one change: a release puts approved changes into service.")]
    else:
        blocked = blocking_changes(changes)
        if blocked:
            out["changes"] = [
                _("%(number)s is %(state)s: a bundled change must be approved (scheduled) before go-live.")
                % {"number": c.number, "state": c.state_label}
                for c in blocked
            ]
    return out


def evidence_problem(*, mandatory: bool, checked: bool, evidence: str) -> str | None:
    """Return why a checked item is refused (a mandatory item needs its evidence), or None."""
    if checked and mandatory and not evidence.strip():
        return _(
            "A mandatory item is checked with its evidence: "
            "say what shows it is done, or why it does not apply."
        )
    return None


@dataclass(frozen=True)
class DefaultItem:
    """An item of the shipped operations acceptance checklist."""

    category: str
    text: str
    guidance: str
    mandatory: bool = True


C = ItemCategory
DEFAULT_CHECKLIST_NAME = "運用受入チェックリスト"
DEFAULT_CHECKLIST_NAME_EN = "Operations acceptance checklist"
DEFAULT_CHECKLIST: tuple[DefaultItem, ...] = (
    DefaultItem(
        C.CONTACTS,
        "連絡先一覧（開発担当・業務担当・関連システム担当・ベンダー）",
        "誰に何を聞けばよいか分かる一覧の所在。トラブル時に「優先度の分かる人」を含めること。",
    ),
    DefaultItem(
        C.EMERGENCY_CONTACTS,
        "緊急連絡先（夜間・休日）",
        "夜間・休日に連絡がつく担当者と電話番号。連絡テスト済みであること。",
    ),
    DefaultItem(
        C.MONITORING,
        "監視設定済み（死活・リソース・ログ、warn / critical の閾値）",
        "監視ツールの設定内容とテスト発報の結果。",
    ),
    DefaultItem(
        C.RUNBOOKS,
        "運用手順書（Runbook）：起動・停止・定常作業・障害時の一次対応",
        "手順書の所在と、運用担当者によるレビュー結果。",
    ),
    DefaultItem(
        C.BACKUPS,
        "バックアップ取得・リストア確認",
        "バックアップの取得設定と、リストアを試した日時・結果。",
    ),
    DefaultItem(
        C.MUST_NEVER_DO,
        "「絶対にやってはいけないこと」リスト",
        "完全な手順書の代わりに、運用でやってはいけない操作を開発から聞き出して記録する。",
    ),
    DefaultItem(
        C.OTHER,
        "運用作業の増減と要員の確認（稼働後の初期トラブル対応を含む）",
        "増える運用作業と工数、要員の手当て。",
    ),
    DefaultItem(
        C.OTHER,
        "ログの保管期間とアーカイブ・削除の設定",
        "保管要件と、自動アーカイブ・削除の設定内容。",
        mandatory=False,
    ),
)
"""The minimum handover items of seed 002; the operations team grows and prunes its own copy."""
