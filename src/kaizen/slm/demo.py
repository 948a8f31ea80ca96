"""Demo service levels: the sample SLA of seed 001 on the accounting services, and a few more.

Seed 001's sample SLA for the accounting systems' help desk: service hours weekdays 9:00–18:00,
urgent incidents start within 10 minutes and are resolved within 4 hours, availability 99.9 % a
year, counts, availability and response measured and reported. Loaded before the demo desk, so
its tickets are measured as they are written; a few outages give the availability figures.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from kaizen.accounts.models import Organisation, Team, User
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.core.services import create_record
from kaizen.portfolio.models import Service

from . import services
from .models import Agreement, BusinessCalendar, Outage, ServiceTier

H = 60
ACCOUNTING_TARGETS = {
    "1": {"response": 10, "resolution": 4 * H, "update": H},
    "2": {"response": 30, "resolution": 9 * H},
    "3": {"response": 2 * H, "resolution": 2 * 9 * H},
    "4": {"response": 4 * H, "resolution": 5 * 9 * H},
}


@registry.register("slm", order=58)
def load(*, password: str) -> None:
    """Create the demo agreements and outages (skipped when they exist or the services are missing)."""
    if Agreement.objects.exists() or not Service.objects.filter(code="accounting-a").exists():
        return
    manager = User.objects.filter(username="manager").first()
    with context.acting(user=manager, channel=context.Channel.WEB):
        _agreements(manager)
        _outages(manager)


def _agreements(actor: User | None) -> None:
    weekdays = BusinessCalendar.objects.get(is_default=True)
    always = BusinessCalendar.objects.filter(name_en="24×7").first() or weekdays
    sakura = Organisation.objects.filter(code="sakura").first()
    tier = create_record(
        ServiceTier,
        actor=actor,
        data={
            "name": "会計システム ヘルプデスク",
            "name_en": "Accounting help desk",
            "description": "SLA サンプル（6. 目標処理時間）: 緊急 開始まで10分以内、解決まで4時間以内。",
            "targets": ACCOUNTING_TARGETS,
            "monthly_fee": 200000,
            "order": 5,
        },
    )
    for code, limit in (("accounting-a", 120), ("accounting-b", 80), ("accounting-helpdesk", 150)):
        service = Service.objects.get(code=code)
        services.create_agreement(
            actor=actor,
            data={
                "name": f"{service.name} SLA",
                "name_en": f"{code} SLA",
                "description": "サービス提供時間 平日9:00〜18:00。可用性目標 年間99.9%。",
                "kind": "sla",
                "service": service,
                "customer": sakura,
                "calendar": weekdays,
                "tier": tier,
                "ticket_kinds": ["incident", "request"],
                "monthly_limit": limit,
                "availability_target": "99.900",
                "order": 10,
            },
        )
    silver = ServiceTier.objects.filter(name_en="Silver").first()
    for code in ("mail", "vpn"):
        service = Service.objects.filter(code=code).first()
        if service is None or silver is None:
            continue
        services.create_agreement(
            actor=actor,
            data={
                "name": f"{service.name} SLA（24時間）",
                "name_en": f"{code} SLA (24×7)",
                "kind": "sla",
                "service": service,
                "calendar": always,
                "tier": silver,
                "ticket_kinds": ["incident"],
                "availability_target": "99.500",
                "order": 20,
            },
        )
    team = Team.objects.filter(name="アプリ保守").first()
    if team is not None:
        services.create_agreement(
            actor=actor,
            data={
                "name": "アプリ保守チーム OLA",
                "name_en": "Application support OLA",
                "description": "サービスデスクからの引継ぎ後の対応目標（チーム保持時間のみ計測）。",
                "kind": "ola",
                "team": team,
                "calendar": weekdays,
                "targets": {
                    "1": {"response": 15, "resolution": 3 * H},
                    "2": {"response": H, "resolution": 8 * H},
                },
                "ticket_kinds": ["incident"],
                "priorities": [1, 2],
                "order": 10,
            },
        )


def _outages(actor: User | None) -> None:
    now = timezone.now()
    month = now.astimezone(dt.timezone(dt.timedelta(hours=9))).replace(day=1, hour=10, minute=0, second=0)
    rows = [
        (
            "accounting-a",
            month - dt.timedelta(days=20),
            45,
            False,
            "業務APサーバのメモリ枯渇により停止（再起動で復旧）",
        ),
        (
            "accounting-a",
            month - dt.timedelta(days=12, hours=-9),
            120,
            True,
            "定期メンテナンス（パッチ適用）",
        ),
        (
            "accounting-b",
            month + dt.timedelta(days=2, hours=3),
            25,
            False,
            "連携APのジョブ滞留による応答停止",
        ),
        ("mail", month - dt.timedelta(days=6, hours=-2), 30, False, "メール配送遅延（外部DNS障害）"),
    ]
    for code, start, minutes, planned, text in rows:
        service = Service.objects.filter(code=code).first()
        if service is None or start + dt.timedelta(minutes=minutes) > now:
            continue
        create_record(
            Outage,
            actor=actor,
            data={
                "service": service,
                "start": start,
                "end": start + dt.timedelta(minutes=minutes),
                "planned": planned,
                "description": text,
            },
        )
