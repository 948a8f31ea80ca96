"""API throughput and latency of Kaizen on PostgreSQL under several web server configurations.

Every configuration serves the same Kaizen build with the same settings and data, in the same run:

* ``GET /bench/ping``: a minimal Django view behind Kaizen's middleware (the peer baseline: what
  Django and the server cost by themselves),
* ``GET /api/v1/me/`` as the requester ``sakura`` (token authentication, two small queries),
* ``GET /api/v1/teams/`` as the administrator and as ``sakura`` (``Team.objects.visible_to``
  scoping, cursor pagination, 50 rows with their members),
* ``GET /api/v1/people/`` as the administrator (50 rows).

Servers: gunicorn as ``kaizen serve`` runs it (from Kaizen's own defaults), gunicorn gthread
2 workers x 4 threads, uvicorn (ASGI, 2 workers) and granian (WSGI, 2 workers x 4 threads) when
installed. Each is started on a free port, checked (``/readyz`` and one validated request per
endpoint), warmed up, then loaded with wrk at 16 connections. Configurations run interleaved
(A B C D, A B C D, ...) and the median per cell is reported, because the machine is shared and
noisy; any non-2xx response or socket error is an error and fails the run.

Usage::

    python benchmarks/api_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres \\
        [--duration 7] [--connections 16] [--rounds 3] [--quick]

The database named in the URL is never touched: the benchmark drops and recreates its own
database ``kaizen_bench`` on that server. Results go to the ``api_bench`` section of
``benchmarks/RESULTS.md`` (``--quick`` prints them instead unless ``--output`` is given).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import math
import os
import platform
import secrets
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import loadgen
from cpu import CpuWindow, session_pids
from results import write_section

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
DB_NAME = "kaizen_bench"
SECRET_KEY = "benchmark-only-secret-key-" + "x" * 40


# --- server configurations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    key: str
    name: str
    note: str
    args: str
    """Command line after ``python``; ``{port}`` is replaced by the port."""
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, port: int) -> list[str]:
        return [sys.executable, *self.args.format(port=port).split()]


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _gunicorn(workers: int, threads: int) -> str:
    kind = "gthread" if threads > 1 else "sync"
    return (
        "-m gunicorn benchmarks.bench_apps:wsgi --bind 127.0.0.1:{port} "
        f"--worker-class {kind} --workers {workers} --threads {threads} "
        "--timeout 60 --graceful-timeout 5 --log-level warning"
    )


def _serve_defaults() -> tuple[int, int]:
    """Worker processes and threads ``kaizen serve`` runs with Kaizen's default settings."""
    from kaizen import cli, conf

    defaults = {s.name: s.default for s in conf.SCHEMA}
    return cli.web_workers(int(defaults["WEB_WORKERS"])), max(1, int(defaults["WEB_THREADS"]))


def available_servers() -> dict[str, Server]:
    """Every configuration this machine can run, by key (``--servers`` picks among them)."""
    workers, threads = _serve_defaults()
    kind = f"gthread {workers}x{threads}" if threads > 1 else f"sync {workers}"
    found = {
        "serve": Server(
            "serve",
            f"gunicorn {kind} (kaizen serve)",
            "what `kaizen serve` runs with the default settings on this machine: KAIZEN_WEB_WORKERS=0 "
            f"gives 2 x {os.cpu_count()} cores + 1 = {workers} workers, KAIZEN_WEB_THREADS={threads} "
            f"gives gunicorn's {'threaded' if threads > 1 else 'sync'} workers (access log off, as for "
            "every server here)",
            _gunicorn(workers, threads),
        ),
        "gthread": Server(
            "gthread",
            "gunicorn gthread 2x4",
            "gunicorn's threaded workers, 2 processes x 4 threads",
            _gunicorn(2, 4),
        ),
        "sync2": Server(
            "sync2",
            "gunicorn sync 2",
            "gunicorn's sync workers, 2 processes (as many processes as the other servers)",
            _gunicorn(2, 1),
        ),
    }
    if (workers, threads) == (2, 4):
        del found["gthread"]  # kaizen serve is that configuration
    if _installed("uvicorn"):
        fast = _installed("uvloop") and _installed("httptools")
        pool = _installed("psycopg_pool")
        found["uvicorn"] = Server(
            "uvicorn",
            "uvicorn ASGI 2",
            "2 worker processes running Django's ASGI handler "
            + ("(uvloop, httptools)" if fast else "(asyncio, h11: install uvicorn[standard] for uvloop)")
            + "; Django runs the sync middleware and views in threads; database connections come from "
            + (
                "psycopg's pool (at most 8 per process) instead of persistent ones, as Django advises "
                "under ASGI"
                if pool
                else "a new connection per request (psycopg-pool is not installed)"
            ),
            "-m uvicorn benchmarks.bench_apps:asgi --host 127.0.0.1 --port {port} --workers 2 "
            "--log-level warning --no-access-log",
            {"BENCH_DB_MODE": "pool" if pool else "close"},
        )
    if _installed("granian"):
        found["granian"] = Server(
            "granian",
            "granian WSGI 2x4",
            "Rust HTTP server, WSGI interface, 2 processes x 4 blocking threads",
            "-m granian --interface wsgi --host 127.0.0.1 --port {port} --workers 2 --blocking-threads 4 "
            "--log-level warning benchmarks.bench_apps:wsgi",
        )
    return found


