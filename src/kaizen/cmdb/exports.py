"""CMDB export: any filtered list of CIs as CSV, JSON or YAML, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import yaml
from django.db.models import QuerySet

from .models import CIType, ConfigurationItem

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "external_id",
    "number",
    "name",
    "type",
    "organisation",
    "status",
    "owner_team",
    "location",
    "control_level",
    "description",
)


def neutralise(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula (``=cmd|...``) with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def rows(queryset: QuerySet[ConfigurationItem]) -> Iterator[dict[str, Any]]:
    """Yield export rows (the import format) for the CIs of ``queryset``, streaming from the database."""
    qs = queryset.select_related("ci_type", "organisation", "owner_team").order_by("pk")
    for ci in qs.iterator(chunk_size=2000):
        yield {
            "external_id": ci.external_id or ci.number,
            "number": ci.number,
            "name": ci.name,
            "type": ci.ci_type.code,
            "organisation": ci.organisation.code,
            "status": ci.status,
            "owner_team": ci.owner_team.name if ci.owner_team else "",
            "location": ci.location,
            "control_level": ci.control_level,
            "description": ci.description,
            "attributes": ci.attributes,
        }


def as_csv(queryset: QuerySet[ConfigurationItem]) -> Iterator[str]:
    """Stream CSV (UTF-8 with BOM so Excel opens Japanese text correctly); formulas neutralised."""
    types = CIType.objects.filter(pk__in=queryset.order_by().values("ci_type").distinct())
    attr_names = sorted(
        {d["name"] for t in types for d in t.attribute_schema if isinstance(d, dict) and "name" in d}
    )
    header = [*COLUMNS, *(f"attr.{name}" for name in attr_names)]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield "\ufeff" + buffer.getvalue()
    for row in rows(queryset):
        buffer.seek(0)
        buffer.truncate()
        values = [row[c] for c in COLUMNS] + [row["attributes"].get(n, "") for n in attr_names]
        writer.writerow([neutralise(v if not isinstance(v, bool) else str(v).lower()) for v in values])
        yield buffer.getvalue()


def as_json(queryset: QuerySet[ConfigurationItem]) -> Iterator[str]:
    """Stream a JSON list in the import format."""
    yield "["
    for index, row in enumerate(rows(queryset)):
        yield ("," if index else "") + json.dumps(row, ensure_ascii=False)
    yield "]\n"


def as_yaml(queryset: QuerySet[ConfigurationItem]) -> Iterator[str]:
    """Stream a YAML list in the import format."""
    for row in rows(queryset):
        yield yaml.safe_dump([row], allow_unicode=True, sort_keys=False)
