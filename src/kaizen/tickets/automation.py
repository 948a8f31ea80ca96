"""Automation of the desk: business rules, automatic assignment, improvement flags, stale tickets
and automatic closure. Called inside the services' transactions or by the periodic jobs; every
automatic change is audited with the rule that made it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, DateTimeField, F, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Person, Team
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import audit, events, memo
from kaizen.core.services import ActionNotAllowed

from . import policies, workflow
from .choices import (
    ACTIVE_CATEGORIES,
    AssignmentMode,
    Channel,
    Kind,
    ReviewStatus,
    RuleTrigger,
    StaleAction,
    StaleMeasure,
    StateCategory,
    TimeUnit,
    Visibility,
)
from .events import MajorIncidentDeclared, RuleNotification, TicketAssigned
from .models import (
    BusinessRule,
    Category,
    ReviewCriterion,
    StaleMark,
    StaleRule,
    TeamAssignment,
    Ticket,
    WorkflowTransition,
)

# -- business rules ----------------------------------------------------------------------------


def facts(ticket: Ticket) -> dict[str, Any]:
    """Return the values rule conditions test, by field name (related records by id)."""
    from . import services

    return {
        "kind": ticket.kind,
        "title": ticket.title,
        "description": ticket.description,
        "organisation": ticket.organisation_id,
        "requester": ticket.requester_id,
        "service": ticket.service_id,
        "category": ticket.category_id,
        "channel": ticket.channel,
        "state": ticket.state.code if ticket.state_id else "",
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "team": ticket.team_id,
        "assignee": ticket.assignee_id,
        "tags": services._m2m_state(ticket)["tags"],
        "major": ticket.major,
        "ci_types": _LazyCITypes(ticket),
    }


class _LazyCITypes(list):  # type: ignore[type-arg]
    """The CI type codes of the affected CIs, read only when a rule condition asks for them."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self._ticket: Ticket | None = ticket

    def _load(self) -> None:
        if self._ticket is not None:
            from . import services

            ids = services._m2m_state(self._ticket)["cis"]
            codes = (
                ConfigurationItem.objects.filter(pk__in=ids).values_list("ci_type__code", flat=True)
                if ids
                else []
            )
            self.extend(sorted({str(c) for c in codes}))
            self._ticket = None

    def __iter__(self) -> Any:
        self._load()
        return super().__iter__()

    def __len__(self) -> int:
        self._load()
        return super().__len__()

    def __contains__(self, item: object) -> bool:
        self._load()
        return super().__contains__(item)

    def __eq__(self, other: object) -> bool:
        self._load()
        return super().__eq__(other)

    __hash__ = None


def _rules(ticket: Ticket, trigger: str) -> list[BusinessRule]:
    return memo.remembered(
        ("tickets.rules", ticket.kind, trigger),
        lambda: list(
            BusinessRule.objects.filter(
                Q(kind="") | Q(kind=ticket.kind), is_active=True, trigger__in=[trigger, RuleTrigger.BOTH]
            ).order_by("order", "name")
        ),
    )


def _note(
    ticket: Ticket, text: str, label: str, *, visibility: str = Visibility.INTERNAL, timeline: bool = False
) -> None:
    from . import services

    services._comment(
        ticket,
        actor=None,
        body=text,
        visibility=visibility,
        channel=Channel.PORTAL,
        is_timeline=timeline,
        label=label,
    )


def _team(pk: Any) -> Team | None:
    return memo.remembered(("tickets.team", pk), lambda: Team.objects.filter(pk=pk).first())


