"""CMDB scale: impact analysis latency on a generated CMDB, beside a plain recursive SQL query, and
the time to import 100k CIs from CSV.

The generated estate is layered like a real data centre (switches, segments, hosts, VMs,
databases, applications, firewall rules, documents, services), about three relationships per CI.
For each size it measures, over random start CIs (the same ones for both):

* Kaizen's impact analysis (``impact.traverse`` + ``impact.describe`` for an administrator),
* the floor: one ``WITH RECURSIVE`` query returning the same reachable set (no paths, no
  permissions, no labels).

Usage::

    python benchmarks/cmdb_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres \\
        [--sizes 60000,600000] [--samples 1000] [--import-rows 100000] [--sqlite 60000]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import write_section

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "kaizen_cmdb_bench"


def child(args: list[str], env: dict[str, str]) -> str:
    """Run this script in a fresh process for one database (Django settings are per process)."""
    result = subprocess.run(
        [sys.executable, __file__, *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    sys.stderr.write(result.stderr[-3000:])
    if result.returncode != 0:
        raise SystemExit(f"child failed: {args}\n{result.stdout[-2000:]}")
    return result.stdout


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def generate(n: int, seed: int = 7) -> dict[str, int]:
    """Create a layered CMDB of about ``n`` CIs and 3n relationships (direct bulk inserts)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kaizen.accounts.models import Organisation
    from kaizen.cmdb.models import CIType, ConfigurationItem, GraphChange, Relationship, RelationshipType
    from kaizen.core import defaults
    from kaizen.portfolio.models import Service, ServiceDependency

    rng = random.Random(seed)
    defaults.load_all()
    org, _ = Organisation.objects.get_or_create(code="bench", defaults={"name": "Bench", "kind": "internal"})
    types = {t.code: t for t in CIType.objects.all()}
    rel = {t.code: t for t in RelationshipType.objects.all()}
    now = timezone.now()
    plan = [
        ("network-device", 0.01),
        ("network-segment", 0.02),
        ("server", 0.05),
        ("virtual-machine", 0.40),
        ("database", 0.05),
        ("application", 0.20),
        ("firewall-rule", 0.12),
        ("document", 0.15),
    ]
    ids: dict[str, list[int]] = {}
    counter = 0
    with transaction.atomic():
        for code, share in plan:
            count = max(2, int(n * share))
            batch = []
            for i in range(count):
                counter += 1
                batch.append(
                    ConfigurationItem(
                        number=f"B-{counter:07d}",
                        name=f"{code}-{i}",
                        ci_type=types[code],
                        organisation=org,
                        attributes={},
                        external_id=f"bench-{counter}",
                    )
                )
            ConfigurationItem.objects.bulk_create(batch, batch_size=5000)
            ids[code] = list(
                ConfigurationItem.objects.filter(ci_type=types[code], organisation=org)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        edges: list[tuple[int, str, int]] = []
        sw, seg, host, vm = (
            ids["network-device"],
            ids["network-segment"],
            ids["server"],
            ids["virtual-machine"],
        )
        for i, s in enumerate(seg):
            edges.append((s, "depends-on", sw[i % len(sw)]))
        for i, h in enumerate(host):
            edges.append((h, "depends-on", seg[i % len(seg)]))
        for v in vm:
            edges.append((v, "hosted-on", rng.choice(host)))
            edges.append((v, "depends-on", rng.choice(seg)))
            if rng.random() < 0.5:
                edges.append((v, "backs-up", rng.choice(vm)))  # does not propagate
        for d in ids["database"]:
            edges.append((d, "runs-on", rng.choice(vm)))
        for a in ids["application"]:
            edges.append((a, "runs-on", rng.choice(vm)))
            edges.append((a, "runs-on", rng.choice(vm)))
            edges.append((a, "depends-on", rng.choice(ids["database"])))
            edges.append((a, "uses", rng.choice(ids["database"])))
            if rng.random() < 0.3:
                edges.append((a, "depends-on", rng.choice(ids["application"])))  # cycles happen
        for f in ids["firewall-rule"]:
            edges.append((f, "applies-to", rng.choice(seg)))
            edges.append((f, "depends-on", rng.choice(sw)))
        for doc in ids["document"]:
            edges.append((doc, "documents", rng.choice(ids["application"])))
            edges.append((doc, "documents", rng.choice(ids["application"])))
        seen = set()
        rows = []
        for source, code, target in edges:
            if source == target or (source, code, target) in seen:
                continue
            seen.add((source, code, target))
            rows.append(
                Relationship(
                    source_id=source,
                    relationship_type=rel[code],
                    target_id=target,
                    organisation=org,
                    started_at=now,
                )
            )
        Relationship.objects.bulk_create(rows, batch_size=5000)
        services = [
            Service(code=f"bench-svc-{i}", name=f"Service {i}", organisation=org, lifecycle="live")
            for i in range(max(5, n // 200))
        ]
        Service.objects.bulk_create(services, batch_size=2000)
        service_ids = list(Service.objects.filter(organisation=org).values_list("pk", flat=True))
        deps = [
            ServiceDependency(service_id=s, depends_on_ci_id=a, organisation=org, started_at=now)
            for s in service_ids
            for a in {rng.choice(ids["application"]) for _ in range(4)}
        ]
        ServiceDependency.objects.bulk_create(deps, batch_size=5000)
        GraphChange.record(full=True)  # bulk writes bypass the models' change stamps
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return {"cis": counter, "relationships": len(rows), "services": len(service_ids)}


EDGES = """
WITH RECURSIVE edges(f, t) AS NOT MATERIALIZED (
    SELECT r.target_id, r.source_id
      FROM cmdb_relationship r JOIN cmdb_relationshiptype k ON k.id = r.relationship_type_id
     WHERE r.ended_at IS NULL AND k.propagation IN ('source_depends', 'both')
  UNION ALL
    SELECT r.source_id, r.target_id
      FROM cmdb_relationship r JOIN cmdb_relationshiptype k ON k.id = r.relationship_type_id
     WHERE r.ended_at IS NULL AND k.propagation IN ('target_depends', 'both')
)"""
RECURSIVE = (
    EDGES
    + """, up(id, depth) AS (
    SELECT CAST(%s AS BIGINT), 0
  UNION
    SELECT edges.t, up.depth + 1 FROM edges JOIN up ON edges.f = up.id WHERE up.depth < %s
)
SELECT DISTINCT id FROM up
"""
)
"""The floor with Kaizen's depth limit: (id, depth) rows, so revisits at other depths are not pruned."""
CLOSURE = (
    EDGES
    + """, up(id) AS (
    SELECT CAST(%s AS BIGINT)
  UNION
    SELECT edges.t FROM edges JOIN up ON edges.f = up.id
)
SELECT id FROM up
"""
)
"""The simplest recursive query: the whole reachable set (no depth limit, no paths), each id once."""


def measure(samples: int, depth: int, floor_samples: int | None = None, seed: int = 11) -> dict[str, float]:
    """Time Kaizen's impact analysis and the recursive-SQL floors from the same random start CIs."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from kaizen.accounts.models import User
    from kaizen.cmdb.models import ConfigurationItem
    from kaizen.portfolio import impact, impact_index

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    rng = random.Random(seed)
    all_ids = list(ConfigurationItem.objects.filter(organisation__code="bench").values_list("pk", flat=True))
    starts = [rng.choice(all_ids) for _ in range(samples)]
    impact_index.reset()
    t0 = time.perf_counter()
    with impact_index.current() as index:
        build_seconds = time.perf_counter() - t0
        arrays = [index.keys, *(vars(index.up).values()), *(vars(index.down).values())]
        index_mb = sum(a.nbytes for a in arrays) / 1e6
    for start in starts[:20]:  # warm caches
        impact.describe(impact.traverse(("ci", start), max_depth=depth), admin)
    floor_every = max(1, samples // floor_samples) if floor_samples else 1
    later = timezone.now() + dt.timedelta(seconds=1)
    kaizen, traverse_only, tables, floor, closure, sizes = [], [], [], [], [], []
    for position, start in enumerate(starts):
        t0 = time.perf_counter()
        result = impact.traverse(("ci", start), max_depth=depth)
        t1 = time.perf_counter()
        impact.describe(result, admin)
        t2 = time.perf_counter()
        traverse_only.append((t1 - t0) * 1000)
        kaizen.append((t2 - t0) * 1000)
        sizes.append(len(result.reached))
        if position % floor_every == 0:
            t0 = time.perf_counter()
            impact.traverse(("ci", start), max_depth=depth, as_of=later)  # the same walk in the tables
            tables.append((time.perf_counter() - t0) * 1000)
            with connection.cursor() as cursor:
                t0 = time.perf_counter()
                cursor.execute(RECURSIVE, [start, depth])
                cursor.fetchall()
                floor.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                cursor.execute(CLOSURE, [start])
                cursor.fetchall()
                closure.append((time.perf_counter() - t0) * 1000)
    return {
        "samples": samples,
        "floor_samples": len(floor),
        "index_build_seconds": build_seconds,
        "index_mb": index_mb,
        "reached_p50": percentile(sizes, 50),
        "reached_max": max(sizes),
        "traverse_p50": percentile(traverse_only, 50),
        "traverse_p99": percentile(traverse_only, 99),
        "impact_p50": percentile(kaizen, 50),
        "impact_p99": percentile(kaizen, 99),
        "tables_p50": percentile(tables, 50),
        "tables_p99": percentile(tables, 99),
        "sql_p50": percentile(floor, 50),
        "sql_p99": percentile(floor, 99),
        "closure_p50": percentile(closure, 50),
        "closure_p99": percentile(closure, 99),
    }


def import_rows(rows: int) -> dict[str, float]:
    """Time a CSV import of ``rows`` new CIs (validation, numbering, bulk writes, audit rows)."""
    import csv
    import io

    from kaizen.accounts.models import User
    from kaizen.cmdb import imports
    from kaizen.core import context

    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "external_id",
            "name",
            "type",
            "organisation",
            "attr.hostname",
            "attr.ip_address",
            "attr.environment",
        ]
    )
    for i in range(rows):
        writer.writerow(
            [
                f"imp-{i}",
                f"サーバ {i}",
                "server",
                "bench",
                f"srv{i}.bench.example",
                f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                "production",
            ]
        )
    data = out.getvalue().encode("utf-8")
    t0 = time.perf_counter()
    content, kind = imports.read_upload(data, "bench.csv")
    with context.acting(user=admin, channel=context.Channel.CLI, label="bench"):
        report = imports.run_import(content, kind=kind, actor=admin)
    elapsed = time.perf_counter() - t0
    assert report.applied and report.created == rows, report.as_dict()["errors"][:3]
    return {"rows": rows, "seconds": elapsed, "rows_per_second": rows / elapsed, "megabytes": len(data) / 1e6}


def run_child(opts: argparse.Namespace) -> None:
    import json

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    out: dict[str, object] = {}
    t0 = time.perf_counter()
    from kaizen.cmdb.models import ConfigurationItem, Relationship

    existing = ConfigurationItem.objects.filter(organisation__code="bench").count()
    if opts.reuse and existing >= opts.size:
        out["generated"] = {"cis": existing, "relationships": Relationship.objects.count(), "services": 0}
    else:
        out["generated"] = generate(opts.size)
    out["generate_seconds"] = time.perf_counter() - t0
    out["impact"] = measure(opts.samples, opts.depth, opts.floor_samples)
    if opts.import_rows:
        out["import"] = import_rows(opts.import_rows)
    print("RESULT " + json.dumps(out))


def fresh_database(url: str, *, keep: bool = False) -> str:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not (keep and exists):
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    return str(version)


def main() -> int:
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="60000", help="comma-separated CMDB sizes on PostgreSQL")
    parser.add_argument("--sqlite", type=int, default=60000, help="CMDB size on SQLite (0: skip)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--section", default="cmdb_bench", help="RESULTS.md section to (re)write")
    parser.add_argument("--reuse", action="store_true", help="keep a generated database of the same size")
    parser.add_argument(
        "--floor-samples", type=int, default=0, help="time the recursive SQL on this many starts"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        run_child(opts)
        return 0

    base_env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
        "DJANGO_SETTINGS_MODULE": "kaizen.settings",
        "KAIZEN_BROKER_URL": "memory://",
        "KAIZEN_EMAIL_URL": "memory://",
        "KAIZEN_SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnop",
        "KAIZEN_LOG_LEVEL": "WARNING",
    }
    runs = []
    started = time.time()
    parts = urlsplit(opts.database_url)
    for index, size in enumerate(int(s) for s in opts.sizes.split(",") if s):
        version = fresh_database(opts.database_url, keep=opts.reuse)
        env = {
            **base_env,
            "KAIZEN_DATA_DIR": tempfile.mkdtemp(prefix="kaizen-cmdb-bench-"),
            "KAIZEN_DATABASE_URL": urlunsplit(parts._replace(path=f"/{DB_NAME}")),
        }
        args = [
            "--child",
            "--size",
            str(size),
            "--samples",
            str(opts.samples),
            "--depth",
            str(opts.depth),
            "--import-rows",
            str(opts.import_rows if index == 0 else 0),
            *(["--reuse"] if opts.reuse else []),
            "--floor-samples",
            str(opts.floor_samples),
        ]
        out = child(args, env)
        runs.append((f"PostgreSQL {version}", size, json.loads(out.split("RESULT ", 1)[1])))
        print(f"PostgreSQL {size}: {runs[-1][2]}", flush=True)
    if opts.sqlite:
        env = {**base_env, "KAIZEN_DATA_DIR": tempfile.mkdtemp(prefix="kaizen-cmdb-bench-sqlite-")}
        env.pop("KAIZEN_DATABASE_URL", None)
        args = [
            "--child",
            "--size",
            str(opts.sqlite),
            "--samples",
            str(opts.samples),
            "--depth",
            str(opts.depth),
            "--import-rows",
            "0",
            "--floor-samples",
            str(opts.floor_samples),
        ]
        out = child(args, env)
        import sqlite3

        runs.append((f"SQLite {sqlite3.sqlite_version}", opts.sqlite, json.loads(out.split("RESULT ", 1)[1])))
        print(f"SQLite {opts.sqlite}: {runs[-1][2]}", flush=True)
    write(opts, runs, time.time() - started)
    return 0


def write(opts: argparse.Namespace, runs: list, elapsed: float) -> None:  # type: ignore[type-arg]
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    lines = [
        f"## CMDB scale: impact analysis and import (`benchmarks/cmdb_bench.py`, {opts.sizes} CIs)",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC; machine: {os.cpu_count()} x {cpu}, "
        f"Python {platform.python_version()} (shared, noisy)",
        f"- Command: `python benchmarks/cmdb_bench.py --sizes {opts.sizes} --sqlite {opts.sqlite} --section {opts.section} "
        f"--samples {opts.samples} --depth {opts.depth} --import-rows {opts.import_rows} "
        f"--floor-samples {opts.floor_samples}` ({elapsed / 60:.1f} min)",
        "- Estate: layered (switches, segments, hosts, VMs, databases, applications, firewall rules, documents), "
        "about 3 relationships per CI, one service per 200 CIs; upstream impact from random start CIs, depth 10.",
        "- *traverse* = `impact.traverse` (the walk with every shortest path) over the in-process graph index; "
        "*Kaizen impact* = traverse + `impact.describe` (permissions, labels, customers, paths): the whole answer "
        "of `GET /api/v1/cis/{id}/impact/` without HTTP. *Tables* = the same walk as `traverse`, one query per "
        'level against the tables (what impact "as of" a past moment does). Floors: *recursive SQL* = one '
        "`WITH RECURSIVE` query with the same depth limit, returning only ids; *closure* = the simplest "
        "recursive query (`UNION` of ids, no depth limit). Goals: Kaizen impact p99 ≤ 25 ms at 60k, ≤ 100 ms "
        "at 600k.",
        "",
        "| database | CIs | relationships | reached p50 / max | index load s / MB | traverse p50 / p99 ms "
        "| **Kaizen impact p50 / p99 ms** | tables p50 / p99 ms | recursive SQL p50 / p99 ms "
        "| closure p50 / p99 ms | floor starts |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, _size, out in runs:
        g, m = out["generated"], out["impact"]
        lines.append(
            f"| {name} | {g['cis']:,} | {g['relationships']:,} | {m['reached_p50']:.0f} / {m['reached_max']:.0f} "
            f"| {m['index_build_seconds']:.2f} / {m['index_mb']:.0f} "
            f"| {m['traverse_p50']:.1f} / {m['traverse_p99']:.1f} "
            f"| **{m['impact_p50']:.1f} / {m['impact_p99']:.1f}** "
            f"| {m['tables_p50']:.1f} / {m['tables_p99']:.1f} | {m['sql_p50']:.1f} / {m['sql_p99']:.1f} "
            f"| {m['closure_p50']:.1f} / {m['closure_p99']:.1f} | {m['floor_samples']} |"
        )
    for name, _size, out in runs:
        if "import" in out:
            imp = out["import"]
            lines += [
                "",
                f"Import of {imp['rows']:,} new CIs from a {imp['megabytes']:.1f} MB CSV on {name}: "
                f"**{imp['seconds']:.1f} s** ({imp['rows_per_second']:,.0f} rows/s; validation, numbering, "
                "bulk writes and one audit row per CI). Goal: ≤ 60 s.",
            ]
    write_section(opts.section, "\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
