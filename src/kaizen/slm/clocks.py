"""Service level clocks computed from a ticket's state history (pure: no ORM, no clock reads).

A clock is never a stored deadline that code moves. It is recomputed from the history rows (state,
priority, team, assignee from a moment on), the agreement's terms for the ticket's *current*
priority and the agreement's calendar:

- the **response** clock runs from creation until the first public reply of the desk or the first
  state that counts as a response (work started, pending, resolved);
- the **resolution** clock runs while the ticket is active (new, approval, open, pending) and not in
  one of the agreement's pause states; it stops while resolved or closed and runs again on reopen;
- the optional **update** clock runs from the last public update while the ticket is active.

Paused time is measured too (in business time). Because everything is recomputed, a priority raised
after three hours is measured against the new target from the start, an agreement swapped while
pending keeps the pause history, and a calendar edit only changes time after its revision.

Scopes: an SLA measures the whole ticket; an OLA only the spans its team held the ticket (response:
until the team assigned someone or started); an underpinning contract only the spans in its supplier
states (pending supplier by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from kaizen.core.lib.business_time import Timeline, from_us, to_us

ACTIVE = frozenset({"new", "approval", "open", "pending"})
STOPPED = frozenset({"resolved", "closed"})
CANCELLED = frozenset({"cancelled"})

RESPONSE, RESOLUTION, UPDATE = "response", "resolution", "update"
RUNNING, PAUSED, MET, BREACHED, CANCELLED_STATE = "running", "paused", "met", "breached", "cancelled"

SCOPE_TICKET, SCOPE_TEAM, SCOPE_SUPPLIER = "ticket", "team", "supplier"


@dataclass(frozen=True)
class Entry:
    """From ``at`` on, the ticket had this state, priority, team and assignee.

    ``at`` is an aware datetime, or microseconds since the Unix epoch (what batch reads pass, to
    skip building datetimes for every history row).
    """

    at: dt.datetime | int
    state_id: int
    category: str
    priority: int
    team_id: int | None = None
    assignee_id: int | None = None


@dataclass(frozen=True)
class Terms:
    """What an agreement asks of one ticket, for its current priority."""

    response: dt.timedelta | None
    resolution: dt.timedelta | None
    update: dt.timedelta | None = None
    pause_states: frozenset[int] = frozenset()
    responding_states: frozenset[int] = frozenset()
    scope: str = SCOPE_TICKET
    team_id: int | None = None
    supplier_states: frozenset[int] = frozenset()
    warn_at: tuple[int, ...] = (75, 90)


@dataclass(frozen=True)
class Clock:
    """One clock of one ticket at one moment."""

    metric: str
    target_us: int
    elapsed_us: int
    paused_us: int
    state: str
    due_us: int | None
    """When the target is (or was) used up; None while paused before that."""
    stopped_us: int | None
    """When the clock stopped (response given, ticket resolved or cancelled); None while it runs."""

    @property
    def target(self) -> dt.timedelta:
        """The target in business time."""
        return dt.timedelta(microseconds=self.target_us)

    @property
    def elapsed(self) -> dt.timedelta:
        """Business time counted so far (or until the clock stopped)."""
        return dt.timedelta(microseconds=self.elapsed_us)

    @property
    def paused(self) -> dt.timedelta:
        """Business time spent in pause states."""
        return dt.timedelta(microseconds=self.paused_us)

    @property
    def due(self) -> dt.datetime | None:
        """When the target is (or was) used up (UTC); None while paused before that."""
        return from_us(self.due_us) if self.due_us is not None else None

    @property
    def stopped_at(self) -> dt.datetime | None:
        """When the clock stopped (UTC); None while it runs."""
        return from_us(self.stopped_us) if self.stopped_us is not None else None

    @property
    def remaining(self) -> dt.timedelta:
        """Target minus elapsed (negative once breached)."""
        return dt.timedelta(microseconds=self.target_us - self.elapsed_us)

    @property
    def percent(self) -> float:
        """Elapsed as a percentage of the target."""
        return 100.0 * self.elapsed_us / self.target_us if self.target_us else 0.0

    @property
    def met(self) -> bool | None:
        """True/False once decided (stopped, or breached while running); None while undecided."""
        if self.state in (MET, BREACHED):
            return self.state == MET
        return None

    def level(self, warn_at: Sequence[int]) -> int:
        """The highest warning threshold reached (0 none, 100 breached)."""
        if self.elapsed_us > self.target_us:
            return 100
        reached = [w for w in warn_at if self.percent >= w]
        return max(reached, default=0)


@dataclass
class _Span:
    start: int
    end: int
    entry: Entry
    open: int = -1
    """Business time of the whole span, once computed (-1: not yet)."""
    flag: int = -1
    """COUNTS, PAUSES or 0 under the terms of the computation (-1: not yet)."""


COUNTS, PAUSES = 1, 2


def _flag(span: _Span, terms: Terms) -> int:
    if span.flag < 0:
        span.flag = COUNTS if _counts(span, terms) else PAUSES if _pauses(span, terms) else 0
    return span.flag


def _us(moment: dt.datetime | int) -> int:
    return moment if isinstance(moment, int) else to_us(moment)


def _spans(entries: Sequence[Entry], now: dt.datetime) -> list[_Span]:
    stamps = [_us(e.at) for e in entries]
    order = sorted(range(len(entries)), key=stamps.__getitem__)
    end_of_history = to_us(now)
    spans = []
    for n, i in enumerate(order):
        entry, start = entries[i], stamps[i]
        end = stamps[order[n + 1]] if n + 1 < len(order) else max(end_of_history, start)
        spans.append(_Span(start, min(end, max(end_of_history, start)), entry))
    return spans


def _counts(span: _Span, terms: Terms) -> bool:
    e = span.entry
    if terms.scope == SCOPE_SUPPLIER:
        return e.category in ACTIVE and e.state_id in terms.supplier_states
    if terms.scope == SCOPE_TEAM and e.team_id != terms.team_id:
        return False
    return e.category in ACTIVE and e.state_id not in terms.pause_states


def _pauses(span: _Span, terms: Terms) -> bool:
    e = span.entry
    if terms.scope == SCOPE_SUPPLIER:
        return False
    if terms.scope == SCOPE_TEAM and e.team_id != terms.team_id:
        return False
    return e.category in ACTIVE and e.state_id in terms.pause_states


def _measure(
    spans: Sequence[_Span], terms: Terms, calendar: Timeline, target: dt.timedelta, until: int | None
) -> tuple[int, int, int | None]:
    """Elapsed and paused business time over ``spans`` (clipped at ``until``) and the due moment."""
    goal = target // dt.timedelta(microseconds=1)
    elapsed = paused = 0
    due: int | None = None
    for span in spans:
        end = span.end if until is None or until >= span.end else until
        if end <= span.start:
            continue
        flag = _flag(span, terms)
        if not flag:
            continue
        counts = flag == COUNTS
        part = span.open if end == span.end and span.open >= 0 else calendar.elapsed_us(span.start, end)
        if counts:
            if due is None and elapsed + part >= goal:
                due = calendar.add_us(span.start, goal - elapsed)
            elapsed += part
        else:
            paused += part
    return elapsed, paused, due


def _response_stop(
    spans: Sequence[_Span], terms: Terms, first_response_at: dt.datetime | int | None
) -> int | None:
    """When the response was given: first public reply, or the first state that counts as one."""
    candidates = []
    if first_response_at is not None and terms.scope == SCOPE_TICKET:
        candidates.append(_us(first_response_at))
    for span in spans:
        e = span.entry
        if terms.scope == SCOPE_TEAM:
            if e.team_id == terms.team_id and (
                e.assignee_id is not None or e.state_id in terms.responding_states
            ):
                candidates.append(span.start)
                break
        elif e.state_id in terms.responding_states or e.category in STOPPED:
            candidates.append(span.start)
            break
    return min(candidates) if candidates else None


def _clock(
    metric: str,
    spans: Sequence[_Span],
    terms: Terms,
    calendar: Timeline,
    target: dt.timedelta,
    *,
    stop: int | None,
    cancelled_at: int | None,
    now: int,
) -> Clock:
    end = stop if stop is not None else cancelled_at
    elapsed, paused, due = _measure(spans, terms, calendar, target, end)
    goal = target // dt.timedelta(microseconds=1)
    last = spans[-1] if spans else None
    involved = terms.scope == SCOPE_TICKET or any(_flag(span, terms) == COUNTS for span in spans)
    if not involved and (stop is not None or cancelled_at is not None):
        state = CANCELLED_STATE  # the team never held it, or it never waited for the supplier
    elif stop is not None:
        state = MET if elapsed <= goal else BREACHED
    elif cancelled_at is not None:
        state = CANCELLED_STATE
    elif elapsed > goal:
        state = BREACHED
    elif last is not None and _flag(last, terms) == PAUSES:
        state = PAUSED
    elif last is not None and _flag(last, terms) == COUNTS:
        state = RUNNING
        due = due if due is not None else calendar.add_us(now, goal - elapsed)
    else:
        state = PAUSED  # another team holds it (OLA) or it is not with the supplier (contract)
    return Clock(
        metric=metric,
        target_us=goal,
        elapsed_us=elapsed,
        paused_us=paused,
        state=state,
        due_us=due,
        stopped_us=end,
    )


def compute(
    entries: Sequence[Entry],
    *,
    terms: Terms,
    calendar: Timeline,
    now: dt.datetime,
    first_response_at: dt.datetime | int | None = None,
    last_update_at: dt.datetime | None = None,
) -> list[Clock]:
    """Return the ticket's clocks (response, resolution, update: those with a target) at ``now``.

    ``entries`` is the ticket's history; its first row is the creation. History after ``now`` is
    ignored.
    """
    moment = to_us(now)
    spans = [s for s in _spans(entries, now) if s.start <= moment]
    if not spans:
        return []
    for span in spans:  # shared by every clock of the ticket
        if span.end > span.start and _flag(span, terms):
            span.open = calendar.elapsed_us(span.start, span.end)
    current = spans[-1].entry
    resolved_at = None
    if current.category in STOPPED:  # the start of the last run of resolved/closed spans
        first = len(spans) - 1
        while first > 0 and spans[first - 1].entry.category in STOPPED:
            first -= 1
        resolved_at = spans[first].start
    cancelled_at = spans[-1].start if current.category in CANCELLED else None
    clocks = []
    if terms.response is not None and terms.scope != SCOPE_SUPPLIER:
        stop = _response_stop(spans, terms, first_response_at)
        stop = stop if stop is None or stop <= moment else None
        ended = cancelled_at
        if stop is None and resolved_at is not None:  # an OLA team that never responded: not applicable
            ended = resolved_at
        clocks.append(
            _clock(
                RESPONSE,
                spans,
                terms,
                calendar,
                terms.response,
                stop=stop,
                cancelled_at=ended if stop is None else None,
                now=moment,
            )
        )
    if terms.resolution is not None:
        clocks.append(
            _clock(
                RESOLUTION,
                spans,
                terms,
                calendar,
                terms.resolution,
                stop=resolved_at,
                cancelled_at=cancelled_at,
                now=moment,
            )
        )
    if terms.update is not None and current.category in ACTIVE and terms.scope == SCOPE_TICKET:
        since = to_us(last_update_at) if last_update_at is not None else spans[0].start
        tail = [_Span(max(s.start, since), s.end, s.entry) for s in spans if s.end > since]
        if not tail:  # updated just now: the clock starts running from here
            tail = [_Span(since, max(since, spans[-1].end), spans[-1].entry)]
        clocks.append(
            _clock(UPDATE, tail, terms, calendar, terms.update, stop=None, cancelled_at=None, now=moment)
        )
    return clocks
