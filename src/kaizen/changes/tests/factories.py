"""Helpers for change tests: boards with members, documented changes, moving them along."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kaizen.accounts.models import Organisation, User
from kaizen.changes import defaults as change_defaults
from kaizen.changes import services
from kaizen.changes.choices import BoardKind
from kaizen.changes.models import ChangeBoard
from kaizen.core import context
from kaizen.tickets import services as tickets
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import admin, desk

ANSWERS = {"downtime": "none", "tested": "yes", "backout": "easy", "experience": "often", "security": "no"}
RISKY = {
    "downtime": "outage",
    "tested": "no",
    "backout": "impossible",
    "experience": "never",
    "security": "yes",
}
PLANS = {
    "reason": "OS のセキュリティ更新",
    "implementation_plan": "1. 停止 2. 更新 3. 起動",
    "backout_plan": "スナップショットから戻す",
    "test_plan": "ログイン確認",
    "communication_plan": "前日にメールで利用者へ通知",
}


def setup_changes() -> None:
    """Load the desk's and change management's reference data."""
    desk()
    with context.acting(channel=context.Channel.SYSTEM):
        change_defaults.load()


def board(kind: str, *members: User, mode: str | None = None, quorum: int | None = None) -> ChangeBoard:
    """Give the shipped board of ``kind`` its members (and mode)."""
    found = ChangeBoard.objects.get(kind=kind, is_active=True)
    found.members.set(members)
    if mode:
        found.mode = mode
        found.quorum = quorum
        found.save()
    return found


def window(start_in_hours: float = 24, hours: float = 2) -> dict[str, dt.datetime]:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=start_in_hours)
    return {"planned_start": start, "planned_end": start + dt.timedelta(hours=hours)}


def change(
    org: Organisation,
    *,
    actor: User | None = None,
    change_type: str = "normal",
    cis: Any = (),
    answers: dict[str, str] | None = None,
    plans: dict[str, str] | None = None,
    when: dict[str, dt.datetime] | None = None,
    title: str = "Web サーバの OS 更新",
    **data: Any,
) -> Ticket:
    """Raise a documented change (as an administrator unless ``actor``)."""
    actor = actor or admin()
    fields: dict[str, Any] = {
        "change_type": change_type,
        **(PLANS if plans is None else plans),
        "risk_answers": ANSWERS if answers is None else answers,
        **(window() if when is None else when),
    }
    with context.acting(user=actor, channel=context.Channel.WEB):
        return services.raise_change(
            actor=actor, data={"title": title, "organisation": org, **data}, change=fields, cis=cis
        )


def act(ticket: Ticket | int, code: str, actor: User | None = None, **params: Any) -> Ticket:
    actor = actor or admin()
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    with context.acting(user=actor, channel=context.Channel.WEB):
        return tickets.apply_action(pk, code, actor=actor, version=None, params=params)


__all__ = ["ANSWERS", "PLANS", "RISKY", "BoardKind", "act", "board", "change", "setup_changes", "window"]
