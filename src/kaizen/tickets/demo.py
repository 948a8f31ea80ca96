"""Demo data of the service desk: templates, business rules, automatic assignment and about 300
tickets with two months of history (incidents, service requests, problems), after ten months of
older inquiries on recurring topics (:mod:`.demo_year`), a year in all.

Every ticket is written through the services by the people who would do it: requesters open
their own tickets in the portal, agents record calls and mails, work and resolve them, managers
record the improvement decisions and close P1/P2 incidents, approvers decide. Each ticket's
story is a generator that yields when and as whom its next step happens; :func:`run` plays all
stories interleaved in time order with the clock moved back (:func:`frozen_clock`), so numbers,
ages, audit rows and the automatic steps (rules, assignment, closure) look like a real desk.

Other domains add their stories through :func:`stories` (the request catalogue adds its requests;
the ticket core does not know the catalogue). Idempotent: nothing is created when a ticket with an
external reference starting with ``demo:`` exists. Deterministic: one seeded random generator
decides everything; times are relative to the moment of loading.
"""

# Demo content: Japanese sentences are wider than code lines.
# ruff: noqa: E501

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
import zoneinfo
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kaizen.accounts import services as accounts
from kaizen.accounts.models import Organisation, Person, Team, User
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.core.services import update_record
from kaizen.portfolio.models import Service

from . import automation, policies, services
from .choices import (
    AssignmentMode,
    Channel,
    CriterionType,
    Kind,
    ReviewOutcome,
    ReviewStatus,
    RuleTrigger,
    Visibility,
)
from .demo_data import (
    APPS,
    CONTACTS,
    CUSTOMERS,
    DESK,
    DISMISS,
    DISMISS_OTHER,
    EVERYONE,
    FIRST_REPLIES,
    HUMAN_CAUSES,
    IMPROVEMENTS,
    INFRA,
    ONE_USER,
    REOPENED,
    RESOLVED_CONTACT,
    RESOLVED_PORTAL,
    RESUMED,
    SCENARIOS,
    SELF_SOLVED,
    TEMPLATES,
    THANKS,
    Case,
    Scenario,
)
from .models import BusinessRule, Category, ReviewCriterion, TeamAssignment, Ticket, TicketTemplate

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
DAYS = 60
"""The history played in full, with tickets in every state."""
YEAR = 365
"""The history in all: the older inquiries come before the last ``DAYS``, all finished."""
SEED = 20260401
MARKER = "demo:"
TEAM_WORKER = {DESK: "agent", INFRA: "ops", APPS: "dev"}
HOME_TEAM = {"agent": DESK, "manager": DESK, "ops": INFRA, "dev": APPS, "admin": DESK}
LOGINS = [
    "admin",
    "manager",
    "agent",
    "ops",
    "dev",
    "change",
    "cab",
    "auditor",
    "sakura",
    "minato",
    "aoba",
    "supplier",
]
WEB, JOB, MONITORING = context.Channel.WEB, context.Channel.JOB, context.Channel.MONITORING
MONITOR_LABEL = "Zabbix 監視連携"

Wake = tuple[dt.datetime, Any, str, str]
"""When a story's next step happens, as whom, through which channel and with which audit label."""
Story = Generator[Wake, None, Any]


# -- the clock and the scheduler ---------------------------------------------------------------


@contextlib.contextmanager
def frozen_clock(moment: dt.datetime) -> Iterator[None]:
    """Make ``django.utils.timezone.now()`` return ``moment`` inside the block.

    For demo data only: the demo loaders write each step of a ticket's story through the ordinary
    services with the clock moved back, so that services, audit rows, outbox rows and ``auto_now``
    fields (which all call ``timezone.now()``) carry the moment of that step. It replaces the
    module attribute for the whole process and is not thread-safe: never use it outside a demo
    loader.
    """
    original = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = original


def epoch() -> dt.datetime:
    """Return when the demo desk was configured: shortly before its oldest ticket."""
    return timezone.now() - dt.timedelta(days=YEAR + 2)


def run(stories: Iterable[Story], *, end: dt.datetime) -> int:
    """Play ``stories`` interleaved in time order; a step due after ``end`` ends its story.

    Returns the number of steps played. Stories move forward in time: a step at the same moment
    as the previous one is moved 30 seconds on, a step before it is a mistake in the story.
    """
    heap: list[tuple[dt.datetime, int, int, Wake, Story]] = []
    for index, story in enumerate(stories):
        wake = next(story, None)
        if wake is not None:
            heapq.heappush(heap, (wake[0], index, 0, wake, story))
    played = 0
    while heap:
        when, index, step, (_, user, channel, label), story = heapq.heappop(heap)
        if when > end:
            story.close()
            continue
        with frozen_clock(when), context.acting(user=user, channel=channel, label=label):
            wake = next(story, None)
        played += 1
        if wake is None:
            continue
        if wake[0] < when:
            raise ValueError(f"a demo story went back in time from {when} to {wake[0]}")
        if wake[0] == when:
            wake = (when + dt.timedelta(seconds=30), *wake[1:])
        heapq.heappush(heap, (wake[0], index, step + 1, wake, story))
    return played


