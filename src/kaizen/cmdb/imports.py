"""CMDB import (CSV, JSON, YAML): idempotent upsert of CIs by external id, with a per-row report.

Rows are keyed by (organisation, ``external_id``): a new key creates a CI, a known key updates it.
Nothing is applied when any row is wrong, unless the caller asks to continue on error; a dry run
validates everything and applies nothing. Every applied row is audited (in bulk), numbers come
from the CI sequence, and CIs under strict control change only under the change being
implemented that lists them (``change``).

CSV columns: ``external_id, name, type, organisation, status, owner_team, location,
control_level, description`` and one ``attr.<name>`` column per attribute. JSON: a list of
objects (or ``{"items": [...]}``) with the same keys and an ``attributes`` object; YAML likewise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Organisation, Team
from kaizen.core import access, audit, sequences
from kaizen.core.lib import text

from . import control, policies
from .choices import CIStatus, ControlLevel
from .models import CIType, ConfigurationItem
from .services import CI_SEQUENCE

FIELDS = (
    "external_id",
    "name",
    "type",
    "organisation",
    "status",
    "owner_team",
    "location",
    "control_level",
    "description",
)
ATTR = "attr."
IGNORED = frozenset({"number"})
"""Columns an export writes that an import reads past (the CI number is Kaizen's own)."""
CHUNK = 1000
MAX_ROWS = 1_000_000
MAX_ERRORS = 1000
LIMITS = {"external_id": 200, "name": 200, "location": 200, "description": 10_000, "owner_team": 200}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, format, structure)."""


@dataclass
class RowError:
    """One problem of one row: 1-based row number (CSV: line of the record), field, reason."""

    row: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}


@dataclass
class ImportReport:
    """What an import did (or would do, for a dry run)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    applied: bool = False
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False

    def add_error(self, row: int, field_name: str, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(RowError(row, field_name, reason))
        else:
            self.errors_truncated = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "applied": self.applied,
            "dry_run": self.dry_run,
            "errors": [e.as_dict() for e in self.errors],
            "errors_truncated": self.errors_truncated,
        }


def decode(data: bytes, encoding: str | None = None) -> str:
    """Decode an uploaded file: UTF-8 (with or without BOM), else Shift_JIS/CP932 (Excel in Japan)."""
    if encoding:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise ImportFileError(
                _("The file is not valid %(encoding)s: %(error)s") % {"encoding": encoding, "error": exc}
            ) from exc
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(_("The file is not valid UTF-16.")) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            _("The file is neither UTF-8 nor Shift_JIS. Save it as UTF-8 (CSV UTF-8 in Excel) and try again.")
        ) from exc


def detect_format(name: str, content: str) -> str:
    """Return ``csv``, ``json`` or ``yaml`` from the file name, else from the content."""
    lower = name.lower()
    for suffix, kind in ((".csv", "csv"), (".json", "json"), (".yaml", "yaml"), (".yml", "yaml")):
        if lower.endswith(suffix):
            return kind
    stripped = content.lstrip()
    if stripped.startswith(("[", "{")):
        return "json"
    if stripped.startswith(("-", "---")):
        return "yaml"
    return "csv"


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    attributes = row.get("attributes")
    out = {k: v for k, v in row.items() if k != "attributes"}
    if isinstance(attributes, dict):
        for k, v in attributes.items():
            out[f"{ATTR}{k}"] = v
    elif attributes is not None:
        out["attributes"] = attributes  # reported as an error later
    return out


