"""The Japanese catalogue is complete, current with the source and compiled."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

SRC = Path(__file__).resolve().parents[2]
PO = SRC / "locale" / "ja" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_message_has_a_japanese_translation():
    missing = [
        e.msgid
        for e in _entries()
        if "fuzzy" in e.flags or not (e.msgstr or (e.msgstr_plural and all(e.msgstr_plural.values())))
    ]
    assert missing == [], "translate these in django.po, then run `make messages`"


def test_translations_keep_their_placeholders():
    import re

    pattern = re.compile(r"%\(\w+\)s")
    for e in _entries():
        target = e.msgstr or e.msgstr_plural.get(0, "")
        assert sorted(pattern.findall(e.msgid)) == sorted(pattern.findall(target)), e.msgid


def test_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    for e in _entries():
        if e.msgid_plural:
            assert catalogue.ngettext(e.msgid, e.msgid_plural, 1) == e.msgstr_plural[0], e.msgid
        else:
            key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
            assert catalogue.gettext(key) == e.msgstr, f"run `make messages`: {e.msgid!r}"


def test_catalogue_is_current_with_the_source(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.fail("xgettext is missing: install Debian's gettext package")
    copy = tmp_path / "kaizen"
    shutil.copytree(SRC, copy, ignore=shutil.ignore_patterns("vendor", "__pycache__", "*.mo"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "ja",
            "--no-obsolete",
            "--settings=kaizen.core.testing.settings",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    fresh = {(e.msgctxt, e.msgid) for e in polib.pofile(str(copy / "locale/ja/LC_MESSAGES/django.po"))}
    committed = {(e.msgctxt, e.msgid) for e in _entries()}
    assert sorted(fresh - committed, key=str) == [], "new strings: run `make messages` and translate them"
    assert sorted(committed - fresh, key=str) == [], "stale strings: run `make messages`"