def _window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return the part of the business day (9:00-18:00 JST) at or after ``moment``."""
    local = moment.astimezone(JST)
    day = local.date()
    while True:
        if policies.is_business_day(day):
            start = dt.datetime.combine(day, dt.time(9), JST)
            end = dt.datetime.combine(day, dt.time(18), JST)
            if local < end:
                return max(start, local), end
        day += dt.timedelta(days=1)


def business_after(moment: dt.datetime, minutes: float) -> dt.datetime:
    """Return ``moment`` moved on by ``minutes`` of business time (weekdays 9:00-18:00 JST)."""
    left, current = float(minutes), moment
    while True:
        start, end = _window(current)
        available = (end - start).total_seconds() / 60
        if left <= available:
            return (start + dt.timedelta(minutes=left)).astimezone(dt.UTC)
        left -= available
        current = end


StorySource = Callable[["Desk"], Iterable[Story]]
_sources: list[StorySource] = []


def stories(fn: StorySource) -> StorySource:
    """Register ``fn(desk)`` returning more stories for the desk's demo (other domains plug in)."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


# -- plans -------------------------------------------------------------------------------------


@dataclass
class Plan:
    """One incident from the bulk: what happens, when, to whom, and how it ends."""

    scenario: Scenario
    case: Case
    created: dt.datetime
    channel: str
    requester: Person | None
    creator: str
    urgency: int
    target: str
    pending: str
    ci_names: list[str]
    resolution: tuple[str, str]
    urgent: bool = False
    confirm: bool = False
    reopen: bool = False
    review: str = "decide"
    watchers: list[Person] = field(default_factory=list)


