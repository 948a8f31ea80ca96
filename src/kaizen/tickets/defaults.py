"""Reference data of the desk every installation starts with (idempotent, audited).

Workflows of incidents, service requests and problems; the 4×4 priority matrix; closure policies
(P3/P4 closed by the assignee, P1/P2 by a manager, as seed 002 advises); explicit improvement
criteria (seed 003); stale-ticket rules; a few categories. Administrators change all of it in
the UI afterwards; the loader only adds what is missing.
"""

from __future__ import annotations

from kaizen.core import audit, defaults
from kaizen.core.services import create_record

from . import policies, workflow
from .choices import CauseClass, CriterionType, Kind, StaleAction, StaleMeasure, TimeUnit
from .models import (
    Category,
    ClosurePolicy,
    PriorityRule,
    ReviewCriterion,
    StaleRule,
    WorkflowState,
    WorkflowTransition,
)

CLOSERS_LOW = ["assignee", "manager", "admin"]
CLOSERS_HIGH = ["manager", "admin"]

CATEGORIES = [
    ("", "ハードウェア", "Hardware"),
    ("", "ソフトウェア", "Software"),
    ("", "ネットワーク", "Network"),
    ("", "アカウント・権限", "Accounts and access"),
    ("", "メール", "Email"),
    ("", "業務アプリケーション", "Business applications"),
    ("", "セキュリティ", "Security"),
    (Kind.REQUEST, "情報提供・問い合わせ", "Information and questions"),
]

CRITERIA = [
    {"name": "重大度の高いインシデント (P1/P2)", "type": CriterionType.PRIORITY, "priorities": [1, 2]},
    {"name": "重大インシデント", "type": CriterionType.MAJOR},
    {"name": "SLA 未達", "type": CriterionType.SLA_BREACHED},
    {
        "name": "人為的ミス・設計ミス",
        "type": CriterionType.CAUSE,
        "causes": [CauseClass.OPERATION, CauseClass.CONFIGURATION, CauseClass.DESIGN, CauseClass.PLANNING],
    },
    {"name": "同一CIで30日以内に3件以上", "type": CriterionType.REPEAT_CI, "count": 3, "days": 30},
    {"name": "同一サービスで7日以内に10件以上", "type": CriterionType.REPEAT_SERVICE, "count": 10, "days": 7},
]

STALE_RULES = [
    {
        "name": "顧客回答待ち 5営業日: リマインド",
        "states": ["pending_customer"],
        "measure": StaleMeasure.LAST_REQUESTER_REPLY,
        "after": 5,
        "unit": TimeUnit.BUSINESS_DAYS,
        "action": StaleAction.REMIND,
        "message": "ご回答をお待ちしております。"
        "このまま 5 営業日ご回答がない場合、本チケットは自動的に完了となります。\n\n"
        "We are waiting for your answer. "
        "Without an answer within 5 more business days this ticket will be closed.",
        "order": 10,
    },
    {
        "name": "顧客回答待ち 10営業日: 自動完了",
        "states": ["pending_customer"],
        "measure": StaleMeasure.LAST_REQUESTER_REPLY,
        "after": 10,
        "unit": TimeUnit.BUSINESS_DAYS,
        "action": StaleAction.TRANSITION,
        "transition": "close_no_reply",
        "message": "ご回答がなかったため、本チケットを完了としました。"
        "必要な場合は再オープンしてください。\n\n"
        "This ticket was closed because we received no answer. Reopen it if you still need help.",
        "order": 20,
    },
    {
        "name": "未割当 2時間: 担当チームに通知",
        "states": [],
        "unassigned_only": True,
        "measure": StaleMeasure.CREATED,
        "after": 2,
        "unit": TimeUnit.HOURS,
        "action": StaleAction.NOTIFY,
        "message": "",
        "order": 30,
    },
]


def load_workflows() -> None:
    """Create the states and transitions of each kind that are missing (by code)."""
    for kind, (states, transitions) in workflow.DEFAULTS.items():
        existing = {s.code: s for s in WorkflowState.objects.filter(kind=kind)}
        has_initial = any(s.is_initial for s in existing.values())
        for order, (code, name, name_en, category, initial, pauses) in enumerate(states, start=1):
            if code in existing:
                continue
            existing[code] = create_record(
                WorkflowState,
                actor=None,
                check=False,
                data={
                    "kind": kind,
                    "code": code,
                    "name": name,
                    "name_en": name_en,
                    "category": category,
                    "is_initial": initial and not has_initial,
                    "pauses_clock": pauses,
                    "responds": code in workflow.RESPONDING,
                    "order": order * 10,
                },
            )
        known = set(WorkflowTransition.objects.filter(kind=kind).values_list("code", flat=True))
        for order, (code, name, name_en, sources, target, roles, guards) in enumerate(transitions, start=1):
            if code in known:
                continue
            transition = create_record(
                WorkflowTransition,
                actor=None,
                check=False,
                data={
                    "kind": kind,
                    "code": code,
                    "name": name,
                    "name_en": name_en,
                    "target": existing[target],
                    "roles": roles,
                    "guards": guards,
                    "order": order * 10,
                },
            )
            transition.sources.set([existing[s] for s in sources])
            audit.record(
                transition,
                action="sources",
                changes={"sources": [[], sorted(existing[s].pk for s in sources)]},
            )


@defaults.register("tickets", order=40)
def load() -> None:
    """Create the desk's reference data that does not exist yet."""
    load_workflows()
    cells = set(PriorityRule.objects.values_list("impact", "urgency"))
    for (impact, urgency), priority in policies.DEFAULT_MATRIX.items():
        if (impact, urgency) not in cells:
            create_record(
                PriorityRule,
                actor=None,
                check=False,
                data={"impact": impact, "urgency": urgency, "priority": priority},
            )
    policies_present = set(ClosurePolicy.objects.values_list("kind", "priority"))
    for kind in Kind.values:
        for priority in (1, 2, 3, 4):
            if (kind, priority) in policies_present:
                continue
            create_record(
                ClosurePolicy,
                actor=None,
                check=False,
                data={
                    "kind": kind,
                    "priority": priority,
                    "roles": CLOSERS_HIGH if priority <= 2 else CLOSERS_LOW,
                    "auto_close": priority > 2,
                    "confirm_days": 3,
                    "reopen_days": 7,
                },
            )
    names = set(Category.objects.values_list("kind", "name"))
    for kind, name, name_en in CATEGORIES:
        if (kind, name) not in names:
            create_record(
                Category, actor=None, check=False, data={"kind": kind, "name": name, "name_en": name_en}
            )
    if not ReviewCriterion.objects.exists():
        for item in CRITERIA:
            create_record(ReviewCriterion, actor=None, check=False, data=item)
    if not StaleRule.objects.exists():
        for item in STALE_RULES:
            create_record(StaleRule, actor=None, check=False, data=item)
