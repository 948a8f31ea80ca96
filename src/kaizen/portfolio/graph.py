"""Lay out an impact traversal as an SVG graph: one column per depth, links to the records."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from .impact import ImpactResult, NodeKey

COLUMN = 250
NODE_W = 210
NODE_H = 34
ROW = 44
MAX_PER_COLUMN = 30
MAX_LABEL = 26


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def layout(result: ImpactResult, described: dict[str, Any]) -> dict[str, Any]:
    """Return nodes (position, class, label, link) and edges for the impact template's SVG.

    Columns hold at most ``MAX_PER_COLUMN`` nodes; the rest are counted in the column's
    ``more`` figure (the lists below the graph show everything).
    """
    labels: dict[NodeKey, dict[str, Any]] = {}
    for row in described["services"]:
        labels[("service", row["id"])] = row
    for row in described["cis"]:
        labels[("ci", row["id"])] = row
    start_label = described["start"]
    columns: dict[int, list[NodeKey]] = {}
    for node, reach in sorted(
        result.reached.items(), key=lambda item: (item[1].depth, item[0][0], item[0][1])
    ):
        columns.setdefault(reach.depth, []).append(node)
    positions: dict[NodeKey, tuple[int, int]] = {}
    nodes = []
    more = []
    for depth, members in sorted(columns.items()):
        shown = members[:MAX_PER_COLUMN]
        if len(members) > MAX_PER_COLUMN:
            more.append(
                {
                    "x": depth * COLUMN + 10,
                    "y": MAX_PER_COLUMN * ROW + 30,
                    "count": len(members) - MAX_PER_COLUMN,
                }
            )
        for index, node in enumerate(shown):
            x, y = depth * COLUMN + 10, index * ROW + 10
            positions[node] = (x, y)
            kind, pk = node
            info = start_label if node == result.start else labels.get(node)
            if info is None or not info.get("visible", True):
                nodes.append({"x": x, "y": y, "cls": "node-hidden", "label": "…", "title": "", "url": ""})
                continue
            url = (
                reverse("cmdb:cis-detail", args=[pk])
                if kind == "ci"
                else reverse("portfolio:services-detail", args=[pk])
            )
            text = info.get("label") or ""
            nodes.append(
                {
                    "x": x,
                    "y": y,
                    "url": url,
                    "label": _short(text),
                    "title": text,
                    "cls": "node-start" if node == result.start else f"node-{kind}",
                    "sub": info.get("type") or info.get("code") or "",
                }
            )
    edges = []
    for node, reach in result.reached.items():
        if node not in positions:
            continue
        for parent, _relation in reach.parents:
            if parent in positions:
                px, py = positions[parent]
                x, y = positions[node]
                edges.append({"x1": px + NODE_W, "y1": py + NODE_H // 2, "x2": x - 4, "y2": y + NODE_H // 2})
    height = max([len(m[:MAX_PER_COLUMN]) for m in columns.values()] or [1]) * ROW + 60
    width = (max(columns) + 1) * COLUMN + 20 if columns else COLUMN
    return {
        "nodes": nodes,
        "edges": edges,
        "more": more,
        "width": width,
        "height": height,
        "node_w": NODE_W,
        "node_h": NODE_H,
    }
