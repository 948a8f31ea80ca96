"""API throughput and latency of Kaizen on PostgreSQL under several production web servers.

For each server configuration the same Kaizen build serves, in the same run:

* ``GET /bench/ping``: a minimal Django view behind Kaizen's middleware (the baseline),
* ``GET /api/v1/organisations/``: the real list endpoint (token auth, ``visible_to``, pagination),
* ``POST /api/v1/organisations/``: a real write (validation, audit hash chain, one transaction).

Load comes from ``wrk`` (Debian package) with 16 connections. Configurations are measured in
interleaved rounds (A B C D, A B C D, ...) and the median per cell is reported, because the
machine is shared and noisy. Results go to ``benchmarks/RESULTS.md``.

Usage::

    python benchmarks/api_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import write_section

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
DB_NAME = "kaizen_bench"


@dataclass(frozen=True)
class Server:
    name: str
    note: str
    argv: list[str]


def servers(port: int) -> list[Server]:
    py = sys.executable
    bind = f"127.0.0.1:{port}"
    found = []
    found.append(
        Server(
            "gunicorn sync 5",
            "what `kaizen serve` runs by default: 2 x cores + 1 single-threaded workers",
            [
                py,
                "-m",
                "gunicorn",
                "benchmarks.bench_apps:wsgi",
                "-b",
                bind,
                "-w",
                "5",
                "--log-level",
                "warning",
            ],
        )
    )
    found.append(
        Server(
            "gunicorn gthread 2x8",
            "2 workers x 8 threads (gunicorn's threaded worker)",
            [
                py,
                "-m",
                "gunicorn",
                "benchmarks.bench_apps:wsgi",
                "-b",
                bind,
                "-k",
                "gthread",
                "-w",
                "2",
                "--threads",
                "8",
                "--log-level",
                "warning",
            ],
        )
    )
    if shutil.which("uvicorn", path=str(Path(py).parent)) or _importable("uvicorn"):
        found.append(
            Server(
                "uvicorn ASGI 2",
                "2 workers; Django's sync views run in a thread pool",
                [
                    py,
                    "-m",
                    "uvicorn",
                    "benchmarks.bench_apps:asgi",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
            )
        )
    if _importable("granian"):
        found.append(
            Server(
                "granian WSGI 2x8",
                "2 workers x 8 blocking threads (Rust HTTP server)",
                [
                    py,
                    "-m",
                    "granian",
                    "--interface",
                    "wsgi",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "2",
                    "--blocking-threads",
                    "8",
                    "--log-level",
                    "warning",
                    "--no-ws",
                    "benchmarks.bench_apps:wsgi",
                ],
            )
        )
    return found


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def prepare_database(admin_url: str, env: dict[str, str], extra_orgs: int) -> None:
    """Recreate the benchmark database, migrate, load the demo data and extra organisations."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    run([sys.executable, "-m", "kaizen.cli", "init", "--password", "bench-admin-password"], env)
    run([sys.executable, "-m", "kaizen.cli", "demo"], env)
    script = (
        "from kaizen.accounts import services\n"
        "from kaizen.accounts.models import User\n"
        "from kaizen.core import context\n"
        "admin = User.objects.get(username='admin')\n"
        "with context.acting(user=admin, channel=context.Channel.CLI):\n"
        f"    for i in range({extra_orgs}):\n"
        "        services.create_organisation(actor=admin, data={'name': f'顧客 {i:04d}', "
        "'code': f'customer-{i:04d}', 'kind': 'customer'})\n"
    )
    run([sys.executable, "-m", "kaizen.cli", "manage", "shell", "-c", script], env)


