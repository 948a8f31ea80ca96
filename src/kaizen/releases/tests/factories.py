"""Helpers for release tests: releases through the services, changes in a given state, checked items."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kaizen.accounts.models import Organisation, User
from kaizen.changes import services as changes
from kaizen.changes.tests.factories import act, change, setup_changes, window
from kaizen.core import context
from kaizen.releases import services
from kaizen.releases.choices import ItemKind
from kaizen.releases.models import AcceptanceItem, Checklist, ChecklistItem, Release
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, admin, person_of, user_with_role

__all__ = [
    "OrganisationFactory",
    "act",
    "admin",
    "approved",
    "change",
    "check_all",
    "checklist",
    "criterion",
    "draft_change",
    "person_of",
    "release",
    "scheduled_change",
    "setup_changes",
    "user_with_role",
]


def release(org: Organisation, *, actor: User | None = None, checklists: bool = True, **data: Any) -> Release:
    """Create a release in planning through the service (as an administrator unless ``actor``)."""
    actor = actor or admin()
    values = {"organisation": org, "title": "会計A 2027年1月リリース", **data}
    with context.acting(user=actor, channel=context.Channel.WEB):
        return services.create_release(actor=actor, data=values, apply_checklists=checklists)


def criterion(rel: Release, text: str = "ユーザ受入テストに合格", **data: Any) -> AcceptanceItem:
    """Add a service acceptance criterion (mandatory unless told)."""
    with context.acting(user=admin(), channel=context.Channel.WEB):
        return services.add_item(rel.pk, actor=admin(), data={"kind": ItemKind.SERVICE, "text": text, **data})


def check_all(rel: Release, *, kind: str | None = None) -> None:
    """Check every unchecked item of the release (of ``kind``) with evidence."""
    items = AcceptanceItem.objects.filter(release=rel, checked=False)
    if kind:
        items = items.filter(kind=kind)
    with context.acting(user=admin(), channel=context.Channel.WEB):
        for item in items:
            services.check_item(
                item.pk, actor=admin(), evidence="確認済み（試験報告書 TR-1）", version=item.version
            )


def fresh(rel: Release) -> Release:
    return Release.objects.get(pk=rel.pk)


def approved(org: Organisation, *, changes_: list[Ticket] | None = None, **data: Any) -> Release:
    """Return an approved release of ``org`` with one checked criterion, an owner and a date."""
    owner = person_of(user_with_role("agent", org))
    rel = release(org, owner=owner, planned_at=timezone.now() + dt.timedelta(days=7), **data)
    criterion(rel)
    check_all(rel, kind=ItemKind.SERVICE)
    if changes_:
        services.set_changes(rel.pk, actor=admin(), add=changes_, version=fresh(rel).version)
    services.approve(rel.pk, actor=admin(), version=fresh(rel).version)
    return fresh(rel)


def draft_change(org: Organisation, **data: Any) -> Ticket:
    """Raise a documented normal change that stays in draft."""
    return change(org, **data)


def scheduled_change(org: Organisation, *, title: str = "証明書の更新") -> Ticket:
    """Raise a standard change from a template and schedule it (no CAB needed)."""
    with context.acting(user=admin(), channel=context.Channel.WEB):
        template = changes.create_template(
            actor=admin(),
            data={
                "name": f"{title} {Ticket.objects.count()}",
                "implementation_plan": "手順書どおり",
                "backout_plan": "旧証明書に戻す",
                "max_duration_minutes": 120,
            },
        )
        ticket = changes.raise_change(
            actor=admin(), data={"organisation": org, "title": title}, change=window(24, 1), template=template
        )
    act(ticket, "schedule")
    return Ticket.objects.select_related("state").get(pk=ticket.pk)


def checklist(org: Organisation, *, items: list[dict[str, Any]] | None = None, **data: Any) -> Checklist:
    """Create an operations acceptance checklist through the service (default items unless ``items``)."""
    values = {"organisation": org, "name": "運用受入チェックリスト", **data}
    with context.acting(user=admin(), channel=context.Channel.WEB):
        return services.create_checklist(actor=admin(), data=values, items=items)


def plain_release(org: Organisation) -> Release:
    """Write a release without items or audit rows (for payloads of the generic suites)."""
    return Release.objects.create(
        organisation=org, title="会計A 2027年1月リリース", number=f"REL-T{Release.objects.count() + 1:05d}"
    )


def plain_checklist(org: Organisation) -> Checklist:
    """Write a checklist without items or audit (for the generic suites)."""
    return Checklist.objects.create(organisation=org, name="運用受入チェックリスト")


def plain_checklist_item(org: Organisation) -> ChecklistItem:
    return ChecklistItem.objects.create(checklist=plain_checklist(org), text="緊急連絡先（夜間・休日）")
