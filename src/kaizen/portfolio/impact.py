"""Impact analysis: what depends on a CI or service (upstream), and what a service needs (downstream).

The graph joins CI relationships (each type says how a failure propagates) and service
dependencies (a service needs a service or a CI). Traversal is breadth-first with a depth limit
and a visited set, so cycles in the data are harmless. Every node keeps the neighbours it was
first reached from at its shortest depth, which gives the paths that explain why it is affected.
The present is walked in the in-process graph index (:mod:`.impact_index`); ``as_of`` replays
the graph as it was at a past moment from the tables, one query per edge table and level: ended
relationships and dependencies are kept with their validity period, and service customers come
from the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import connection

from kaizen.accounts.models import Organisation
from kaizen.cmdb.choices import Propagation
from kaizen.cmdb.models import ConfigurationItem, Relationship, RelationshipType
from kaizen.core import access
from kaizen.core.models import AuditEntry

from . import impact_index
from .impact_index import SERVICE_LABEL, UP_FROM_SOURCE, UP_FROM_TARGET
from .models import Service, ServiceDependency

Kind = Literal["ci", "service"]
NodeKey = tuple[Kind, int]
Direction = Literal["up", "down"]
DEFAULT_DEPTH = 10
MAX_DEPTH = 50
MAX_NODES = 20_000
MAX_PATHS = 3
MAX_CI_ROWS = 500
"""CIs listed (nearest first) in a description; ``cis_total`` counts them all."""


@dataclass
class Reach:
    """How a node was reached: its depth and the (neighbour, relation label) it came from."""

    depth: int
    parents: list[tuple[NodeKey, str]] = field(default_factory=list)


@dataclass
class ImpactResult:
    """The nodes reached from ``start`` with their depth and predecessors."""

    start: NodeKey
    direction: Direction
    max_depth: int
    as_of: dt.datetime | None
    reached: dict[NodeKey, Reach]
    truncated: bool

    def paths(self, node: NodeKey, limit: int = MAX_PATHS) -> list[list[tuple[NodeKey, str]]]:
        """Return up to ``limit`` shortest paths from the start to ``node`` as (node, relation) steps."""
        found: list[list[tuple[NodeKey, str]]] = []

        def walk(current: NodeKey, suffix: list[tuple[NodeKey, str]], relation: str) -> None:
            if len(found) >= limit:
                return
            step = [(current, relation), *suffix]
            if current == self.start:
                found.append(step)
                return
            for parent, label in self.reached[current].parents:
                walk(parent, step, label)

        walk(node, [], "")
        return found


def _propagation() -> dict[int, str]:
    """Return relationship type id -> propagation: a small table, read once per traversal."""
    return dict(RelationshipType.objects.values_list("pk", "propagation"))


def _codes() -> dict[int, str]:
    return dict(RelationshipType.objects.values_list("pk", "code"))


CHUNK = 5000
"""Frontier ids per query (keeps SQL parameter lists within every database's limits)."""


def _rows(sql: str, ids: list[int], params: list[Any]) -> Iterable[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            part = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                sql.format(ids=marks),
                [*part, *part, *params] if sql.count("{ids}") == 2 else [*part, *params],
            )
            yield from cursor.fetchall()


def _sql_neighbours(
    frontier: list[int], direction: Direction, as_of: dt.datetime, propagation: dict[int, str]
) -> Iterable[tuple[int, int, int]]:
    """Yield (from, to, label) edges leaving the frontier, as the tables were at ``as_of``.

    Nodes are numbered as in :mod:`.impact_index` (CI ``pk * 2``, service ``pk * 2 + 1``); labels
    are relationship type ids, or ``SERVICE_LABEL`` for service dependencies. One query per edge
    table and level, in plain SQL, with bound parameters.
    """
    window = "started_at <= %s AND (ended_at IS NULL OR ended_at > %s)"
    window_params = [as_of, as_of]
    rel_table = Relationship._meta.db_table
    dep_table = ServiceDependency._meta.db_table
    cis = [n >> 1 for n in frontier if not n & 1]
    services = [n >> 1 for n in frontier if n & 1]
    if cis:
        sql = (
            f"SELECT source_id, target_id, relationship_type_id FROM {rel_table} "
            f"WHERE (target_id IN ({{ids}}) OR source_id IN ({{ids}})) AND {window}"
        )
        inside = set(cis)
        for source, target, type_id in _rows(sql, cis, window_params):
            kind = propagation.get(type_id, Propagation.NONE)
            source_depends = kind in UP_FROM_TARGET
            target_depends = kind in UP_FROM_SOURCE
            if direction == "down":
                source_depends, target_depends = target_depends, source_depends
            if target in inside and source_depends:
                yield target * 2, source * 2, type_id
            if source in inside and target_depends:
                yield source * 2, target * 2, type_id
        if direction == "up":
            sql = (
                f"SELECT service_id, depends_on_ci_id FROM {dep_table} "
                f"WHERE depends_on_ci_id IN ({{ids}}) AND {window}"
            )
            for service, ci in _rows(sql, cis, window_params):
                yield ci * 2, service * 2 + 1, SERVICE_LABEL
    if services:
        if direction == "up":
            sql = (
                f"SELECT service_id, depends_on_service_id FROM {dep_table} "
                f"WHERE depends_on_service_id IN ({{ids}}) AND {window}"
            )
            for service, needed in _rows(sql, services, window_params):
                yield needed * 2 + 1, service * 2 + 1, SERVICE_LABEL
        else:
            sql = (
                f"SELECT service_id, depends_on_service_id, depends_on_ci_id FROM {dep_table} "
                f"WHERE service_id IN ({{ids}}) AND {window}"
            )
            for service, needed_service, needed_ci in _rows(sql, services, window_params):
                needed = needed_service * 2 + 1 if needed_service is not None else needed_ci * 2
                yield service * 2 + 1, needed, SERVICE_LABEL


Step = Callable[[list[int]], Iterable[tuple[int, int, int]]]
Walked = dict[int, tuple[int, list[tuple[int, int]]]]


def _walk(start: int, step: Step, max_depth: int) -> tuple[Walked, bool]:
    """Breadth-first search from ``start``: node -> (depth, [(predecessor, label)]), and truncation.

    Each node keeps every predecessor at its shortest depth (the explaining paths); the visited
    set makes cycles harmless. Truncated means the node or depth limit hid further nodes.
    """
    reached: Walked = {start: (0, [])}
    frontier = [start]
    truncated = False
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        next_frontier: list[int] = []
        for origin, node, label in step(frontier):
            known = reached.get(node)
            if known is None:
                if len(reached) >= MAX_NODES:
                    truncated = True
                    continue
                reached[node] = (depth, [(origin, label)])
                next_frontier.append(node)
            elif known[0] == depth and (origin, label) not in known[1]:
                known[1].append((origin, label))
        frontier = next_frontier
    if frontier and depth >= max_depth:
        truncated = truncated or any(node not in reached for _, node, _ in step(frontier))
    return reached, truncated


def _key(node: int) -> NodeKey:
    return ("service", node >> 1) if node & 1 else ("ci", node >> 1)


def _node(key: NodeKey) -> int:
    kind, pk = key
    return impact_index.service_node(pk) if kind == "service" else impact_index.ci_node(pk)


def traverse(
    start: NodeKey,
    *,
    direction: Direction = "up",
    max_depth: int = DEFAULT_DEPTH,
    as_of: dt.datetime | None = None,
) -> ImpactResult:
    """Walk the dependency graph from ``start``; ``up`` finds what is affected, ``down`` what is needed.

    The present is walked in the in-process graph index; a past moment (``as_of``) in the tables.
    """
    max_depth = max(1, min(int(max_depth), MAX_DEPTH))
    codes: dict[int, str]
    if as_of is None:
        with impact_index.current() as index:
            walked, truncated = _walk(
                _node(start), lambda frontier: index.neighbours(frontier, direction), max_depth
            )
            codes = dict(index.codes)
    else:
        propagation, codes = _propagation(), _codes()
        walked, truncated = _walk(
            _node(start), lambda frontier: _sql_neighbours(frontier, direction, as_of, propagation), max_depth
        )

    def label(value: int) -> str:
        return "service-depends-on" if value == SERVICE_LABEL else codes.get(value, "")

    names: dict[int, str] = {}
    reached = {}
    for node, (depth, parents) in walked.items():
        steps = []
        for origin, value in parents:
            name = names.get(value)
            if name is None:
                name = names[value] = label(value)
            steps.append((_key(origin), name))
        reached[_key(node)] = Reach(depth=depth, parents=steps)
    return ImpactResult(start, direction, max_depth, as_of, reached, truncated)


_REACHED: dict[tuple[Any, ...], frozenset[NodeKey]] = {}
_REACHED_VERSION: list[tuple[int, str]] = [(-1, "")]
MAX_REACHED = 100_000


def reached_many(
    starts: Iterable[NodeKey], *, direction: Direction = "up", max_depth: int = DEFAULT_DEPTH
) -> dict[NodeKey, frozenset[NodeKey]]:
    """Return what each start reaches now (itself included), holding the graph index once for all.

    For callers that need many walks at once (the change schedule checks every change of a CAB
    agenda): one freshness check of the index instead of one per walk, no explaining paths, and
    each walk remembered until the graph changes (the memo is keyed by the index's change number,
    so it is exact: a new relationship anywhere forgets every walk).
    """
    max_depth = max(1, min(int(max_depth), MAX_DEPTH))
    out: dict[NodeKey, frozenset[NodeKey]] = {}
    with impact_index.current() as index:
        version = (index.seq, index.token)
        if _REACHED_VERSION[0] != version or len(_REACHED) > MAX_REACHED:
            _REACHED.clear()
            _REACHED_VERSION[0] = version
        for start in dict.fromkeys(starts):
            key = (start, direction, max_depth)
            found = _REACHED.get(key)
            if found is None:
                walked, _truncated = _walk(
                    _node(start), lambda frontier: index.neighbours(frontier, direction), max_depth
                )
                found = _REACHED[key] = frozenset(_key(node) for node in walked)
            out[start] = found
    return out


def forget_reached() -> None:
    """Forget the remembered walks (tests)."""
    _REACHED.clear()
    _REACHED_VERSION[0] = (-1, "")


def customers_as_of(service_ids: list[int], as_of: dt.datetime | None) -> dict[int, list[int]]:
    """Return each service's customer organisation ids, now or as the audit trail says at ``as_of``."""
    if not service_ids:
        return {}
    if as_of is None:
        out: dict[int, list[int]] = {i: [] for i in service_ids}
        for service, org in Service.customers.through.objects.filter(service_id__in=service_ids).values_list(
            "service_id", "organisation_id"
        ):
            out[service].append(org)
        return out
    out = {i: [] for i in service_ids}
    rows = (
        AuditEntry.objects.filter(
            record_type=Service._meta.label_lower, record_id__in=[str(i) for i in service_ids], at__lte=as_of
        )
        .order_by("seq")
        .values_list("record_id", "changes")
    )
    for record_id, changes in rows:
        pair = (changes or {}).get("customers")
        if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], list):
            out[int(record_id)] = [int(v) for v in pair[1]]
    return out


