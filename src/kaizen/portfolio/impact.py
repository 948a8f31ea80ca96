"""Impact analysis: what depends on a CI or service (upstream), and what a service needs (downstream).

The graph joins CI relationships (each type says how a failure propagates) and service
dependencies (a service needs a service or a CI). Traversal is breadth-first, one query per edge
table and level, with a depth limit and a visited set, so cycles in the data are harmless. Every
node keeps the neighbours it was first reached from at its shortest depth, which gives the paths
that explain why it is affected. ``as_of`` replays the graph as it was at a past moment: ended
relationships and dependencies are kept with their validity period, and service customers come
from the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Q, QuerySet

from kaizen.accounts.models import Organisation
from kaizen.cmdb.choices import Propagation
from kaizen.cmdb.models import ConfigurationItem, Relationship
from kaizen.core.models import AuditEntry

from .models import Service, ServiceDependency

Kind = Literal["ci", "service"]
NodeKey = tuple[Kind, int]
Direction = Literal["up", "down"]
DEFAULT_DEPTH = 10
MAX_DEPTH = 50
MAX_NODES = 20_000
MAX_PATHS = 3

UP_FROM_TARGET = (Propagation.SOURCE_DEPENDS, Propagation.BOTH)
"""Relationship types along which a failure of the target reaches the source."""
UP_FROM_SOURCE = (Propagation.TARGET_DEPENDS, Propagation.BOTH)


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


def _window(qs: QuerySet[Any], as_of: dt.datetime | None) -> QuerySet[Any]:
    if as_of is None:
        return qs.filter(ended_at__isnull=True)
    return qs.filter(Q(started_at__lte=as_of), Q(ended_at__isnull=True) | Q(ended_at__gt=as_of))


def _neighbours(
    cis: list[int], services: list[int], direction: Direction, as_of: dt.datetime | None
) -> Iterable[tuple[NodeKey, NodeKey, str]]:
    """Yield (from, to, relation code) edges leaving the frontier in the traversal direction."""
    rels = _window(Relationship.objects.all(), as_of)
    deps = _window(ServiceDependency.objects.all(), as_of)
    fields = ("source_id", "target_id", "relationship_type__code")
    if cis:
        if direction == "up":
            forward = rels.filter(target_id__in=cis, relationship_type__propagation__in=UP_FROM_TARGET)
            backward = rels.filter(source_id__in=cis, relationship_type__propagation__in=UP_FROM_SOURCE)
            for source, target, code in forward.values_list(*fields):
                yield ("ci", target), ("ci", source), code
            for source, target, code in backward.values_list(*fields):
                yield ("ci", source), ("ci", target), code
            for service, ci in deps.filter(depends_on_ci_id__in=cis).values_list(
                "service_id", "depends_on_ci_id"
            ):
                yield ("ci", ci), ("service", service), "service-depends-on"
        else:
            forward = rels.filter(source_id__in=cis, relationship_type__propagation__in=UP_FROM_TARGET)
            backward = rels.filter(target_id__in=cis, relationship_type__propagation__in=UP_FROM_SOURCE)
            for source, target, code in forward.values_list(*fields):
                yield ("ci", source), ("ci", target), code
            for source, target, code in backward.values_list(*fields):
                yield ("ci", target), ("ci", source), code
    if services:
        if direction == "up":
            rows = deps.filter(depends_on_service_id__in=services).values_list(
                "service_id", "depends_on_service_id"
            )
            for service, needed in rows:
                yield ("service", needed), ("service", service), "service-depends-on"
        else:
            rows = deps.filter(service_id__in=services).values_list(
                "service_id", "depends_on_service_id", "depends_on_ci_id"
            )
            for service, needed_service, needed_ci in rows:
                if needed_service is not None:
                    yield ("service", service), ("service", needed_service), "service-depends-on"
                else:
                    yield ("service", service), ("ci", needed_ci), "service-depends-on"


def traverse(
    start: NodeKey,
    *,
    direction: Direction = "up",
    max_depth: int = DEFAULT_DEPTH,
    as_of: dt.datetime | None = None,
) -> ImpactResult:
    """Walk the dependency graph from ``start``; ``up`` finds what is affected, ``down`` what is needed."""
    max_depth = max(1, min(int(max_depth), MAX_DEPTH))
    reached: dict[NodeKey, Reach] = {start: Reach(depth=0)}
    frontier = [start]
    truncated = False
    depth = 0
    while frontier and depth < max_depth:
        depth += 1
        cis = [i for kind, i in frontier if kind == "ci"]
        services = [i for kind, i in frontier if kind == "service"]
        next_frontier: list[NodeKey] = []
        for origin, node, relation in _neighbours(cis, services, direction, as_of):
            known = reached.get(node)
            if known is None:
                if len(reached) >= MAX_NODES:
                    truncated = True
                    continue
                reached[node] = Reach(depth=depth, parents=[(origin, relation)])
                next_frontier.append(node)
            elif known.depth == depth and (origin, relation) not in known.parents:
                known.parents.append((origin, relation))
        frontier = next_frontier
    if frontier and depth >= max_depth:
        truncated = truncated or bool(_peek(frontier, direction, as_of, reached))
    return ImpactResult(start, direction, max_depth, as_of, reached, truncated)


def _peek(
    frontier: list[NodeKey], direction: Direction, as_of: dt.datetime | None, reached: dict[NodeKey, Reach]
) -> bool:
    """Tell whether the depth limit hid further nodes."""
    cis = [i for kind, i in frontier if kind == "ci"]
    services = [i for kind, i in frontier if kind == "service"]
    return any(node not in reached for _, node, _ in _neighbours(cis, services, direction, as_of))


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


def existing_services(ids: list[int], as_of: dt.datetime | None) -> set[int]:
    """Return the ids of services that existed at ``as_of`` (all of ``ids`` that exist, for now)."""
    qs = Service.objects.filter(pk__in=ids)
    if as_of is not None:
        qs = qs.filter(created_at__lte=as_of)
    return set(qs.values_list("pk", flat=True))


def describe(result: ImpactResult, user: Any) -> dict[str, Any]:
    """Turn a traversal into services, CIs and customers the user may see, with paths and depth.

    Nodes the user may not see are left out of the lists and shown as hidden steps in paths, so a
    path through another organisation's infrastructure is visible as a dependency without
    revealing that infrastructure.
    """
    ci_ids = [i for kind, i in result.reached if kind == "ci"]
    service_ids = [i for kind, i in result.reached if kind == "service"]
    cis = {
        ci.pk: ci
        for ci in ConfigurationItem.objects.visible_to(user).filter(pk__in=ci_ids).select_related("ci_type")
    }
    services = {s.pk: s for s in Service.objects.visible_to(user).filter(pk__in=service_ids)}
    alive = existing_services(service_ids, result.as_of)
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

    def paths(node: NodeKey) -> list[list[dict[str, Any]]]:
        return [
            [{**label(step), "relation": relation} for step, relation in path] for path in result.paths(node)
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
        {**label((kind, pk)), "depth": reach.depth, "status": cis[pk].status, "paths": paths((kind, pk))}
        for (kind, pk), reach in sorted(result.reached.items(), key=lambda item: (item[1].depth, item[0]))
        if kind == "ci" and pk in cis and (kind, pk) != result.start
    ]
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
    hidden = sum(
        1
        for (kind, pk) in result.reached
        if (kind == "ci" and pk not in cis) or (kind == "service" and pk not in services)
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
        "customers": sorted(customer_rows.values(), key=lambda c: (c["depth"], c["name"])),
    }