def _apply(ticket: Ticket, rule_name: str, action: str, value: Any) -> str:
    """Apply one rule action to ``ticket`` (not saved); return why it was skipped, or ''."""
    from . import services

    if action == "set_team":
        team = _team(value)
        if team is None:
            return _("the team no longer exists")
        if ticket.team_id != team.pk:
            ticket.team = team
            if ticket.assignee_id and not team.members.filter(pk=ticket.assignee_id).exists():
                ticket.assignee = None
    elif action == "set_assignee":
        person = Person.objects.filter(pk=value, is_active=True).first()
        if person is None:
            return _("the person no longer exists")
        ticket.assignee = person
    elif action == "set_category":
        category = Category.objects.filter(pk=value).first()
        if category is None or category.kind not in ("", ticket.kind):
            return _("the category does not fit")
        ticket.category = category
    elif action == "set_priority":
        ticket.priority = value
        ticket.priority_reason = (_("Rule: %(name)s") % {"name": rule_name})[:500]
    elif action in ("set_urgency", "set_impact"):
        setattr(ticket, action.removeprefix("set_"), value)
        if not ticket.priority_reason:
            ticket.priority = policies.priority_for(ticket.impact, ticket.urgency, services._matrix())
    elif action == "add_tags":
        current = services._m2m_state(ticket)["tags"]
        services.set_related(ticket, tags=services._tags([*current, *value]))
    elif action == "notify":
        emails, team_id = list(value.get("emails", [])), value.get("team")
        message = str(value.get("message", ""))[:2000]
        _later(
            ticket,
            lambda: events.emit(
                RuleNotification(
                    ticket_id=ticket.pk,
                    number=ticket.number,
                    rule=rule_name,
                    emails=emails,
                    team_id=team_id,
                    message=message,
                )
            ),
        )
    elif action == "escalate":
        team = _team(value["team"])
        if team is None:
            return _("the team no longer exists")
        ticket.team, ticket.assignee = team, None
        note = str(value.get("note") or "").strip()
        text = _("Escalated to %(team)s by the rule %(rule)s. %(note)s") % {
            "team": team,
            "rule": rule_name,
            "note": note,
        }
        _later(ticket, lambda: _note(ticket, text, rule_name))
        _later(
            ticket,
            lambda: events.emit(
                RuleNotification(
                    ticket_id=ticket.pk, number=ticket.number, rule=rule_name, team_id=team.pk, message=note
                )
            ),
        )
    elif action == "declare_major":
        if ticket.kind != Kind.INCIDENT or ticket.major:
            return _("not an incident, or already major")
        ticket.major, ticket.major_since = True, timezone.now()
        text = _("Major incident declared by the rule %(rule)s.") % {"rule": rule_name}
        _later(ticket, lambda: _note(ticket, text, rule_name, timeline=True))
        _later(
            ticket,
            lambda: events.emit(
                MajorIncidentDeclared(ticket_id=ticket.pk, number=ticket.number, reason=rule_name)
            ),
        )
    return ""


AFTER_INSERT = "_kaizen_after_insert"


def _later(ticket: Ticket, fn: Any) -> None:
    """Run ``fn`` now, or once a ticket not yet stored is (notes and events name the ticket's id)."""
    if ticket.pk is None:
        ticket.__dict__.setdefault(AFTER_INSERT, []).append(fn)
    else:
        fn()


def run_rules(ticket: Ticket, *, trigger: str) -> list[tuple[BusinessRule, dict[str, Any], list[str]]]:
    """Apply the matching rules in order; return (rule, changes, skipped actions) for each that fired.

    The ticket is changed in memory (tags directly); the caller saves once and audits each rule.
    """
    from . import services

    fired = []
    known = None
    for rule in _rules(ticket, trigger):
        known = known or facts(ticket)
        if not policies.matches(rule.conditions, known, match_all=rule.match_all):
            continue
        known = None  # the rule may change what later rules test
        before = services.snapshot(ticket)
        skipped = []
        for item in rule.actions:
            why = _apply(ticket, rule.name, item.get("action", ""), item.get("value"))
            if why:
                skipped.append(f"{item.get('action')}: {why}")
        fired.append((rule, audit.diff(before, services.snapshot(ticket)), skipped))
        if rule.stop:
            break
    return fired


# -- automatic assignment ----------------------------------------------------------------------


def _workers(people: list[Person], organisation_id: int) -> list[Person]:
    """Return the people whose login works tickets of the organisation (one query for all)."""
    from kaizen.accounts.models import Membership, Organisation

    from .models.ticket import ASSIGNABLE

    user_ids = tuple(sorted({p.user_id for p in people if p.user_id is not None}))
    rows = memo.remembered(
        ("tickets.worker-roles", user_ids),
        lambda: list(
            Membership.objects.filter(user_id__in=user_ids, role__in=ASSIGNABLE).values_list(
                "user_id", "organisation_id"
            )
        ),
    )
    covered: set[int] = set()
    children = None
    for user_id, org in rows:
        if org is None or org == organisation_id:
            covered.add(user_id)
            continue
        children = (
            children
            if children is not None
            else memo.remembered("accounts.children-map", Organisation.children_map)
        )
        if organisation_id in Organisation.descendants(org, children):
            covered.add(user_id)
    superusers = {p.user_id for p in people if p.user is not None and p.user.is_superuser}
    return [p for p in people if p.user_id in covered or p.user_id in superusers]