def describe(result: ImpactResult, user: Any) -> dict[str, Any]:
    """Turn a traversal into services, CIs and customers the user may see, with paths and depth.

    Nodes the user may not see are left out of the lists and shown as hidden steps in paths, so a
    path through another organisation's infrastructure is visible as a dependency without
    revealing that infrastructure.
    """
    ordered = sorted(result.reached.items(), key=lambda item: (item[1].depth, item[0]))
    ci_ids = [i for (kind, i), _ in ordered if kind == "ci"][: MAX_CI_ROWS + 1]
    service_ids = [i for kind, i in result.reached if kind == "service"]
    cis = {
        ci.pk: ci
        for ci in ConfigurationItem.objects.visible_to(user)
        .filter(pk__in=ci_ids)
        .select_related("ci_type")
        .only("pk", "number", "name", "status", "ci_type__name", "ci_type__name_en")
        .order_by()
    }
    services = {
        s.pk: s
        for s in Service.objects.visible_to(user)
        .filter(pk__in=service_ids)
        .only("pk", "name", "code", "lifecycle", "created_at")
        .order_by()
    }
    alive = {pk for pk, s in services.items() if result.as_of is None or s.created_at <= result.as_of}
    customers = customers_as_of([i for i in service_ids if i in services and i in alive], result.as_of)
    org_ids = sorted({o for ids in customers.values() for o in ids})
    # The customers of a service the user may see are part of that service's record.
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=org_ids)}

    def label(node: NodeKey) -> dict[str, Any]:
        kind, pk = node
        if kind == "ci" and pk in cis:
            ci = cis[pk]
            return {
                "kind": "ci",
                "id": pk,
                "label": str(ci),
                "number": ci.number,
                "name": ci.name,
                "type": str(ci.ci_type),
                "visible": True,
            }
        if kind == "service" and pk in services:
            s = services[pk]
            return {"kind": "service", "id": pk, "label": s.name, "code": s.code, "visible": True}
        return {"kind": kind, "id": None, "label": "", "visible": False}

    def paths(node: NodeKey, limit: int = MAX_PATHS) -> list[list[dict[str, Any]]]:
        return [
            [{**label(step), "relation": relation} for step, relation in path]
            for path in result.paths(node, limit)
        ]

    service_rows = []
    for (kind, pk), reach in sorted(result.reached.items(), key=lambda item: (item[1].depth, item[0])):
        if kind != "service" or pk not in services or pk not in alive or (kind, pk) == result.start:
            continue
        service_rows.append(
            {
                **label((kind, pk)),
                "depth": reach.depth,
                "lifecycle": services[pk].lifecycle,
                "customers": [{"id": o, "name": orgs[o].name} for o in customers.get(pk, []) if o in orgs],
                "paths": paths((kind, pk)),
            }
        )
    ci_rows = [
        {**label((kind, pk)), "depth": reach.depth, "status": cis[pk].status, "paths": paths((kind, pk), 1)}
        for (kind, pk), reach in ordered
        if kind == "ci" and pk in cis and (kind, pk) != result.start
    ][:MAX_CI_ROWS]
    if result.start[0] == "service" and result.start[1] in services and result.direction == "up":
        start_customers = customers.get(result.start[1], [])
    else:
        start_customers = []
    customer_rows: dict[int, dict[str, Any]] = {}
    for row in service_rows:
        for customer in row["customers"]:
            entry = customer_rows.setdefault(
                customer["id"], {**customer, "services": [], "depth": row["depth"]}
            )
            entry["services"].append(row["id"])
            entry["depth"] = min(entry["depth"], row["depth"])
    for org in start_customers:
        if org in orgs:
            customer_rows.setdefault(org, {"id": org, "name": orgs[org].name, "services": [], "depth": 0})
            customer_rows[org]["services"].append(result.start[1])
    ci_total = sum(1 for kind, _ in result.reached if kind == "ci") - (1 if result.start[0] == "ci" else 0)
    all_cis = [pk for kind, pk in result.reached if kind == "ci"]
    if access.condition(ConfigurationItem, user, "view") is None:  # sees every CI
        visible_cis = len(all_cis)
    elif len(all_cis) <= len(ci_ids):
        visible_cis = len(cis)
    else:
        visible_cis = sum(
            ConfigurationItem.objects.visible_to(user)
            .filter(pk__in=all_cis[i : i + CHUNK])
            .order_by()
            .count()
            for i in range(0, len(all_cis), CHUNK)
        )
    hidden = (len(all_cis) - visible_cis) + sum(
        1 for kind, pk in result.reached if kind == "service" and pk not in services
    )
    return {
        "start": label(result.start),
        "direction": result.direction,
        "max_depth": result.max_depth,
        "as_of": result.as_of.isoformat() if result.as_of else None,
        "truncated": result.truncated,
        "hidden_nodes": hidden,
        "services": service_rows,
        "cis": ci_rows,
        "cis_total": ci_total,
        "customers": sorted(customer_rows.values(), key=lambda c: (c["depth"], c["name"])),
    }