DEFAULT_SERVERS = ("serve", "gthread", "uvicorn", "granian")


# --- endpoints ----------------------------------------------------------------------------------


Check = Callable[[Any, dict[str, Any]], str | None]
"""Validate a decoded response body (with facts gathered before): an error message or None."""


def _check_ping(body: Any, facts: dict[str, Any]) -> str | None:
    return None if body == {"ok": True} else f"unexpected body {body!r}"


def _check_me(body: Any, facts: dict[str, Any]) -> str | None:
    return None if isinstance(body, dict) and body.get("username") == "sakura" else "not sakura's profile"


def _check_page(body: Any, facts: dict[str, Any]) -> str | None:
    rows = body.get("results") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) and "id" in r for r in rows):
        return f"expected a page of records, got {str(body)[:200]}"
    return None


def _check_scoped_teams(body: Any, facts: dict[str, Any]) -> str | None:
    rows = body.get("results") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        return "sakura sees no team: the seed data did not reach her organisation"
    outside = {r["organisation"] for r in rows} - facts["sakura_orgs"]
    return f"sakura sees teams of organisations {sorted(outside)}" if outside else None


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    user: str | None
    check: Check | None = None
    write_script: Path | None = None


ENDPOINTS = {
    e.key: e
    for e in (
        Endpoint("ping", "GET /bench/ping (minimal view)", "/bench/ping", None, _check_ping),
        Endpoint("me", "GET /api/v1/me/ (sakura)", "/api/v1/me/", "sakura", _check_me),
        Endpoint("teams", "GET /api/v1/teams/ (admin)", "/api/v1/teams/", "admin", _check_page),
        Endpoint(
            "teams-sakura",
            "GET /api/v1/teams/ (sakura, scoped)",
            "/api/v1/teams/",
            "sakura",
            _check_scoped_teams,
        ),
        Endpoint("people", "GET /api/v1/people/ (admin)", "/api/v1/people/", "admin", _check_page),
        Endpoint(
            "org-create",
            "POST /api/v1/organisations/ (admin)",
            "/api/v1/organisations/",
            "admin",
            None,
            BENCH / "post_org.lua",
        ),
    )
}
DEFAULT_ENDPOINTS = ("ping", "me", "teams", "teams-sakura", "people")


# --- database and processes ---------------------------------------------------------------------


def bench_database_url(url: str) -> tuple[str, str]:
    """Return (maintenance URL, benchmark database URL) on the server ``url`` names."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit("--database-url must be a postgres:// URL")
    maintenance = parts if parts.path.strip("/") not in {"", DB_NAME} else parts._replace(path="/postgres")
    return urlunsplit(maintenance), urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def public_url(url: str) -> str:
    """``url`` without its password, for the report."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def run(argv: list[str], env: dict[str, str], label: str) -> str:
    """Run a preparation step; stop the benchmark with its output when it fails."""
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"{label} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def kaizen(*args: str) -> list[str]:
    return [sys.executable, "-m", "kaizen.cli", *args]