def pick_assignee(team: Team, organisation_id: int) -> tuple[Person | None, str]:
    """Choose a member of ``team`` by its assignment mode (locks the team's row while choosing).

    Inside a batch (:func:`kaizen.core.memo.batch`) the row is not locked and the rotation is
    written by :func:`save_rotations` at the batch's end.

    Only members who may work tickets of the organisation (agents, managers, administrators
    there) are chosen: a CAB member or change manager in the team is never given tickets.
    Returns the person (or None) and the mode used.
    """
    config = _rotation(team)
    if config is None or config.mode == AssignmentMode.NONE:
        return None, ""
    people = memo.remembered(
        ("tickets.team-members", team.pk),
        lambda: list(
            team.members.filter(is_active=True, user__isnull=False, user__is_active=True)
            .select_related("user")
            .order_by("pk")
        ),
    )
    members = _workers(people, organisation_id)
    if not members:
        return None, config.mode
    ids = [m.pk for m in members]
    start = (ids.index(config.last_assigned_id) + 1) % len(ids) if config.last_assigned_id in ids else 0
    rotation = members[start:] + members[:start]
    if config.mode == AssignmentMode.LEAST_LOADED:
        load = dict(
            Ticket.objects.filter(assignee_id__in=ids, state_category__in=ACTIVE_CATEGORIES)
            .values("assignee_id")
            .annotate(n=Count("id"))
            .values_list("assignee_id", "n")
        )
        for person_id, n in _unsaved_load().items():  # earlier tickets of the batch, not yet stored
            load[person_id] = load.get(person_id, 0) + n
        chosen = min(rotation, key=lambda m: load.get(m.pk, 0))
    else:
        chosen = rotation[0]
    config.last_assigned = chosen
    if memo.active():
        _rotations()[config.pk] = config
    else:
        TeamAssignment.objects.filter(pk=config.pk).update(last_assigned=chosen)
    return chosen, config.mode


def _unsaved_load() -> dict[int, int]:
    """Assignee id -> the batch's tickets decided for them and not yet stored (empty outside a batch)."""
    return memo.remembered("tickets.unsaved-load", dict)


def count_unsaved(ticket: Ticket) -> None:
    """Count a batch's ticket that is decided but stored only with the batch's others, for the
    least-loaded assignment of the next items."""
    if ticket.assignee_id is not None and ticket.state_category in ACTIVE_CATEGORIES:
        load = _unsaved_load()
        load[ticket.assignee_id] = load.get(ticket.assignee_id, 0) + 1


def _rotation(team: Team) -> TeamAssignment | None:
    if not memo.active():
        return TeamAssignment.objects.select_for_update().filter(team=team).first()
    # A batch reads where each rotation stands once and writes where it ended at its end
    # (save_rotations): holding the team's row for a whole batch would queue concurrent batches.
    return memo.remembered(
        ("tickets.team-assignment", team.pk), lambda: TeamAssignment.objects.filter(team=team).first()
    )


def _rotations() -> dict[int, TeamAssignment]:
    """The rotations a batch moved (team assignment id -> row with its new position)."""
    return memo.remembered("tickets.rotations", dict)


def save_rotations() -> None:
    """Write where the rotations of the batch's teams ended (call before the batch commits)."""
    if not memo.active():
        return
    pending = _rotations()
    for config in pending.values():
        TeamAssignment.objects.filter(pk=config.pk).update(last_assigned=config.last_assigned)
    pending.clear()


@dataclass
class Planned:
    """What the rules, the automatic assignment and the automatic "assign" action did in memory."""

    fired: list[tuple[BusinessRule, dict[str, Any], list[str]]]
    auto_delta: dict[str, list[Any]]
    assigned_by: str
    moved: Any
    """The automatic transition (:class:`kaizen.tickets.services.Moved`), or None."""
    assign_after_insert: bool = False
    """The "assign" action is due but one of its guards reads rows of a stored ticket."""

    @property
    def changed(self) -> bool:
        """Tell whether the ticket must be saved (a field changed or it moved)."""
        return any(delta for _, delta, _ in self.fired) or bool(self.auto_delta) or self.moved is not None


