"""CMDB import and export: formats, encodings, idempotent upsert, per-row errors, safety."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from kaizen.accounts.tests.factories import OrganisationFactory, TeamFactory, user_with_role
from kaizen.cmdb import imports
from kaizen.cmdb.choices import ControlLevel
from kaizen.cmdb.models import ConfigurationItem, ImportJob
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import assert_problem, client_for

from .factories import SERVER_SCHEMA, CIFactory, CITypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org = OrganisationFactory(code="sakura")
    CITypeFactory(code="server", attribute_schema=SERVER_SCHEMA)
    user = user_with_role(Role.AGENT, org)
    return org, user


def _csv(rows, header=("external_id", "name", "type", "organisation", "attr.hostname", "attr.memory_gb")):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


GOOD = [
    ("srv-1", "会計AP01", "server", "sakura", "ap01.example.jp", "16"),
    ("srv-2", "会計AP02", "server", "sakura", "ap02.example.jp", ""),
]


def test_csv_import_creates_then_updates_idempotently(world):
    _, user = world
    report = imports.run_import(_csv(GOOD), kind="csv", actor=user)
    assert (report.created, report.updated, report.errors, report.applied) == (2, 0, [], True)
    ci = ConfigurationItem.objects.get(external_id="srv-1")
    assert ci.number.startswith("CI-") and ci.attributes == {"hostname": "ap01.example.jp", "memory_gb": 16}
    assert AuditEntry.objects.filter(record_type="cmdb.configurationitem", action="create").count() == 2
    again = imports.run_import(_csv(GOOD), kind="csv", actor=user)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = imports.run_import(_csv([(*GOOD[0][:5], "32")]), kind="csv", actor=user)
    assert changed.updated == 1
    ci.refresh_from_db()
    assert ci.attributes["memory_gb"] == 32 and ci.version == 2
    assert ConfigurationItem.objects.count() == 2


def test_one_bad_row_applies_nothing_and_reports_row_field_and_reason(world):
    _, user = world
    rows = [
        *GOOD,
        ("srv-3", "bad", "server", "sakura", "not a host!", "x"),
        ("srv-4", "", "nope", "sakura", "", ""),
    ]
    report = imports.run_import(_csv(rows), kind="csv", actor=user)
    assert report.applied is False and ConfigurationItem.objects.count() == 0
    found = {(e.row, e.field) for e in report.errors}
    assert {(4, "attr.hostname"), (4, "attr.memory_gb"), (5, "name"), (5, "type")} <= found
    partial = imports.run_import(_csv(rows), kind="csv", actor=user, continue_on_error=True)
    assert partial.applied is True and partial.created == 2 and partial.skipped == 2
    assert ConfigurationItem.objects.count() == 2


def test_dry_run_changes_nothing(world):
    _, user = world
    report = imports.run_import(_csv(GOOD), kind="csv", actor=user, dry_run=True)
    assert report.created == 2 and report.applied is False
    assert ConfigurationItem.objects.count() == 0
    assert not AuditEntry.objects.filter(record_type="cmdb.configurationitem").exists()


def test_duplicate_external_ids_in_one_file_are_errors(world):
    _, user = world
    report = imports.run_import(_csv([GOOD[0], GOOD[0]]), kind="csv", actor=user)
    assert [(e.row, e.field) for e in report.errors] == [(3, "external_id")]
    assert "2" in report.errors[0].reason


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_utf8_bom_and_shift_jis_csv_import_correctly(world, encoding):
    _, user = world
    content, kind = imports.read_upload(_csv(GOOD).encode(encoding), "cis.csv")
    report = imports.run_import(content, kind=kind, actor=user)
    assert report.errors == [] and ConfigurationItem.objects.get(external_id="srv-1").name == "会計AP01"


def test_unreadable_files_fail_with_a_clear_message():
    for data, name in [
        (b"\x81\xff\xfe\x00garbage\xff", "x.csv"),
        (b"[1, 2", "x.json"),
        (b"a: [", "x.yaml"),
        (b"", "x.csv"),
    ]:
        with pytest.raises(imports.ImportFileError):
            content, kind = imports.read_upload(data, name)
            list(imports.parse(content, kind))
    with pytest.raises(imports.ImportFileError):
        list(imports.parse('{"items": 3}', "json"))


def test_json_and_yaml_with_nested_attributes(world):
    _, user = world
    rows = [
        {
            "external_id": "j1",
            "name": "DB01",
            "type": "server",
            "organisation": "sakura",
            "attributes": {"hostname": "db01.example.jp"},
        }
    ]
    assert imports.run_import(json.dumps(rows), kind="json", actor=user).created == 1
    rows[0]["external_id"] = "y1"
    assert imports.run_import(yaml.safe_dump(rows, allow_unicode=True), kind="yaml", actor=user).created == 1
    bad = imports.run_import(
        json.dumps(
            [
                {
                    "external_id": "j2",
                    "name": "x",
                    "type": "server",
                    "organisation": "sakura",
                    "attributes": "hostname=x",
                },
                42,
                {"name": {"nested": 1}},
            ]
        ),
        kind="json",
        actor=user,
    )
    assert {e.row for e in bad.errors} == {1, 2, 3}


def test_rows_for_invisible_organisations_are_refused(world):
    _, user = world
    OrganisationFactory(code="other")
    report = imports.run_import(
        _csv([("x1", "n", "server", "other", "h.example", "")]), kind="csv", actor=user
    )
    assert report.errors[0].field == "organisation"


def test_strict_cis_need_a_change_on_import(world):
    """Rows changing a strict CI need the change (the import under one is in changes/tests)."""
    org, user = world
    server = CITypeFactory(code="fw")
    CIFactory(
        organisation=org, ci_type=server, external_id="fw-1", control_level=ControlLevel.STRICT, name="old"
    )
    rows = _csv(
        [("fw-1", "new", "fw", "sakura", "strict")],
        header=("external_id", "name", "type", "organisation", "control_level"),
    )
    assert imports.run_import(rows, kind="csv", actor=user).errors[0].field == "change"
    report = imports.run_import(rows, kind="csv", actor=user, change="CHG-000001")
    assert report.errors[0].field == "change" and not report.applied
    unchanged = _csv(
        [("fw-1", "old", "fw", "sakura", "strict")],
        header=("external_id", "name", "type", "organisation", "control_level"),
    )
    assert imports.run_import(unchanged, kind="csv", actor=user).unchanged == 1  # no change needed
    assert ConfigurationItem.objects.get(external_id="fw-1").name == "old"


def test_export_round_trips_and_neutralises_formulas(world):
    org, user = world
    team = TeamFactory(organisation=org, name="基盤運用")
    CIFactory(
        organisation=org,
        ci_type=CITypeFactory(code="app"),
        name="=cmd|' /C calc'!A0",
        owner_team=team,
        external_id="",
    )
    client = client_for(user)
    response = client.get("/api/v1/cis/export/", {"as": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=cmd|" in text and ",=cmd" not in text
    restored = text.replace("'=cmd", "=cmd")
    first = imports.run_import(restored, kind="csv", actor=user)  # matched by number; gets it as external id
    assert first.errors == [] and first.updated == 1 and ConfigurationItem.objects.count() == 1
    assert imports.run_import(restored, kind="csv", actor=user).unchanged == 1
    as_json = json.loads(b"".join(client.get("/api/v1/cis/export/", {"as": "json"}).streaming_content))
    assert as_json[0]["owner_team"] == "基盤運用"
    assert yaml.safe_load(b"".join(client.get("/api/v1/cis/export/", {"as": "yaml"}).streaming_content))
    assert_problem(client.get("/api/v1/cis/export/", {"as": "xls"}), 400)
    assert_problem(client.get("/api/v1/cis/export/", {"ci_type": "abc"}), 400)
    other = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert json.loads(b"".join(other.get("/api/v1/cis/export/", {"as": "json"}).streaming_content)) == []


def test_api_import_runs_as_a_job_with_a_report(world, django_capture_on_commit_callbacks):
    _, user = world
    client = client_for(user)
    upload = SimpleUploadedFile("cis.csv", _csv(GOOD).encode("cp932"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/cmdb/import/", {"file": upload, "dry_run": "true"}, format="multipart"
        )
    assert response.status_code == 202, response.content
    job = client.get(response["Location"]).json()
    assert job["state"] == "done" and job["report"]["created"] == 2 and job["report"]["applied"] is False
    with django_capture_on_commit_callbacks(execute=True):
        raw = client.post("/api/v1/cmdb/import/", data=_csv(GOOD), content_type="text/csv")
    assert raw.status_code == 202
    assert client.get(raw["Location"]).json()["report"]["applied"] is True
    assert ConfigurationItem.objects.count() == 2
    other = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert_problem(other.get(raw["Location"]), 404)
    assert ImportJob.objects.filter(state="done").count() == 2


def test_api_import_bad_input(world, django_capture_on_commit_callbacks):
    _, user = world
    client = client_for(user)
    assert_problem(client.post("/api/v1/cmdb/import/", {}, format="multipart"), 400)
    assert_problem(client.post("/api/v1/cmdb/import/", data="x", content_type="application/pdf"), 415)
    assert_problem(client.post("/api/v1/cmdb/import/", data="", content_type="text/csv"), 400)
    bad_option = client.post("/api/v1/cmdb/import/?dry_run=perhaps", data=_csv(GOOD), content_type="text/csv")
    assert_problem(bad_option, 400)
    with django_capture_on_commit_callbacks(execute=True):
        broken = client.post("/api/v1/cmdb/import/", data=b"\x81\xff\xfe\x00", content_type="text/csv")
    assert broken.status_code == 202
    assert client.get(broken["Location"]).json()["state"] == "failed"
    huge = client.generic(
        "POST",
        "/api/v1/cmdb/import/",
        b"x",
        content_type="text/csv",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )
    assert_problem(huge, 413)
    requester = client_for(user_with_role(Role.REQUESTER, OrganisationFactory()))
    assert_problem(requester.post("/api/v1/cmdb/import/", data=_csv(GOOD), content_type="text/csv"), 403)
    assert ConfigurationItem.objects.count() == 0


def test_cli_import_and_export(world, tmp_path, capsys):
    from kaizen.cli import main

    _, user = world
    path = tmp_path / "cis.csv"
    path.write_bytes(_csv(GOOD).encode("cp932"))
    assert main(["cmdb", "import", str(path), "--user", user.username, "--dry-run"]) == 0
    assert "Dry run" in capsys.readouterr().out
    assert main(["cmdb", "import", str(path), "--user", user.username]) == 0
    assert ConfigurationItem.objects.count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv([("x", "", "server", "sakura", "h.example", "")]))
    assert main(["cmdb", "import", str(bad), "--user", user.username]) == 1
    assert "bad.csv:2: name:" in capsys.readouterr().err
    assert main(["cmdb", "import", str(tmp_path / "missing.csv"), "--user", user.username]) == 2
    out = tmp_path / "out.json"
    assert main(["cmdb", "export", "--user", user.username, "--format", "json", "-o", str(out)]) == 0
    assert len(json.loads(out.read_text())) == 2
