"""The demo releases: plans in Japanese, bundled changes, a partly checked checklist, loaded once."""

from __future__ import annotations

import pytest

from kaizen.core import audit, defaults, demo
from kaizen.releases import queries
from kaizen.releases.choices import ReleaseState
from kaizen.releases.models import Checklist, Release
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_releases_are_planned_partly_checked_and_loaded_once():
    defaults.load_all()
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio", "releases"))
    releases = {r.title: r for r in queries.with_details(Release.objects.all())}
    assert set(releases) == {"会計システム 2027年1月リリース", "会計B 4.2.2 パッチリリース"}
    january = releases["会計システム 2027年1月リリース"]
    assert january.state == ReleaseState.PLANNING and january.service.code == "accounting-a"
    assert all(
        getattr(january, f) for f in ("cis_to_check", "staffing", "training", "handover", "downtime_notice")
    )
    assert january.change_tickets.count() >= 1
    readiness = queries.readiness(january)
    checked = [i for i in january.items.all() if i.checked]
    assert checked and readiness.unchecked and "items" in readiness.go_live
    patch = releases["会計B 4.2.2 パッチリリース"]
    assert patch.state == ReleaseState.APPROVED
    assert Checklist.objects.count() == 1
    assert Ticket.objects.filter(kind=Kind.CHANGE).exists()
    counts = (Release.objects.count(), Ticket.objects.count())
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio", "releases"))
    assert counts == (Release.objects.count(), Ticket.objects.count())
    assert audit.verify().ok


def test_demo_releases_load_even_when_no_change_can_be_raised(monkeypatch):
    from django.core.exceptions import ValidationError

    from kaizen.changes import services as changes

    def refuse(**kwargs):
        raise ValidationError("no change workflow")

    monkeypatch.setattr(changes, "raise_change", refuse)
    defaults.load_all()
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio", "releases"))
    assert Release.objects.count() == 2
    assert all(r.change_tickets.count() == 0 for r in Release.objects.all())