class Desk:
    """The demo desk: the people, records and helpers the stories act with."""

    def __init__(self, *, now: dt.datetime, seed: int = SEED) -> None:
        self.now = now
        self.end = now - dt.timedelta(minutes=10)
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not security)
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.people = {
            p.user.username: p
            for p in Person.objects.filter(user__username__in=LOGINS).select_related("user")
            if p.user is not None
        }
        self.orgs = {o.code: o for o in Organisation.objects.all()}
        self.teams = {t.name: t for t in Team.objects.filter(organisation__code="kaizen-it")}
        self.services = {s.code: s for s in Service.objects.all()}
        self.cis = {c.name: c for c in ConfigurationItem.objects.all()}
        self.categories = {c.name: c for c in Category.objects.all()}
        self.templates = {t.name: t for t in TicketTemplate.objects.all()}
        names = [c[0] for c in CONTACTS] + ["松本 裕子"]
        self.contacts = {
            p.name: p for p in Person.objects.filter(name__in=names).select_related("organisation")
        }
        self.review_plan: dict[int, Any] = {}
        self.keep_resolved: set[int] = set()
        self.refs: dict[str, int] = {}
        self.problems: dict[int, int] = {}
        """Open problems by service id, for review decisions that link an incident to one."""
        self.improvements: set[str] = set()
        self.event_no = 48000
        self.opened_problems = 0
        self._visible: dict[int, set[str]] = {}

    # who
    def user(self, username: str) -> User:
        return self.users[username]

    def person(self, username: str) -> Person:
        return self.people[username]

    def login_of(self, person: Person | None) -> User | None:
        """Return the requester login of ``person`` (None for contacts without one)."""
        if person is None or person.user_id is None:
            return None
        username = getattr(person.user, "username", "")
        return self.users.get(username) if username in CUSTOMERS else None

    def requesters(self, org: str) -> list[Person]:
        """Return the people of ``org`` who report to the desk (logins first)."""
        if org == "kaizen-it":
            return [self.people[u] for u in ("auditor", "cab", "change")]
        login = [self.people[org]] if org in CUSTOMERS else []
        codes = {org, f"{org}-osaka"} if org == "sakura" else {org}
        others = [
            p for p in self.contacts.values() if p.organisation.code in codes and p.name != "Emily Carter"
        ]
        return login + sorted(others, key=lambda p: p.pk)

    def can_see(self, user: User, service: str) -> bool:
        """Tell whether ``user`` may choose ``service`` (requesters: the services their company uses)."""
        if user.pk not in self._visible:
            self._visible[user.pk] = set(Service.objects.visible_to(user).values_list("code", flat=True))
        return service in self._visible[user.pk]

    def worker(self, ticket: Ticket) -> User:
        """Return who works ``ticket``: its assignee when they may, else the team's agent."""
        user = ticket.assignee.user if ticket.assignee is not None else None
        if user is not None and services.is_worker(user, ticket):
            return user
        team = ticket.team.name if ticket.team is not None else DESK
        return self.users[TEAM_WORKER.get(team, "agent")]

    # when
    def later(self, moment: dt.datetime, minutes: float, *, urgent: bool = False) -> dt.datetime:
        """Return ``moment`` plus ``minutes``: of business time, or of clock time when urgent."""
        if urgent:
            return moment + dt.timedelta(minutes=minutes)
        return business_after(moment, minutes)

    def at(self, business_days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        """Return hour:minute JST on the business day ``business_days_ago`` before today."""
        day = self.now.astimezone(JST).date()
        left = business_days_ago
        while left > 0 or not policies.is_business_day(day):
            day -= dt.timedelta(days=1)
            if policies.is_business_day(day):
                left -= 1
        return dt.datetime.combine(day, dt.time(hour, minute), JST).astimezone(dt.UTC)

    def moment(self, *, business: bool = True, low: float = 0, high: float = DAYS) -> dt.datetime:
        """Return a random moment ``low``-``high`` days ago (within business hours unless told)."""
        while True:
            t = self.now - dt.timedelta(days=self.rng.uniform(low, high))
            if business:
                local = t.astimezone(JST)
                if not policies.is_business_day(local.date()):
                    continue
                minutes = 9 * 60 + int(self.rng.triangular(0, 540, 90))
                t = dt.datetime.combine(local.date(), dt.time(minutes // 60, minutes % 60), JST).astimezone(
                    dt.UTC
                )
            if t < self.end - dt.timedelta(minutes=20):
                return t

    # what
    def load(self, tid: int) -> Ticket:
        return Ticket.objects.select_related("state", "team", "assignee__user", "requester__user").get(pk=tid)

    def act(self, tid: int, code: str, user: User, **params: Any) -> Ticket:
        return services.apply_action(tid, code, actor=user, version=None, params=params)

    def say(
        self,
        tid: int,
        user: User,
        body: str,
        *,
        public: bool = True,
        channel: str = Channel.PORTAL,
        timeline: bool = False,
    ) -> None:
        services.add_comment(
            tid,
            actor=user,
            body=body,
            visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
            channel=channel,
            is_timeline=timeline,
        )

    def take(self, tid: int, user: User, code: str = "start", **params: Any) -> Ticket:
        """Apply ``code`` as ``user``, who becomes the assignee when they are not yet."""
        ticket = self.load(tid)
        person = self.people[user.username]
        if ticket.assignee_id != person.pk:
            team = ticket.team
            if team is None or not team.members.filter(pk=person.pk).exists():
                team = self.teams[HOME_TEAM[user.username]]
            params.update(assignee=person.pk, team=team.pk)
        return self.act(tid, code, user, **params)

    def assign(self, tid: int, user: User) -> None:
        """Make ``user`` the assignee without starting the work."""
        ticket = self.load(tid)
        person = self.people[user.username]
        team = ticket.team
        if team is None or not team.members.filter(pk=person.pk).exists():
            team = self.teams[HOME_TEAM[user.username]]
        if ticket.state.code == "new":
            self.act(tid, "assign", user, assignee=person.pk, team=team.pk)
        else:
            services.update_ticket(
                tid, actor=user, changes={"assignee": person.pk, "team": team.pk}, version=None
            )

    def external_ref(self, kind: str) -> str:
        self.event_no += self.rng.randint(3, 40)
        return f"{MARKER}{kind}:{self.event_no}"

    def ci_ids(self, names: Iterable[str]) -> list[int]:
        return [self.cis[n].pk for n in names]

    def pick_ci(self, names: tuple[str, ...]) -> list[str]:
        return [self.rng.choice(names)] if names else []


def salutation(person: Person | None) -> str:
    """Return how a reply addresses ``person``."""
    if person is None:
        return ""
    return f"Dear {person.name}," if person.name.isascii() else f"{person.name} 様"


def family_name(person: Person) -> str:
    """Return the family name a reply is signed with (佐藤 健 → 佐藤)."""
    return person.name.split()[0]


# -- configuration -----------------------------------------------------------------------------


def configure(desk: Desk) -> None:
    """Create the templates, business rules and team assignment that do not exist yet."""
    manager = desk.user("manager")
    create_template, _u, _d = services.configuration_services(TicketTemplate)
    for name, name_en, kind, title, description, category, service, team, impact, urgency, tags in TEMPLATES:
        if TicketTemplate.objects.filter(kind=kind, name=name).exists():
            continue
        create_template(
            actor=manager,
            data={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "title": title,
                "description": description,
                "category": desk.categories[category],
                "service": desk.services[service] if service else None,
                "team": desk.teams[team],
                "impact": impact,
                "urgency": urgency,
                "tags": tags,
            },
        )
    desk.templates = {t.name: t for t in TicketTemplate.objects.all()}
    teams, cat, svc = desk.teams, desk.categories, desk.services
    rules: list[dict[str, Any]] = [
        {
            "name": "VPN関連は基盤運用へ",
            "kind": Kind.INCIDENT,
            "match_all": False,
            "conditions": [
                {"field": "title", "op": "contains", "value": "VPN"},
                {"field": "tags", "op": "contains", "value": "vpn"},
                {"field": "service", "op": "eq", "value": svc["vpn"].pk},
            ],
            "actions": [
                {"action": "set_team", "value": teams[INFRA].pk},
                {"action": "add_tags", "value": ["vpn"]},
            ],
            "order": 10,
        },
        {
            "name": "業務アプリケーションはアプリ保守へ",
            "kind": Kind.INCIDENT,
            "conditions": [{"field": "category", "op": "eq", "value": cat["業務アプリケーション"].pk}],
            "actions": [{"action": "set_team", "value": teams[APPS].pk}],
            "order": 20,
        },
        {
            "name": "監視検知のP1は重大インシデント",
            "kind": Kind.INCIDENT,
            "conditions": [
                {"field": "channel", "op": "eq", "value": Channel.MONITORING},
                {"field": "priority", "op": "eq", "value": 1},
            ],
            "actions": [
                {"action": "declare_major", "value": None},
                {
                    "action": "notify",
                    "value": {
                        "team": teams[INFRA].pk,
                        "emails": ["it-managers@example.jp"],
                        "message": "監視でP1を検知しました。重大インシデント対応を開始してください。",
                    },
                },
            ],
            "order": 30,
        },
        {
            "name": "監視検知のP2は基盤運用へエスカレーション",
            "kind": Kind.INCIDENT,
            "conditions": [
                {"field": "channel", "op": "eq", "value": Channel.MONITORING},
                {"field": "priority", "op": "eq", "value": 2},
            ],
            "actions": [
                {
                    "action": "escalate",
                    "value": {
                        "team": teams[INFRA].pk,
                        "note": "監視検知のP2のため、基盤運用が一次対応します。",
                    },
                }
            ],
            "order": 40,
        },
        {
            "name": "会計システムの高優先度はさくら商事 経理部へ通知",
            "kind": Kind.INCIDENT,
            "trigger": RuleTrigger.BOTH,
            "conditions": [
                {"field": "service", "op": "in", "value": [svc["accounting-a"].pk, svc["accounting-b"].pk]},
                {"field": "priority", "op": "lte", "value": 2},
            ],
            "actions": [
                {
                    "action": "notify",
                    "value": {
                        "emails": ["keiri-system@sakura.example.jp"],
                        "message": "会計システムで優先度の高いインシデントが発生しています。業務への影響をご確認ください。",
                    },
                }
            ],
            "order": 50,
        },
        {
            "name": "セキュリティ関連にタグ付け",
            "conditions": [{"field": "category", "op": "eq", "value": cat["セキュリティ"].pk}],
            "actions": [{"action": "add_tags", "value": ["security"]}],
            "order": 60,
        },
    ]
    create_rule, _u, _d = services.configuration_services(BusinessRule)
    for rule in rules:
        if not BusinessRule.objects.filter(name=rule["name"]).exists():
            create_rule(actor=manager, data=rule)
    create_assignment, _u, _d = services.configuration_services(TeamAssignment)
    for name, mode in ((DESK, AssignmentMode.ROUND_ROBIN), (INFRA, AssignmentMode.LEAST_LOADED)):
        if not TeamAssignment.objects.filter(team=teams[name]).exists():
            create_assignment(actor=manager, data={"team": teams[name], "mode": mode})
    # The shipped "same service, 5 within 30 days" sends nearly every incident of a busy service
    # to the review; the demo desk's manager narrowed it to a week.
    criterion = ReviewCriterion.objects.filter(type=CriterionType.REPEAT_SERVICE, count=5, days=30).first()
    if criterion is not None:
        update_record(
            ReviewCriterion,
            criterion.pk,
            actor=manager,
            changes={"name": "同一サービスで7日以内に12件以上", "count": 12, "days": 7},
            expected_version=criterion.version,
        )


def add_contacts(desk: Desk) -> None:
    """Create the customers' contacts who call or mail the desk (people without a login)."""
    admin = desk.user("admin")
    for name, kana, org, title, email in CONTACTS:
        if name in desk.contacts:
            continue
        desk.contacts[name] = accounts.create_person(
            actor=admin,
            data={
                "name": name,
                "name_kana": kana,
                "organisation": desk.orgs[org],
                "job_title": title,
                "email": email,
            },
        )


# -- bulk incidents ----------------------------------------------------------------------------


def _target(rng: random.Random, age_days: float) -> str:
    if age_days < 0.2:
        table: dict[str, float] = {"new": 3, "assigned": 2, "in_progress": 3, "done": 1}
    elif age_days < 2:
        table = {
            "new": 0.5,
            "assigned": 1,
            "in_progress": 3,
            "pending_customer": 2,
            "pending_supplier": 1,
            "done": 5,
            "cancelled": 0.3,
        }
    elif age_days < 7:
        table = {
            "in_progress": 0.8,
            "pending_customer": 0.6,
            "pending_supplier": 0.8,
            "pending_change": 0.4,
            "done": 10,
            "cancelled": 0.6,
        }
    else:
        table = {
            "pending_change": 0.25,
            "pending_supplier": 0.15,
            "done": 20,
            "cancelled": 1,
        }
    return rng.choices(list(table), list(table.values()))[0]


def plan(desk: Desk, scenario: Scenario, **fixed: Any) -> Plan:
    """Decide one incident of ``scenario``: who reports it, when, how it is worked and ends.

    ``fixed`` sets some of it (``created``, ``target``, ``channel``, ``urgency``, ``requester``,
    ``resolution``).
    """
    rng = desk.rng
    case = rng.choice(scenario.cases)
    channel = fixed.get("channel") or rng.choice(scenario.channels)
    org = rng.choice(scenario.orgs)
    requester: Person | None = None
    if channel != "monitoring":
        pool = (
            desk.requesters(org)
            if org != "sakura-osaka"
            else [desk.contacts["松本 裕子"], desk.contacts["森 亮"]]
        )
        requester = fixed.get("requester") or (pool[0] if channel == "portal" else rng.choice(pool))
        if channel == "portal" and desk.login_of(requester) is None:
            channel = "phone"
    urgency = fixed.get("urgency") or rng.choice(scenario.urgency)
    urgent = channel == "monitoring" or (urgency <= 2 and (scenario.impact or 1) <= 2)
    business = channel in ("phone", "email") or (channel == "portal" and rng.random() < 0.85)
    created = fixed.get("created") or desk.moment(business=business)
    age = (desk.end - created).total_seconds() / 86400
    target = fixed.get("target") or _target(rng, age)
    if target == "new" and channel != "portal":
        target = "assigned"
    pending = ""
    if target.startswith("pending_"):
        pending = target.removeprefix("pending_")
    elif target == "done" and rng.random() < 0.3:
        options = [
            kind
            for kind, ok in (
                ("customer", requester is not None and scenario.questions),
                ("supplier", bool(scenario.supplier)),
                ("change", bool(scenario.change)),
            )
            if ok
        ]
        pending = rng.choice(options) if options else ""
    if pending == "customer" and (requester is None or not scenario.questions):
        pending = "supplier" if scenario.supplier else "change"
        target = f"pending_{pending}" if target.startswith("pending_") else target
    login = desk.login_of(requester)
    watchers = []
    if requester is not None and rng.random() < 0.08:
        colleagues = [p for p in desk.requesters(org) if p.pk != requester.pk] if org in EVERYONE else []
        if colleagues:
            watchers.append(rng.choice(colleagues))
    resolutions = case[2]
    weights = [0.25 if cause in HUMAN_CAUSES else 1.0 for _text, cause in resolutions]
    return Plan(
        scenario=scenario,
        case=case,
        created=created,
        channel=channel,
        requester=requester,
        creator=rng.choices(["agent", "manager"], [4, 1])[0],
        urgency=urgency,
        target=target,
        pending=pending,
        ci_names=desk.pick_ci(scenario.cis),
        resolution=fixed.get("resolution") or rng.choices(resolutions, weights)[0],
        urgent=urgent,
        confirm=login is not None and rng.random() < 0.6,
        reopen=login is not None and target == "done" and rng.random() < 0.05,
        review="leave" if rng.random() < 0.1 else "decide",
        watchers=watchers,
    )


def _service_of_ci(name: str) -> str | None:
    for code in ("accounting-a", "accounting-b", "mail", "vpn", "identity", "backup"):
        if name.startswith(f"{code}-"):
            return code
    return None


def _texts(p: Plan) -> tuple[str, str]:
    title, description, _resolutions = p.case
    ci = p.ci_names[0] if p.ci_names else ""
    return title.format(ci=ci), description.format(ci=ci)


def _record(desk: Desk, p: Plan, actor: User) -> int:
    """Record a call, mail or alert as a staff member; return the ticket id."""
    s = p.scenario
    title, description = _texts(p)
    service = s.service or (_service_of_ci(p.ci_names[0]) if p.ci_names else None)
    data: dict[str, Any] = {
        "title": title,
        "description": description,
        "channel": p.channel,
        "urgency": p.urgency,
        "category": desk.categories[s.category].pk,
        "service": desk.services[service].pk if service else None,
    }
    template = desk.templates.get(s.template) if s.template and desk.rng.random() < 0.8 else None
    if p.requester is not None:
        data["requester"] = p.requester.pk
    else:
        data["organisation"] = desk.orgs["kaizen-it"].pk
    if s.team and template is None:
        data["team"] = desk.teams[s.team].pk
    if s.impact is not None and template is None:
        data["impact"] = s.impact
    if p.channel in ("email", "monitoring"):
        data["external_ref"] = desk.external_ref("zabbix" if p.channel == "monitoring" else "mail")
    ticket = services.create_ticket(
        actor=actor,
        kind=Kind.INCIDENT,
        data=data,
        cis=desk.ci_ids(p.ci_names),
        tags=["monitoring"] if p.channel == "monitoring" else list(s.tags),
        watchers=[w.pk for w in p.watchers],
        template=template,
        impact_reason=s.impact_reason or ONE_USER,
    )
    return int(ticket.pk)


def _triage(desk: Desk, p: Plan, tid: int, agent: User) -> None:
    """The desk completes a portal ticket: service, category, team, affected CIs and impact."""
    s = p.scenario
    ticket = desk.load(tid)
    changes: dict[str, Any] = {}
    if s.service and ticket.service_id is None:
        changes["service"] = desk.services[s.service].pk
    if ticket.category_id is None:
        changes["category"] = desk.categories[s.category].pk
    if ticket.team_id is None:
        changes["team"] = desk.teams[s.team or DESK].pk
    if s.impact is not None:
        changes["impact"] = s.impact
    services.update_ticket(
        tid,
        actor=agent,
        changes=changes,
        version=None,
        cis=desk.ci_ids(p.ci_names) if p.ci_names else None,
        watchers=[w.pk for w in p.watchers] if p.watchers else None,
        impact_reason=s.impact_reason or ONE_USER,
    )


def incident(desk: Desk, p: Plan) -> Story:
    """The story of one incident from the bulk."""
    rng, s = desk.rng, p.scenario
    login = desk.login_of(p.requester)
    t = p.created
    if p.channel == "portal" and login is not None:
        yield t, login, WEB, ""
        title, description = _texts(p)
        data: dict[str, Any] = {
            "title": title,
            "description": description,
            "urgency": p.urgency,
            "channel": Channel.PORTAL,
        }
        if s.service and rng.random() < 0.5 and desk.can_see(login, s.service):
            data["service"] = desk.services[s.service].pk
        if rng.random() < 0.5:
            data["category"] = desk.categories[s.category].pk
        tid = int(services.create_ticket(actor=login, kind=Kind.INCIDENT, data=data).pk)
        if p.target == "new":
            return
        t = desk.later(t, rng.randint(8, 70), urgent=p.urgent)
        yield t, desk.user("agent"), WEB, ""
        _triage(desk, p, tid, desk.user("agent"))
    elif p.channel == "monitoring":
        yield t, desk.user("admin"), MONITORING, MONITOR_LABEL
        tid = _record(desk, p, desk.user("admin"))
    else:
        yield t, desk.user(p.creator), WEB, ""
        tid = _record(desk, p, desk.user(p.creator))
    ticket = desk.load(tid)
    worker = desk.worker(ticket)
    if p.target == "assigned":
        if ticket.assignee is None or worker.pk != ticket.assignee.user_id:
            t = desk.later(t, rng.randint(5, 40), urgent=p.urgent)
            yield t, worker, WEB, ""
            desk.assign(tid, worker)
        return
    t = desk.later(t, rng.randint(5, 50), urgent=p.urgent)
    yield t, worker, WEB, ""
    desk.take(tid, worker)
    if p.requester is not None and rng.random() < 0.85:
        me = desk.person(worker.username)
        reply = rng.choice(FIRST_REPLIES).format(
            name=salutation(p.requester), team=HOME_TEAM[worker.username], me=family_name(me)
        )
        desk.say(tid, worker, reply)
    if p.target == "cancelled":
        t = desk.later(t, rng.randint(20, 400))
        if login is not None:
            yield t, login, WEB, ""
            desk.act(tid, "cancel", login, comment=rng.choice(SELF_SOLVED))
        else:
            yield t, worker, WEB, ""
            desk.act(
                tid,
                "cancel",
                worker,
                comment="お客様より「再起動したら直った」とお電話があったため、取り消します。",
            )
        return
    for note in rng.sample(s.notes, k=min(len(s.notes), rng.randint(0, 2))):
        t = desk.later(t, rng.randint(15, 200), urgent=p.urgent)
        yield t, worker, WEB, ""
        desk.say(tid, worker, note, public=False)
    if p.target == "in_progress":
        return
    if p.pending:
        t = yield from _pending(desk, p, tid, worker, t)
        if p.target.startswith("pending_"):
            return
    t = desk.later(t, rng.randint(20, 600), urgent=p.urgent)
    yield t, worker, WEB, ""
    text, cause = p.resolution
    _resolve(desk, tid, worker, text, cause, p.requester)
    yield from after_resolution(
        desk, tid, worker, t, p.requester, confirm=p.confirm, reopen=p.reopen, review=p.review
    )


def _pending(
    desk: Desk, p: Plan, tid: int, worker: User, t: dt.datetime
) -> Generator[Wake, None, dt.datetime]:
    """Wait for the customer, a supplier or a change, then resume; return when it resumed."""
    rng, s = desk.rng, p.scenario
    t = desk.later(t, rng.randint(15, 240), urgent=p.urgent)
    yield t, worker, WEB, ""
    question, answer = rng.choice(s.questions) if s.questions else ("", "")
    if p.pending == "customer":
        desk.act(tid, "pend_customer", worker, comment=f"{salutation(p.requester)}\n\n{question}")
    elif p.pending == "supplier":
        text = rng.choice(s.supplier) if s.supplier else "供給者へ調査を依頼しました。回答待ちです。"
        desk.act(tid, "pend_supplier", worker, comment=text)
    else:
        text = rng.choice(s.change) if s.change else "恒久対応を変更管理で計画中。適用後に解消を確認します。"
        desk.act(tid, "pend_change", worker, comment=text)
    if p.target.startswith("pending_"):
        return t
    login = desk.login_of(p.requester)
    if p.pending == "customer":
        t = desk.later(t, rng.randint(60, 1500))
        if login is not None:
            yield t, login, WEB, ""
            desk.say(tid, login, answer)  # the requester's reply resumes the ticket
        else:
            yield t, worker, WEB, ""
            desk.say(tid, worker, f"{salutation(p.requester)}より電話で回答あり: {answer}", public=False)
            desk.act(tid, "resume", worker)
    else:
        t = desk.later(t, rng.randint(500, 3000))
        yield t, worker, WEB, ""
        desk.act(tid, "resume", worker, comment=RESUMED[p.pending])
    return t


def _resolve(desk: Desk, tid: int, worker: User, text: str, cause: str, requester: Person | None) -> Ticket:
    params: dict[str, Any] = {"resolution": text, "cause_class": cause}
    if requester is not None:
        template = RESOLVED_PORTAL if desk.login_of(requester) is not None else RESOLVED_CONTACT
        params["comment"] = template.format(name=salutation(requester), resolution=text)
    ticket = desk.act(tid, "resolve", worker, **params)
    return ticket


def after_resolution(
    desk: Desk,
    tid: int,
    worker: User,
    t: dt.datetime,
    requester: Person | None,
    *,
    confirm: bool,
    reopen: bool = False,
    review: str = "decide",
) -> Story:
    """What follows a resolution: a reopen, the requester's confirmation, closure on the phone."""
    rng = desk.rng
    ticket = desk.load(tid)
    if ticket.review_status == ReviewStatus.PENDING:
        desk.review_plan.setdefault(tid, review)
    login = desk.login_of(requester)
    if reopen and login is not None:
        t = desk.later(t, rng.randint(60, 480))
        yield t, login, WEB, ""
        desk.act(tid, "reopen", login, comment=rng.choice(REOPENED))
        t = desk.later(t, rng.randint(60, 600))
        yield t, worker, WEB, ""
        text = "再発の原因を確認し、設定を見直しました。その後1日様子を見て、再発しないことを確認しています。"
        _resolve(desk, tid, worker, text, ticket.cause_class or "unknown", requester)
    if login is not None and confirm:
        t = desk.later(t, rng.randint(30, 900))
        yield t, login, WEB, ""
        if desk.load(tid).state_category == "resolved":
            if rng.random() < 0.3:
                desk.say(tid, login, rng.choice(THANKS))
            services.confirm_resolution(tid, actor=login)
    elif requester is not None and login is None and rng.random() < 0.35:
        t = desk.later(t, rng.randint(60, 480))
        yield t, worker, WEB, ""
        ticket = desk.load(tid)
        if (
            ticket.state_category == "resolved"
            and ticket.review_status != ReviewStatus.PENDING
            and ticket.priority >= 3
        ):
            desk.act(tid, "close", worker, comment="お電話で解消をご確認いただけたため、完了とします。")


# -- recurring work: the review meeting and the nightly closure job -------------------------------


def review_meetings(desk: Desk) -> Story:
    """Twice a week the service manager decides the flagged incidents and closes P1/P2 ones."""
    manager = desk.user("manager")
    day = (desk.now - dt.timedelta(days=DAYS)).astimezone(JST).date()
    while True:
        day += dt.timedelta(days=1)
        if day.weekday() not in (1, 4) or not policies.is_business_day(day):
            continue
        t = dt.datetime.combine(day, dt.time(16, 0), JST).astimezone(dt.UTC)
        yield t, manager, WEB, ""
        flagged = Ticket.objects.filter(
            kind=Kind.INCIDENT, review_status=ReviewStatus.PENDING, resolved_at__lt=t - dt.timedelta(hours=2)
        )
        for tid in list(flagged.order_by("pk").values_list("pk", flat=True)):
            choice = desk.review_plan.get(tid, "decide")
            if choice in ("leave", "custom"):
                continue
            _decide(desk, tid, manager, choice)
            ticket = desk.load(tid)
            if ticket.state_category == "resolved" and ticket.priority <= 2 and tid not in desk.keep_resolved:
                desk.act(tid, "close", manager, comment="振り返りが完了したため完了とします。")


def _decide(desk: Desk, tid: int, manager: User, choice: Any) -> None:
    ticket = desk.load(tid)
    if isinstance(choice, dict):
        services.record_review_decision(tid, actor=manager, **choice)
        return
    repeated = any(reason.startswith("同一CI") for reason in ticket.review_reasons)
    ci = ticket.cis.order_by("pk").first()
    if repeated and ci is not None and desk.opened_problems < 2:
        desk.opened_problems += 1
        decision = services.record_review_decision(
            tid,
            actor=manager,
            outcome=ReviewOutcome.PROBLEM,
            problem_title=f"{ci.name} でのインシデントの繰り返し",
        )
        problem_id = int(decision.problem_id or 0)
        if ticket.service_id:
            desk.problems[ticket.service_id] = problem_id
        team = ticket.team or desk.teams[INFRA]
        owner = desk.person(TEAM_WORKER.get(team.name, "ops"))
        services.update_ticket(
            problem_id, actor=manager, changes={"team": team.pk, "assignee": owner.pk}, version=None
        )
        return
    problem = desk.problems.get(ticket.service_id or 0)
    if problem is not None and desk.rng.random() < 0.5:
        services.record_review_decision(tid, actor=manager, outcome=ReviewOutcome.PROBLEM, problem=problem)
        return
    cause = ticket.cause_class
    title = IMPROVEMENTS.get(cause, "")
    if title and title not in desk.improvements and desk.rng.random() < 0.5:
        desk.improvements.add(title)
        services.record_review_decision(
            tid, actor=manager, outcome=ReviewOutcome.IMPROVEMENT, improvement_title=title
        )
        return
    services.record_review_decision(
        tid, actor=manager, outcome=ReviewOutcome.DISMISSED, reason=DISMISS.get(cause, DISMISS_OTHER)
    )


def nightly_closure(desk: Desk, *, days: int = DAYS) -> Story:
    """The closure job, once a night for ``days``: closes resolved tickets whose confirmation
    period passed."""
    day = (desk.now - dt.timedelta(days=days)).astimezone(JST).date()
    while True:
        day += dt.timedelta(days=1)
        t = dt.datetime.combine(day, dt.time(3, 7), JST).astimezone(dt.UTC)
        yield t, None, JOB, "automatic closure"
        automation.auto_close(now=t)


# -- featured stories ----------------------------------------------------------------------------


def _every_state(desk: Desk, plans: list[Plan]) -> list[Plan]:
    """Plans for the open states the random ones happened to miss, so every state is shown."""
    needs = {
        "pending_customer": lambda s: bool(s.questions),
        "pending_supplier": lambda s: bool(s.supplier),
        "pending_change": lambda s: bool(s.change),
        "in_progress": lambda s: True,
        "cancelled": lambda s: True,
    }
    extra = []
    for target, fits in needs.items():
        if not any(p.target == target for p in plans):
            scenario = next(s for s in SCENARIOS if fits(s))
            extra.append(plan(desk, scenario, target=target, created=desk.at(2, 10, 30)))
    return extra


def demo_present(real: dt.datetime) -> dt.datetime:
    """Return the moment the demo history ends: now, once today's service hours are over.

    Stories are planned on business days "n days ago" with durations in business time. Before
    19:00 on a business day (or on a holiday) today's hours have not all happened yet, and stories
    that run into them would be cut short, so the history then ends the evening of the previous
    business day instead: the demo looks the same whenever it is loaded.
    """
    local = real.astimezone(JST)
    if policies.is_business_day(local.date()) and local.hour >= 19:
        return real
    day = local.date() - dt.timedelta(days=1)
    while not policies.is_business_day(day):
        day -= dt.timedelta(days=1)
    return min(real, dt.datetime.combine(day, dt.time(23, 0), JST).astimezone(dt.UTC))


@registry.register("tickets", order=60)
def load(*, password: str) -> None:
    """Configure the demo desk and write its tickets (skipped when demo tickets exist)."""
    if Ticket.objects.filter(external_ref__startswith=MARKER).exists():
        return
    if (
        not Service.objects.filter(code="accounting-a").exists()
        or not User.objects.filter(username="agent").exists()
    ):
        return  # the accounts and portfolio demo data are not there
    from . import demo_stories as tales
    from . import demo_year

    now = demo_present(timezone.now())
    desk = Desk(now=now)
    with frozen_clock(epoch()), context.acting(user=desk.user("manager"), channel=WEB):
        configure(desk)
        add_contacts(desk)
    plans = [plan(desk, s) for s in desk.rng.choices(SCENARIOS, [s.weight for s in SCENARIOS], k=195)]
    plans += _every_state(desk, plans)
    all_stories: list[Story] = demo_year.stories(desk)  # the older inquiries, own random generator
    all_stories += [incident(desk, p) for p in plans]
    all_stories += [
        tales.major_network(desk),
        tales.major_children(desk),
        tales.major_mail(desk),
        tales.vpn_repeats(desk),
        tales.accounting_b_problem(desk),
        tales.e2041_incident(desk, 25, "sakura", pending=False),
        tales.e2041_incident(desk, 16, "木村 拓真", pending=False),
        tales.e2041_incident(desk, 9, "sakura", pending=True),
        tales.mail_problem(desk),
        tales.wifi_problem(desk),
        tales.backup_problem(desk),
        tales.performance_problem(desk),
        *tales.stale_ones(desk),
        tales.duplicate(desk),
        tales.reopened(desk),
        tales.english(desk),
        *tales.fresh(desk),
        *tales.template_requests(desk),
    ]
    for source in _sources:
        all_stories += list(source(desk))
    all_stories += [review_meetings(desk), nightly_closure(desk, days=YEAR)]
    run(all_stories, end=desk.end)