def prepare_database(maintenance_url: str, env: dict[str, str], extra: int) -> None:
    """Recreate the benchmark database: migrate, demo data, ``extra`` more people and teams."""
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    run(kaizen("init", "--password", secrets.token_urlsafe(16)), env, "kaizen init")
    run(kaizen("demo"), env, "kaizen demo")
    if extra > 0:
        seed = f"from benchmarks import bench_seed; bench_seed.seed({int(extra)})"
        run(kaizen("manage", "shell", "-c", seed), env, "seeding people and teams")


def create_token(user: str, env: dict[str, str]) -> str:
    out = run(kaizen("token", "create", user, "--name", "api_bench"), env, f"kaizen token create {user}")
    token = out.strip().splitlines()[-1].strip()
    if not token.startswith("kzn_"):
        raise SystemExit(f"unexpected output of kaizen token create: {out!r}")
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str, token: str | None, timeout: float = 10) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw[:200]


@dataclass
class Running:
    server: Server
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    ready_after: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.server.name} exited ({self.proc.returncode}):\n{self.log_tail()}")


def stop_process_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server and every process it started (it runs in its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    # Workers that outlived their master (they should not) are in the same session.
    for pid in session_pids(proc.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(server: Server, env: dict[str, str], log_dir: Path) -> Iterator[Running]:
    """Start ``server`` on a free port, wait for ``/readyz`` and stop it (and its workers) at exit."""
    port = free_port()
    log = log_dir / f"{server.key}-{port}.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            server.argv(port),
            env={**env, **server.env},
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Running(server, port, proc, log)
    started = time.monotonic()
    try:
        deadline = time.monotonic() + 90
        while True:
            running.alive()
            with contextlib.suppress(OSError, http.client.HTTPException):
                if get_json(f"{running.base}/readyz", None, timeout=2)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.name} did not become ready:\n{running.log_tail()}")
            time.sleep(0.2)
        running.ready_after = time.monotonic() - started
        yield running
    finally:
        stop_process_group(proc)


# --- measurement --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    sample: loadgen.Sample
    other_cores: float
    load1: float


def validate(
    running: Running, endpoints: list[Endpoint], tokens: dict[str, str], facts: dict[str, Any]
) -> None:
    """One request per GET endpoint: 200 and the expected body, before any load."""
    for ep in endpoints:
        if ep.write_script is not None:
            continue
        status, body = get_json(running.base + ep.path, tokens.get(ep.user or ""))
        problem = f"status {status}" if status != 200 else (ep.check(body, facts) if ep.check else None)
        if problem:
            raise RuntimeError(f"{running.server.name}: {ep.label} is wrong before any load: {problem}")


def gather_facts(running: Running, tokens: dict[str, str]) -> dict[str, Any]:
    """What the checks compare against: the organisations sakura may see."""
    status, body = get_json(f"{running.base}/api/v1/organisations/", tokens["sakura"])
    if status != 200:
        raise RuntimeError(f"cannot list sakura's organisations: {status} {body!r}")
    return {"sakura_orgs": {row["id"] for row in body["results"]}}


def own_pids_factory(running: Running, monitor: Any) -> Callable[[], list[int]]:
    def own() -> list[int]:
        rows = monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (DB_NAME,)
        ).fetchall()
        return [os.getpid(), *session_pids(running.proc.pid), *(int(r[0]) for r in rows)]

    return own


def measure(
    running: Running,
    ep: Endpoint,
    tokens: dict[str, str],
    opts: argparse.Namespace,
    monitor: Any,
    run_id: str,
) -> Cell:
    target = loadgen.Target(running.base + ep.path, tokens.get(ep.user or ""), ep.write_script)
    load1 = os.getloadavg()[0]
    window = CpuWindow(own_pids_factory(running, monitor))
    if opts.client == "wrk":
        extra = [run_id] if ep.write_script else None
        sample = loadgen.run_wrk(target, seconds=opts.duration, connections=opts.connections, extra=extra)
    else:
        sample = loadgen.run_python(target, seconds=opts.duration, connections=opts.connections)
    other = window.stop()
    running.alive()
    return Cell(sample, other, load1)


