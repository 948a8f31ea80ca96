"""``settings_doc``: print, write or check the generated settings reference page.

``docs/reference/settings.md`` is rendered from :data:`kaizen.conf.SCHEMA`, never edited by hand.
The repository root is found from the package location (``src/kaizen`` in a checkout); an
installed copy has no repository, so pass ``--path`` there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

import kaizen
from kaizen.conf import settings_markdown

DOC_PATH = Path("docs") / "reference" / "settings.md"


def repository_root() -> Path | None:
    """Return the checkout root (the directory holding ``pyproject.toml`` and ``src/kaizen``)."""
    root = Path(kaizen.__file__).resolve().parent.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "src" / "kaizen").is_dir():
        return root
    return None


def default_path() -> Path:
    """Return ``docs/reference/settings.md`` in the checkout.

    Raises:
        CommandError: Kaizen is not running from a source checkout.
    """
    root = repository_root()
    if root is None:
        raise CommandError("Kaizen is not installed from a source checkout; pass --path FILE.")
    return root / DOC_PATH


class Command(BaseCommand):
    """Render the settings reference from ``kaizen.conf``; ``--check`` fails when the file is stale."""

    help = (
        "Print the settings reference generated from kaizen.conf. --write writes "
        "docs/reference/settings.md; --check exits with status 1 when that file is out of date."
    )
    requires_system_checks: list[str] = []  # nothing to check: no database, no apps needed

    def add_arguments(self, parser: CommandParser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--write", action="store_true", help="write the file instead of printing it")
        mode.add_argument("--check", action="store_true", help="exit 1 when the file differs from the schema")
        parser.add_argument(
            "--path",
            type=Path,
            help="file to write or check (default: docs/reference/settings.md in the source checkout)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        text = settings_markdown()
        if not options["write"] and not options["check"]:
            self.stdout.write(text, ending="")
            return
        path: Path = options["path"] or default_path()
        if options["check"]:
            current = path.read_text(encoding="utf-8") if path.is_file() else None
            if current != text:
                raise CommandError(
                    f"{path} is out of date with kaizen.conf; run `kaizen manage settings_doc --write`."
                )
            self.stdout.write(f"{path} is up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        self.stdout.write(f"Wrote {path}.")
