"""From alerts to incidents: CI mapping, inhibition, suppression, grouping, reopening, resolving.

Called by the processing inside the delivery's transaction with the alerts it changed, so an
incident exists (or is updated) when the delivery is marked processed. The CMDB is reached through
``cmdb`` and ``portfolio`` reads, tickets only through ``tickets.services``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import context
from kaizen.core.services import ActionNotAllowed
from kaizen.portfolio import impact
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Channel, Kind, StateCategory, Visibility
from kaizen.tickets.models import Comment, Ticket

from . import policies
from .choices import AlertStatus, CIField, EventKind, MatchField, Suppression
from .models import Alert, CIMapping, Event, Integration, MaintenanceWindow

if TYPE_CHECKING:
    from .processing import Outcome

log = logging.getLogger("kaizen.monitoring")

ACTIVE = (StateCategory.NEW, StateCategory.OPEN, StateCategory.PENDING, StateCategory.APPROVAL)
DEFAULT_RULES = (
    (MatchField.LABEL, "ci", "", CIField.NAME, ""),
    (MatchField.HOST, "", "", CIField.NAME, ""),
    (MatchField.HOST, "", "", CIField.ATTRIBUTE, "hostname"),
    (MatchField.HOST, "", r"^([^.]+)\.", CIField.NAME, ""),
    (MatchField.ADDRESS, "", "", CIField.ATTRIBUTE, "ip_address"),
    (MatchField.ADDRESS, "", "", CIField.ATTRIBUTE, "management_ip"),
    (MatchField.RESOURCE, "", "", CIField.NAME, ""),
)
"""Used when the organisation has no mapping rules: label ``ci``, host name, IP, resource."""


def correlate(integration: Integration, outcome: Outcome, *, now: dt.datetime) -> None:
    """Map, suppress, group and (re)open or resolve incidents for the alerts a delivery changed."""
    alerts = list(outcome.touched.values())
    if not alerts:
        return
    opened = [a for a in alerts if EventKind.OPENED in outcome.changes.get(a.pk, ())]
    if opened:
        _inherit_silences(integration, opened, now)
        _mark_flapping(integration, opened, now)
    with context.acting(user=integration.run_as, channel=context.Channel.MONITORING, label=integration.name):
        notes = Notes()
        needing = [
            a for a in alerts if a.is_open and a.status == AlertStatus.FIRING and a.incident_id is None
        ]
        if needing:
            _open_incidents(integration, needing, now, notes)
        _update_incidents(integration, alerts, outcome, notes)
        notes.write(integration, now)


class Notes:
    """What one correlation changes on incidents, written at its end: at most one note each.

    The alerts of an incident are listed on it; notes are kept for what a person should read:
    a severity change, the alert that reopened a resolved incident, the clears that resolved it.
    Repeats, joins and clears while other alerts still fire are not written (a storm would
    otherwise bury the incident in notes).
    """

    def __init__(self) -> None:
        self.lines: dict[int, list[str]] = defaultdict(list)
        self.reopen: dict[int, list[str]] = defaultdict(list)
        self.cleared: dict[int, list[str]] = defaultdict(list)

    def add(self, incident_id: int, line: str, *, reopen: bool = False, cleared: bool = False) -> None:
        """Queue a note line, a line that matters only if the incident must reopen, or a clear."""
        target = self.reopen if reopen else self.cleared if cleared else self.lines
        target[incident_id].append(line)

    def write(self, integration: Integration, now: dt.datetime) -> None:
        """Reopen resolved incidents that fire again, resolve those all clear, write the notes.

        Plain notes (severity changes, inhibited alerts, alerts during a change) are written at
        most once per :data:`~kaizen.monitoring.policies.NOTE_INTERVAL` on an incident: in a storm
        the later ones would only repeat what the incident's alert list shows, and each note
        notifies the assignee. Reopening and resolving are never held back.
        """
        resolved = set(
            Ticket.objects.filter(
                pk__in=list(self.reopen), state_category=StateCategory.RESOLVED
            ).values_list("pk", flat=True)
        )
        for incident_id in resolved:
            _note(
                incident_id,
                integration,
                self.reopen[incident_id] + self.lines.pop(incident_id, []),
                reopen=True,
            )
        for incident_id, text in self.cleared.items():
            if incident_id not in self.reopen and not _still_alerting(incident_id):
                _resolve(incident_id, integration, self.lines.pop(incident_id, []) + text)
        quiet = _noted_since(list(self.lines), now - policies.NOTE_INTERVAL)
        for incident_id, text in self.lines.items():
            if incident_id not in quiet:
                _note(incident_id, integration, text)


def _noted_since(incident_ids: Sequence[int], since: dt.datetime) -> set[int]:
    """The incidents among ``incident_ids`` with a monitoring note written after ``since``."""
    if not incident_ids:
        return set()
    return set(
        Comment.objects.filter(
            ticket_id__in=incident_ids, channel=Channel.MONITORING, created_at__gt=since
        ).values_list("ticket_id", flat=True)
    )


# -- CI mapping -------------------------------------------------------------------------------


def _rules(integration: Integration) -> list[tuple[str, str, str, str, str]]:
    rows = CIMapping.objects.filter(organisation_id=integration.organisation_id, is_active=True).filter(
        Q(integration__isnull=True) | Q(integration=integration)
    )
    found = [(r.match_field, r.label, r.pattern, r.ci_field, r.ci_attribute) for r in rows]
    return found or list(DEFAULT_RULES)


_CIS: dict[Any, tuple[float, Any]] = {}


def _find_ci(organisation_id: int, ci_field: str, attribute: str, value: str) -> int | None:
    """The one CI whose field holds ``value`` (None for none or several), reused for a few seconds.

    Like the CMDB walks (:data:`WALK_TTL`): a storm maps the same host names again and again, and
    a CI added or renamed in the CMDB is matched within those seconds.
    """
    key = (organisation_id, ci_field, attribute, value)
    found: int | None = _reused(_CIS, key, lambda: _query_ci(organisation_id, ci_field, attribute, value))
    return found


def _query_ci(organisation_id: int, ci_field: str, attribute: str, value: str) -> int | None:
    qs = ConfigurationItem.objects.filter(organisation_id=organisation_id)
    if ci_field == CIField.NAME:
        qs = qs.filter(name__iexact=value)
    elif ci_field == CIField.NUMBER:
        qs = qs.filter(number=value)
    elif ci_field == CIField.EXTERNAL_ID:
        qs = qs.filter(external_id=value)
    else:
        qs = qs.filter(**{f"attributes__{attribute}": value})
    ids = list(qs.values_list("pk", flat=True)[:2])
    return ids[0] if len(ids) == 1 else None


def map_cis(integration: Integration, alerts: Sequence[Alert]) -> None:
    """Give each new alert the CI the first matching rule finds (exactly one CI), and its service.

    Called by the processing before the new alerts are inserted: they are stored with both.
    """
    if not alerts:
        return
    rules = _rules(integration)
    cache: dict[tuple[str, str, str], int | None] = {}
    for alert in alerts:
        values = {
            "host": alert.host,
            "address": alert.address,
            "resource": alert.resource,
            "service": alert.service_name,
        }
        labels = alert.labels if isinstance(alert.labels, dict) else {}
        for match_field, label, pattern, ci_field, attribute in rules:
            value = policies.mapped_value(
                values, labels, match_field=match_field, label=label, pattern=pattern
            )
            if not value or len(value) > 255:
                continue
            key = (ci_field, attribute, value)
            if key not in cache:
                cache[key] = _find_ci(integration.organisation_id, ci_field, attribute, value)
            if cache[key] is not None:
                alert.ci_id = cache[key]
                break
    services = _services({a.ci_id for a in alerts if a.ci_id is not None})
    for alert in alerts:
        alert.service_id = services.get(alert.ci_id) if alert.ci_id else None
        alert.service_id = alert.service_id or integration.default_service_id


def _services(ci_ids: Iterable[int]) -> dict[int, int]:
    """Return CI id -> the nearest service depending on it (through the CMDB graph)."""
    out: dict[int, int] = {}
    for ci_id in ci_ids:
        reached = _reached(ci_id, "up")
        services = sorted((depth, pk) for kind, pk, depth in reached if kind == "service")
        if services:
            out[ci_id] = services[0][1]
    return out


def _upstream(ci_id: int) -> set[int]:
    """Return the CIs ``ci_id`` depends on (its causes when they fail)."""
    return {pk for kind, pk, _depth in _reached(ci_id, "down") if kind == "ci" and pk != ci_id}


_WALKS: dict[Any, tuple[float, Any]] = {}
WALK_TTL = 5.0
"""Seconds a CMDB walk is reused: a storm asks about the same CIs thousands of times a minute."""


def forget_walks() -> None:
    """Drop the reused CMDB walks and CI matches (tests; after a bulk CMDB import that must count now)."""
    _WALKS.clear()
    _CIS.clear()


def _reused(cache: dict[Any, tuple[float, Any]], key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()``, or its value for ``key`` from ``cache`` when less than :data:`WALK_TTL` old."""
    hit = cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < WALK_TTL:
        return hit[1]
    value = compute()
    if len(cache) > 10_000:
        cache.clear()
    cache[key] = (time.monotonic(), value)
    return value