def run_rounds(
    opts: argparse.Namespace,
    servers: list[Server],
    endpoints: list[Endpoint],
    tokens: dict[str, str],
    env: dict[str, str],
    data_dir: Path,
    monitor: Any,
    cells: dict[tuple[str, str], list[Cell]],
) -> None:
    """Start each server in turn, round after round, and measure every endpoint on it."""
    facts: dict[str, Any] | None = None
    for round_no in range(1, opts.rounds + 1):
        for server in servers:
            with serving(server, env, data_dir) as running:
                print(f"round {round_no} {server.name}: ready after {running.ready_after:.1f} s", flush=True)
                if facts is None:
                    facts = gather_facts(running, tokens)
                validate(running, endpoints, tokens, facts)
                targets = [loadgen.Target(running.base + e.path, tokens.get(e.user or "")) for e in endpoints]
                if opts.client == "wrk":
                    loadgen.warm_up_wrk(
                        running.base, targets, seconds=opts.warmup, connections=opts.connections
                    )
                else:
                    for target in targets:
                        loadgen.run_python(target, seconds=1, connections=opts.connections)
                for ep in endpoints:
                    run_id = f"{round_no}{server.key[:3]}{secrets.token_hex(3)}"
                    cell = measure(running, ep, tokens, opts, monitor, run_id)
                    cells.setdefault((server.key, ep.key), []).append(cell)
                    s = cell.sample
                    print(
                        f"round {round_no} {server.name:<34} {ep.label:<38} {s.rps:8.1f} req/s "
                        f"p50 {s.p50_ms:7.1f} ms p99 {s.p99_ms:7.1f} ms errors {s.errors} "
                        f"other CPU {cell.other_cores:.2f}" + (f" ({s.detail})" if s.detail else ""),
                        flush=True,
                    )


# --- report -------------------------------------------------------------------------------------


def _median(cells: list[Cell], attr: str) -> float:
    values = [getattr(c.sample, attr) for c in cells if not math.isnan(getattr(c.sample, attr))]
    return statistics.median(values) if values else float("nan")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info(monitor: Any, client: str) -> list[str]:
    cpu_model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        ram = f"{int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.1f} GiB"
    import django

    pg = monitor.execute("SHOW server_version").fetchone()[0]
    servers = ", ".join(
        f"{d} {_version(d)}"
        for d in ("gunicorn", "uvicorn", "uvloop", "httptools", "granian", "psycopg-pool")
    )
    load = loadgen.wrk_version() if client == "wrk" else f"Python asyncio + httpx {_version('httpx')}"
    return [
        f"- Machine: {os.cpu_count()} cores, {cpu_model}, {ram} RAM, {platform.platform()}",
        f"- Software: Python {platform.python_version()}, Django {django.get_version()}, "
        f"PostgreSQL {pg}, load generator {load}",
        f"- Servers: {servers}",
    ]


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else float("nan")


