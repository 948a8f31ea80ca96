"""The demo desk: two months of believable tickets after ten months of older inquiries, written
through the services, loaded once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count
from django.utils import timezone

from kaizen.core import audit, defaults, demo
from kaizen.core.models import AuditEntry
from kaizen.tickets import automation
from kaizen.tickets.choices import CauseClass, Channel, Kind, ReviewOutcome, ReviewStatus, StateCategory
from kaizen.tickets.demo import DAYS, JST, demo_present
from kaizen.tickets.models import (
    BusinessRule,
    Comment,
    ReviewDecision,
    TeamAssignment,
    Ticket,
    TicketLink,
    TicketTemplate,
)

pytestmark = pytest.mark.django_db


def _counts(qs, field):
    return dict(qs.values_list(field).annotate(n=Count("id")))


def test_demo_desk_is_believable_consistent_and_loaded_once():
    started = timezone.now()
    defaults.load_all()
    demo.load_all(password="kaizen-demo")

    # The monitoring demo adds live incidents from alerts (now, not in the two months of history);
    # the older inquiries come before the two months (test_demo_desk_holds_a_year_of_inquiries).
    window = demo_present(started) - dt.timedelta(days=DAYS + 1)
    tickets = Ticket.objects.filter(created_at__lt=started, created_at__gte=window)
    kinds = _counts(tickets, "kind")
    assert 250 <= sum(kinds.values()) <= 350
    assert 180 <= kinds[Kind.INCIDENT] <= 280
    assert 30 <= kinds[Kind.REQUEST] <= 80
    assert 5 <= kinds[Kind.PROBLEM] <= 15
    categories = _counts(tickets, "state_category")
    assert set(categories) == set(StateCategory.values)
    assert categories[StateCategory.CLOSED] > sum(categories.values()) / 2  # mostly history

    states = {
        kind: set(tickets.filter(kind=kind).values_list("state__code", flat=True)) for kind in Kind.values
    }
    assert {
        "new", "assigned", "in_progress", "pending_customer", "pending_supplier", "pending_change",
        "resolved", "closed", "cancelled",
    } <= states[Kind.INCIDENT]  # fmt: skip
    assert {"waiting_for_approval", "approved", "rejected", "in_progress", "closed"} <= states[Kind.REQUEST]
    assert {"new", "investigating", "known_error", "resolved", "closed", "cancelled"} <= states[Kind.PROBLEM]

    incidents = tickets.filter(kind=Kind.INCIDENT)
    priorities = _counts(incidents, "priority")
    assert set(priorities) == {1, 2, 3, 4}
    assert priorities[3] + priorities[4] >= 0.8 * kinds[Kind.INCIDENT]
    done = incidents.filter(state_category__in=[StateCategory.RESOLVED, StateCategory.CLOSED])
    assert set(done.values_list("cause_class", flat=True)) == set(CauseClass.values)
    assert tickets.filter(state_category=StateCategory.RESOLVED, confirmed_at__isnull=False).exists()
    with_cis = incidents.filter(cis__isnull=False).distinct()
    assert with_cis.count() > 0.3 * kinds[Kind.INCIDENT]
    assert not with_cis.filter(impact_suggested=None).exists()  # impact comes from what the CIs reach
    assert incidents.exclude(impact_reason="").exists()  # the desk overrode the CMDB's suggestion
    assert {Channel.PORTAL, Channel.PHONE, Channel.EMAIL, Channel.MONITORING} <= set(
        tickets.values_list("channel", flat=True)
    )
    assert tickets.filter(
        requester__user__username__in=["sakura", "minato", "aoba"], channel=Channel.PORTAL
    ).exists()
    assert tickets.filter(kind=Kind.REQUEST, catalog_item__isnull=False, approvals__state="rejected").exists()
    assert (
        tickets.filter(kind=Kind.REQUEST, tasks__state="done").filter(tasks__state="open").exists()
    )  # partly done

    majors = incidents.filter(major=True)
    assert majors.count() >= 2
    assert all(Comment.objects.filter(ticket=m, is_timeline=True).count() >= 3 for m in majors)
    assert incidents.filter(review_status=ReviewStatus.PENDING).exists()
    assert set(ReviewDecision.objects.values_list("outcome", flat=True)) == set(ReviewOutcome.values)
    assert {"duplicates", "caused_by", "part_of"} <= set(TicketLink.objects.values_list("kind", flat=True))
    assert tickets.filter(watchers__isnull=False).exists()
    visibilities = _counts(Comment.objects.all(), "visibility")
    assert visibilities["public"] > 300 and visibilities["internal"] > 50
    assert TicketTemplate.objects.count() >= 5 and BusinessRule.objects.count() >= 4
    assert set(TeamAssignment.objects.values_list("mode", flat=True)) == {"round_robin", "least_loaded"}

    hits = automation.stale_hits()
    assert {h.rule.measure for h in hits} >= {
        "last_requester_reply",
        "created",
    }  # waiting customers, unassigned

    # The stories were written with the clock moved back: two months of history, nothing "now".
    oldest = tickets.order_by("created_at").first().created_at
    # The history ends tonight or, before today's hours are over, the previous business evening.
    assert started - dt.timedelta(days=67) < oldest < started - dt.timedelta(days=55)
    assert not tickets.filter(updated_at__gte=started).exists()
    assert not Comment.objects.filter(created_at__gte=started, ticket__in=tickets).exists()
    history_ids = [str(pk) for pk in tickets.values_list("pk", flat=True)]
    assert not AuditEntry.objects.filter(
        record_type="tickets.ticket", record_id__in=history_ids, at__gte=started
    ).exists()
    for ticket in tickets.filter(state_category=StateCategory.CLOSED)[:50]:
        assert ticket.created_at <= ticket.closed_at
        assert ticket.resolved_at is None or ticket.created_at <= ticket.resolved_at <= ticket.closed_at

    before = (Ticket.objects.count(), Comment.objects.count(), AuditEntry.objects.count())
    demo.load_all(password="kaizen-demo")
    assert (Ticket.objects.count(), Comment.objects.count(), AuditEntry.objects.count()) == before
    assert audit.verify().ok


def test_demo_desk_holds_a_year_of_inquiries_on_recurring_topics():
    from kaizen.portfolio.models import Service
    from kaizen.tickets.demo_year import END

    started = timezone.now()
    defaults.load_all()
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio", "slm", "tickets"))
    present = demo_present(started)
    inquiries = Ticket.objects.filter(kind__in=[Kind.INCIDENT, Kind.REQUEST], created_at__lt=started)
    rows = list(inquiries.values_list("created_at", "title", "state_category"))
    month_of = {created: (present - created).days // 30 for created, _title, _state in rows}
    per_month = [sum(1 for m in month_of.values() if m == n) for n in range(12)]
    assert all(40 <= n <= 160 for n in per_month), per_month  # a year, about 60-100 a month

    def months(*words):
        return {month_of[c] for c, title, _s in rows if any(w in title for w in words)}

    topics = (("パスワード",), ("VPN",), ("複合機", "トナー", "印刷"), ("容量",), ("Teams",))
    for words in (*topics, ("共有フォルダ", "ファイルサーバ", "shared folder")):
        assert len(months(*words)) >= 9, words  # recurring all year
    passwords = {title for _c, title, _s in rows if "パスワード" in title}
    assert len(passwords) >= 4  # in different words

    older = Ticket.objects.filter(created_at__lt=present - dt.timedelta(days=END))
    assert older.count() >= 500
    local = [(c.astimezone(JST), title) for c, title, _s in rows if c < present - dt.timedelta(days=END)]
    assert {m.month for m, title in local if "年末調整" in title} <= {10, 11, 12, 1}  # the season
    hires = Counter(m.month for m, title in local if "入社" in title or "新しく入る" in title)
    april = [m.day for m, _title in local if m.month == 4]
    if april and min(april) <= 3 and max(april) >= 27:  # April is one of the older months
        assert hires[4] == max(hires.values()) and hires[4] >= 2 * hires.get(6, 0)
    finished = _counts(older, "state_category")
    assert set(finished) == {StateCategory.CLOSED, StateCategory.CANCELLED}
    assert 0 < finished[StateCategory.CANCELLED] < 0.1 * finished[StateCategory.CLOSED]
    closed = older.filter(kind=Kind.INCIDENT, state_category=StateCategory.CLOSED)
    assert not closed.filter(resolution="").exists() and not closed.filter(cause_class="").exists()
    assert {Channel.PORTAL, Channel.PHONE, Channel.EMAIL} == set(older.values_list("channel", flat=True))
    orgs = set(older.values_list("organisation__code", flat=True))
    assert orgs <= {"sakura", "sakura-osaka", "minato", "aoba", "kaizen-it"}
    assert not older.filter(requester=None).exists()
    customers = {
        code: set(orgs)
        for code, orgs in ((s.code, s.customers.values_list("pk", flat=True)) for s in Service.objects.all())
    }
    used = older.exclude(service=None).values_list(
        "service__code", "organisation_id", "organisation__parent_id"
    )
    for service, org, company in used:
        assert {org, company} & customers[service]  # a branch uses its company's services
    assert not older.filter(review_status=ReviewStatus.PENDING).exists()
    assert not older.filter(updated_at__gte=started).exists()
