"""``desk_bench.py --only lists``: Kaizen's queue lists alone, sequential server time, no peer.

The full run (``desk_bench.py``) builds both systems and measures creation and lists under load;
this mode is for working on the lists: it builds (or, with ``--reuse``, keeps) only Kaizen's
database, serves Kaizen with the same gunicorn command, settings and bench middleware, warms every
worker up and then requests each Kaizen list sequentially in ``--rounds`` rounds, exactly as the
sequential cells of the full run do. No creates, no wrk, no django-helpdesk. Figures are printed,
and written to the ``desk_bench_lists`` section of ``--output`` when one is given; never to the
``desk_bench`` section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import desk_bench as bench
from results import write_section

SECTION = "desk_bench_lists"


def _ticket_count(maintenance_url: str, kaizen_url: str) -> int:
    """How many tickets the Kaizen benchmark database holds (0 when it does not exist)."""
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (bench.KAIZEN_DB,)).fetchone()
    if not found:
        return 0
    with psycopg.connect(kaizen_url) as conn:
        exists = conn.execute("SELECT to_regclass('tickets_ticket')").fetchone()[0]
        return conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0] if exists else 0


def _prepare(
    opts: argparse.Namespace, env: dict[str, str], tmp: Path, urls: tuple[str, str]
) -> dict[str, Any]:
    """Recreate the Kaizen database as the full run does (init, seed, generated tickets, analyse)."""
    import json

    maintenance_url, kaizen_url = urls
    bench.log(f"Kaizen: recreating {bench.KAIZEN_DB}, kaizen init ...")
    bench.recreate_database(maintenance_url, bench.KAIZEN_DB)
    bench.run(
        [sys.executable, "-m", "kaizen.cli", "init", "--password", secrets.token_urlsafe(16)],
        env,
        "kaizen init",
    )
    spec = {"organisations": 40, "requesters": opts.requesters, "agents": 60, "teams": 12}
    spec_file = tmp / "kaizen-seed.json"
    spec_file.write_text(json.dumps(spec))
    bench.log(f"Kaizen: seeding {spec} through the services ...")
    seed = bench.result_of(
        bench.run(
            [sys.executable, bench.__file__, "--child", "kaizen-seed", "--spec", str(spec_file)], env, "seed"
        )
    )
    shape = bench.Shape(
        tickets=opts.tickets,
        teams=len(seed["teams"]),
        requesters=opts.requesters,
        services=len(seed["services"]),
        categories=7,
        end=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
    )
    bench.log(f"Kaizen: generating {opts.tickets:,} tickets ...")
    generated = bench.generate_kaizen(kaizen_url, shape, seed["internal_org"])
    bench.log(
        f"Kaizen: {generated['tickets']:,} tickets in {generated['seconds']:.1f} s; VACUUM (ANALYZE) ..."
    )
    bench.vacuum_analyze(kaizen_url)
    return {"token": seed["token"], "cookie": seed["cookie"]}


def kaizen_login() -> dict[str, Any]:
    """A fresh API token and session of the measuring agent in an existing benchmark database."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    from kaizen.accounts.models import User
    from kaizen.core.api.auth import issue_token

    agent = User.objects.get(username="agent")
    _token, raw = issue_token(user=agent, name=f"desk_bench lists {secrets.token_hex(3)}")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    return {
        "token": raw,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
    }