def parse(content: str, kind: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row number, row) pairs; raise ImportFileError when the file cannot be read at all."""
    if kind == "csv":
        reader = csv.DictReader(io.StringIO(content, newline=""))
        if not reader.fieldnames:
            raise ImportFileError(_("The CSV file has no header row."))
        headers = [h.strip() if h else "" for h in reader.fieldnames]
        if len(set(headers)) != len(headers):
            raise ImportFileError(_("The CSV header repeats a column."))
        reader.fieldnames = headers
        try:
            for row in reader:
                if None in row:
                    yield reader.line_num, {"__extra__": row.pop(None)}
                    continue
                yield reader.line_num, {k: v for k, v in row.items() if k}
        except csv.Error as exc:
            raise ImportFileError(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc
        return
    try:
        data = json.loads(content) if kind == "json" else yaml.safe_load(content)
    except (ValueError, yaml.YAMLError) as exc:
        raise ImportFileError(
            _("The file is not valid %(kind)s: %(error)s") % {"kind": kind.upper(), "error": str(exc)[:300]}
        ) from exc
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise ImportFileError(_("Expected a list of CIs (or an object with an items list)."))
    for index, row in enumerate(data, start=1):
        yield index, _flat(row) if isinstance(row, dict) else {"__not_object__": row}


@dataclass
class _Lookups:
    orgs: dict[str, Organisation]
    types: dict[str, CIType]
    teams: dict[tuple[int, str], Team]
    teams_by_name: dict[str, list[Team]]
    default_org: Organisation | None


def _lookups(actor: Any, default_org: str | None) -> _Lookups:
    orgs = {o.code: o for o in access.restrict(Organisation.objects.all(), actor, "view")}
    types = {t.code: t for t in CIType.objects.all()}
    visible_teams = list(access.restrict(Team.objects.all(), actor, "view"))
    teams = {(t.organisation_id, t.name): t for t in visible_teams}
    by_name: dict[str, list[Team]] = {}
    for team in visible_teams:
        by_name.setdefault(team.name, []).append(team)
    org = orgs.get(default_org or "") if default_org else None
    if default_org and org is None:
        raise ImportFileError(_("Unknown organisation %(code)s.") % {"code": default_org})
    return _Lookups(orgs, types, teams, by_name, org)


def _clean_row(
    number: int, row: dict[str, Any], lookups: _Lookups, report: ImportReport
) -> dict[str, Any] | None:
    """Validate one row; return the CI values or None (errors go to the report)."""
    if "__not_object__" in row:
        report.add_error(number, "", _("Each entry must be an object."))
        return None
    if "__extra__" in row:
        report.add_error(number, "", _("This row has more values than the header has columns."))
        return None
    errors_before = len(report.errors) + (1 if report.errors_truncated else 0)
    unknown = sorted(k for k in row if k not in FIELDS and k not in IGNORED and not k.startswith(ATTR))
    for key in unknown:
        report.add_error(number, str(key)[:60], _("Unknown column."))
    values: dict[str, Any] = {}
    for key in FIELDS:
        raw = row.get(key)
        if raw is None:
            raw = ""
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            report.add_error(number, key, _("Expected text."))
            continue
        raw = str(raw).strip()
        if text.has_control_characters(raw):
            report.add_error(number, key, _("Control characters are not allowed."))
            continue
        if len(raw) > LIMITS.get(key, 200):
            report.add_error(number, key, _("At most %(n)s characters.") % {"n": LIMITS.get(key, 200)})
            continue
        values[key] = raw
    if not values.get("external_id"):
        report.add_error(number, "external_id", _("An external id is required to import a CI."))
    if not values.get("name"):
        report.add_error(number, "name", _("This field is required."))
    org = (
        lookups.orgs.get(values.get("organisation", ""))
        if values.get("organisation")
        else lookups.default_org
    )
    if org is None:
        report.add_error(number, "organisation", _("Unknown organisation, or you may not see it."))
    ci_type = lookups.types.get(values.get("type", ""))
    if ci_type is None:
        report.add_error(number, "type", _("Unknown CI type."))
    status = values.get("status") or CIStatus.IN_USE
    if status not in CIStatus.values:
        report.add_error(
            number, "status", _("Expected one of: %(choices)s.") % {"choices": ", ".join(CIStatus.values)}
        )
    level = values.get("control_level") or ControlLevel.REFERENCE
    if level not in ControlLevel.values:
        report.add_error(
            number,
            "control_level",
            _("Expected one of: %(choices)s.") % {"choices": ", ".join(ControlLevel.values)},
        )
    team = None
    if values.get("owner_team") and org is not None:
        # The team of the CI's own organisation, else the only visible team of that name (an
        # internal infrastructure team often owns CIs hosted at a supplier).
        team = lookups.teams.get((org.pk, values["owner_team"]))
        candidates = lookups.teams_by_name.get(values["owner_team"], [])
        if team is None and len(candidates) == 1:
            team = candidates[0]
        if team is None:
            reason = (
                _("Several teams have this name.")
                if candidates
                else _("Unknown team, or you may not see it.")
            )
            report.add_error(number, "owner_team", reason)
    attributes: dict[str, Any] = {}
    if "attributes" in row:
        report.add_error(number, "attributes", _("Attributes must be an object of name: value."))
    elif ci_type is not None:
        raw_attrs = {k[len(ATTR) :]: v for k, v in row.items() if k.startswith(ATTR) and v not in (None, "")}
        attributes, problems = policies.clean_attributes(ci_type.attribute_schema, raw_attrs)
        for name, reason in problems.items():
            report.add_error(number, f"{ATTR}{name}", reason)
    if len(report.errors) + (1 if report.errors_truncated else 0) > errors_before:
        return None
    return {
        "external_id": values["external_id"],
        "name": values["name"],
        "ci_type": ci_type,
        "organisation": org,
        "status": status,
        "owner_team": team,
        "location": values.get("location", ""),
        "control_level": level,
        "description": values.get("description", ""),
        "attributes": attributes,
    }


def _snapshot(ci: ConfigurationItem) -> dict[str, Any]:
    return {
        "name": ci.name,
        "ci_type": ci.ci_type_id,
        "status": ci.status,
        "owner_team": ci.owner_team_id,
        "location": ci.location,
        "control_level": ci.control_level,
        "description": ci.description,
        "attributes": ci.attributes,
        "external_id": ci.external_id,
        "organisation": ci.organisation_id,
    }


def run_import(
    content: str,
    *,
    kind: str,
    actor: Any,
    dry_run: bool = False,
    continue_on_error: bool = False,
    default_organisation: str | None = None,
    change: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Validate and (unless ``dry_run``) apply an import; return the per-row report.

    Raises:
        ImportFileError: the file cannot be read at all (nothing is applied).
    """
    report = ImportReport(dry_run=dry_run)
    lookups = _lookups(actor, default_organisation)
    rows: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[int, str], int] = {}
    for number, raw in parse(content, kind):
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ImportFileError(_("At most %(n)s rows per file.") % {"n": MAX_ROWS})
        values = _clean_row(number, raw, lookups, report)
        if values is None:
            continue
        org = values["organisation"]
        if not access.can(actor, "add", ConfigurationItem, organisation_id=org.pk):
            report.add_error(number, "organisation", _("You may not add CIs in this organisation."))
            continue
        key = (org.pk, values["external_id"])
        if key in seen:
            report.add_error(
                number, "external_id", _("Duplicate of row %(row)s in this file.") % {"row": seen[key]}
            )
            continue
        seen[key] = number
        rows.append((number, values))
    if report.errors and not continue_on_error:
        report.skipped = report.rows
        return report
    report.skipped = report.rows - len(rows)
    try:
        with transaction.atomic():
            _apply(rows, actor=actor, change=change, report=report, progress=progress)
            if dry_run or (report.errors and not continue_on_error):
                transaction.set_rollback(True)
            else:
                report.applied = True
    except PermissionDenied as exc:
        raise ImportFileError(str(exc)) from exc
    return report


