"""The settings reference page is generated from kaizen.conf and kept current."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from kaizen import conf
from kaizen.core.management.commands import settings_doc


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("settings_doc", *args, stdout=out)
    return out.getvalue()


def test_committed_settings_reference_matches_the_schema():
    path = settings_doc.default_path()
    assert path.read_text(encoding="utf-8") == conf.settings_markdown(), (
        "docs/reference/settings.md is stale: run `kaizen manage settings_doc --write`"
    )


def test_every_setting_appears_in_the_reference():
    text = conf.settings_markdown()
    for setting in conf.SCHEMA:
        assert f"| `{setting.env}` |" in text


def test_command_prints_the_reference():
    assert run() == conf.settings_markdown()


def test_write_creates_the_file_and_check_accepts_it(tmp_path):
    target = tmp_path / "docs" / "settings.md"
    run("--write", "--path", str(target))
    assert target.read_text(encoding="utf-8") == conf.settings_markdown()
    assert "up to date" in run("--check", "--path", str(target))


def test_check_fails_when_the_file_differs(tmp_path):
    target = tmp_path / "settings.md"
    target.write_text(conf.settings_markdown() + "edited by hand\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        run("--check", "--path", str(target))


def test_check_fails_when_the_file_is_missing(tmp_path):
    with pytest.raises(CommandError, match="out of date"):
        run("--check", "--path", str(tmp_path / "missing.md"))


def test_write_and_check_cannot_be_combined(tmp_path):
    with pytest.raises(CommandError):
        run("--write", "--check", "--path", str(tmp_path / "x.md"))


def test_check_exits_non_zero_from_the_command_line(tmp_path):
    target = tmp_path / "settings.md"
    target.write_text("stale\n", encoding="utf-8")
    argv = [sys.executable, "-m", "kaizen.cli", "manage", "settings_doc", "--check", "--path", str(target)]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 1
    assert "out of date" in result.stderr