def run_lists(opts: argparse.Namespace) -> int:
    """Measure Kaizen's lists only (see the module docstring); return the exit status."""
    import psycopg

    from kaizen import cli

    workers = cli.web_workers(0)
    maintenance_url, kaizen_url, _peer_url = bench.database_urls(opts.database_url)
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory(prefix="kaizen-desk-lists-") as tmp_name:
        tmp = Path(tmp_name)
        env = bench.kaizen_environment(tmp, tmp / "kaizen-timing.log", kaizen_url)
        have = _ticket_count(maintenance_url, kaizen_url) if opts.reuse else 0
        if opts.reuse and have >= opts.tickets:
            bench.log(f"Kaizen: reusing {bench.KAIZEN_DB} ({have:,} tickets)")
            creds = bench.result_of(
                bench.run(
                    [sys.executable, bench.__file__, "--child", "kaizen-login", "--spec", "-"], env, "login"
                )
            )
        else:
            creds = _prepare(opts, env, tmp, (maintenance_url, kaizen_url))
        code = bench.run(
            [sys.executable, "-c", "import kaizen, pathlib; print(pathlib.Path(kaizen.__file__).parent)"],
            env,
            "kaizen path",
        ).strip()
        with psycopg.connect(kaizen_url) as conn:
            tickets = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
        with bench.serving(
            "kaizen",
            lambda port: bench.gunicorn_argv(sys.executable, "benchmarks.bench_apps:wsgi", port, workers),
            env,
            bench.ROOT,
            tmp,
        ) as srv:
            bench.log(f"Kaizen ready on {srv.port} ({workers} workers, code from {code})")
            api = bench.Client(srv.port, {"Authorization": f"Bearer {creds['token']}"})
            deep_path, deep = bench.follow_next(api, "/api/v1/incidents/?queue=active", opts.deep_page)
            endpoints = bench.kaizen_endpoints(deep_path, deep)
            clients = {(e.system, e.key): bench.Client(srv.port, e.headers(creds)) for e in endpoints}
            for ep in endpoints:
                for path in ep.paths:
                    problem = bench.check_reply(ep, path, clients[(ep.system, ep.key)].get(path))
                    if problem:
                        raise SystemExit(f"{ep.label} ({path}) is wrong before any load: {problem}")
            bench.log("warm-up ...")
            bench.warm_up(endpoints, clients, workers)
            series: dict[str, bench.Series] = {}
            per_round = max(1, math.ceil(opts.samples / opts.rounds))
            with psycopg.connect(maintenance_url, autocommit=True) as monitor:
                bench.wait_idle(srv, monitor, bench.KAIZEN_DB)
                for round_no in range(1, opts.rounds + 1):
                    for ep in endpoints:
                        s = series.setdefault(ep.key, bench.Series())
                        before = len(s.app)
                        bench.sample(clients[(ep.system, ep.key)], ep, per_round, opts.cell_seconds, s)
                        got = s.app[before:]
                        bench.log(
                            f"round {round_no} {ep.key:<10} n={len(got):<4} p50 {bench.percentile(got, 50):7.1f} "
                            f"ms p95 {bench.percentile(got, 95):7.1f} ms server (queries "
                            f"{bench.median(s.queries[before:]):.0f})"
                        )
                    bench.wait_idle(srv, monitor, bench.KAIZEN_DB)
    if not opts.keep_databases and not opts.reuse:
        bench.drop_databases(maintenance_url)
    ctx = {
        "opts": opts,
        "started": started_at,
        "elapsed": time.monotonic() - started,
        "workers": workers,
        "code": code,
        "tickets": tickets,
        "endpoints": endpoints,
        "series": series,
        "deep": deep,
    }
    report = lists_report(ctx)
    print(report)
    if opts.output:
        write_section(SECTION, report, Path(opts.output))
        bench.log(f"wrote the {SECTION} section of {opts.output}")
    return 0


def lists_report(ctx: dict[str, Any]) -> str:
    """The markdown of a lists-only run (its own section; the full run's section is untouched)."""
    opts = ctx["opts"]
    argv = " ".join(sys.argv[1:]) if sys.argv[1:] else ""
    lines = [
        "## Service desk lists only: Kaizen (`benchmarks/desk_bench.py --only lists`)",
        "",
        "Not the full benchmark: Kaizen alone, its lists requested sequentially (no creates, no wrk, no "
        "django-helpdesk). Compare only with other lists-only runs on the same machine.",
        "",
        f"- Date: {ctx['started']:%Y-%m-%d %H:%M} UTC; {ctx['elapsed'] / 60:.1f} min",
        f"- Command: `python benchmarks/desk_bench.py {argv}`",
        f"- Machine: {bench._cpu_model()}, {bench._ram()} RAM, {platform.platform()}",
        f"- Server: gunicorn, {ctx['workers']} sync workers; Kaizen code from `{ctx['code']}`",
        f"- Data: {ctx['tickets']:,} tickets; {opts.rounds} rounds, up to {opts.samples} requests per list; "
        f"deep page = page {ctx['deep'] + 1}",
        "",
        "| list | request | p50 / p95 / p99 ms | queries | db ms (median) | n | goal p95 ≤ 50 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    labels = dict(bench.ROWS)
    for ep in ctx["endpoints"]:
        s = ctx["series"].get(ep.key)
        if s is None:
            continue
        p95 = bench.percentile(s.app, 95)
        lines.append(
            f"| {labels.get(ep.key, ep.key)} | `{ep.label}` | {bench.fmt(bench.percentile(s.app, 50))} / "
            f"**{bench.fmt(p95)}** / {bench.fmt(bench.percentile(s.app, 99))} | {bench.median(s.queries):.0f} | "
            f"{bench.fmt(bench.median(s.db))} | {len(s.app)} | {'met' if p95 <= 50 else '**not met**'} |"
        )
    return "\n".join(lines) + "\n"