def fmt(value: float, digits: int = 0) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def build_report(
    opts: argparse.Namespace,
    servers: list[Server],
    endpoints: list[Endpoint],
    cells: dict[tuple[str, str], list[Cell]],
    info: list[str],
    started: dt.datetime,
    elapsed: float,
    load_before: tuple[float, float, float],
) -> tuple[str, int]:
    """Return the markdown section and the total number of errors."""
    keys = [s.key for s in servers]
    names = {s.key: s.name for s in servers}
    rps = {(s, e.key): _median(cells[(s, e.key)], "rps") for s in keys for e in endpoints}
    ref_gthread = "gthread" if "gthread" in keys else None
    if ref_gthread is None and "serve" in keys and _serve_defaults() == (2, 4):
        ref_gthread = "serve"
    ref_serve = "serve" if "serve" in keys else None
    total_errors = sum(c.sample.errors for cl in cells.values() for c in cl)
    argv = shlex.join(
        [public_url(a) if a.startswith(("postgres://", "postgresql://")) else a for a in sys.argv[1:]]
    )
    lines = [
        "## API throughput and the web server (`benchmarks/api_bench.py`)",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC; full run {elapsed / 60:.1f} min",
        f"- Command: `python benchmarks/api_bench.py {argv}`",
        *info,
        f"- Load: {opts.connections} connections"
        + (", wrk with 2 threads" if opts.client == "wrk" else ", Python client")
        + f", {opts.duration} s per cell after a {opts.warmup} s warm-up over all endpoints at each server "
        f"start; the load generator, the server and PostgreSQL share the same {os.cpu_count()} cores. "
        f"{opts.rounds} interleaved rounds, each starting every server afresh in the order "
        f"{', '.join(names[k].split(' (')[0] for k in keys)}; each cell shows the median over the rounds "
        "and the lowest and highest req/s.",
        f"- Data: `kaizen demo` plus {opts.extra} people and {opts.extra} teams of 5 members spread over "
        "6 organisations (made through the domain services). Lists return the first cursor page "
        "(50 rows). The administrator is a superuser (no scoping); `sakura` is a requester whose "
        "team list is restricted to her organisation and its branch by `visible_to`.",
        f"- Noise: load average {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f} before "
        "the run. *other CPU* is the number of cores that processes outside the benchmark (other "
        "users' jobs, steal) used during a cell, median over the rounds; read ratios within a run, "
        "never absolute figures across runs.",
        "",
    ]
    if total_errors:
        lines += [
            f"**{total_errors} errors (non-2xx responses or socket errors): figures are not valid.**",
            "",
        ]
    for ep in endpoints:
        header = "| server | req/s | req/s low–high | p50 ms | p99 ms | errors |"
        rule = "| --- | ---: | ---: | ---: | ---: | ---: |"
        if ref_gthread:
            header += " vs gthread 2x4 |"
            rule += " ---: |"
        if ref_serve:
            header += " vs kaizen serve |"
            rule += " ---: |"
        header += " other CPU |"
        rule += " ---: |"
        lines += [f"### {ep.label}", "", header, rule]
        for key in keys:
            cl = cells[(key, ep.key)]
            values = [c.sample.rps for c in cl]
            row = (
                f"| {names[key]} | {fmt(rps[(key, ep.key)])} | {fmt(min(values))}–{fmt(max(values))} "
                f"| {fmt(_median(cl, 'p50_ms'), 1)} | {fmt(_median(cl, 'p99_ms'), 1)} "
                f"| {sum(c.sample.errors for c in cl)} |"
            )
            for ref in (ref_gthread, ref_serve):
                if ref:
                    row += f" {fmt(ratio(rps[(key, ep.key)], rps[(ref, ep.key)]), 2)} |"
            row += f" {statistics.median(c.other_cores for c in cl):.2f} |"
            lines.append(row)
        lines.append("")
    api = [e for e in endpoints if e.key != "ping"]
    if "ping" in {e.key for e in endpoints} and api:
        lines += [
            "### Kaizen's cost over the minimal view (req/s of the endpoint / req/s of the ping, same server)",
            "",
            "| server | "
            + " | ".join(e.label.split(" (")[0].replace("GET ", "") + _who(e) for e in api)
            + " |",
            "| --- |" + " ---: |" * len(api),
        ]
        for key in keys:
            lines.append(
                f"| {names[key]} | "
                + " | ".join(fmt(ratio(rps[(key, e.key)], rps[(key, "ping")]), 3) for e in api)
                + " |"
            )
        lines.append("")
    lines += ["### Server configurations", ""]
    lines += [f"- **{s.name}**: {s.note}." for s in servers]
    lines += ["", "### What the figures say", ""]
    lines += conclusion(servers, endpoints, cells, rps, ref_serve, ref_gthread, total_errors)
    return "\n".join(lines) + "\n", total_errors


def _who(ep: Endpoint) -> str:
    return f" ({ep.user})" if ep.user else ""


def _geomean(values: list[float]) -> float:
    if not values or any(math.isnan(v) or v <= 0 for v in values):
        return float("nan")
    return math.exp(statistics.fmean(math.log(v) for v in values))