def plan(ticket: Ticket, *, trigger: str) -> Planned:
    """Run rules, automatic assignment and the automatic "assign" action on ``ticket`` in memory.

    Nothing is written: the caller saves the ticket (a new one: inserts it once, in its final
    state), then calls :func:`record_planned`. Notes and events of rules on a ticket not yet stored
    wait for its insert.
    """
    from . import services

    fired = run_rules(ticket, trigger=trigger)
    before = services.snapshot(ticket)
    assigned_by = ""
    if ticket.team is not None and not ticket.assignee_id and ticket.is_active:
        person, mode = pick_assignee(ticket.team, ticket.organisation_id)
        if person is not None:
            ticket.assignee = person
            assigned_by = mode
    auto_delta = audit.diff(before, services.snapshot(ticket))
    moved, later = None, False
    if ticket.assignee_id and ticket.state_category == StateCategory.NEW:
        if ticket.pk is None and not workflow.unsaved_ok(ticket, "assign"):
            later = True
        else:
            # Saved together with the rules' changes; a workflow without "assign" keeps the state.
            with contextlib.suppress(ActionNotAllowed, ValidationError):
                moved = services.move(
                    ticket, "assign", actor=None, params={}, system=True, rule=_("Assigned")
                )
    return Planned(fired, auto_delta, assigned_by, moved, later)


def record_planned(
    ticket: Ticket, planned: Planned, *, assignee_before: int | None, team_before: int | None
) -> None:
    """Audit what :func:`plan` did once the ticket is saved, run the transition's hooks, emit the events."""
    from . import services

    for fn in ticket.__dict__.pop(AFTER_INSERT, []):
        fn()
    if planned.changed:
        for rule, delta, skipped in planned.fired:
            audit.record(
                ticket,
                action="rule",
                changes=delta,
                meta={
                    "rule": rule.name,
                    "rule_id": rule.pk,
                    "version": ticket.version,
                    **({"skipped": skipped} if skipped else {}),
                },
            )
        if planned.auto_delta:
            audit.record(
                ticket,
                action="auto_assign",
                changes=planned.auto_delta,
                meta={"mode": planned.assigned_by, "version": ticket.version},
            )
    else:
        for rule, _delta, skipped in planned.fired:  # a rule that only notified still leaves a trace
            audit.record(
                ticket,
                action="rule",
                changes={},
                meta={"rule": rule.name, "rule_id": rule.pk, "skipped": skipped},
            )
    moved = planned.moved
    if planned.assign_after_insert:  # its guards read the stored ticket's rows: saved on its own
        with contextlib.suppress(ActionNotAllowed, ValidationError):
            moved = services.move(ticket, "assign", actor=None, params={}, system=True, rule=_("Assigned"))
        if moved is not None:
            services._save(ticket)
    if moved is not None:
        services.finish(ticket, moved)
    if (ticket.assignee_id, ticket.team_id) != (assignee_before, team_before) and (
        ticket.assignee_id or ticket.team_id
    ):
        events.emit(
            TicketAssigned(
                ticket_id=ticket.pk,
                number=ticket.number,
                assignee_id=ticket.assignee_id,
                team_id=ticket.team_id,
            )
        )


def after_write(
    ticket: Ticket, *, trigger: str, actor: Any, assignee_before: int | None, team_before: int | None
) -> None:
    """Run rules, automatic assignment and the automatic "assign" action after an update."""
    from . import services

    planned = plan(ticket, trigger=trigger)
    if planned.changed:
        services._save(ticket)
    record_planned(ticket, planned, assignee_before=assignee_before, team_before=team_before)


# -- improvement review ------------------------------------------------------------------------


def flag_for_review(ticket: Ticket) -> None:
    """Mark a resolved incident "needs review" when it meets an improvement criterion (seed 003)."""
    if ticket.review_status == ReviewStatus.DECIDED:
        return
    criteria = list(
        ReviewCriterion.objects.filter(is_active=True).values(
            "name", "type", "priorities", "causes", "count", "days"
        )
    )
    if not criteria:
        return
    now = timezone.now()
    repeats: dict[tuple[str, int], int] = {}
    ci_ids = list(ticket.cis.values_list("pk", flat=True))
    for c in criteria:
        days = int(c["days"])
        since = now - dt.timedelta(days=days)
        key = (c["type"], days)
        if key in repeats:
            continue
        base = Ticket.objects.filter(kind=Kind.INCIDENT, created_at__gte=since).exclude(
            state_category=StateCategory.CANCELLED
        )
        if c["type"] == "repeat_ci" and ci_ids:
            counts = (
                base.filter(cis__in=ci_ids)
                .values("cis")
                .annotate(n=Count("id", distinct=True))
                .values_list("n", flat=True)
            )
            repeats[key] = max(counts, default=0)
        elif c["type"] == "repeat_service" and ticket.service_id:
            repeats[key] = base.filter(service_id=ticket.service_id).count()
    reasons = policies.review_reasons(
        criteria,
        priority=ticket.priority,
        cause_class=ticket.cause_class,
        sla_breached=ticket.sla_breached,
        major=ticket.major,
        repeats=repeats,
    )
    if reasons:
        ticket.review_status, ticket.review_reasons = ReviewStatus.PENDING, reasons