def _reached(ci_id: int, direction: str) -> list[tuple[str, int, int]]:
    """(kind, id, depth) of what ``ci_id`` reaches in ``direction``, reused for a few seconds."""

    def walk() -> list[tuple[str, int, int]]:
        reached = impact.traverse(("ci", ci_id), direction=direction).reached  # type: ignore[arg-type]
        return [(str(kind), pk, r.depth) for (kind, pk), r in reached.items()]

    found: list[tuple[str, int, int]] = _reused(_WALKS, (ci_id, direction), walk)
    return found


# -- suppression ------------------------------------------------------------------------------


def _inherit_silences(integration: Integration, alerts: Sequence[Alert], now: dt.datetime) -> None:
    """A key silenced for a period stays silenced when its alert closes and fires again."""
    keys = [a.dedup_key for a in alerts]
    silenced = dict(
        Alert.objects.filter(
            integration=integration, dedup_key__in=keys, is_open=False, silenced_until__gt=now
        )
        .order_by("dedup_key", "silenced_until")
        .values_list("dedup_key", "silenced_until")
    )
    for alert in alerts:
        if alert.dedup_key in silenced:
            alert.silenced_until = silenced[alert.dedup_key]
            Alert.objects.filter(pk=alert.pk).update(silenced_until=alert.silenced_until)


