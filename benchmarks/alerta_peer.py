"""alerta-server as the peer of Kaizen's event intake: install, configure, start and drive it.

Alerta (https://pypi.org/project/alerta-server/, a Flask app) runs from its own virtualenv,
``benchmarks/.alerta-venv`` (git-ignored), created by :func:`install` with ``alerta-server``,
``psycopg2-binary`` (alerta's PostgreSQL backend imports ``psycopg2``; its ``[postgres]`` extra
would build ``psycopg2`` from source, so the binary wheel is installed instead) and gunicorn (at
Kaizen's own version when Kaizen's virtualenv has one). This module is standard library only: it
runs in Kaizen's virtualenv and drives the peer's through subprocesses (the database steps run
the peer's Python with psycopg2). ``python benchmarks/alerta_peer.py --selftest`` checks the
whole thing end to end.

What was checked against alerta-server 9.1.0 (the latest on PyPI, ``Requires-Python >=3.9``;
it installs from wheels on Python 3.11 with Flask 3.1 / Werkzeug 3.1):

* **Schema**: alerta creates it itself. Every ``create_app()`` (each gunicorn worker, and the
  ``alertad`` CLI) runs its ``sql/schema.sql`` (``CREATE ... IF NOT EXISTS`` plus a few
  ``ALTER``), so :func:`prepare_database` only recreates an empty database and :func:`start`
  runs ``alertad key`` first, which creates the schema once before the workers start.
* **Configuration** is ``alerta.settings``, then ``/etc/alertad.conf`` if it exists, then the
  file named by ``ALERTA_SVR_CONF_FILE``; environment variables of the same name override all
  of them, so the peer runs with a minimal environment. :func:`start` writes that file with
  ``DATABASE_URL``, ``SECRET_KEY`` (fixed), ``DEBUG = False``, ``AUTH_REQUIRED = True``,
  ``ADMIN_USERS = [ADMIN_USER]``, ``PLUGINS = []`` and ``LOG_LEVEL = "WARNING"`` (console only).
  The defaults it changes: ``AUTH_REQUIRED`` is False by default (anyone may post), and
  ``PLUGINS`` defaults to ``remote_ip, reject, heartbeat, blackout, forwarder`` (``reject``
  refuses environments outside ``ALLOWED_ENVIRONMENTS = Production, Development`` and origins in
  ``ORIGIN_BLACKLIST``; ``blackout`` queries the blackouts table for every alert; ``heartbeat``
  turns ``Heartbeat`` events into heartbeats; ``forwarder`` forwards to ``FWD_DESTINATIONS``,
  empty by default). With ``PLUGINS = []`` an alert goes straight to de-duplication and
  correlation. Everything else is alerta's default (``DEFAULT_ENVIRONMENT = "Production"`` for
  webhooks, ``ALERT_TIMEOUT = 86400``, ``HISTORY_LIMIT = 100``, no housekeeping unless
  ``/management/housekeeping`` is called).
* **Auth / API key**: ``alertad key --username ADMIN --key KEY --scope ...`` (run with the same
  config; the user must be in ``ADMIN_USERS``) stores the key in the ``keys`` table. It is sent
  as ``Authorization: Key <key>`` (``X-API-Key`` and ``?api-key=`` work too). ``POST /alert``
  needs ``write:alerts`` (which also grants ``read:alerts``, e.g. ``/alerts/count``), the
  webhooks need ``write:webhooks``: the bench key gets exactly those two scopes. Without a key
  the API answers 401. Every request with a key reads it and runs ``UPDATE keys SET
  count=count+1`` on its row, and alerta opens a new PostgreSQL connection per request (no
  pool); each ``POST /alert`` also upserts its timer row in ``metrics``.
* **De-duplication and correlation** (``POST /alert``, 201 ``{"status": "ok", "id", "alert"}``):
  an alert with the same environment, resource, event, severity (and customer) as a stored one
  updates it (``duplicateCount`` + 1, ``repeat`` true, same id); the same environment and
  resource with the same event at another severity, or another event listed in the stored
  alert's ``correlate``, is correlated: the same alert gets the new event / severity,
  ``previousSeverity``, ``trendIndication`` and ``duplicateCount`` 0. Otherwise a new alert is
  inserted (unique index on environment, resource, event, customer).
* **Prometheus**: the webhook is built in (entry point ``alerta.webhooks: prometheus``, no extra
  package): ``POST /webhooks/prometheus`` with an Alertmanager v4 body and the key (scope
  ``write:webhooks``) creates one alert per entry of ``alerts`` (201 ``{"status": "ok", "ids"}``;
  ``id``/``alert`` for one): resource is the ``instance`` label, event ``alertname``, severity
  the ``severity`` label (``normal`` when resolved), group ``job``, environment
  ``DEFAULT_ENVIRONMENT``, the other labels become ``key=value`` tags; each alert then goes
  through the same de-duplication as ``POST /alert``.

API: :func:`install`, :func:`prepare_database`, :func:`drop_database`, :func:`start` (a
:class:`Peer` with ``url``, ``api_key``, ``process``, ``stop()``), :func:`post_alert`,
:func:`post_webhook`, :func:`count_alerts`, :func:`reset`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
DEFAULT_VENV = BENCH / ".alerta-venv"
PACKAGE = "alerta-server"
KNOWN_GOOD_VERSION = "9.1.0"
"""The latest version when this module was written: used when PyPI cannot be asked."""

ADMIN_USER = "bench@alerta.invalid"
API_KEY = "kaizen-bench-alerta-key-0123456789abcdef"
KEY_SCOPES = ("write:alerts", "write:webhooks")
SECRET_KEY = "kaizen-bench-alerta-secret"
PAYLOADS = BENCH.parent / "src" / "kaizen" / "monitoring" / "tests" / "payloads"
ALERT_TABLES = ("alerts", "notes")
"""What :func:`reset` truncates: the alerts and their notes (keys, users and metrics stay)."""

CONFIG = """# Generated by benchmarks/alerta_peer.py (ALERTA_SVR_CONF_FILE).
DEBUG = False
SECRET_KEY = {secret!r}
DATABASE_URL = {database_url!r}
AUTH_REQUIRED = True
ADMIN_USERS = [{admin!r}]
PLUGINS = []
LOG_HANDLERS = ["console"]
LOG_LEVEL = "WARNING"
"""


def log(message: str) -> None:
    print(f"[alerta-peer] {message}", file=sys.stderr, flush=True)


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


# --- install -------------------------------------------------------------------------------------


def installed_versions(venv: Path) -> dict[str, str]:
    """The versions of the peer's packages in ``venv`` (empty when it has none)."""
    if not python_of(venv).exists():
        return {}
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        f"for name in {['alerta-server', 'psycopg2-binary', 'gunicorn']!r}:\n"
        "    try:\n"
        "        out[name] = m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        pass\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run([str(python_of(venv)), "-c", code], capture_output=True, text=True, check=False)
    return json.loads(result.stdout) if result.returncode == 0 else {}