def conclusion(
    servers: list[Server],
    endpoints: list[Endpoint],
    cells: dict[tuple[str, str], list[Cell]],
    rps: dict[tuple[str, str], float],
    ref_serve: str | None,
    ref_gthread: str | None,
    total_errors: int,
) -> list[str]:
    """Plain statements derived from the table; no opinion beyond what the figures show."""
    names = {s.key: s.name for s in servers}
    keys = [s.key for s in servers]
    api = [e for e in endpoints if e.key != "ping"]
    out: list[str] = []
    for ep in endpoints:
        fastest = max(keys, key=lambda k: rps[(k, ep.key)])
        tail = min(keys, key=lambda k: _median(cells[(k, ep.key)], "p99_ms"))
        out.append(
            f"- {ep.label}: highest throughput **{names[fastest]}** ({fmt(rps[(fastest, ep.key)])} req/s), "
            f"lowest p99 **{names[tail]}** ({fmt(_median(cells[(tail, ep.key)], 'p99_ms'), 1)} ms)."
        )
    if not api:
        return out
    ref = ref_gthread or ref_serve or keys[0]
    score = {k: _geomean([ratio(rps[(k, e.key)], rps[(ref, e.key)]) for e in api]) for k in keys}
    ranking = sorted(keys, key=lambda k: -score[k] if not math.isnan(score[k]) else math.inf)
    out.append(
        f"- Over Kaizen's {len(api)} API endpoints (geometric mean of req/s relative to {names[ref]}): "
        + ", ".join(f"{names[k]} {score[k]:.2f}" for k in ranking)
        + "."
    )
    best = ranking[0]
    tails = [min(keys, key=lambda k: _median(cells[(k, e.key)], "p99_ms")) for e in api]
    tail_best = max(keys, key=tails.count)
    out.append(f"- Lowest p99 on {tails.count(tail_best)} of {len(api)} API endpoints: {names[tail_best]}.")

    def clearly_faster(a: str, b: str) -> bool:
        """a's slowest round beat b's fastest round on every API endpoint."""
        return all(
            min(c.sample.rps for c in cells[(a, e.key)]) > max(c.sample.rps for c in cells[(b, e.key)])
            for e in api
        )

    if total_errors:
        out.append("- Some requests failed (see *errors*): fix that before drawing any conclusion.")
    candidates: dict[str, str] = {}
    if ref_serve:
        candidates[ref_serve] = "what `kaizen serve` runs"
    if ref_gthread:
        candidates.setdefault(ref_gthread, "the threaded configuration")
    for candidate, label in candidates.items():
        share = ratio(score[candidate], score[best])
        if candidate == best or share >= 0.9:
            verdict = (
                "is the fastest configuration"
                if candidate == best
                else f"reaches {share:.0%} of the fastest ({names[best]}): about as good on this machine"
            )
        elif clearly_faster(best, candidate):
            verdict = (
                f"reaches {share:.0%} of the fastest ({names[best]}), and {names[best]} beat it in every "
                "round on every API endpoint"
            )
        else:
            verdict = (
                f"reaches {share:.0%} of the fastest ({names[best]}), but the rounds overlap on at least "
                "one endpoint: within this machine's noise"
            )
        out.append(f"- {names[candidate]} ({label}) {verdict}.")
    if ref_serve:
        share = ratio(score[ref_serve], score[best])
        if ref_serve == best or share >= 0.9 or not clearly_faster(best, ref_serve):
            out.append(
                f"- Conclusion: no configuration measured here is clearly faster than {names[ref_serve]} "
                "on Kaizen's API, so the simple choice stands: keep `kaizen serve` as it is."
            )
        else:
            out.append(
                f"- Conclusion: {names[best]} was clearly faster than {names[ref_serve]} on Kaizen's API in "
                "this run; confirm on a quiet machine before changing `kaizen serve`."
            )
    ping_best = max(keys, key=lambda k: rps[(k, "ping")]) if "ping" in {e.key for e in endpoints} else None
    if ping_best:
        slowest_api = min(ratio(rps[(ping_best, e.key)], rps[(ping_best, "ping")]) for e in api)
        out.append(
            f"- The minimal view runs fastest on {names[ping_best]}; Kaizen's heaviest endpoint here runs at "
            f"{slowest_api:.0%} of the ping rate on the same server"
            + (
                ", so the application's own work, not the server, sets the throughput of the real API."
                if slowest_api < 0.25
                else "."
            )
        )
    others = [c.other_cores for cl in cells.values() for c in cl]
    out.append(
        f"- Other processes used {statistics.median(others):.2f} cores (median, up to {max(others):.2f}) of "
        f"{os.cpu_count()} during the measurements."
    )
    return out


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server; the benchmark (re)creates its own database kaizen_bench there and "
        "never touches the database named in the URL",
    )
    parser.add_argument("--duration", type=int, default=7, help="seconds of load per cell (default 7)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="interleaved rounds; the median is shown (default 3)"
    )
    parser.add_argument(
        "--warmup", type=int, default=2, help="warm-up seconds after each server start (default 2)"
    )
    parser.add_argument(
        "--extra", type=int, default=500, help="people and teams added to the demo data (500)"
    )
    parser.add_argument(
        "--servers",
        default=",".join(DEFAULT_SERVERS),
        help=f"comma-separated configurations (default {','.join(DEFAULT_SERVERS)}; also: sync2)",
    )
    parser.add_argument(
        "--endpoints",
        default=",".join(DEFAULT_ENDPOINTS),
        help=f"comma-separated endpoints (default {','.join(DEFAULT_ENDPOINTS)}; also: org-create)",
    )
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (auto: wrk if installed)",
    )
    parser.add_argument(
        "--reuse-database", action="store_true", help="keep an existing kaizen_bench database"
    )
    parser.add_argument("--quick", action="store_true", help="one short round to check the harness")
    parser.add_argument(
        "--output", help="results file (default benchmarks/RESULTS.md; --quick prints instead unless given)"
    )
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.rounds, opts.duration, opts.warmup = 1, 3, 1
        opts.extra = min(opts.extra, 100)
    if opts.client == "auto":
        opts.client = "wrk" if loadgen.have_wrk() else "python"
    if opts.client == "wrk" and not loadgen.have_wrk():
        raise SystemExit("wrk is not installed: apt-get install -y wrk (or --client python)")
    if opts.client == "python" and not _installed("httpx"):
        raise SystemExit("neither wrk nor httpx is installed: apt-get install -y wrk, or pip install httpx")
    if opts.output is None and not opts.quick:
        opts.output = str(BENCH / "RESULTS.md")
    return opts


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds the with-blocks: servers and temp files are cleaned up


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    available = available_servers()
    wanted = [k.strip() for k in opts.servers.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in available and k not in {"gthread"}]
    if unknown:
        raise SystemExit(f"unknown or unavailable servers: {unknown}; available: {sorted(available)}")
    servers = [available[k] for k in wanted if k in available]
    endpoints = [ENDPOINTS[k.strip()] for k in opts.endpoints.split(",") if k.strip()]
    if opts.client == "python" and any(e.write_script for e in endpoints):
        raise SystemExit("the Python load generator only does GET endpoints: drop org-create or install wrk")
    skipped = sorted(set(DEFAULT_SERVERS) - set(available) - {"gthread"})
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)}", flush=True)
    per_start = 5 + opts.warmup + len(endpoints) * (opts.duration + 0.5)
    estimate = 40 + opts.rounds * len(servers) * per_start
    print(
        f"{len(servers)} servers x {len(endpoints)} endpoints x {opts.rounds} rounds, "
        f"about {estimate / 60:.0f} min",
        flush=True,
    )

    import psycopg

    maintenance_url, database_url = bench_database_url(opts.database_url)
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    load_before = os.getloadavg()
    cells: dict[tuple[str, str], list[Cell]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="kaizen-bench-") as tmp,
        psycopg.connect(maintenance_url, autocommit=True) as monitor,
    ):
        data_dir = Path(tmp)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
            "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
            "KAIZEN_DATA_DIR": str(data_dir / "data"),
            "KAIZEN_DATABASE_URL": database_url,
            "KAIZEN_SECRET_KEY": SECRET_KEY,
            "KAIZEN_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "KAIZEN_BROKER_URL": f"sqlite:///{data_dir / 'jobs.sqlite3'}",
            "KAIZEN_EMAIL_URL": "memory://",
            "KAIZEN_DEBUG": "false",
            "KAIZEN_LOG_LEVEL": "WARNING",
        }
        env.pop("KAIZEN_CONFIG", None)
        if opts.reuse_database:
            print(f"reusing database {DB_NAME}", flush=True)
        else:
            print(f"preparing database {DB_NAME} (demo data + {opts.extra} people and teams) ...", flush=True)
            prepare_database(maintenance_url, env, opts.extra)
        tokens = {user: create_token(user, env) for user in ("admin", "sakura")}
        try:
            run_rounds(opts, servers, endpoints, tokens, env, data_dir, monitor, cells)
        except RuntimeError as exc:
            raise SystemExit(f"api_bench: {exc}") from exc
        info = machine_info(monitor, opts.client)
    elapsed = time.monotonic() - started
    report, errors = build_report(opts, servers, endpoints, cells, info, started_at, elapsed, load_before)
    if opts.output:
        write_section("api_bench", report, Path(opts.output))
        print(f"wrote the api_bench section of {opts.output} ({elapsed / 60:.1f} min)")
    else:
        print(report)
    if errors:
        print(f"FAILED: {errors} errors (non-2xx responses or socket errors)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