def _mark_flapping(integration: Integration, alerts: Sequence[Alert], now: dt.datetime) -> None:
    since = now - dt.timedelta(minutes=integration.flap_window)
    changes: dict[str, list[dt.datetime]] = defaultdict(list)
    for key, at in Event.objects.filter(
        integration=integration,
        dedup_key__in=[a.dedup_key for a in alerts],
        received_at__gte=since,
        kind__in=[EventKind.OPENED, EventKind.RESOLVED, EventKind.EXPIRED],
    ).values_list("dedup_key", "received_at"):
        changes[key].append(at)
    for alert in alerts:
        if policies.is_flapping(
            changes[alert.dedup_key], now=now, window=integration.flap_window, limit=integration.flap_changes
        ):
            alert.flapping = True
            Alert.objects.filter(pk=alert.pk).update(flapping=True)


def _windows(integration: Integration, now: dt.datetime) -> tuple[bool, set[int], set[int], dict[int, int]]:
    """Return (whole organisation, CI ids, service ids) under maintenance now, and CIs under a change."""
    from kaizen.changes.queries import cis_under_change

    windows = list(
        MaintenanceWindow.objects.filter(
            organisation_id=integration.organisation_id, starts_at__lte=now, ends_at__gt=now
        ).prefetch_related("cis", "services")
    )
    whole = any(w.all_of_organisation for w in windows)
    cis = {ci.pk for w in windows for ci in w.cis.all()}
    services = {s.pk for w in windows for s in w.services.all()}
    return whole, cis, services, cis_under_change(integration.organisation_id, now)


