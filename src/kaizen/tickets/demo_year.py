"""The desk demo's older inquiries: the ten months before the two played in full, so that the
demo holds a year of them (FAQ candidates, seasonal reports).

Requesters of the demo customers asked about the same things all year (:mod:`.demo_year_data`):
passwords, VPN, printers, mail quota, Teams, new hires' PCs in April, the year-end adjustment in
November and December, ... in their own words. Each inquiry is a short story played by
:func:`kaizen.tickets.demo.run` like the others: opened in the portal by its requester or recorded
from a call or mail by an agent, started, resolved with a note and cause class, then confirmed,
closed on the phone or by the nightly closure job (a few are cancelled). The review meeting of
those months decides the incidents flagged for improvement.

Lighter than the bulk of the two months (no pending, reopen or CI steps) to keep loading quick, but
every step goes through the services, so audit rows and history are real. Its own seeded generator
plans it, so the two played months stay as they were.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from kaizen.accounts.models import Person, User
from kaizen.portfolio.models import Service

from . import policies, services
from .choices import Channel, Kind, ReviewOutcome, ReviewStatus
from .demo import (
    DAYS,
    HOME_TEAM,
    JST,
    SEED,
    WEB,
    YEAR,
    Desk,
    Story,
    Wake,
    _resolve,
    family_name,
    salutation,
)
from .demo_data import DISMISS, DISMISS_OTHER, FIRST_REPLIES, ONE_USER, SELF_SOLVED, THANKS
from .demo_year_data import IMPROVEMENTS, QUICK, TOPICS, Text, Topic
from .models import Ticket

VOLUME = 0.75
"""Scale of the topics' monthly rates: about 60-100 inquiries a month, April the busiest."""
START = YEAR - 3
"""Days ago the oldest inquiry comes in (inside a year's FAQ run)."""
END = DAYS + 1
"""Days ago the last one comes in: the played two months start after it."""


@dataclass
class Inquiry:
    """One older inquiry: its topic, words, requester, moment and how it ends."""

    topic: Topic
    words: Text
    resolution: Text
    created: dt.datetime
    channel: str
    org: str
    requester: Person
    urgency: int
    creator: str
    quick: bool
    """Solved on the phone by whoever took the call (no separate start of work)."""
    cancelled: bool
    confirm: bool
    reply: bool
    note: bool


class Year:
    """Plans the older inquiries for ``desk`` with a generator of its own."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.rng = random.Random(SEED + YEAR)  # noqa: S311 (demo data, not security)
        self.first = desk.now - dt.timedelta(days=START)
        self.last = desk.now - dt.timedelta(days=END)
        self.mail_no = 21000
        self.topic_of: dict[int, str] = {}
        self.improved: set[str] = set()
        self.served: dict[str, set[str]] = {}
        for code, org in Service.customers.through.objects.values_list("service__code", "organisation__code"):
            self.served.setdefault(code, set()).add(org)
        self.emily = desk.contacts.get("Emily Carter")

    def serves(self, service: str | None, org: str) -> bool:
        """Tell whether ``org`` is one of ``service``'s customers."""
        return service is not None and org in self.served.get(service, set())

    def external_ref(self) -> str:
        self.mail_no += self.rng.randint(3, 40)
        return f"demo:mail:{self.mail_no}"

    # -- planning ------------------------------------------------------------------------------

    def months(self) -> list[tuple[dt.date, dt.date]]:
        """Return the calendar months of the period as (first day, day after the last) in JST."""
        out = []
        # from the day after the first moment: its business hours may be over already
        first = self.first.astimezone(JST).date() + dt.timedelta(days=1)
        last = self.last.astimezone(JST).date()
        day = first
        while day < last:
            following = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
            out.append((day, min(following, last)))
            day = following
        return out

    def plan(self) -> list[Inquiry]:
        """Decide every inquiry of the period, month by month and topic by topic."""
        rng, plans = self.rng, []
        for start, stop in self.months():
            share = (stop - start).days / calendar.monthrange(start.year, start.month)[1]
            for topic in TOPICS:
                expected = topic.expected(start.month) * VOLUME * share * rng.uniform(0.8, 1.2)
                count = int(expected) + (rng.random() < expected % 1)
                count += sum(1 for month in topic.once if month == start.month and share > 0.5)
                plans += [self.inquiry(topic, self.moment(topic, start, stop)) for _ in range(count)]
        plans.sort(key=lambda q: q.created)
        return plans

    def moment(self, topic: Topic, start: dt.date, stop: dt.date) -> dt.datetime:
        """Return a moment in business hours between ``start`` and ``stop`` (Windows problems
        mostly in the week after the monthly patch day)."""
        rng = self.rng
        days = [d for d in _dates(start, stop) if policies.is_business_day(d)]
        if topic.key == "windows-update" and rng.random() < 0.7:
            patch = _patch_day(start.year, start.month)
            days = [d for d in days if 0 < (d - patch).days <= 7] or days
        day = rng.choice(days)
        minutes = 9 * 60 + int(rng.triangular(0, 540, 90))
        moment = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), JST).astimezone(dt.UTC)
        return min(max(moment, self.first), self.last)

    def inquiry(self, topic: Topic, created: dt.datetime) -> Inquiry:
        """Decide who asks about ``topic`` at ``created``, in which words, and how it ends."""
        rng, desk = self.rng, self.desk
        words = rng.choice(topic.phrasings)
        english = words[0].isascii()
        if english and self.emily is not None and "aoba" in topic.orgs:
            org, requester, channel = "aoba", self.emily, "email"
        else:
            if english:
                words = rng.choice([p for p in topic.phrasings if not p[0].isascii()] or [words])
            org = rng.choice(topic.orgs)
            channel = rng.choice(topic.channels)
            pool = desk.requesters(org)
            requester = pool[0] if channel == "portal" else rng.choice(pool)
            if channel == "portal" and desk.login_of(requester) is None:
                channel = "phone"
        login = desk.login_of(requester)
        quick = channel == "phone" and topic.key in QUICK
        return Inquiry(
            topic=topic,
            words=words,
            resolution=rng.choice(topic.resolutions),
            created=created,
            channel=channel,
            org=org,
            requester=requester,
            urgency=rng.choice(topic.urgency),
            creator=rng.choices(["agent", "manager"], [5, 1])[0],
            quick=quick,
            cancelled=not quick and rng.random() < 0.03,
            confirm=login is not None and rng.random() < 0.6,
            reply=channel != "phone" and rng.random() < 0.4,
            note=bool(topic.note) and rng.random() < 0.25,
        )