def _apply(
    rows: list[tuple[int, dict[str, Any]]],
    *,
    actor: Any,
    change: str,
    report: ImportReport,
    progress: Callable[[int, int], None] | None,
) -> None:
    total = len(rows)
    for start in range(0, total, CHUNK):
        chunk = rows[start : start + CHUNK]
        by_org: dict[int, list[str]] = {}
        for _number, values in chunk:
            by_org.setdefault(values["organisation"].pk, []).append(values["external_id"])
        existing: dict[tuple[int, str], ConfigurationItem] = {}
        for org_id, ids in by_org.items():
            for ci in ConfigurationItem.objects.select_for_update().filter(
                organisation_id=org_id, external_id__in=ids
            ):
                existing[(org_id, ci.external_id)] = ci
            # A CI exported without an external id carries its number instead: match it by number.
            missing = [i for i in ids if (org_id, i) not in existing and i.startswith("CI-")]
            if missing:
                for ci in ConfigurationItem.objects.select_for_update().filter(
                    organisation_id=org_id, external_id="", number__in=missing
                ):
                    existing[(org_id, ci.number)] = ci
        new: list[ConfigurationItem] = []
        changed: list[tuple[ConfigurationItem, dict[str, list[Any]], dict[str, Any] | None]] = []
        controlled: dict[int, tuple[dict[str, Any], list[ConfigurationItem]]] = {}
        for number, values in chunk:
            current = existing.get((values["organisation"].pk, values["external_id"]))
            if current is None:
                new.append(ConfigurationItem(**values))
                continue
            if not access.can(actor, "change", ConfigurationItem, obj=current):
                report.add_error(number, "external_id", _("You may not change this CI."))
                continue
            was_strict = bool(control.strict([current]))
            before = audit.jsonable(_snapshot(current))
            for key, value in values.items():
                setattr(current, key, value)
            delta = audit.diff(before, audit.jsonable(_snapshot(current)))
            if not delta:
                report.unchanged += 1
                continue
            meta = None
            if was_strict:
                try:
                    meta = {**control.require([current], change, actor), "import": True}
                except ValidationError as exc:
                    report.add_error(number, "change", " ".join(exc.messages))
                    continue
                controlled.setdefault(meta["change_id"], (meta, []))[1].append(current)
            current.version += 1
            current.updated_at = timezone.now()
            changed.append((current, delta, meta))
        numbers = sequences.next_values(CI_SEQUENCE, len(new))
        for ci, number in zip(new, numbers, strict=True):
            ci.number = f"CI-{number:06d}"
        ConfigurationItem.objects.bulk_create(new, batch_size=CHUNK)
        if changed:
            ConfigurationItem.objects.bulk_update(
                [item[0] for item in changed],
                [
                    "name",
                    "ci_type",
                    "status",
                    "owner_team",
                    "location",
                    "control_level",
                    "description",
                    "attributes",
                    "external_id",
                    "version",
                    "updated_at",
                ],
                batch_size=CHUNK,
            )
        audit.record_bulk(
            [
                audit.Change(
                    obj=ci,
                    action="create",
                    changes={k: [None, v] for k, v in audit.jsonable(_snapshot(ci)).items()},
                    meta={"import": True},
                )
                for ci in new
            ]
            + [
                audit.Change(obj=ci, action="update", changes=delta, meta=meta or {"import": True})
                for ci, delta, meta in changed
            ]
        )
        for meta, cis in controlled.values():
            control.record(meta, cis, "import", [])
        report.created += len(new)
        report.updated += len(changed)
        if progress is not None:
            progress(min(start + CHUNK, total), total)


def read_upload(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode an uploaded file and tell its format."""
    content = decode(data, encoding)
    return content, detect_format(name, content)
