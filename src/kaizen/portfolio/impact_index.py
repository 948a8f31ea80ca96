"""An in-process copy of the current dependency graph, kept exact by the graph change log.

Impact analysis of the present moment walks this copy instead of querying the relationship tables
level by level: on a CMDB of 600k CIs that is the difference between one query per level against
large indexes and a few array look-ups. The copy is compact (NumPy arrays in CSR form, about
50 bytes per edge) and exact: before every use it reads the head of
:class:`~kaizen.cmdb.models.GraphChange` (one indexed row) and applies the edge rows changed since
the change it last saw, or reloads completely when a change asks for it (propagation rules,
deleted rows) or when the change it saw was rolled back. Impact "as of" a past moment does not
use it.

Nodes are integers: a CI is ``pk * 2`` and a service ``pk * 2 + 1``. Edges point the way a
failure travels ("up"): from what is needed to what needs it. Walking "down" (what a service
needs) follows the same edges backwards.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection

from kaizen.cmdb.choices import Propagation
from kaizen.cmdb.models import GraphChange, Relationship, RelationshipType

from .models import ServiceDependency

log = logging.getLogger("kaizen.impact")

SERVICE_LABEL = -1
"""Label of service dependency edges (relationship edges carry their type id)."""
MAX_OVERLAY = 50_000
"""Changed edge rows kept beside the arrays; past that the arrays are rebuilt."""
FETCH = 50_000

UP_FROM_TARGET = frozenset({Propagation.SOURCE_DEPENDS, Propagation.BOTH})
"""Relationship types along which a failure of the target reaches the source."""
UP_FROM_SOURCE = frozenset({Propagation.TARGET_DEPENDS, Propagation.BOTH})

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
"""Edges as parallel arrays: start node, end node, label, row key."""


def ci_node(pk: int) -> int:
    """Return the node number of a CI."""
    return pk * 2


def service_node(pk: int) -> int:
    """Return the node number of a service."""
    return pk * 2 + 1


def _empty() -> Arrays:
    none = np.zeros(0, dtype=np.int64)
    return none, none, none, none


def relationship_edges(rows: np.ndarray, propagation: dict[int, str]) -> Arrays:
    """Turn relationship rows (id, source, target, type) into up edges; row key = ``id * 2``."""
    if not len(rows):
        return _empty()
    ident, source, target, kind = rows[:, 0], rows[:, 1] * 2, rows[:, 2] * 2, rows[:, 3]
    size = max([*propagation, int(kind.max())]) + 1
    up_from_target = np.zeros(size, dtype=bool)
    up_from_source = np.zeros(size, dtype=bool)
    for pk, rule in propagation.items():
        up_from_target[pk] = rule in UP_FROM_TARGET
        up_from_source[pk] = rule in UP_FROM_SOURCE
    from_target, from_source = up_from_target[kind], up_from_source[kind]
    key = ident * 2
    return (
        np.concatenate([target[from_target], source[from_source]]),
        np.concatenate([source[from_target], target[from_source]]),
        np.concatenate([kind[from_target], kind[from_source]]),
        np.concatenate([key[from_target], key[from_source]]),
    )


def dependency_edges(rows: np.ndarray) -> Arrays:
    """Turn dependency rows (id, service, needed service or -1, needed CI or -1) into up edges."""
    if not len(rows):
        return _empty()
    ident, service, needed_service, needed_ci = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    start = np.where(needed_service >= 0, needed_service * 2 + 1, needed_ci * 2)
    return start, service * 2 + 1, np.full(len(rows), SERVICE_LABEL, dtype=np.int64), ident * 2 + 1


@dataclass
class _Csr:
    """Edges grouped by start node: ``ends[indptr[i]:indptr[i + 1]]`` leave node ``keys[i]``."""

    indptr: np.ndarray
    ends: np.ndarray
    labels: np.ndarray
    rows: np.ndarray

    @classmethod
    def build(cls, keys: np.ndarray, edges: Arrays) -> _Csr:
        start, end, labels, rows = edges
        dense = np.searchsorted(keys, start)
        order = np.argsort(dense, kind="stable")
        indptr = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.bincount(dense, minlength=len(keys)), out=indptr[1:])
        return cls(indptr, end[order], labels[order].astype(np.int32), rows[order])


@dataclass
class GraphIndex:
    """The current graph as arrays, plus the edge rows changed since the arrays were built."""

    seq: int = -1
    token: str = ""
    codes: dict[int, str] = field(default_factory=dict)
    propagation: dict[int, str] = field(default_factory=dict)
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    up: _Csr | None = None
    down: _Csr | None = None
    removed: set[int] = field(default_factory=set)
    removed_array: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Edges of changed rows that are current: row key -> [(start, end, label)], and by node.
    extra_rows: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    extra_up: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)
    extra_down: dict[int, list[tuple[int, int, int]]] = field(default_factory=dict)

    # -- loading ------------------------------------------------------------------------------

    def _types(self) -> None:
        self.codes, self.propagation = {}, {}
        for pk, kind, code in RelationshipType.objects.values_list("pk", "propagation", "code"):
            self.codes[pk] = code
            self.propagation[pk] = kind

    @staticmethod
    def _fetch(sql: str, params: list[Any], width: int) -> np.ndarray:
        parts = []
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while chunk := cursor.fetchmany(FETCH):
                parts.append(np.array(chunk, dtype=np.int64).reshape(-1, width))
        return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.int64)

    def _rows(self, where: str, params: list[Any], *, with_state: bool) -> tuple[np.ndarray, np.ndarray]:
        """Return relationship and dependency rows matching ``where`` (plus 1 = current, 0 = ended)."""
        # Table names come from the models and ``where`` from this module; values are bound.
        state = ", CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END" if with_state else ""
        width = 5 if with_state else 4
        rels = self._fetch(
            f"SELECT id, source_id, target_id, relationship_type_id{state} "  # noqa: S608
            f"FROM {Relationship._meta.db_table} WHERE {where}",
            params,
            width,
        )
        deps = self._fetch(
            f"SELECT id, service_id, COALESCE(depends_on_service_id, -1), COALESCE(depends_on_ci_id, -1)"  # noqa: S608
            f"{state} FROM {ServiceDependency._meta.db_table} WHERE {where}",
            params,
            width,
        )
        return rels, deps

    def build(self, seq: int, token: str) -> None:
        """Load every current edge, as of change ``seq``."""
        started = time.perf_counter()
        self._types()
        rels, deps = self._rows("ended_at IS NULL", [], with_state=False)
        parts = (relationship_edges(rels, self.propagation), dependency_edges(deps))
        edges: Arrays = tuple(np.concatenate([p[i] for p in parts]) for i in range(4))  # type: ignore[assignment]
        self.keys = np.unique(np.concatenate([edges[0], edges[1]]))
        self.up = _Csr.build(self.keys, edges)
        self.down = _Csr.build(self.keys, (edges[1], edges[0], edges[2], edges[3]))
        self.removed, self.removed_array = set(), np.zeros(0, dtype=np.int64)
        self.extra_rows, self.extra_up, self.extra_down = {}, {}, {}
        self.seq, self.token = seq, token
        log.info(
            "impact index: %d nodes, %d edges loaded in %.2f s",
            len(self.keys),
            len(edges[0]),
            time.perf_counter() - started,
        )

    def _forget(self, row: int) -> None:
        for start, end, label in self.extra_rows.pop(row, []):
            self.extra_up[start].remove((end, label, row))
            self.extra_down[end].remove((start, label, row))

    def apply(self, seq: int, token: str) -> None:
        """Apply the edge rows changed after the change this copy saw, up to change ``seq``."""
        self._types()
        rels, deps = self._rows("graph_seq > %s AND graph_seq <= %s", [self.seq, seq], with_state=True)
        for row in [*(rels[:, 0] * 2).tolist(), *(deps[:, 0] * 2 + 1).tolist()]:
            self._forget(row)
            self.removed.add(row)
        live = (
            relationship_edges(rels[rels[:, 4] == 1][:, :4], self.propagation),
            dependency_edges(deps[deps[:, 4] == 1][:, :4]),
        )
        for parts in live:
            for start, end, label, row in zip(*(p.tolist() for p in parts), strict=True):
                self.extra_rows.setdefault(row, []).append((start, end, label))
                self.extra_up.setdefault(start, []).append((end, label, row))
                self.extra_down.setdefault(end, []).append((start, label, row))
        self.removed_array = np.fromiter(self.removed, dtype=np.int64, count=len(self.removed))
        self.seq, self.token = seq, token

    def overlay_size(self) -> int:
        """Return how many changed rows are kept beside the arrays."""
        return len(self.removed) + len(self.extra_rows)

    # -- walking ------------------------------------------------------------------------------

    def label(self, label: int) -> str:
        """Return the relation code an edge label stands for."""
        return "service-depends-on" if label == SERVICE_LABEL else self.codes.get(label, "")

    def neighbours(self, frontier: list[int], direction: str) -> Iterator[tuple[int, int, int]]:
        """Yield (from, to, label) for the edges leaving ``frontier``, "up" or "down"."""
        csr = self.up if direction == "up" else self.down
        extra = self.extra_up if direction == "up" else self.extra_down
        if csr is not None and len(self.keys) and frontier:
            nodes = np.asarray(frontier, dtype=np.int64)
            pos = np.minimum(np.searchsorted(self.keys, nodes), len(self.keys) - 1)
            known = self.keys[pos] == nodes
            nodes, pos = nodes[known], pos[known]
            first = csr.indptr[pos]
            counts = csr.indptr[pos + 1] - first
            total = int(counts.sum())
            if total:
                owner = np.repeat(np.arange(len(pos)), counts)
                index = first[owner] + np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                origins, ends, labels = nodes[owner], csr.ends[index], csr.labels[index]
                if len(self.removed_array):
                    keep = ~np.isin(csr.rows[index], self.removed_array)
                    origins, ends, labels = origins[keep], ends[keep], labels[keep]
                yield from zip(origins.tolist(), ends.tolist(), labels.tolist(), strict=True)
        if extra:
            for node in frontier:
                for end, label, _row in extra.get(node, ()):
                    yield node, end, label


_index = GraphIndex()
_lock = threading.Lock()


@contextmanager
def current() -> Iterator[GraphIndex]:
    """Hold the graph index, brought up to the latest graph change this connection sees.

    The index is held under a lock for the walk, so a thread never reads it while another
    applies changes.
    """
    with _lock:
        head = GraphChange.objects.order_by("-seq").values_list("seq", "token").first()
        seq, token = (int(head[0]), str(head[1])) if head else (0, "")
        index = _index
        fresh = seq == index.seq and token == index.token
        rebuild = not fresh and (index.seq < 0 or seq < index.seq)
        if not fresh and not rebuild and index.seq > 0:
            # The change this copy saw may have been rolled back (read inside a transaction).
            seen = GraphChange.objects.filter(seq=index.seq).values_list("token", flat=True).first()
            rebuild = seen != index.token
        if not fresh and not rebuild:
            rebuild = GraphChange.objects.filter(seq__gt=index.seq, seq__lte=seq, full=True).exists()
        if rebuild:
            index.build(seq, token)
        elif not fresh:
            index.apply(seq, token)
            if index.overlay_size() > MAX_OVERLAY:
                index.build(seq, token)
        yield index


def reset() -> None:
    """Forget the copy (tests and benchmarks); the next use loads it again."""
    global _index
    with _lock:
        _index = GraphIndex()
