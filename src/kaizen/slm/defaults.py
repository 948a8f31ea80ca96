"""Reference data of service level management every installation starts with (idempotent, audited).

A default business calendar (weekdays 9:00–18:00 Asia/Tokyo, Japanese public holidays, the year-end
closure 12/29–1/3), a 24×7 calendar, and three service tiers (松竹梅: gold, silver, bronze) whose
targets follow the sample SLA of seed 001 (urgent incidents: work starts within 10 minutes,
resolved within 4 hours). No agreement is created: which services and customers get which tier is
the provider's decision.
"""

from __future__ import annotations

from django.db import transaction

from kaizen.core import defaults

from . import calendars, services
from .models import BusinessCalendar, ServiceTier

CALENDARS = [
    {
        "name": "平日 9:00–18:00（日本）",
        "name_en": "Weekdays 9:00–18:00 (Japan)",
        "description": "土日・祝日・年末年始（12/29–1/3）は休業。",
        "is_default": True,
        "definition": {**calendars.DEFAULT_DEFINITION},
    },
    {
        "name": "24時間365日",
        "name_en": "24×7",
        "description": "休業日なし。",
        "is_default": False,
        "definition": {
            **calendars.DEFAULT_DEFINITION,
            "hours": calendars.hours_24x7(),
            "public_holidays": "",
            "year_end": False,
        },
    },
]

H = 60
TIERS = [
    {
        "name": "松（ゴールド）",
        "name_en": "Gold",
        "order": 10,
        "monthly_fee": 300000,
        "targets": {
            "1": {"response": 10, "resolution": 4 * H, "update": 30},
            "2": {"response": 30, "resolution": 8 * H, "update": 2 * H},
            "3": {"response": 2 * H, "resolution": 2 * 9 * H},
            "4": {"response": 4 * H, "resolution": 5 * 9 * H},
        },
    },
    {
        "name": "竹（シルバー）",
        "name_en": "Silver",
        "order": 20,
        "monthly_fee": 150000,
        "targets": {
            "1": {"response": 30, "resolution": 8 * H, "update": H},
            "2": {"response": H, "resolution": 2 * 9 * H},
            "3": {"response": 4 * H, "resolution": 3 * 9 * H},
            "4": {"response": 9 * H, "resolution": 10 * 9 * H},
        },
    },
    {
        "name": "梅（ブロンズ）",
        "name_en": "Bronze",
        "order": 30,
        "monthly_fee": 50000,
        "targets": {
            "1": {"response": H, "resolution": 2 * 9 * H},
            "2": {"response": 2 * H, "resolution": 3 * 9 * H},
            "3": {"response": 9 * H, "resolution": 5 * 9 * H},
            "4": {"response": 2 * 9 * H, "resolution": 10 * 9 * H},
        },
    },
]


@defaults.register("slm", order=50)
def load() -> None:
    """Create the calendars and tiers that do not exist yet (by name)."""
    with transaction.atomic():
        names = set(BusinessCalendar.objects.values_list("name", flat=True))
        has_default = BusinessCalendar.objects.filter(is_default=True).exists()
        for item in CALENDARS:
            if item["name"] not in names:
                services.create_calendar(
                    actor=None,
                    data={**item, "is_default": bool(item["is_default"]) and not has_default},
                    check=False,
                )
        from kaizen.core.services import create_record

        tiers = set(ServiceTier.objects.values_list("name", flat=True))
        for tier in TIERS:
            if tier["name"] not in tiers:
                create_record(ServiceTier, actor=None, check=False, data=tier)
