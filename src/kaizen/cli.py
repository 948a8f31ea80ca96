"""The ``kaizen`` command: install, run and operate Kaizen ITSM.

Subcommands::

    kaizen init          migrate the database and create the first administrator
    kaizen demo          load demo data (a Japanese IT organisation)
    kaizen up            web server and job worker together, for one machine
    kaizen serve         production web server only
    kaizen worker        job worker only
    kaizen audit verify  check the audit hash chain
    kaizen token create  print a new API token for a user
    kaizen manage ...    any Django management command
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

DEMO_PASSWORD = "kaizen-demo"


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaizen.settings")
    import django

    django.setup()


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    from kaizen.core import defaults

    defaults.load_all()


def _ensure_admin(username: str, password: str | None, email: str) -> tuple[bool, str | None]:
    """Create the first administrator unless one exists; return (created, password shown)."""
    from kaizen.accounts.bootstrap import create_first_admin

    return create_first_admin(username=username, password=password, email=email)


def cmd_init(args: argparse.Namespace) -> int:
    """Migrate and create the first administrator."""
    _setup()
    _migrate(verbosity=1 if args.verbose else 0)
    created, shown = _ensure_admin(args.admin, args.password, args.email)
    if created:
        print(f"Created administrator '{args.admin}'.")
        if shown:
            print(f"  password: {shown}   (change it after logging in)")
    else:
        print("An administrator already exists; nothing to create.")
    print("Database ready.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the demo data set (idempotent)."""
    _setup()
    _migrate()
    from kaizen.core import demo

    demo.load_all(password=DEMO_PASSWORD)
    _print_demo_logins()
    return 0


def _print_demo_logins() -> None:
    from kaizen.accounts.demo import DEMO_LOGINS

    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, description in DEMO_LOGINS:
        print(f"  {username:<10} {description}")


def web_workers(configured: int) -> int:
    """Return the number of web worker processes: ``configured``, or 2 x cores + 1 when 0."""
    return configured if configured > 0 else 2 * (os.cpu_count() or 1) + 1


def _gunicorn_argv(bind: str, workers: int, threads: int) -> list[str]:
    """Build the gunicorn command line: sync workers, or threaded ones when ``threads`` > 1.

    Sync workers measured fastest for Kaizen's API (benchmarks/RESULTS.md); they need a buffering
    reverse proxy in front for slow clients, as every production setup has (docs/admin/deployment.md).
    """
    from django.conf import settings

    return [
        sys.executable,
        "-m",
        "gunicorn",
        "kaizen.wsgi:application",
        "--bind",
        bind,
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--workers",
        str(web_workers(workers)),
        "--threads",
        str(max(1, threads)),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "20",
        "--timeout",
        "60",
        "--forwarded-allow-ips",
        ",".join(settings.FORWARDED_ALLOW_IPS),
    ]


def _run_processes(commands: list[list[str]]) -> int:
    """Run commands side by side; stop all when one exits or on SIGINT/SIGTERM."""
    procs = [subprocess.Popen(cmd) for cmd in commands]
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    try:
        while not stopping:
            for proc in procs:
                if proc.poll() is not None:
                    code = proc.returncode or 0
                    stopping = True
            time.sleep(0.3)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=25)
            except subprocess.TimeoutExpired:
                proc.kill()
    return code


def cmd_up(args: argparse.Namespace) -> int:
    """Initialise if needed, optionally load demo data, then run web server and worker."""
    _setup()
    _migrate()
    from django.conf import settings

    if args.demo:
        from kaizen.core import demo

        demo.load_all(password=DEMO_PASSWORD)
    else:
        created, shown = _ensure_admin("admin", None, "")
        if created:
            print(f"Created administrator 'admin' with password: {shown}")
    url = f"http://{args.host}:{args.port}/"
    print(f"Kaizen ITSM is starting at {url}")
    if args.demo:
        print(f"Open {url} and log in as admin / {DEMO_PASSWORD} (or any demo login below).")
        _print_demo_logins()
    print(f"Data directory: {settings.DATA_DIR}   (Ctrl+C stops)")
    sys.stdout.flush()
    web = _gunicorn_argv(
        f"{args.host}:{args.port}", args.workers or settings.WEB_WORKERS, settings.WEB_THREADS
    )
    worker = [sys.executable, "-m", "kaizen.cli", "worker"]
    return _run_processes([web, worker])


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the production web server (gunicorn, threaded workers)."""
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    argv = _gunicorn_argv(
        args.bind, args.workers or settings.WEB_WORKERS, args.threads or settings.WEB_THREADS
    )
    os.execv(sys.executable, argv)  # noqa: S606  (replace this process: signals go to gunicorn)
    return 0  # pragma: no cover


def cmd_worker(args: argparse.Namespace) -> int:
    """Run the job worker (huey consumer with periodic jobs)."""
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command(
        "run_huey",
        workers=args.workers or settings.JOB_WORKERS,
        worker_type="thread",
        periodic=not args.no_periodic,
        # With a polling broker (SQLite) an idle consumer backs off up to this long before it looks
        # for jobs again; huey's 10 s default would delay monitoring alerts and mail that much.
        max_delay=0.5,
    )
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Verify the audit hash chain; exit 1 naming the first broken row."""
    _setup()
    from kaizen.core import audit

    result = audit.verify()
    if result.ok:
        print(f"OK: {result.checked} audit rows verified; the chain is intact.")
        return 0
    where = f"row #{result.broken_seq}" if result.broken_seq is not None else "chain head"
    if result.broken_id is not None:
        where += f" (id {result.broken_id})"
    print(f"BROKEN at {where}: {result.reason}. {result.checked} rows before it are intact.")
    return 1