def _suppression(integration: Integration, alert: Alert, now: dt.datetime, windows: Any) -> str:
    whole, cis, services, changing = windows
    if not integration.create_incidents:
        return Suppression.DISABLED
    if alert.silenced_until is not None and alert.silenced_until > now:
        return Suppression.SILENCED
    if not policies.at_least(alert.severity, integration.incident_severity):
        return Suppression.BELOW
    if (
        whole
        or (alert.ci_id is not None and alert.ci_id in cis)
        or (alert.service_id is not None and alert.service_id in services)
    ):
        return Suppression.MAINTENANCE
    if alert.ci_id is not None and alert.ci_id in changing:
        return Suppression.CHANGE
    return Suppression.NONE


# -- incidents --------------------------------------------------------------------------------


def _open_incidents(
    integration: Integration, alerts: Sequence[Alert], now: dt.datetime, notes: Notes
) -> None:
    windows = _windows(integration, now)
    firing_cis = _firing_cis(integration, alerts)
    previous = _previous_incidents(integration, alerts, now)
    batch = _recent_incidents(integration, (a for a in alerts if a.pk not in previous), now)
    ordered = sorted(alerts, key=lambda a: (bool(a.ci_id and _upstream(a.ci_id) & set(firing_cis)), a.pk))
    changed: list[Alert] = []

    def _set(alert: Alert, **values: Any) -> None:
        for name, value in values.items():
            setattr(alert, name, value)
        changed.append(alert)

    for alert in ordered:
        reason = _suppression(integration, alert, now, windows)
        if reason:
            _set(alert, suppressed=reason)
            if reason == Suppression.CHANGE and alert.ci_id is not None:
                notes.add(windows[3][alert.ci_id], _("Alert during this change: %(t)s") % {"t": alert.title})
            continue
        inhibitor = _inhibitor(alert, firing_cis)
        if inhibitor is not None:
            _set(
                alert,
                suppressed=Suppression.INHIBITED,
                inhibited_by_id=inhibitor.pk,
                incident_id=inhibitor.incident_id,
            )
            if inhibitor.incident_id:
                notes.add(
                    inhibitor.incident_id, _("Inhibited (upstream CI alerting): %(t)s") % {"t": alert.title}
                )
            continue
        incident_id = previous.get(alert.pk) or batch.get(_group_key(alert))
        if incident_id is None:
            incident_id = _create_incident(integration, alert)
            if incident_id is None:
                continue
        else:
            notes.add(incident_id, _("Alert firing: %(t)s") % {"t": alert.title}, reopen=True)
        _set(alert, incident_id=incident_id, suppressed=Suppression.NONE)
        batch[_group_key(alert)] = incident_id
    from .processing import _write

    _write(list({id(a): a for a in changed}.values()), ["suppressed", "inhibited_by", "incident"])


def _firing_cis(integration: Integration, alerts: Sequence[Alert]) -> dict[int, Alert]:
    """CI id -> an open firing alert on it, for the CIs the given alerts depend on."""
    found: dict[int, Alert] = {}
    mine = {a.pk: a for a in alerts}  # this correlation's own copies: they get their incidents here
    causes = sorted({c for a in alerts if a.ci_id is not None for c in _upstream(a.ci_id)})
    for start in range(0, len(causes), 500):
        for other in Alert.objects.filter(
            organisation_id=integration.organisation_id,
            is_open=True,
            status=AlertStatus.FIRING,
            ci_id__in=causes[start : start + 500],
        ).order_by("first_seen_at"):
            found.setdefault(other.ci_id, mine.get(other.pk, other))  # type: ignore[arg-type]
    for alert in alerts:
        if alert.ci_id is not None:
            found.setdefault(alert.ci_id, alert)
    return found


def _inhibitor(alert: Alert, firing_cis: dict[int, Alert]) -> Alert | None:
    if alert.ci_id is None:
        return None
    causes = [
        firing_cis[c] for c in _upstream(alert.ci_id) if c in firing_cis and firing_cis[c].pk != alert.pk
    ]
    if not causes:
        return None
    causes.sort(key=lambda a: (a.incident_id is None, a.first_seen_at))
    return causes[0]  # in memory: this correlation may have just given it its incident


def _group_key(alert: Alert) -> tuple[str, int | str]:
    """Alerts of one service make one incident; without a service, those of one CI."""
    if alert.service_id is not None:
        return ("service", alert.service_id)
    if alert.ci_id is not None:
        return ("ci", alert.ci_id)
    return ("key", alert.dedup_key)