def run(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


@contextlib.contextmanager
def serving(server: Server, port: int, env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        server.argv,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(
                    f"{server.name} exited: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{server.name} did not become ready")
            time.sleep(0.3)
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * UNITS[match.group(2)]


def wrk(
    url: str, *, token: str, seconds: int, connections: int, script: str | None, args: list[str]
) -> Sample:
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script:
        argv += ["-s", script]
    else:
        argv += ["-H", f"Authorization: Bearer {token}"]
    argv.append(url)
    if args:
        argv += ["--", *args]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        errors += sum(int(g) for g in m.groups())
    return Sample(rps, p50, p99, total, errors)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    import django
    import psycopg

    pg = "unknown"
    with (
        contextlib.suppress(Exception),
        psycopg.connect(os.environ.get("BENCH_ADMIN_URL", ""), autocommit=True) as conn,
    ):
        pg = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return {
        "cpu": f"{os.cpu_count()} x {cpu}",
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
        or "wrk",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server URL; the benchmark creates and uses its own database kaizen_bench",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement (default 10)")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--extra-orgs", type=int, default=200, help="organisations added to the demo data")
    parser.add_argument("--only", action="append", help="run only servers whose name contains this")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    opts = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    os.environ["BENCH_ADMIN_URL"] = opts.database_url
    data_dir = tempfile.mkdtemp(prefix="kaizen-bench-")
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "KAIZEN_DATA_DIR": data_dir,
        "KAIZEN_DATABASE_URL": bench_url(opts.database_url),
        "KAIZEN_SECRET_KEY": "benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "KAIZEN_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "KAIZEN_BROKER_URL": f"sqlite:///{data_dir}/jobs.sqlite3",
        "KAIZEN_EMAIL_URL": "memory://",
        "KAIZEN_DEBUG": "false",
        "KAIZEN_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
    }
    print(f"preparing database {DB_NAME} ...", flush=True)
    prepare_database(opts.database_url, env, opts.extra_orgs)
    token = run(
        [sys.executable, "-m", "kaizen.cli", "token", "create", "admin", "--name", "bench"], env
    ).split()[-1]

    port = free_port()
    configs = [s for s in servers(port) if not opts.only or any(o in s.name for o in opts.only)]
    base = f"http://127.0.0.1:{port}"
    endpoints = [
        ("GET /bench/ping (minimal view)", f"{base}/bench/ping", None),
        ("GET /api/v1/organisations/", f"{base}/api/v1/organisations/", None),
        ("POST /api/v1/organisations/", f"{base}/api/v1/organisations/", str(BENCH / "post_org.lua")),
    ]
    results: dict[tuple[str, str], list[Sample]] = {}
    started = time.monotonic()
    for round_no in range(opts.rounds):
        for server in configs:
            with serving(server, port, env):
                for label, url, script in endpoints:
                    wrk(
                        url,
                        token=token,
                        seconds=2,
                        connections=opts.connections,
                        script=script,
                        args=[f"w{round_no}{abs(hash(server.name)) % 10000}", token],
                    )  # warm-up
                    sample = wrk(
                        url,
                        token=token,
                        seconds=opts.duration,
                        connections=opts.connections,
                        script=script,
                        args=[f"r{round_no}{abs(hash(server.name)) % 10000}", token],
                    )
                    results.setdefault((server.name, label), []).append(sample)
                    print(
                        f"round {round_no + 1} {server.name:<22} {label:<34} {sample.rps:8.1f} req/s "
                        f"p50 {sample.p50_ms:7.1f} ms p99 {sample.p99_ms:7.1f} ms errors {sample.errors}",
                        flush=True,
                    )
    elapsed = time.monotonic() - started
    write_results(opts, configs, endpoints, results, elapsed)
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"wrote {opts.output}")
    return 0


def _median(samples: list[Sample], attr: str) -> float:
    return statistics.median(getattr(s, attr) for s in samples)


def write_results(opts, configs, endpoints, results, elapsed) -> None:  # type: ignore[no-untyped-def]
    info = machine()
    ref = configs[0].name
    lines = [
        "## API throughput and the production web server (`benchmarks/api_bench.py`)",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {info['cpu']}, {info['memory']} RAM, {info['os']} (shared, noisy: read the ratios)",
        f"- Python {info['python']}, Django {info['django']}, PostgreSQL {info['postgresql']}, {info['wrk']}",
        f"- Command: `python benchmarks/api_bench.py --duration {opts.duration} --connections "
        f"{opts.connections} --rounds {opts.rounds}` ({elapsed / 60:.1f} min)",
        f"- Load: wrk, 2 threads, {opts.connections} connections, {opts.duration} s per cell after a "
        f"2 s warm-up, on the same 2 cores as the server; {opts.rounds} interleaved rounds, median shown.",
        "- Data: demo data plus extra organisations; the list returns the first page (50 rows) as the "
        "demo administrator with a Bearer token; the write creates an organisation (validation, "
        "audit hash chain).",
        "",
    ]
    for label, _, _ in endpoints:
        lines += [
            f"## {label}",
            "",
            "| server | req/s | p50 ms | p99 ms | errors | req/s vs " + ref + " |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        base_rps = _median(results[(ref, label)], "rps")
        for server in configs:
            samples = results[(server.name, label)]
            rps = _median(samples, "rps")
            lines.append(
                f"| {server.name} | {rps:.0f} | {_median(samples, 'p50_ms'):.1f} "
                f"| {_median(samples, 'p99_ms'):.1f} | {sum(s.errors for s in samples)} "
                f"| {rps / base_rps:.2f} |"
            )
        lines.append("")
    lines += [
        "## Kaizen's overhead over a minimal view (same server, same run)",
        "",
        "| server | list / ping | write / ping |",
        "| --- | ---: | ---: |",
    ]
    for server in configs:
        ping = _median(results[(server.name, endpoints[0][0])], "rps")
        lines.append(
            f"| {server.name} | {_median(results[(server.name, endpoints[1][0])], 'rps') / ping:.2f} "
            f"| {_median(results[(server.name, endpoints[2][0])], 'rps') / ping:.2f} |"
        )
    lines += ["", "### Server configurations", ""]
    lines += [f"- **{s.name}**: {s.note}." for s in configs]
    lines += [
        "",
        "## Conclusion",
        "",
        "See the section *Choice of production server* in `benchmarks/README.md`.",
        "",
    ]
    write_section("api_bench", "\n".join(lines), Path(opts.output))


if __name__ == "__main__":
    sys.exit(main())
