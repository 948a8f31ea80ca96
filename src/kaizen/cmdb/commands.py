"""``kaizen cmdb import`` and ``kaizen cmdb export``: the CMDB from the command line."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, TextIO

from kaizen.accounts.models import User
from kaizen.core import context

from . import exports, imports
from .filters import CIFilter
from .models import ConfigurationItem


class ProgressBar:
    """A one-line progress bar on a terminal (stderr), updated at most ten times a second."""

    def __init__(self, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < 0.1:
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(self.width * share)
        rate = done / max(now - self.started, 1e-6)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {share:6.1%} {done}/{total} rows  {rate:,.0f} rows/s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def import_file(args: Any) -> int:
    """Import a CSV, JSON or YAML file; print the report; exit 1 when rows were refused."""
    user = User.objects.filter(username=args.user, is_active=True).first()
    if user is None:
        print(f"No active user named {args.user!r}.", file=sys.stderr)
        return 2
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"Cannot read {path}: {exc}", file=sys.stderr)
        return 2
    try:
        content, kind = imports.read_upload(data, path.name, args.encoding)
        with context.acting(user=user, channel=context.Channel.CLI, label="kaizen cmdb import"):
            report = imports.run_import(
                content,
                kind=args.format or kind,
                actor=user,
                dry_run=args.dry_run,
                continue_on_error=args.continue_on_error,
                default_organisation=args.organisation,
                change=args.change or "",
                progress=ProgressBar() if sys.stderr.isatty() or args.progress else None,
            )
    except imports.ImportFileError as exc:
        print(f"{path}: {exc}", file=sys.stderr)
        return 2
    for error in report.errors:
        print(f"{path}:{error.row}: {error.field or '-'}: {error.reason}", file=sys.stderr)
    if report.errors_truncated:
        print(f"... more than {imports.MAX_ERRORS} errors; fix these first.", file=sys.stderr)
    outcome = (
        "Dry run: nothing was changed."
        if report.dry_run
        else ("The changes were applied." if report.applied else "Nothing was changed.")
    )
    print(
        f"{report.rows} rows: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.skipped} skipped, {len(report.errors)} errors. {outcome}"
    )
    if report.errors and not report.applied and not report.dry_run:
        print(
            "Nothing was imported. Fix the rows above, or use --continue-on-error to import the valid rows."
        )
    return 1 if report.errors else 0


def export_file(args: Any) -> int:
    """Export CIs (optionally filtered like the list) as CSV, JSON or YAML."""
    user = User.objects.filter(username=args.user, is_active=True).first()
    if user is None:
        print(f"No active user named {args.user!r}.", file=sys.stderr)
        return 2
    params = dict(item.split("=", 1) for item in args.filter if "=" in item)
    filterset = CIFilter(params, queryset=ConfigurationItem.objects.visible_to(user))
    if not filterset.is_valid():
        print(f"Invalid filter: {filterset.errors.as_text()}", file=sys.stderr)
        return 2
    writer = {"csv": exports.as_csv, "json": exports.as_json, "yaml": exports.as_yaml}[args.format]
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        for chunk in writer(filterset.qs):
            out.write(chunk)
    finally:
        if args.output:
            out.close()
    return 0