def _recent_incidents(
    integration: Integration, alerts: Iterable[Alert], now: dt.datetime
) -> dict[tuple[str, int | str], int]:
    """Group key -> the oldest active monitoring incident of that service or CI within the window.

    Alerts of one service (or, without one, of one CI) join that incident; two queries for all
    alerts instead of one per alert. The correlation adds the incidents it opens to the same map.
    """
    if integration.group_window == 0:
        return {}
    keys = {_group_key(a) for a in alerts}
    services = sorted(int(k[1]) for k in keys if k[0] == "service")
    cis = sorted(int(k[1]) for k in keys if k[0] == "ci")
    qs = Ticket.objects.filter(
        organisation_id=integration.organisation_id,
        kind=Kind.INCIDENT,
        channel=Channel.MONITORING,
        state_category__in=ACTIVE,
        created_at__gte=now - dt.timedelta(minutes=integration.group_window),
    ).order_by("-created_at", "-pk")  # oldest last: it overwrites the younger ones below
    found: dict[tuple[str, int | str], int] = {}
    for kind, column, ids in (("service", "service_id", services), ("ci", "cis", cis)):
        for start in range(0, len(ids), 500):
            rows = qs.filter(**{f"{column}__in": ids[start : start + 500]}).values_list(column, "pk")
            found.update(((kind, ref), pk) for ref, pk in rows)
    return found


def _previous_incidents(
    integration: Integration, alerts: Sequence[Alert], now: dt.datetime
) -> dict[int, int]:
    """Alert id -> the incident of its key's previous alert, if that closed within the reopen window.

    A flapping key looks back over the flapping window when it is longer. One query for all keys.
    """
    longest = max(integration.reopen_window, integration.flap_window)
    if not alerts or longest == 0:
        return {}
    since = now - dt.timedelta(minutes=longest)
    keys = sorted({a.dedup_key for a in alerts})
    latest: dict[str, tuple[dt.datetime, int]] = {}  # closed_at is set on every closed alert
    for start in range(0, len(keys), 500):
        rows = (
            Alert.objects.filter(
                integration=integration,
                dedup_key__in=keys[start : start + 500],
                is_open=False,
                closed_at__gte=since,
                incident__isnull=False,
            )
            .exclude(incident__state_category=StateCategory.CANCELLED)
            .values_list("dedup_key", "closed_at", "incident_id")
        )
        for key, closed_at, incident_id in rows:
            if closed_at is not None and (key not in latest or closed_at > latest[key][0]):
                latest[key] = (closed_at, int(incident_id))
    out: dict[int, int] = {}
    for alert in alerts:
        found = latest.get(alert.dedup_key)
        if found is None:
            continue
        window = max(integration.reopen_window, integration.flap_window if alert.flapping else 0)
        if window and found[0] >= now - dt.timedelta(minutes=window):
            out[alert.pk] = int(found[1])
    return out


def _create_incident(integration: Integration, alert: Alert) -> int | None:
    description = "\n\n".join(
        part
        for part in (
            alert.description,
            _("Source: %(s)s (%(i)s)") % {"s": integration.get_source_display(), "i": integration.name},
            alert.url and _("Link: %(u)s") % {"u": alert.url},
        )
        if part
    )
    data = {
        "title": alert.title[:200],
        "description": description[:50_000],
        "organisation": integration.organisation_id,
        "service": alert.service_id,
        "urgency": policies.urgency(alert.severity),
        "channel": Channel.MONITORING,
    }
    try:
        ticket = tickets.create_ticket(
            actor=integration.run_as,
            kind=Kind.INCIDENT,
            data=data,
            cis=[alert.ci_id] if alert.ci_id else [],
            tags=["monitoring"],
        )
    except (ValidationError, PermissionDenied) as exc:  # e.g. a service the account may not see
        log.warning("integration %s could not open an incident: %s", integration.pk, exc)
        Integration.objects.filter(pk=integration.pk).update(
            last_error=f"incident not opened: {exc}"[:2000], last_error_at=timezone.now()
        )
        return None
    return int(ticket.pk)