def _dates(start: dt.date, stop: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((stop - start).days)]


def _patch_day(year: int, month: int) -> dt.date:
    """Return the second Tuesday of the month (Windows updates come the day after in Japan)."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(1 - first.weekday()) % 7 + 7)


# -- the stories -------------------------------------------------------------------------------


def _open(year: Year, q: Inquiry, login: User | None) -> Generator[Wake, None, tuple[int, dt.datetime]]:
    """Open the inquiry as the requester in the portal (the desk completes it), or record it as an
    agent; return the ticket id and the moment of the last step."""
    desk, rng, topic = year.desk, year.rng, q.topic
    title, description = q.words
    service = topic.service
    if q.channel == "portal" and login is not None:
        yield q.created, login, WEB, ""
        data: dict[str, Any] = {
            "title": title,
            "description": description,
            "urgency": q.urgency,
            "channel": Channel.PORTAL,
        }
        if service and rng.random() < 0.6 and desk.can_see(login, service):
            data["service"] = desk.services[service].pk
        if rng.random() < 0.6:
            data["category"] = desk.categories[topic.category].pk
        ticket = services.create_ticket(actor=login, kind=topic.kind, data=data)
        tid = int(ticket.pk)
        changes: dict[str, Any] = {}
        if ticket.service_id is None and year.serves(service, q.org):
            changes["service"] = desk.services[service or ""].pk
        if ticket.category_id is None:
            changes["category"] = desk.categories[topic.category].pk
        if not changes:
            return tid, q.created  # nothing for the desk to complete
        if ticket.team_id is None:
            changes["team"] = desk.teams[topic.team].pk
        agent = desk.user("agent")
        t = desk.later(q.created, rng.randint(8, 70))
        yield t, agent, WEB, ""
        changes["impact"] = topic.impact
        services.update_ticket(tid, actor=agent, changes=changes, version=None, impact_reason=ONE_USER)
        return tid, t
    creator = desk.user(q.creator)
    yield q.created, creator, WEB, ""
    template = desk.templates.get(topic.template)
    if template is not None and template.service_id is not None and not year.serves(service, q.org):
        template = None  # its service is not one the requester's company uses
    data = {
        "title": title,
        "description": description,
        "requester": q.requester.pk,
        "channel": q.channel,
        "urgency": q.urgency,
        "category": desk.categories[topic.category].pk,
        "service": desk.services[service].pk if year.serves(service, q.org) and service else None,
    }
    if template is None:
        data.update(team=desk.teams[topic.team].pk, impact=topic.impact)
    if q.quick:
        data.update(team=desk.teams[HOME_TEAM[q.creator]].pk, assignee=desk.person(q.creator).pk)
    if q.channel == "email":
        data["external_ref"] = year.external_ref()
    ticket = services.create_ticket(
        actor=creator, kind=topic.kind, data=data, template=template, impact_reason=ONE_USER
    )
    return int(ticket.pk), q.created


def inquiry(year: Year, q: Inquiry) -> Story:
    """The story of one older inquiry, from its arrival to its end."""
    desk, rng, topic = year.desk, year.rng, q.topic
    login = desk.login_of(q.requester)
    tid, t = yield from _open(year, q, login)
    year.topic_of[tid] = topic.key
    worker = desk.worker(desk.load(tid))
    if not q.quick:
        t = desk.later(t, rng.randint(10, 90))
        yield t, worker, WEB, ""
        desk.take(tid, worker)
    if q.reply:
        me = desk.person(worker.username)
        reply = rng.choice(FIRST_REPLIES).format(
            name=salutation(q.requester), team=HOME_TEAM[worker.username], me=family_name(me)
        )
        desk.say(tid, worker, reply)
    if q.cancelled:
        t = desk.later(t, rng.randint(20, 300))
        if login is not None:
            yield t, login, WEB, ""
            desk.act(tid, "cancel", login, comment=rng.choice(SELF_SOLVED))
        else:
            yield t, worker, WEB, ""
            desk.act(
                tid, "cancel", worker, comment="お客様より「解決した」とご連絡があったため、取り消します。"
            )
        return
    if q.note:
        t = desk.later(t, rng.randint(10, 120))
        yield t, worker, WEB, ""
        desk.say(tid, worker, topic.note, public=False)
    t = desk.later(t, rng.randint(3, 10) if q.quick else rng.randint(20, 900))
    yield t, worker, WEB, ""
    text, cause = q.resolution
    _resolve(desk, tid, worker, text, cause, q.requester)
    if login is not None and q.confirm:
        t = desk.later(t, rng.randint(30, 900))
        yield t, login, WEB, ""
        if desk.load(tid).state_category == "resolved":
            if rng.random() < 0.2:
                desk.say(tid, login, rng.choice(THANKS))
            services.confirm_resolution(tid, actor=login)
    elif login is None and rng.random() < 0.35:
        t = desk.later(t, rng.randint(60, 480))
        yield t, worker, WEB, ""
        ticket = desk.load(tid)
        if ticket.state_category == "resolved" and ticket.review_status != ReviewStatus.PENDING:
            desk.act(tid, "close", worker, comment="お電話で解消をご確認いただけたため、完了とします。")
    # the others are closed by the nightly job once their confirmation period has passed


def review_meetings(year: Year) -> Story:
    """The service manager's review meetings of those months (Tuesdays and Fridays at 16:00, as
    in the two played months, whose meetings come after): decide the older incidents flagged for
    improvement and close the P1/P2 ones among them."""
    desk = year.desk
    manager = desk.user("manager")
    day = year.first.astimezone(JST).date()
    stop = (year.last + dt.timedelta(days=14)).astimezone(JST).date()
    while day < stop:
        day += dt.timedelta(days=1)
        if day.weekday() not in (1, 4) or not policies.is_business_day(day):
            continue
        t = dt.datetime.combine(day, dt.time(16, 0), JST).astimezone(dt.UTC)
        yield t, manager, WEB, ""
        flagged = Ticket.objects.filter(
            pk__in=list(year.topic_of),
            kind=Kind.INCIDENT,
            review_status=ReviewStatus.PENDING,
            resolved_at__lt=t - dt.timedelta(hours=2),
        )
        for tid in list(flagged.order_by("pk").values_list("pk", flat=True)):
            _decide(year, tid, manager, day.month)
            ticket = desk.load(tid)
            if ticket.state_category == "resolved" and ticket.priority <= 2:
                desk.act(tid, "close", manager, comment="振り返りが完了したため完了とします。")


def _decide(year: Year, tid: int, manager: User, month: int) -> None:
    key = year.topic_of[tid]
    improvement = IMPROVEMENTS.get(key)
    if improvement is not None and key not in year.improved and month == improvement[0]:
        year.improved.add(key)
        services.record_review_decision(
            tid, actor=manager, outcome=ReviewOutcome.IMPROVEMENT, improvement_title=improvement[1]
        )
        return
    cause = year.desk.load(tid).cause_class
    services.record_review_decision(
        tid, actor=manager, outcome=ReviewOutcome.DISMISSED, reason=DISMISS.get(cause, DISMISS_OTHER)
    )


def stories(desk: Desk) -> list[Story]:
    """Return the stories of the older inquiries and of their review meetings."""
    year = Year(desk)
    return [*(inquiry(year, q) for q in year.plan()), review_meetings(year)]