def close_if_confirmed(ticket: Ticket) -> bool:
    """Close a resolved, confirmed ticket when nothing holds it and its policy closes by itself."""
    from . import services, workflow

    if ticket.state_category != StateCategory.RESOLVED or ticket.confirmed_at is None:
        return False
    if ticket.review_status == ReviewStatus.PENDING:
        return False
    policy = workflow.closure_policy(ticket)
    if policy is not None and not policy.auto_close:
        return False
    try:
        services.transition(
            ticket, "close", actor=None, params={}, system=True, rule=_("Confirmed by the requester")
        )
    except (ActionNotAllowed, ValidationError):
        return False
    return True


# -- stale tickets and automatic closure -------------------------------------------------------


@dataclass(frozen=True)
class StaleHit:
    """A ticket a stale rule would act on now, with the moment it measures from and why."""

    ticket: Ticket
    rule: StaleRule
    basis: dt.datetime
    due: dt.datetime
    why: str


def _basis_expression(measure: str) -> Any:
    if measure == StaleMeasure.LAST_REQUESTER_REPLY:
        return Greatest(
            Coalesce("last_requester_reply_at", "state_changed_at"),
            F("state_changed_at"),
            output_field=DateTimeField(),
        )
    if measure == StaleMeasure.STATE_ENTERED:
        return F("state_changed_at")
    if measure == StaleMeasure.CREATED:
        return F("created_at")
    return F("updated_at")


def _calendar_span(after: int, unit: str) -> dt.timedelta:
    """Return a span no longer than the threshold (to narrow the SQL before the exact check)."""
    spans: dict[str, dt.timedelta] = {
        TimeUnit.MINUTES: dt.timedelta(minutes=after),
        TimeUnit.HOURS: dt.timedelta(hours=after),
        TimeUnit.DAYS: dt.timedelta(days=after),
        TimeUnit.BUSINESS_DAYS: dt.timedelta(days=after),
    }
    return spans[unit]


def _why(rule: StaleRule, basis: dt.datetime, now: dt.datetime) -> str:
    local = timezone.localtime(basis).strftime("%Y-%m-%d %H:%M")
    return _("%(measure)s: %(when)s; %(after)s %(unit)s have passed (%(rule)s).") % {
        "measure": rule.get_measure_display(),
        "when": local,
        "after": rule.after,
        "unit": rule.get_unit_display(),
        "rule": rule.name,
    }


def stale_hits(
    *, now: dt.datetime | None = None, tickets: QuerySet[Ticket] | None = None, limit: int = 1000
) -> list[StaleHit]:
    """Return the tickets each active stale rule would act on now (the "stale" view and the job)."""
    now = now or timezone.now()
    base = tickets if tickets is not None else Ticket.objects.all()
    hits: list[StaleHit] = []
    for rule in StaleRule.objects.filter(is_active=True).select_related("team").order_by("order", "name"):
        qs = base.filter(state_category__in=ACTIVE_CATEGORIES)
        if rule.kind:
            qs = qs.filter(kind=rule.kind)
        if rule.states:
            qs = qs.filter(state__code__in=rule.states)
        if rule.unassigned_only:
            qs = qs.filter(assignee__isnull=True)
        qs = qs.annotate(stale_basis=_basis_expression(rule.measure)).filter(
            stale_basis__lte=now - _calendar_span(rule.after, rule.unit)
        )
        rows = list(
            qs.select_related("state", "assignee", "team", "organisation").order_by("stale_basis")[
                : limit * 2
            ]
        )
        done = set(
            StaleMark.objects.filter(rule=rule, ticket_id__in=[t.pk for t in rows]).values_list(
                "ticket_id", "basis"
            )
        )
        for ticket in rows:
            basis = ticket.stale_basis
            if (ticket.pk, basis) in done:
                continue
            due = policies.deadline(basis, rule.after, rule.unit, timezone.get_current_timezone_name())
            if due <= now:
                hits.append(StaleHit(ticket, rule, basis, due, _why(rule, basis, now)))
        if len(hits) >= limit:
            break
    return hits[:limit]