def _note(incident_id: int, integration: Integration, lines: Sequence[str], *, reopen: bool = False) -> None:
    """Write an internal work note on the incident, reopening it first when it was resolved."""
    actor = integration.run_as
    with tickets.writing():
        try:
            ticket = tickets.lock_for_change(incident_id, actor=actor)
        except (Ticket.DoesNotExist, PermissionDenied):
            return
        body = "\n".join(f"- {line}" for line in lines[:50])
        if len(lines) > 50:
            body += "\n- " + _("… and %(n)s more") % {"n": len(lines) - 50}
        if reopen and ticket.state_category == StateCategory.RESOLVED:
            with contextlib.suppress(ActionNotAllowed, ValidationError, PermissionDenied):
                tickets.transition(
                    ticket,
                    "reopen",
                    actor=actor,
                    params={"comment": body},
                    system=True,
                    rule=_("Alert fired again"),
                )
                return
        if ticket.state_category in ACTIVE:
            tickets.add_comment(
                incident_id,
                actor=actor,
                body=body,
                visibility=Visibility.INTERNAL,
                channel=Channel.MONITORING,
            )


def _update_incidents(
    integration: Integration, alerts: Sequence[Alert], outcome: Outcome, notes: Notes
) -> None:
    """Queue notes of severity changes and clears; an incident whose alerts all cleared is resolved."""
    for alert in alerts:
        if alert.incident_id is None or alert.suppressed == Suppression.INHIBITED:
            continue
        kinds = outcome.changes.get(alert.pk, [])
        if alert.flapping and not alert.is_open:
            continue  # a flapping alert is one update, not one per change: settle() resolves later
        if EventKind.SEVERITY in kinds:
            notes.add(
                alert.incident_id,
                _("Severity %(a)s → %(b)s: %(t)s")
                % {"a": alert.previous_severity, "b": alert.severity, "t": alert.title},
            )
        if not alert.is_open:
            notes.add(alert.incident_id, _("Alert cleared: %(t)s") % {"t": alert.title}, cleared=True)


def _still_alerting(incident_id: int) -> bool:
    return Alert.objects.filter(incident_id=incident_id, is_open=True).exists()


def _resolve(incident_id: int, integration: Integration, lines: Sequence[str]) -> None:
    actor = integration.run_as
    with tickets.writing():
        try:
            ticket = tickets.lock_for_change(incident_id, actor=actor)
        except (Ticket.DoesNotExist, PermissionDenied):
            return
        if ticket.state_category not in ACTIVE:
            return
        resolution = (
            _("All alerts of this incident cleared (monitoring).")
            + "\n"
            + "\n".join(f"- {x}" for x in lines[:50])
        )
        try:
            tickets.transition(
                ticket,
                "resolve",
                actor=actor,
                params={"resolution": resolution, "cause_class": "unknown"},
                system=True,
                rule=_("All alerts cleared"),
            )
        except (ActionNotAllowed, ValidationError, PermissionDenied) as exc:
            log.info("incident %s not resolved by monitoring: %s", incident_id, exc)
            _note(incident_id, integration, lines)


def settle(*, now: dt.datetime | None = None) -> int:
    """Resolve incidents left open because a flapping alert cleared, once it has stayed clear."""
    now = now or timezone.now()
    done = 0
    candidates = (
        Ticket.objects.filter(channel=Channel.MONITORING, kind=Kind.INCIDENT, state_category__in=ACTIVE)
        .filter(alerts__flapping=True, alerts__closed_at__gte=now - dt.timedelta(days=1))
        .exclude(alerts__is_open=True)
        .distinct()
        .values_list("pk", "state_changed_at")[:500]
    )
    for incident_id, state_changed_at in list(candidates):
        alert = (
            Alert.objects.filter(incident_id=incident_id)
            .select_related("integration")
            .order_by("-closed_at")
            .first()
        )
        if alert is None or alert.closed_at is None or state_changed_at > alert.closed_at:
            continue  # someone worked on the incident after the last clear: theirs to resolve
        integration = alert.integration
        if alert.flapping and alert.closed_at > now - dt.timedelta(minutes=integration.flap_window):
            continue
        with context.acting(
            user=integration.run_as, channel=context.Channel.MONITORING, label=integration.name
        ):
            _resolve(incident_id, integration, [_("Alert cleared: %(t)s") % {"t": alert.title}])
        done += 1
    return done