def latest_version(python: Path | str = sys.executable) -> str:
    """The newest alerta-server on the package index (``pip index versions``), or the known one."""
    result = subprocess.run(
        [str(python), "-m", "pip", "index", "versions", PACKAGE],
        capture_output=True,
        text=True,
        check=False,
    )
    match = re.search(rf"^{re.escape(PACKAGE)} \(([^)]+)\)", result.stdout, re.MULTILINE)
    if match:
        return match.group(1)
    log(f"could not ask the index for the latest {PACKAGE}; using {KNOWN_GOOD_VERSION}")
    return KNOWN_GOOD_VERSION


def kaizen_gunicorn() -> str | None:
    """Kaizen's gunicorn version (the peer runs the same server), when this venv has one."""
    try:
        return importlib.metadata.version("gunicorn")
    except importlib.metadata.PackageNotFoundError:
        return None


def install(venv: Path = DEFAULT_VENV, version: str | None = None) -> str:
    """Create ``venv`` if needed and install alerta-server (``version`` or the latest) in it.

    Also installs psycopg2-binary and gunicorn (Kaizen's version when known). Nothing is done when
    the wanted versions are already there. Returns the installed alerta-server version.
    """
    wanted = version or latest_version()
    gunicorn = kaizen_gunicorn()
    found = installed_versions(venv)
    if (
        found.get(PACKAGE) == wanted
        and "psycopg2-binary" in found
        and "gunicorn" in found
        and (gunicorn is None or found["gunicorn"] == gunicorn)
    ):
        return wanted
    if not python_of(venv).exists():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    log(f"installing {PACKAGE}=={wanted} into {venv} ...")
    packages = [
        f"{PACKAGE}=={wanted}",
        "psycopg2-binary",
        f"gunicorn=={gunicorn}" if gunicorn else "gunicorn",
    ]
    subprocess.run(
        [str(python_of(venv)), "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages],
        check=True,
    )
    found = installed_versions(venv)
    if found.get(PACKAGE) != wanted:
        raise RuntimeError(f"{venv} has {found}, expected {PACKAGE} {wanted}")
    return wanted


# --- database ------------------------------------------------------------------------------------

_SQL_RUNNER = """
import json, sys
import psycopg2
spec = json.load(sys.stdin)
conn = psycopg2.connect(spec["url"])
conn.autocommit = True
with conn.cursor() as cursor:
    for statement in spec["statements"]:
        cursor.execute(statement)
conn.close()
"""


def run_sql(url: str, statements: list[str], venv: Path = DEFAULT_VENV) -> None:
    """Run ``statements`` (autocommit) on ``url`` with the peer venv's psycopg2."""
    result = subprocess.run(
        [str(python_of(venv)), "-c", _SQL_RUNNER],
        input=json.dumps({"url": url, "statements": statements}),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"SQL on {public_url(url)} failed:\n{result.stderr[-2000:]}")


def public_url(url: str) -> str:
    """``url`` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def database_url(maintenance_url: str, name: str) -> str:
    """``maintenance_url`` pointing at database ``name``."""
    return urlunsplit(urlsplit(maintenance_url)._replace(path=f"/{name}"))


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")
    return name


def prepare_database(maintenance_url: str, name: str = "alerta_bench", *, venv: Path = DEFAULT_VENV) -> str:
    """Drop and create database ``name`` on the server of ``maintenance_url``; return its URL.

    The database is left empty: alerta creates its schema when it starts (see :func:`start`).
    """
    _check_name(name)
    run_sql(
        maintenance_url, [f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'], venv
    )
    return database_url(maintenance_url, name)


def drop_database(maintenance_url: str, name: str = "alerta_bench", *, venv: Path = DEFAULT_VENV) -> None:
    run_sql(maintenance_url, [f'DROP DATABASE IF EXISTS "{_check_name(name)}" WITH (FORCE)'], venv)


def reset(db_url: str, *, venv: Path = DEFAULT_VENV) -> None:
    """Delete every alert (and note): ``TRUNCATE`` between rounds. Keys and users stay."""
    run_sql(db_url, [f"TRUNCATE {', '.join(ALERT_TABLES)}"], venv)


# --- the server ----------------------------------------------------------------------------------


@dataclass
class Peer:
    """A running alerta: gunicorn in its own session, its config and log in ``workdir``."""

    url: str
    api_key: str
    process: subprocess.Popen[bytes]
    workdir: Path
    db_url: str
    workers: int
    venv: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def log_file(self) -> Path:
        return self.workdir / "gunicorn.log"

    def tail(self, size: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_file.read_text(errors="replace")[-size:]
        return ""

    def stop(self) -> None:
        """Stop gunicorn and its workers (SIGTERM to the process group, SIGKILL after 20 s)."""
        if self._stopped:
            return
        self._stopped = True
        stop_process_group(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def peer_env(venv: Path, conf_file: Path) -> dict[str, str]:
    """A minimal environment: alerta reads many settings from same-named environment variables."""
    env = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "ALERTA_SVR_CONF_FILE": str(conf_file),
        "PYTHONUNBUFFERED": "1",
    }
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    db_url: str,
    *,
    port: int,
    workers: int = 5,
    venv: Path = DEFAULT_VENV,
    ready_timeout: float = 60,
    worker_timeout: int = 60,
) -> Peer:
    """Configure alerta for ``db_url``, create the bench API key, start gunicorn and wait for it.

    gunicorn runs ``alerta:create_app()`` with ``workers`` sync workers on 127.0.0.1:``port``
    (``worker_timeout`` is gunicorn's ``--timeout``); it is ready when ``/management/healthcheck``
    answers 200, which must happen within ``ready_timeout`` seconds.
    """
    if not python_of(venv).exists():
        raise RuntimeError(f"{venv} does not exist: call install() first")
    workdir = Path(tempfile.mkdtemp(prefix="alerta-peer-"))
    conf_file = workdir / "alertad.conf"
    conf_file.write_text(CONFIG.format(secret=SECRET_KEY, database_url=db_url, admin=ADMIN_USER))
    env = peer_env(venv, conf_file)
    # Creates the schema (first create_app on this database) and the key; idempotent.
    key_argv = [str(venv / "bin" / "alertad"), "key", "--username", ADMIN_USER, "--key", API_KEY]
    key_argv += [arg for scope in KEY_SCOPES for arg in ("--scope", scope)]
    key_argv += ["--text", "kaizen benchmark"]
    result = subprocess.run(key_argv, env=env, cwd=workdir, capture_output=True, text=True, check=False)
    if result.returncode != 0 or result.stdout.strip().splitlines()[-1:] != [API_KEY]:
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(
            f"alertad key failed ({result.returncode}):\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )
    argv = [
        str(python_of(venv)),
        "-m",
        "gunicorn",
        "alerta:create_app()",
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "sync",
        "--workers",
        str(workers),
        "--timeout",
        str(worker_timeout),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    with (workdir / "gunicorn.log").open("wb") as handle:
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    peer = Peer(f"http://127.0.0.1:{port}", API_KEY, proc, workdir, db_url, workers, venv)
    deadline = time.monotonic() + ready_timeout
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"alerta exited ({proc.returncode}):\n{peer.tail()}")
            with contextlib.suppress(OSError):
                status, _ = request(peer, "GET", "/management/healthcheck", auth=False, timeout=2)
                if status == 200:
                    return peer
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"alerta did not answer /management/healthcheck in {ready_timeout:.0f} s:\n{peer.tail()}"
                )
            time.sleep(0.3)
    except BaseException:
        peer.stop()
        raise


# --- HTTP ----------------------------------------------------------------------------------------


def request(
    peer: Peer, method: str, path: str, body: Any = None, *, auth: bool = True, timeout: float = 30
) -> tuple[int, Any]:
    """One request to the peer; returns ``(status, parsed JSON or the text)``."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        peer.url + path, data=data, method=method, headers={"Accept": "application/json"}
    )
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if auth:
        req.add_header("Authorization", f"Key {peer.api_key}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def post_alert(peer: Peer, body: dict[str, Any]) -> tuple[int, Any]:
    """``POST /alert`` (Alerta's own API): 201 and ``{"status", "id", "alert"}`` when received."""
    return request(peer, "POST", "/alert", body)


def post_webhook(peer: Peer, body: dict[str, Any], name: str = "prometheus") -> tuple[int, Any]:
    """``POST /webhooks/<name>``: alerta's built-in receivers (``prometheus`` = Alertmanager)."""
    return request(peer, "POST", f"/webhooks/{name}", body)


def get_alert(peer: Peer, alert_id: str) -> dict[str, Any]:
    status, body = request(peer, "GET", f"/alert/{alert_id}")
    if status != 200:
        raise RuntimeError(f"GET /alert/{alert_id}: {status} {body}")
    return dict(body["alert"])


def count_alerts(peer: Peer) -> int:
    """The number of stored alerts (``GET /alerts/count``, every status and severity)."""
    status, body = request(peer, "GET", "/alerts/count")
    if status != 200:
        raise RuntimeError(f"GET /alerts/count: {status} {body}")
    return int(body["total"])


# --- self-test -----------------------------------------------------------------------------------


class Checks:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, label: str, ok: bool, detail: str = "") -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {label}{f'  ({detail})' if detail else ''}", flush=True)
        self.failed += not ok


def run_checks(peer: Peer) -> int:
    """The checks of the module docstring against a running peer; returns the number that failed."""
    c = Checks()
    body = json.loads((PAYLOADS / "alerta-api-post-alert-request.json").read_text())
    webhook = json.loads((PAYLOADS / "alertmanager-webhook-v4.json").read_text())

    print("auth:")
    status, _ = request(peer, "POST", "/alert", body, auth=False)
    c.check("POST /alert without a key is refused", status == 401, f"{status}")
    status, _ = request(peer, "GET", "/alerts/count", auth=False)
    c.check("GET /alerts/count without a key is refused", status == 401, f"{status}")

    print("POST /alert (alerta-api-post-alert-request.json):")
    status, first = post_alert(peer, body)
    alert = first.get("alert", {}) if isinstance(first, dict) else {}
    c.check(
        "first POST creates an alert",
        status == 201 and alert.get("duplicateCount") == 0 and alert.get("status") == "open",
        f"{status}, id {alert.get('id')}, severity {alert.get('severity')}, duplicateCount {alert.get('duplicateCount')}",
    )
    status, second = post_alert(peer, body)
    dup = second.get("alert", {}) if isinstance(second, dict) else {}
    c.check(
        "identical POST is de-duplicated",
        status == 201
        and dup.get("id") == alert.get("id")
        and dup.get("duplicateCount") == 1
        and dup.get("repeat") is True,
        f"{status}, same id {dup.get('id') == alert.get('id')}, duplicateCount {dup.get('duplicateCount')}, "
        f"repeat {dup.get('repeat')}",
    )
    status, third = post_alert(peer, {**body, "severity": "critical", "value": "Bad Gateway (502)"})
    cor = third.get("alert", {}) if isinstance(third, dict) else {}
    c.check(
        "severity change is correlated",
        status == 201
        and cor.get("id") == alert.get("id")
        and cor.get("severity") == "critical"
        and cor.get("previousSeverity") == "major"
        and cor.get("duplicateCount") == 0,
        f"{status}, same id {cor.get('id') == alert.get('id')}, severity {cor.get('severity')}, previousSeverity "
        f"{cor.get('previousSeverity')}, trend {cor.get('trendIndication')}, duplicateCount {cor.get('duplicateCount')}",
    )
    status, fourth = post_alert(
        peer, {**body, "event": "HttpServerOK", "severity": "normal", "value": "OK (200)"}
    )
    ok = fourth.get("alert", {}) if isinstance(fourth, dict) else {}
    c.check(
        "correlated event (correlate list) updates the same alert",
        status == 201 and ok.get("id") == alert.get("id") and ok.get("event") == "HttpServerOK",
        f"{status}, same id {ok.get('id') == alert.get('id')}, event {ok.get('event')}, severity "
        f"{ok.get('severity')}, status {ok.get('status')}",
    )
    count = count_alerts(peer)
    c.check("one alert stored", count == 1, f"count {count}")

    print("POST /webhooks/prometheus (alertmanager-webhook-v4.json):")
    status, reply = post_webhook(peer, webhook)
    ids = reply.get("ids", []) if isinstance(reply, dict) else []
    c.check("webhook accepted, one alert per entry", status == 201 and len(ids) == 2, f"{status}, ids {ids}")
    count = count_alerts(peer)
    c.check("three alerts stored", count == 3, f"count {count}")
    if ids:
        got = get_alert(peer, ids[0])
        c.check(
            "mapping of the first alert",
            got.get("resource") == "web-01:9100"
            and got.get("event") == "HighCPU"
            and got.get("severity") == "critical"
            and got.get("environment") == "Production",
            f"resource {got.get('resource')}, event {got.get('event')}, severity {got.get('severity')}, "
            f"environment {got.get('environment')}, group {got.get('group')}, tags {got.get('tags')}",
        )
    status, again = post_webhook(peer, webhook)
    again_ids = again.get("ids", []) if isinstance(again, dict) else []
    dups = [get_alert(peer, i).get("duplicateCount") for i in again_ids]
    c.check(
        "same webhook again is de-duplicated",
        status == 201 and again_ids == ids and dups == [1, 1],
        f"{status}, same ids {again_ids == ids}, duplicateCount {dups}",
    )

    print("reset:")
    reset(peer.db_url, venv=peer.venv)
    count = count_alerts(peer)
    c.check("TRUNCATE leaves no alert, the key still works", count == 0, f"count {count}")
    return c.failed


def selftest(opts: argparse.Namespace) -> int:
    venv = Path(opts.venv)
    version = install(venv, opts.version)
    print(f"{PACKAGE} {version} in {venv} ({installed_versions(venv)})", flush=True)
    db_url = prepare_database(opts.maintenance_url, opts.database, venv=venv)
    print(f"database {public_url(db_url)} recreated", flush=True)
    failed = 1
    try:
        port = free_port()
        started = time.monotonic()
        peer = start(db_url, port=port, workers=opts.workers, venv=venv)
        with peer:
            print(
                f"alerta on {peer.url} ({opts.workers} workers), ready in {time.monotonic() - started:.1f} s"
            )
            failed = run_checks(peer)
            if failed:
                print(peer.tail())
        print("stopped:", "process group gone" if peer.process.poll() is not None else "STILL RUNNING")
    finally:
        if not opts.keep_database:
            drop_database(opts.maintenance_url, opts.database, venv=venv)
            print(f"database {opts.database} dropped")
    print("selftest passed" if not failed else f"selftest FAILED ({failed} checks)")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selftest", action="store_true", help="install, start and check alerta end to end")
    parser.add_argument("--maintenance-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="alerta_bench_selftest")
    parser.add_argument("--version", default=None, help=f"{PACKAGE} version (default: the latest)")
    parser.add_argument("--venv", default=str(DEFAULT_VENV))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-database", action="store_true")
    opts = parser.parse_args(argv)
    if not opts.selftest:
        parser.print_help()
        return 2
    return selftest(opts)


if __name__ == "__main__":
    sys.exit(main())