def act_on(hit: StaleHit) -> bool:
    """Apply a stale rule to one ticket (locked, re-checked); return whether it acted."""
    from . import services

    rule = hit.rule
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("state").get(pk=hit.ticket.pk)
        fresh = stale_hits(tickets=Ticket.objects.filter(pk=ticket.pk), limit=50)
        if not any(h.rule.pk == rule.pk for h in fresh):
            return False
        StaleMark.objects.create(rule=rule, ticket=ticket, basis=hit.basis)
        label = rule.name
        if rule.action == StaleAction.REMIND:
            _note(ticket, rule.message, label, visibility=Visibility.PUBLIC)
            events.emit(
                RuleNotification(
                    ticket_id=ticket.pk,
                    number=ticket.number,
                    rule=label,
                    message=rule.message,
                    to_requester=True,
                )
            )
            audit.record(
                ticket, action="stale_rule", meta={"rule": label, "action": rule.action, "why": hit.why}
            )
        elif rule.action == StaleAction.NOTIFY:
            _note(ticket, hit.why + ("\n\n" + rule.message if rule.message else ""), label)
            events.emit(
                RuleNotification(
                    ticket_id=ticket.pk,
                    number=ticket.number,
                    rule=label,
                    team_id=ticket.team_id,
                    message=hit.why,
                )
            )
            audit.record(
                ticket, action="stale_rule", meta={"rule": label, "action": rule.action, "why": hit.why}
            )
        elif rule.action == StaleAction.ESCALATE:
            before = services.snapshot(ticket)
            ticket.team, ticket.assignee = rule.team, None
            services._save(ticket)
            audit.record(
                ticket,
                action="stale_rule",
                changes=audit.diff(before, services.snapshot(ticket)),
                meta={"rule": label, "action": rule.action, "why": hit.why, "version": ticket.version},
            )
            _note(ticket, _("Escalated to %(team)s: %(why)s") % {"team": rule.team, "why": hit.why}, label)
            events.emit(
                TicketAssigned(
                    ticket_id=ticket.pk, number=ticket.number, assignee_id=None, team_id=ticket.team_id
                )
            )
        elif rule.action == StaleAction.TRANSITION:
            try:
                services.transition(
                    ticket,
                    rule.transition,
                    actor=None,
                    params={"comment": rule.message, "visibility": Visibility.PUBLIC},
                    system=True,
                    rule=label,
                )
            except (ActionNotAllowed, ValidationError) as exc:
                audit.record(
                    ticket,
                    action="stale_rule",
                    meta={"rule": label, "action": rule.action, "failed": str(exc)[:500]},
                )
    return True


def run_stale_rules(*, now: dt.datetime | None = None) -> int:
    """Act on every stale ticket (the periodic job); return how many actions were taken."""
    count = 0
    for hit in stale_hits(now=now):
        if act_on(hit):
            count += 1
    return count


def auto_close(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Close resolved tickets whose confirmation period passed without an answer (policy permitting)."""
    from . import services, workflow

    now = now or timezone.now()
    count = 0
    candidates = (
        Ticket.objects.filter(
            state_category=StateCategory.RESOLVED, resolved_at__lte=now - dt.timedelta(days=1)
        )
        .exclude(review_status=ReviewStatus.PENDING)
        .order_by("resolved_at")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in list(candidates):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).select_related("state").get(pk=pk)
            policy = workflow.closure_policy(ticket)
            if ticket.state_category != StateCategory.RESOLVED or ticket.resolved_at is None:
                continue
            if policy is None or not policy.auto_close:
                continue
            due = policies.add_business_days(
                ticket.resolved_at, policy.confirm_days, timezone.get_current_timezone_name()
            )
            if due > now:
                continue
            if not WorkflowTransition.objects.filter(
                kind=ticket.kind, code="close", sources=ticket.state_id
            ).exists():
                continue
            try:
                services.transition(
                    ticket,
                    "close",
                    actor=None,
                    params={
                        "comment": _(
                            "Closed automatically: no answer within %(n)s business days of the resolution."
                        )
                        % {"n": policy.confirm_days},
                        "visibility": Visibility.PUBLIC,
                    },
                    system=True,
                    rule=_("Automatic closure"),
                )
                count += 1
            except (ActionNotAllowed, ValidationError):
                continue
    return count