def cmd_token_create(args: argparse.Namespace) -> int:
    """Create an API token for USERNAME and print it (it is shown only once)."""
    _setup()
    from django.contrib.auth import get_user_model

    from kaizen.core import context
    from kaizen.core.api.auth import issue_token

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        print(f"No user named {args.username!r}.", file=sys.stderr)
        return 2
    with context.acting(channel=context.Channel.CLI, label="kaizen token create"):
        _, raw = issue_token(user=user, name=args.name, expires_in_days=args.expires_days)
    print(raw)
    return 0


def cmd_cmdb_import(args: argparse.Namespace) -> int:
    """Import CIs from a CSV, JSON or YAML file (upsert by external id)."""
    _setup()
    from kaizen.cmdb.commands import import_file

    return import_file(args)


def cmd_cmdb_export(args: argparse.Namespace) -> int:
    """Export CIs as CSV, JSON or YAML."""
    _setup()
    from kaizen.cmdb.commands import export_file

    return export_file(args)


def cmd_manage(args: argparse.Namespace) -> int:
    """Run a Django management command."""
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kaizen manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``kaizen`` command."""
    parser = argparse.ArgumentParser(
        prog="kaizen",
        description="Kaizen ITSM: IT service management (ISO/IEC 20000-1, ITIL 4). "
        "Configuration comes from KAIZEN_* environment variables (see docs/reference/settings.md).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("init", help="migrate the database and create the first administrator")
    p.add_argument("--admin", default="admin", help="username of the first administrator (default: admin)")
    p.add_argument("--password", help="its password (default: generated and printed)")
    p.add_argument("--email", default="", help="its email address")
    p.add_argument("--verbose", action="store_true", help="show each migration")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="load demo data: a Japanese IT organisation with demo logins")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("up", help="run web server and job worker together on one machine")
    p.add_argument("--demo", action="store_true", help="load demo data first and print the demo logins")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=int, help="web worker processes (default: KAIZEN_WEB_WORKERS)")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("serve", help="run the production web server (put a reverse proxy in front)")
    p.add_argument("--bind", default="127.0.0.1:8000", help="host:port to bind (default: 127.0.0.1:8000)")
    p.add_argument("--workers", type=int, help="worker processes (default: KAIZEN_WEB_WORKERS)")
    p.add_argument("--threads", type=int, help="threads per worker (default: KAIZEN_WEB_THREADS)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("worker", help="run the background job worker (with periodic jobs)")
    p.add_argument("--workers", type=int, help="concurrent jobs (default: KAIZEN_JOB_WORKERS)")
    p.add_argument(
        "--no-periodic",
        action="store_true",
        help="do not run periodic jobs here (when several workers share a Redis broker, run them on one)",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("audit", help="audit trail tools")
    audit_sub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = audit_sub.add_parser("verify", help="recompute the hash chain and name the first broken row")
    v.set_defaults(func=cmd_audit_verify)

    p = sub.add_parser("token", help="API token tools")
    token_sub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    t = token_sub.add_parser("create", help="create an API token for USERNAME and print it once")
    t.add_argument("username")
    t.add_argument("--name", default="cli", help="a name to recognise the token by")
    t.add_argument("--expires-days", type=int, help="days until it expires (default: never)")
    t.set_defaults(func=cmd_token_create)

    p = sub.add_parser("cmdb", help="CMDB import and export")
    cmdb_sub = p.add_subparsers(dest="cmdb_command", metavar="ACTION", required=True)
    i = cmdb_sub.add_parser(
        "import",
        help="import CIs from CSV, JSON or YAML (upsert by organisation + external_id)",
        description="Nothing is applied when any row is wrong, unless --continue-on-error. "
        "CSV may be UTF-8 (with or without BOM) or Shift_JIS. "
        "Exit status: 0 ok, 1 rows refused, 2 file unreadable.",
    )
    i.add_argument("file", help="the file to import (.csv, .json, .yaml)")
    i.add_argument(
        "--user", default="admin", help="act as this user (permissions, audit trail); default admin"
    )
    i.add_argument("--dry-run", action="store_true", help="check every row and report, change nothing")
    i.add_argument("--continue-on-error", action="store_true", help="import the valid rows, skip the others")
    i.add_argument("--organisation", help="organisation code for rows without one")
    i.add_argument("--change", help="the change being implemented (CHG number) under which strict CIs change")
    i.add_argument("--encoding", help="file encoding (default: UTF-8, else Shift_JIS)")
    i.add_argument("--format", choices=["csv", "json", "yaml"], help="file format (default: from the name)")
    i.add_argument(
        "--progress", action="store_true", help="show the progress bar even when not on a terminal"
    )
    i.set_defaults(func=cmd_cmdb_import)
    e = cmdb_sub.add_parser("export", help="export CIs as CSV, JSON or YAML")
    e.add_argument("--user", default="admin", help="export what this user may see; default admin")
    e.add_argument("--format", choices=["csv", "json", "yaml"], default="csv")
    e.add_argument("--output", "-o", help="file to write (default: standard output)")
    e.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="list filter, e.g. --filter ci_type=3 --filter status=in_use (repeatable)",
    )
    e.set_defaults(func=cmd_cmdb_export)

    p = sub.add_parser("manage", help="run a Django management command (kaizen manage help)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``kaizen`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
