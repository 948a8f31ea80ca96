"""Service desk at scale: ticket creation and queue lists of Kaizen on 1,000,000 tickets, beside
django-helpdesk (the best known Django ticketing app) on the same data volume, in the same run.

Both systems get their own PostgreSQL database on the same server (``kaizen_desk_bench`` and
``helpdesk_bench``; the database named in the URL is never touched), the same generated tickets
(one SQL ``INSERT ... SELECT generate_series`` each, with identical distributions: the random
numbers are hashes of the row number), and the same server: gunicorn with sync workers, as many
as ``kaizen serve`` runs. django-helpdesk runs from its own virtualenv (``benchmarks/.peer-venv``,
git-ignored, created on first use with the same Django, DRF, gunicorn and psycopg versions as
Kaizen's) and its own generated project. Measured, in interleaved rounds:

* creation through each API under load (wrk, 16 connections, unique JSON bodies): tickets/s,
  client p50/p99, server time and queries per create, and for Kaizen how long the number counter
  lock is held (the creates serialise on it);
* queue lists: server time (time inside Django, from a bench-only middleware's ``Server-Timing``
  header) p50/p95/p99 over sequential requests, and client latency under wrk at 8 connections.

Usage::

    python benchmarks/desk_bench.py --database-url postgres://postgres@127.0.0.1:5432/postgres \\
        [--tickets 1000000] [--duration 10] [--rounds 3] [--quick]

Results go to the ``desk_bench`` section of ``benchmarks/RESULTS.md`` (``--quick``: 50,000
tickets and short cells, printed unless ``--output`` is given). Both databases are dropped at the
end unless ``--keep-databases`` is given.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import math
import os
import platform
import re
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import desk_peer
import loadgen
from api_bench import free_port, public_url, stop_process_group
from cpu import process_seconds, session_pids
from results import write_section

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
KAIZEN_DB = "kaizen_desk_bench"
PEER_DB = "helpdesk_bench"
DATABASES = {"kaizen": KAIZEN_DB, "peer": PEER_DB}
PEER_VENV = BENCH / ".peer-venv"
PEER_PACKAGE = "django-helpdesk"
PEER_VERSION = "2.6.1"
SECRET_KEY = "benchmark-only-secret-key-" + "x" * 40
LOCKS = {
    "number": r'FROM "core_sequence" WHERE .* FOR UPDATE',
    "audit": r'FROM "core_audithead" WHERE .* FOR UPDATE',
}
"""The queries that take Kaizen's two serialising row locks: the number counter
(kaizen.core.sequences.next_values) and the audit chain head (kaizen.core.audit.record_bulk)."""
SERVER_TIMEOUT = 300
SLOW_MS = 1000
"""Lists slower than this alone (p50 server time) are not put under wrk: at 8 connections on 2 cores
their requests would pass wrk's 10 s timeout and keep the server busy after each cell."""
PAGE = 50
DEMO_PARTS = ("accounts", "portfolio")
"""The parts of ``kaizen demo`` loaded (organisations, people, teams, services and CIs), not its tickets."""


# --- small helpers ------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else float("nan")


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_urls(url: str) -> tuple[str, str, str]:
    """Return (maintenance URL, Kaizen URL, peer URL) on the server ``url`` names."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql"}:
        raise SystemExit("--database-url must be a postgres:// URL")
    if parts.path.strip("/") in {KAIZEN_DB, PEER_DB}:
        parts = parts._replace(path="/postgres")
    return (
        urlunsplit(parts),
        urlunsplit(parts._replace(path=f"/{KAIZEN_DB}")),
        urlunsplit(parts._replace(path=f"/{PEER_DB}")),
    )


def recreate_database(maintenance_url: str, name: str) -> None:
    import psycopg

    assert name in {KAIZEN_DB, PEER_DB}
    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_databases(maintenance_url: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        for name in (KAIZEN_DB, PEER_DB):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(argv: list[str], env: dict[str, str], label: str, cwd: Path = ROOT) -> str:
    """Run a preparation step; stop the benchmark with its output when it fails."""
    result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(
            f"{label} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result.stdout


def result_of(out: str) -> Any:
    line = next((ln for ln in out.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"no RESULT line in the child's output:\n{out[-3000:]}")
    return json.loads(line[len("RESULT ") :])


def version_of(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# --- the peer's virtualenv ----------------------------------------------------------------------


def peer_python() -> Path:
    return PEER_VENV / "bin" / "python"


def peer_versions() -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; print(json.dumps({d: m.version(d) for d in "
        "('django-helpdesk', 'Django', 'djangorestframework', 'gunicorn', 'psycopg')}))"
    )
    out = subprocess.run([str(peer_python()), "-c", code], capture_output=True, text=True, check=False)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def ensure_peer_venv(version: str) -> dict[str, str]:
    """Create (or update) the peer's virtualenv with Kaizen's Django, DRF, gunicorn and psycopg."""
    pins = {
        "Django": version_of("Django"),
        "djangorestframework": version_of("djangorestframework"),
        "gunicorn": version_of("gunicorn"),
        "psycopg": version_of("psycopg"),
    }
    wanted = {PEER_PACKAGE: version, **pins}
    if peer_python().exists() and peer_versions() == wanted:
        return wanted
    log(f"installing {PEER_PACKAGE} {version} into {PEER_VENV.relative_to(ROOT)} ...")
    if not peer_python().exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    packages = [
        f"{PEER_PACKAGE}=={version}",
        f"Django=={pins['Django']}",
        f"djangorestframework=={pins['djangorestframework']}",
        f"gunicorn=={pins['gunicorn']}",
        f"psycopg[binary]=={pins['psycopg']}",
    ]
    subprocess.run([str(peer_python()), "-m", "pip", "install", "-q", *packages], check=True)
    found = peer_versions()
    if found != wanted:
        raise SystemExit(f"the peer virtualenv has {found}, expected {wanted}")
    return found


# --- data generation (SQL, identical distributions for both systems) ------------------------------

RANDOM_FN = """
CREATE FUNCTION pg_temp.rnd(g bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT (hashint8(g * 64 + k) & 2147483647)::float8 / 2147483648.0 $$
"""
"""A deterministic uniform number in [0, 1) per row and column: both databases get the same rows."""

TITLES = [
    "VPN に接続できない",
    "メールが送信できない",
    "共有フォルダにアクセスできない",
    "パスワードをリセットしたい",
    "業務アプリでエラーが表示される",
    "プリンタが印刷しない",
    "PC の動作が遅い",
    "Wi-Fi が頻繁に切れる",
    "会議室のディスプレイが映らない",
    "アカウントがロックされた",
    "ファイルサーバの容量不足",
    "夜間バッチが異常終了した",
    "Web サイトの表示が遅い",
    "新しいソフトウェアを導入したい",
    "スマートフォンの設定をしたい",
    "権限を追加してほしい",
]
CHANNELS = ["portal", "email", "api", "monitoring", "phone", "chat"]
CAUSES = [
    "operation",
    "configuration",
    "design",
    "program",
    "planning",
    "hardware",
    "middleware",
    "external_party",
    "environment",
    "unknown",
]


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def plan_sql(n: int, teams: int, requesters: int, services: int, categories: int, end: str) -> str:
    """One row per ticket with its abstract attributes (kind, state category, people by index, ...).

    Shape: about 6-7 % of the tickets are active (new, awaiting approval, open, pending), most of them
    among the newest 5 % (60 % active there, 3.5 % in the older history); the rest resolved, closed
    or cancelled. 60 % incidents, 35 % service requests, 5 % problems; a quarter of the tickets go to
    the first team (the service desk), the rest spread over the others; impact and urgency weighted
    towards moderate/medium, priority from Kaizen's default matrix.
    """
    return f"""
    WITH r AS (
        SELECT g, g::float8 / {n} AS t,
               pg_temp.rnd(g, 1) AS r1, pg_temp.rnd(g, 2) AS r2, pg_temp.rnd(g, 3) AS r3,
               pg_temp.rnd(g, 4) AS r4, pg_temp.rnd(g, 5) AS r5, pg_temp.rnd(g, 6) AS r6,
               pg_temp.rnd(g, 7) AS r7, pg_temp.rnd(g, 8) AS r8, pg_temp.rnd(g, 9) AS r9,
               pg_temp.rnd(g, 10) AS r10, pg_temp.rnd(g, 11) AS r11, pg_temp.rnd(g, 12) AS r12,
               pg_temp.rnd(g, 13) AS r13, pg_temp.rnd(g, 14) AS r14, pg_temp.rnd(g, 15) AS r15,
               pg_temp.rnd(g, 16) AS r16, pg_temp.rnd(g, 17) AS r17, pg_temp.rnd(g, 18) AS r18,
               pg_temp.rnd(g, 19) AS r19, pg_temp.rnd(g, 20) AS r20, pg_temp.rnd(g, 21) AS r21
          FROM generate_series(1, {n}) AS g
    ), k AS (
        SELECT r.*,
               CASE WHEN r1 < 0.60 THEN 'incident' WHEN r1 < 0.95 THEN 'request' ELSE 'problem' END AS kind,
               r2 < CASE WHEN t > 0.95 THEN 0.60 ELSE 0.035 END AS active,
               CASE WHEN r10 < 0.03 THEN 1 WHEN r10 < 0.15 THEN 2 WHEN r10 < 0.70 THEN 3 ELSE 4 END AS impact,
               CASE WHEN r11 < 0.05 THEN 1 WHEN r11 < 0.25 THEN 2 WHEN r11 < 0.75 THEN 3 ELSE 4 END AS urgency,
               TIMESTAMPTZ '{end}' - INTERVAL '3 years' * (1 - t) - INTERVAL '90 minutes' * r14 AS created
          FROM r
    ), c AS (
        SELECT k.*,
               CASE
                 WHEN active AND r3 < 0.15 THEN 'new'
                 WHEN active AND kind = 'request' AND r3 < 0.20 THEN 'approval'
                 WHEN active AND (r3 < 0.75 OR kind = 'problem') THEN 'open'
                 WHEN active THEN 'pending'
                 WHEN r3 > 0.95 THEN 'cancelled'
                 WHEN (t > 0.97 AND r3 < 0.40) OR r3 < 0.01 THEN 'resolved'
                 ELSE 'closed'
               END AS cat,
               ('{{{{1,1,2,3}},{{1,2,3,3}},{{2,3,3,4}},{{3,3,4,4}}}}'::int[])[impact][urgency] AS priority
          FROM k
    )
    SELECT g, kind, cat, impact, urgency, priority, created,
           cat IN ('new', 'approval', 'open', 'pending') AS active,
           CASE WHEN cat IN ('new', 'approval') THEN r4 < 0.2
                WHEN cat = 'cancelled' THEN r4 < 0.6
                WHEN cat IN ('open', 'pending') THEN r4 < 0.92
                ELSE r4 < 0.98 END AS assigned,
           CASE WHEN r5 < 0.25 THEN 0 ELSE 1 + floor((r5 - 0.25) / 0.75 * {teams - 1})::int END AS team_i,
           r6 AS member_r,
           CASE WHEN kind = 'problem' THEN NULL ELSE floor(r7 * {requesters})::int END AS req_i,
           CASE WHEN r8 < 0.7 THEN floor(r8 / 0.7 * {services})::int END AS svc_i,
           CASE WHEN r9 < 0.85 THEN floor(r9 / 0.85 * {categories})::int END AS cat_i,
           1 + floor(r12 * {len(CHANNELS)})::int AS channel_i,
           1 + floor(r13 * {len(TITLES)})::int AS title_i,
           CASE WHEN cat NOT IN ('new', 'approval') THEN created + INTERVAL '1 minute' * (5 + r15 * 240) END
               AS first_response,
           CASE WHEN cat IN ('resolved', 'closed') THEN created + INTERVAL '1 hour' * (1 + r16 * 120) END AS resolved,
           CASE WHEN cat = 'closed' THEN created + INTERVAL '1 hour' * (73 + r16 * 120)
                WHEN cat = 'cancelled' THEN created + INTERVAL '1 hour' * (r16 * 48) END AS closed,
           CASE WHEN kind = 'incident' AND cat IN ('resolved', 'closed') THEN 1 + floor(r17 * {len(CAUSES)})::int
               END AS cause_i,
           r18 < 0.05 AS sla_breached,
           kind = 'incident' AND cat IN ('new', 'open', 'pending') AND priority = 1 AND r19 < 0.3 AS major,
           kind = 'incident' AND cat = 'resolved' AND priority <= 2 AND r19 < 0.5 AS review,
           1 + floor(r20 * 6)::int AS version,
           r21 AS variant
      FROM c
    """


@dataclass
class Shape:
    """What both generators share: counts of the things tickets point at, by index."""

    tickets: int
    teams: int
    requesters: int
    services: int
    categories: int
    end: str


def _without_secondary_indexes(cur: Any, table: str) -> list[str]:
    """Drop ``table``'s indexes that back no constraint; return their definitions to rebuild."""
    rows = cur.execute(
        """SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s
           AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)""",
        (table, table),
    ).fetchall()
    for name, _definition in rows:
        cur.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in rows]


def _check_foreign_keys(cur: Any, table: str) -> None:
    """Fail unless every foreign key of ``table`` points at an existing row (triggers were off)."""
    fks = cur.execute(
        """SELECT a.attname, c.confrelid::regclass::text, af.attname
             FROM pg_constraint c
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
             JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.conrelid = %s::regclass AND c.contype = 'f'""",
        (table,),
    ).fetchall()
    for column, parent, parent_column in fks:
        bad = cur.execute(
            f'SELECT count(*) FROM "{table}" t LEFT JOIN {parent} p ON p."{parent_column}" = t."{column}" '
            f'WHERE t."{column}" IS NOT NULL AND p."{parent_column}" IS NULL'
        ).fetchone()[0]
        if bad:
            raise SystemExit(f"generated data: {bad} rows of {table}.{column} point at no {parent} row")


@contextlib.contextmanager
def bulk_session(url: str, tables: list[str]) -> Iterator[Any]:
    """A connection for bulk inserts: FK triggers off, secondary indexes dropped and rebuilt after."""
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET session_replication_role = replica")  # no FK triggers: checked below
        cur.execute(RANDOM_FN)
        definitions = [d for t in tables for d in _without_secondary_indexes(cur, t)]
        yield cur
        cur.execute("SET session_replication_role = DEFAULT")
        for definition in definitions:
            cur.execute(definition)
        for table in tables:
            _check_foreign_keys(cur, table)
        conn.commit()


def generate_kaizen(url: str, shape: Shape, internal_org: int) -> dict[str, Any]:
    """Insert ``shape.tickets`` valid Kaizen tickets (numbers, states, organisations, timestamps)."""
    started = time.monotonic()
    with bulk_session(url, ["tickets_ticket"]) as cur:
        cur.execute(
            """CREATE TEMP TABLE b_req AS SELECT (row_number() OVER (ORDER BY p.id) - 1)::int AS i, p.id,
                      p.organisation_id
                 FROM accounts_person p WHERE p.email LIKE 'req%%@example.jp' AND p.user_id IS NULL"""
        )
        cur.execute(
            """CREATE TEMP TABLE b_team AS SELECT (row_number() OVER (ORDER BY t.id) - 1)::int AS i, t.id,
                      array_agg(m.person_id ORDER BY m.person_id) AS members
                 FROM accounts_team t JOIN accounts_team_members m ON m.team_id = t.id
                 JOIN accounts_person p ON p.id = m.person_id AND p.user_id IS NOT NULL
                GROUP BY t.id"""
        )
        cur.execute(
            "CREATE TEMP TABLE b_svc AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id "
            "FROM portfolio_service"
        )
        cur.execute(
            "CREATE TEMP TABLE b_cat AS SELECT (row_number() OVER (ORDER BY id) - 1)::int AS i, id "
            "FROM tickets_category WHERE kind = ''"
        )
        cur.execute(
            """CREATE TEMP TABLE b_state AS SELECT kind, category, array_agg(id ORDER BY "order") AS ids
                 FROM tickets_workflowstate GROUP BY kind, category"""
        )
        counts = {
            t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("b_req", "b_team", "b_svc", "b_cat")
        }
        expected = {
            "b_req": shape.requesters,
            "b_team": shape.teams,
            "b_svc": shape.services,
            "b_cat": shape.categories,
        }
        if counts != expected:
            raise SystemExit(f"Kaizen reference rows {counts} do not match the shape {expected}")
        plan = plan_sql(
            shape.tickets, shape.teams, shape.requesters, shape.services, shape.categories, shape.end
        )
        cur.execute(
            f"""
            INSERT INTO tickets_ticket (
                created_at, updated_at, version, kind, number, title, description, channel, state_category,
                state_changed_at, impact, impact_suggested, impact_reason, urgency, priority, priority_reason,
                major, major_since, resolution, cause_class, first_response_at, resolved_at, closed_at,
                confirmed_at, last_requester_reply_at, reopen_count, review_status, review_reasons,
                sla_breached, sla_state, form_values, external_ref, assignee_id, catalog_item_id, category_id,
                organisation_id, requester_id, service_id, team_id, state_id)
            SELECT p.created, coalesce(p.closed, p.resolved, p.first_response, p.created), p.version, p.kind,
                   CASE p.kind WHEN 'incident' THEN 'INC' WHEN 'request' THEN 'REQ' ELSE 'PRB' END || '-'
                       || lpad(p.seq::text, greatest(6, length(p.seq::text)), '0'),
                   ({_sql_array(TITLES)})[p.title_i] || '（' || p.g || '）',
                   '発生日時と影響範囲を記入してください。業務への影響: あり。', ({_sql_array(CHANNELS)})[p.channel_i],
                   p.cat, coalesce(p.closed, p.resolved, p.first_response, p.created), p.impact, NULL, '',
                   p.urgency, p.priority, '', p.major, CASE WHEN p.major THEN p.created END,
                   CASE WHEN p.resolved IS NOT NULL THEN '設定を修正し、利用者に確認いただいた。' ELSE '' END,
                   coalesce(({_sql_array(CAUSES)})[p.cause_i], ''), p.first_response, p.resolved, p.closed,
                   NULL, NULL, 0, CASE WHEN p.review THEN 'pending' ELSE '' END,
                   CASE WHEN p.review THEN '["重大度の高いインシデント (P1/P2)"]'::jsonb ELSE '[]'::jsonb END,
                   p.sla_breached, '', '{{}}'::jsonb, '',
                   CASE WHEN p.assigned THEN tm.members[1 + floor(p.member_r * cardinality(tm.members))::int] END,
                   NULL, ca.id, coalesce(rq.organisation_id, %s), rq.id, sv.id, tm.id,
                   st.ids[1 + floor(p.variant * cardinality(st.ids))::int]
              FROM (SELECT plan.*, row_number() OVER (PARTITION BY plan.kind ORDER BY plan.g) AS seq
                      FROM ({plan}) AS plan) AS p
              JOIN b_team tm ON tm.i = p.team_i
              JOIN b_state st ON st.kind = p.kind AND st.category = p.cat
              LEFT JOIN b_req rq ON rq.i = p.req_i
              LEFT JOIN b_svc sv ON sv.i = p.svc_i
              LEFT JOIN b_cat ca ON ca.i = p.cat_i
             ORDER BY p.g
            """,
            (internal_org,),
        )
        inserted = cur.rowcount
        if inserted != shape.tickets:
            raise SystemExit(f"generated {inserted} Kaizen tickets instead of {shape.tickets}")
        cur.execute(
            """INSERT INTO core_sequence (name, value)
               SELECT 'tickets.' || kind, count(*) FROM tickets_ticket GROUP BY kind
               ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"""
        )
        # Ticket numbers come from PostgreSQL sequences (kaizen.core.sequences.next_free_number).
        cur.execute(
            """SELECT setval('kaizen_seq_tickets_' || kind, count(*)) FROM tickets_ticket GROUP BY kind"""
        )
    return {"seconds": time.monotonic() - started, "tickets": inserted}


def generate_peer(
    url: str, shape: Shape, queue_members: list[list[int]], queues: list[int]
) -> dict[str, Any]:
    """Insert the same tickets into django-helpdesk's tables, with the follow-ups it would have written."""
    started = time.monotonic()
    with bulk_session(url, ["helpdesk_ticket", "helpdesk_followup"]) as cur:
        cur.execute("CREATE TEMP TABLE b_queue (i int, id int, members int[])")
        cur.executemany(
            "INSERT INTO b_queue VALUES (%s, %s, %s)",
            [(i, q, members) for i, (q, members) in enumerate(zip(queues, queue_members, strict=True))],
        )
        plan = plan_sql(
            shape.tickets, shape.teams, shape.requesters, shape.services, shape.categories, shape.end
        )
        # Kaizen's active categories map to helpdesk's open statuses (7 % of them reopened, pending
        # ones on hold); resolved, closed and cancelled to Resolved (3), Closed (4) and Duplicate (5).
        # Priorities 1-4 are the same numbers on helpdesk's 1-5 scale.
        cur.execute(
            f"""
            INSERT INTO helpdesk_ticket (
                title, queue_id, created, modified, submitter_email, assigned_to_id, status, on_hold,
                description, resolution, priority, due_date, last_escalation, secret_key, kbitem_id,
                merged_to_id)
            SELECT ({_sql_array(TITLES)})[p.title_i] || '（' || p.g || '）', q.id, p.created,
                   coalesce(p.closed, p.resolved, p.first_response, p.created),
                   CASE WHEN p.req_i IS NOT NULL THEN 'req' || lpad(p.req_i::text, 4, '0') || '@example.jp' END,
                   CASE WHEN p.assigned THEN q.members[1 + floor(p.member_r * cardinality(q.members))::int] END,
                   CASE p.cat WHEN 'resolved' THEN 3 WHEN 'closed' THEN 4 WHEN 'cancelled' THEN 5
                       ELSE CASE WHEN p.variant < 0.07 THEN 2 ELSE 1 END END,
                   p.cat = 'pending', '発生日時と影響範囲を記入してください。業務への影響: あり。',
                   CASE WHEN p.resolved IS NOT NULL THEN '設定を修正し、利用者に確認いただいた。' END,
                   p.priority, NULL, NULL, md5(p.g::text || 'secret'), NULL, NULL
              FROM ({plan}) AS p
              JOIN b_queue q ON q.i = p.team_i
             ORDER BY p.g
            """
        )
        inserted = cur.rowcount
        if inserted != shape.tickets:
            raise SystemExit(f"generated {inserted} helpdesk tickets instead of {shape.tickets}")
        # django-helpdesk writes a public follow-up when a ticket is opened and another one when its
        # status changes; its ticket list reads them (last follow-up, time spent).
        cur.execute(
            """
            INSERT INTO helpdesk_followup (ticket_id, date, title, comment, public, user_id, new_status,
                                           message_id, time_spent, email_recipients)
            SELECT id, created, 'Ticket Opened', description, true, NULL::int, NULL::int, NULL::varchar,
                   NULL::interval, '[]'::jsonb
              FROM helpdesk_ticket
            UNION ALL
            SELECT id, modified, CASE status WHEN 3 THEN 'Resolved' WHEN 4 THEN 'Closed' ELSE 'Duplicate' END,
                   resolution, true, assigned_to_id, status, NULL, NULL, '[]'::jsonb
              FROM helpdesk_ticket WHERE status IN (3, 4, 5)
            """
        )
        followups = cur.rowcount
    return {"seconds": time.monotonic() - started, "tickets": inserted, "followups": followups}


def vacuum_analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def data_summary(kaizen_url: str, peer_url: str, kaizen_agent: int, peer_agent: int) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(kaizen_url) as conn:
        k = conn.execute(
            """SELECT count(*), count(*) FILTER (WHERE state_category IN ('new','approval','open','pending')),
                      count(*) FILTER (WHERE kind = 'incident'),
                      count(*) FILTER (WHERE kind = 'incident' AND state_category IN ('new','approval','open','pending')),
                      count(*) FILTER (WHERE kind = 'incident' AND assignee_id = %s
                                         AND state_category IN ('new','approval','open','pending')),
                      count(*) FILTER (WHERE kind = 'incident' AND assignee_id IS NULL
                                         AND state_category IN ('new','approval','open','pending')),
                      count(DISTINCT organisation_id), count(DISTINCT team_id), count(DISTINCT assignee_id),
                      pg_total_relation_size('tickets_ticket')
                 FROM tickets_ticket""",
            (kaizen_agent,),
        ).fetchone()
        by_priority = dict(
            conn.execute("SELECT priority, count(*) FROM tickets_ticket GROUP BY 1").fetchall()
        )
    with psycopg.connect(peer_url) as conn:
        p = conn.execute(
            """SELECT count(*), count(*) FILTER (WHERE status IN (1, 2)),
                      count(*) FILTER (WHERE status IN (1, 2) AND assigned_to_id = %s),
                      count(*) FILTER (WHERE status IN (1, 2) AND assigned_to_id IS NULL),
                      count(DISTINCT queue_id), count(DISTINCT assigned_to_id),
                      pg_total_relation_size('helpdesk_ticket'), (SELECT count(*) FROM helpdesk_followup),
                      pg_total_relation_size('helpdesk_followup')
                 FROM helpdesk_ticket""",
            (peer_agent,),
        ).fetchone()
    keys = [
        "tickets",
        "active",
        "incidents",
        "active_incidents",
        "mine",
        "unassigned",
        "organisations",
        "teams",
        "assignees",
        "bytes",
    ]
    peer_keys = [
        "tickets",
        "active",
        "mine",
        "unassigned",
        "queues",
        "assignees",
        "bytes",
        "followups",
        "followup_bytes",
    ]
    return {
        "kaizen": {**dict(zip(keys, k, strict=True)), "by_priority": by_priority},
        "peer": dict(zip(peer_keys, p, strict=True)),
    }


# --- children: steps that need a configured Django (run in a fresh process) -------------------------


def kaizen_seed(spec: dict[str, Any]) -> dict[str, Any]:
    """Kaizen's reference data through the domain services, the rules, a token and a session."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client

    from kaizen.accounts import services as accounts
    from kaizen.accounts.models import Organisation, Team, User
    from kaizen.core import context, demo
    from kaizen.core.access import Role
    from kaizen.core.api.auth import issue_token
    from kaizen.core.services import create_record
    from kaizen.portfolio.models import Service
    from kaizen.tickets.models import BusinessRule, Category, TeamAssignment

    for loader in sorted(demo._loaders.values(), key=lambda item: item.order):
        if loader.name in DEMO_PARTS:
            with context.acting(channel=context.Channel.CLI, label="kaizen demo"), transaction.atomic():
                loader.load(password=secrets.token_urlsafe(12))
    admin = User.objects.get(username="admin")
    with (
        context.acting(user=admin, channel=context.Channel.CLI, label="desk_bench seed"),
        transaction.atomic(),
    ):
        internal = Organisation.objects.get(code="kaizen-it")
        for i in range(spec["organisations"]):
            accounts.create_organisation(
                actor=admin,
                data={"name": f"ベンチ顧客 {i:03d} 株式会社", "code": f"bench-{i:03d}", "kind": "customer"},
            )
        customers = list(Organisation.objects.filter(kind="customer").order_by("pk"))
        for i in range(spec["requesters"]):
            accounts.create_person(
                actor=admin,
                data={
                    "name": f"依頼者 {i:04d}",
                    "email": f"req{i:04d}@example.jp",
                    "organisation": customers[i % len(customers)],
                    "job_title": "利用者",
                },
            )
        agents = []
        for i in range(spec["agents"]):
            person = accounts.create_person(
                actor=admin,
                data={
                    "name": f"担当 {i:03d}",
                    "email": f"agent{i:03d}@example.jp",
                    "organisation": internal,
                    "job_title": "サポート担当",
                },
            )
            user = accounts.create_login(person.pk, actor=admin, username=f"agent{i:03d}", password=None)
            accounts.grant_role(actor=admin, data={"user": user, "organisation": None, "role": Role.AGENT})
            agents.append(person)
        per_team = spec["agents"] // spec["teams"]
        for i in range(spec["teams"]):
            members = agents[i * per_team : (i + 1) * per_team]
            accounts.create_team(
                actor=admin,
                data={
                    "name": f"ベンチ第{i + 1}課",
                    "organisation": internal,
                    "email": f"team{i:02d}@example.jp",
                    "lead": members[0],
                },
                members=members,
            )
        teams = list(Team.objects.order_by("pk"))
        for team in teams:
            create_record(TeamAssignment, actor=admin, data={"team": team, "mode": "round_robin"})
        desk = Team.objects.get(name="サービスデスク")
        infra = Team.objects.get(name="基盤運用")
        cat = {c.name: c.pk for c in Category.objects.all()}
        rules = [
            (
                "ネットワーク障害は基盤運用へ",
                "incident",
                [{"field": "category", "op": "eq", "value": cat["ネットワーク"]}],
                [{"action": "set_team", "value": infra.pk}],
                10,
            ),
            (
                "アカウント・メールはサービスデスクへ",
                "incident",
                [{"field": "category", "op": "in", "value": [cat["アカウント・権限"], cat["メール"]]}],
                [{"action": "set_team", "value": desk.pk}],
                20,
            ),
            (
                "VPN の問い合わせにタグ",
                "",
                [{"field": "title", "op": "contains", "value": "VPN"}],
                [{"action": "add_tags", "value": ["vpn", "network"]}],
                30,
            ),
            (
                "緊急度の高いものはデスク責任者に通知",
                "incident",
                [{"field": "urgency", "op": "lte", "value": 2}],
                [{"action": "notify", "value": {"emails": ["desk-lead@example.jp"], "message": "緊急"}}],
                40,
            ),
            (
                "全面停止は重大インシデント",
                "incident",
                [
                    {"field": "priority", "op": "eq", "value": 1},
                    {"field": "title", "op": "contains", "value": "全面停止"},
                ],
                [{"action": "declare_major", "value": None}],
                50,
            ),
            (
                "チーム未設定はサービスデスクへ",
                "",
                [{"field": "team", "op": "empty", "value": None}],
                [{"action": "set_team", "value": desk.pk}],
                900,
            ),
        ]
        for name, kind, conditions, actions, order in rules:
            create_record(
                BusinessRule,
                actor=admin,
                data={
                    "name": name,
                    "kind": kind,
                    "trigger": "create",
                    "conditions": conditions,
                    "actions": actions,
                    "order": order,
                    "is_active": True,
                },
            )
    agent = User.objects.get(username="agent")
    _token, raw = issue_token(user=agent, name="desk_bench")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(agent)
    from kaizen.accounts.models import Person

    requesters = list(
        Person.objects.filter(email__startswith="req", user__isnull=True)
        .order_by("pk")
        .values_list("pk", "organisation_id")[:200]
    )
    team_members = []
    for team in teams:
        members = team.members.filter(user__isnull=False).order_by("pk").select_related("user")
        team_members.append([[m.user.username, m.name] for m in members])
    return {
        "token": raw,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
        "agent_person": agent.person.pk,
        "internal_org": internal.pk,
        "teams": [t.name for t in teams],
        "team_members": team_members,
        "requesters": requesters,
        "services": list(Service.objects.order_by("pk").values_list("pk", flat=True)),
        "categories": {
            "network": cat["ネットワーク"],
            "account": cat["アカウント・権限"],
            "mail": cat["メール"],
        }
        | {"software": cat["ソフトウェア"], "apps": cat["業務アプリケーション"]},
        "rules": len(rules),
    }


def kaizen_profile(spec: dict[str, Any]) -> dict[str, Any]:
    """The query profile of the lists and of a create, and where a create spends its time (cProfile)."""
    import cProfile
    import pstats

    import django

    django.setup()
    from desk_profile import profile
    from django.test import Client

    rows = profile(spec["endpoints"])
    create = next(ep for ep in spec["endpoints"] if "body" in ep)
    client = Client(HTTP_HOST="127.0.0.1")
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in create["headers"].items()}
    runs = 20
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(runs):
        body = create["body"].replace("{key}", f"cprofile-{i}-{time.time_ns()}")
        client.post(create["path"], data=body, content_type="application/json", **headers)
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _callers) in stats.items())
    src = str(ROOT / "src")
    functions = [
        (f"{Path(f).relative_to(src)}:{name}", nc / runs, ct / total)
        for (f, _line, name), (_cc, nc, _tt, ct, _callers) in stats.items()
        if f.startswith(src) and not name.startswith("<") and not f.endswith("core/middleware.py")
    ]
    functions.sort(key=lambda item: -item[2])
    return {"rows": rows, "create_functions": functions[:16]}


def run_child(step: str, spec_file: str) -> int:
    if step == "kaizen-login":
        from desk_lists import kaizen_login

        print("RESULT " + json.dumps(kaizen_login()))
        return 0
    spec = json.loads(Path(spec_file).read_text())
    result = kaizen_seed(spec) if step == "kaizen-seed" else kaizen_profile(spec)
    print("RESULT " + json.dumps(result))
    return 0


# --- request bodies -----------------------------------------------------------------------------


def kaizen_bodies(seed: dict[str, Any]) -> list[str]:
    """Incident bodies the agent would send: rules route them, round robin assigns them."""
    cats = seed["categories"]
    plan = [
        ("VPN に接続できない {key}", cats["network"], 2),
        ("メールが送信できない {key}", cats["mail"], 3),
        ("アカウントがロックされた {key}", cats["account"], 3),
        ("業務アプリでエラーが表示される {key}", cats["apps"], 4),
        ("Wi-Fi が頻繁に切れる {key}", cats["network"], 3),
        ("新しいソフトウェアを導入したい {key}", cats["software"], 4),
        ("VPN 経由でファイルサーバが遅い {key}", cats["apps"], 3),
        ("パスワードをリセットしたい {key}", cats["account"], 2),
    ]
    bodies = []
    for i in range(48):
        title, category, urgency = plan[i % len(plan)]
        requester, org = seed["requesters"][(i * 7) % len(seed["requesters"])]
        body: dict[str, Any] = {
            "title": title,
            "description": "朝から発生。影響は部署内の数名。再起動では解消しない。",
            "requester": requester,
            "organisation": org,
            "category": category,
            "urgency": urgency,
            "channel": "api",
        }
        if i % 2 == 0:
            body["service"] = seed["services"][i % len(seed["services"])]
        bodies.append(json.dumps(body, ensure_ascii=False))
    return bodies


def kaizen_batches(seed: dict[str, Any], size: int) -> list[str]:
    """Batch create bodies: ``size`` of the single-create bodies each, "{key}" made unique per item."""
    singles = [json.loads(b) for b in kaizen_bodies(seed)]
    batches = []
    for start in range(0, len(singles), 8):
        items = []
        for i in range(size):
            item = dict(singles[(start + i) % len(singles)])
            item["title"] = item["title"].replace("{key}", f"{{key}}-{i}")
            items.append(item)
        batches.append(json.dumps({"items": items}, ensure_ascii=False))
    return batches


def peer_bodies(peer: dict[str, Any], seed: dict[str, Any]) -> list[str]:
    """The same tickets for django-helpdesk: it has no rules or automatic assignment, so the client
    picks the queue and the assignee (the members of the team Kaizen's rules would pick)."""
    users = peer["users"]
    queues = peer["queues"]
    bodies = []
    for i, text in enumerate(kaizen_bodies(seed)):
        kaizen = json.loads(text)
        queue_i = i % len(queues)
        members = seed["team_members"][queue_i]
        assignee = users[members[i % len(members)][0]]
        bodies.append(
            json.dumps(
                {
                    "queue": queues[queue_i],
                    "title": kaizen["title"],
                    "description": kaizen["description"],
                    "submitter_email": f"req{(i * 7) % 200:04d}@example.jp",
                    "priority": kaizen["urgency"],
                    "assigned_to": assignee,
                },
                ensure_ascii=False,
            )
        )
    return bodies


# --- servers ------------------------------------------------------------------------------------


@dataclass
class Running:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-3000:]
        return ""

    def alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.proc.returncode}):\n{self.tail()}")


def gunicorn_argv(python: Path | str, app: str, port: int, workers: int) -> list[str]:
    return [
        str(python),
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--worker-class",
        "sync",
        "--workers",
        str(workers),
        "--timeout",
        str(SERVER_TIMEOUT),
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]


@contextlib.contextmanager
def serving(name: str, argv_for: Any, env: dict[str, str], cwd: Path, log_dir: Path) -> Iterator[Running]:
    port = free_port()
    log_file = log_dir / f"{name}-{port}.log"
    with log_file.open("wb") as handle:
        proc = subprocess.Popen(
            argv_for(port),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Running(name, port, proc, log_file)
    try:
        deadline = time.monotonic() + 120
        while True:
            running.alive()
            with contextlib.suppress(OSError, http.client.HTTPException):
                if Client(port).get("/readyz").status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready:\n{running.tail()}")
            time.sleep(0.3)
        yield running
    finally:
        stop_process_group(proc)


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    client_ms: float
    app_ms: float
    db_ms: float
    queries: int
    locks: dict[str, float]

    def json(self) -> Any:
        return json.loads(self.body)


_TIMING = re.compile(r"app;dur=([\d.]+)(?:, db;dur=([\d.]+);desc=\"(\d+) queries\")?")
_LOCK_TIMING = re.compile(r"lock-(\w+);dur=([\d.]+)")


class Client:
    """A keep-alive HTTP/1.1 client reading the Server-Timing header of each response."""

    def __init__(self, port: int, headers: dict[str, str] | None = None, timeout: float = SERVER_TIMEOUT):
        self.port, self.timeout = port, timeout
        self.headers = {"Accept": "application/json, text/html", **(headers or {})}
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: bytes | None = None) -> Reply:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                break
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        header = response.getheader("Server-Timing") or ""
        timing = _TIMING.search(header)
        locks = {m.group(1): float(m.group(2)) for m in _LOCK_TIMING.finditer(header)}
        return Reply(
            response.status,
            data,
            elapsed,
            float(timing.group(1)) if timing else float("nan"),
            float(timing.group(2)) if timing and timing.group(2) else float("nan"),
            int(timing.group(3)) if timing and timing.group(3) else -1,
            locks,
        )

    def get(self, path: str) -> Reply:
        return self.request("GET", path)


# --- endpoints ----------------------------------------------------------------------------------


@dataclass
class Endpoint:
    system: str  # "kaizen" or "peer"
    key: str
    label: str
    paths: list[str]  # more than one: a page that needs several requests (times are summed)
    auth: str  # "token" or "session"
    wrk: bool = True
    samples: int | None = None  # sequential samples per round (None: the default)

    def headers(self, creds: dict[str, str]) -> dict[str, str]:
        if self.auth == "token":
            return {"Authorization": f"Bearer {creds['token']}"}
        return {"Cookie": creds["cookie"]}


ROWS = [
    ("active", "Active queue, first page"),
    ("deep", "Active queue, deep page"),
    ("mine", "Mine (assigned to the agent, active)"),
    ("unassigned", "Unassigned, active"),
    ("ui", "Agent UI queue page"),
    ("api", "REST API list, active, first page"),
]


def datatables_path(filtering: dict[str, Any], null: dict[str, Any] | None = None, start: int = 0) -> str:
    """django-helpdesk's ticket list data (what its agent list page loads): newest first, 50 rows."""
    query = {
        "filtering": filtering,
        "filtering_null": null or {},
        "sorting": "created",
        "sortreverse": True,
        "search_string": "",
    }
    encoded = base64.b64encode(json.dumps(query).encode()).decode()
    params = urlencode(
        {"draw": 1, "start": start, "length": PAGE, "order[0][column]": 5, "order[0][dir]": "desc"}
    )
    return f"/datatables_ticket_list/{encoded}?{params}"


def kaizen_endpoints(deep_path: str, deep_page: int) -> list[Endpoint]:
    api = "/api/v1/incidents/"
    return [
        Endpoint("kaizen", "active", f"GET {api}?queue=active", [f"{api}?queue=active"], "token"),
        Endpoint(
            "kaizen",
            "deep",
            f"GET {api}?queue=active, page {deep_page + 1} (keyset cursor from next)",
            [deep_path],
            "token",
        ),
        Endpoint("kaizen", "mine", f"GET {api}?queue=mine", [f"{api}?queue=mine"], "token"),
        Endpoint("kaizen", "unassigned", f"GET {api}?queue=unassigned", [f"{api}?queue=unassigned"], "token"),
        Endpoint("kaizen", "ui", "GET /desk/?queue=active (HTML)", ["/desk/?queue=active"], "session"),
    ]


def peer_endpoints(agent_id: int, deep_page: int, api_samples: int) -> list[Endpoint]:
    open_ = {"status__in": [1, 2]}
    table = "GET /datatables_ticket_list/<query>"
    return [
        Endpoint(
            "peer",
            "active",
            f"{table} (status open/reopened)",
            [datatables_path(open_)],
            "session",
        ),
        Endpoint(
            "peer",
            "deep",
            f"{table}, start={deep_page * PAGE} (OFFSET)",
            [datatables_path(open_, start=deep_page * PAGE)],
            "session",
        ),
        Endpoint(
            "peer",
            "mine",
            f"{table} (assigned to the agent, open)",
            [datatables_path({**open_, "assigned_to__id__in": [agent_id]})],
            "session",
        ),
        Endpoint(
            "peer",
            "unassigned",
            f"{table} (owner empty, open)",
            [datatables_path(open_, {"assigned_to__id__isnull": True})],
            "session",
        ),
        Endpoint(
            "peer",
            "ui",
            "GET /tickets/ (HTML) + its datatables request",
            ["/tickets/", datatables_path(open_)],
            "session",
        ),
        Endpoint(
            "peer",
            "api",
            "GET /api/tickets/?status=1,2&page_size=50",
            ["/api/tickets/?status=1,2&page_size=50"],
            "token",
            wrk=False,
            samples=api_samples,
        ),
    ]


def check_reply(ep: Endpoint, path: str, reply: Reply) -> str | None:
    if reply.status != 200:
        return f"status {reply.status}: {reply.body[:300]!r}"
    if math.isnan(reply.app_ms):
        return "no Server-Timing header (is the bench middleware installed?)"
    if path.startswith(("/desk/", "/tickets/")):
        return None if b"<html" in reply.body[:2000].lower() else "not an HTML page"
    data = reply.json()
    if path.startswith("/datatables_ticket_list/"):
        rows = data.get("data")
        return None if isinstance(rows, list) and rows else f"no rows: {str(data)[:300]}"
    rows = data.get("results")
    return None if isinstance(rows, list) and rows else f"no rows: {str(data)[:300]}"


def follow_next(client: Client, path: str, pages: int) -> tuple[str, int]:
    """Follow the API's ``next`` link ``pages`` times; return the path reached and the pages followed."""
    followed = 0
    for _ in range(pages):
        reply = client.get(path)
        nxt = reply.json().get("next") if reply.status == 200 else None
        if not nxt:
            break
        parts = urlsplit(nxt)
        path = parts.path + ("?" + parts.query if parts.query else "")
        followed += 1
    return path, followed


# --- measurements -------------------------------------------------------------------------------


@dataclass
class Series:
    """Sequential samples of one endpoint (all rounds)."""

    app: list[float] = field(default_factory=list)
    client: list[float] = field(default_factory=list)
    db: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    locks: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0


def sample(client: Client, ep: Endpoint, count: int, cap_s: float, series: Series) -> None:
    deadline = time.monotonic() + cap_s
    for i in range(count):
        if i and time.monotonic() > deadline:
            break
        app = cl = db = 0.0
        queries = 0
        ok = True
        for path in ep.paths:
            reply = client.get(path)
            if reply.status != 200:
                ok = False
            app += reply.app_ms
            cl += reply.client_ms
            db += reply.db_ms
            queries += reply.queries
        if not ok:
            series.errors += 1
            continue
        series.app.append(app)
        series.client.append(cl)
        series.db.append(db)
        series.queries.append(queries)


@dataclass
class Load:
    """wrk cells of one endpoint (one per round) and the server-side lines logged meanwhile."""

    samples: list[loadgen.Sample] = field(default_factory=list)
    app: list[float] = field(default_factory=list)
    queries: list[float] = field(default_factory=list)
    wait: dict[str, list[float]] = field(default_factory=dict)
    held: dict[str, list[float]] = field(default_factory=dict)
    logged: int = 0
    skipped: int = 0


def read_log(path: Path, offset: int, method: str) -> tuple[list[list[str]], int]:
    """The complete ``method`` lines logged by the middleware after ``offset``, and the new offset."""
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    data = data[: data.rfind(b"\n") + 1]
    lines = [ln.split() for ln in data.decode(errors="replace").splitlines()]
    return [ln for ln in lines if len(ln) >= 6 and ln[0] == method], offset + len(data)


def sample_creates(running: Running, token: str, bodies: Path, count: int, series: Series) -> None:
    """``count`` sequential creates on one connection: server time and lock hold without contention."""
    client = Client(running.port, {"Authorization": f"Bearer {token}"})
    path = "/api/v1/incidents/" if running.name == "kaizen" else "/api/tickets/"
    templates = bodies.read_text().splitlines()
    for i in range(count):
        body = templates[i % len(templates)].replace("{key}", f"seq-{secrets.token_hex(4)}")
        reply = client.request("POST", path, body.encode())
        if reply.status != 201:
            series.errors += 1
            continue
        series.app.append(reply.app_ms)
        series.queries.append(reply.queries)
        for name, held in reply.locks.items():
            series.locks.setdefault(name, []).append(held)


def run_wrk_cell(
    running: Running,
    url_path: str,
    *,
    token: str | None,
    cookie: str | None,
    script: Path,
    extra: list[str],
    seconds: int,
    connections: int,
) -> loadgen.Sample:
    target = loadgen.Target(f"http://127.0.0.1:{running.port}{url_path}", token, script)
    sample_ = loadgen.run_wrk(target, seconds=seconds, connections=connections, extra=extra)
    running.alive()
    return sample_


# --- report -------------------------------------------------------------------------------------


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def _ram() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return f"{int(Path('/proc/meminfo').read_text().split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def build_report(ctx: dict[str, Any]) -> str:
    opts = ctx["opts"]
    k_seq: dict[str, Series] = ctx["seq"]["kaizen"]
    p_seq: dict[str, Series] = ctx["seq"]["peer"]
    k_load: dict[str, Load] = ctx["load"]["kaizen"]
    p_load: dict[str, Load] = ctx["load"]["peer"]
    eps = {(e.system, e.key): e for e in ctx["endpoints"]}
    data = ctx["summary"]
    kd, pdd = data["kaizen"], data["peer"]
    argv = shlex.join(
        [public_url(a) if a.startswith(("postgres://", "postgresql://")) else a for a in sys.argv[1:]]
    )
    pv = ctx["peer_versions"]
    workers = ctx["workers"]
    gen = ctx["generation"]
    lines = [
        f"## Service desk at {opts.tickets:,} tickets: Kaizen and django-helpdesk (`benchmarks/desk_bench.py`)",
        "",
        f"- Date: {ctx['started']:%Y-%m-%d %H:%M} UTC; full run {ctx['elapsed'] / 60:.1f} min "
        f"(preparing both databases {gen['total'] / 60:.1f} min of it)",
        f"- Command: `python benchmarks/desk_bench.py {argv}`",
        f"- Machine: {os.cpu_count()} cores, {_cpu_model()}, {_ram()} RAM, {platform.platform()}; the load "
        "generator, both servers and PostgreSQL share the cores (shared, noisy machine: read the ratios)",
        f"- Software: Python {platform.python_version()}, PostgreSQL {ctx['pg_version']}, "
        f"{loadgen.wrk_version()}. Kaizen: Django {version_of('Django')}, DRF {version_of('djangorestframework')}. "
        f"Peer: **django-helpdesk {pv.get('django-helpdesk')}** (PyPI, latest release at the time of the run) in "
        f"its own virtualenv with the same Django {pv.get('Django')}, DRF {pv.get('djangorestframework')}, "
        f"psycopg {pv.get('psycopg')}, and a generated minimal project (its install guide's apps, DRF token "
        "authentication under the `Bearer` keyword, mail to Django's dummy backend).",
        f"- Servers: both gunicorn {pv.get('gunicorn')} with {workers} sync workers (what `kaizen serve` runs on "
        f"this machine), persistent database connections (60 s), DEBUG off, both running during the whole "
        f"measurement; {opts.rounds} interleaved rounds (Kaizen then peer, then peer then Kaizen, ...), "
        "medians over the rounds.",
        f"- Data: {kd['tickets']:,} tickets in each database, generated by SQL in "
        f"{gen['kaizen']:.0f} s (Kaizen) and {gen['peer']:.0f} s (peer), secondary indexes rebuilt, every "
        f"foreign key checked, then `VACUUM (ANALYZE)`. Kaizen: valid rows (per-kind numbers with the counters "
        "set after them, workflow states and their categories, organisations of the requesters, teams and "
        f"assignees, timestamps), {kd['active']:,} active ({kd['active'] / kd['tickets']:.1%}), "
        f"{kd['incidents']:,} incidents of which {kd['active_incidents']:,} active, {kd['organisations']} "
        f"organisations, {kd['teams']} teams, {kd['assignees']} assignees; table and indexes "
        f"{kd['bytes'] / 2**20:,.0f} MB. The audit trail does not contain the generated rows (the measured "
        "creates go through the real API and are audited). django-helpdesk: the same rows "
        f"({pdd['active']:,} open or reopened, pending ones on hold; the same queues as teams, the same "
        f"assignees by position), plus the follow-ups it writes itself ({pdd['followups']:,}: one when a "
        f"ticket is opened, one when it is resolved or closed); tickets {pdd['bytes'] / 2**20:,.0f} MB, "
        f"follow-ups {pdd['followup_bytes'] / 2**20:,.0f} MB; its schema as shipped (no index on status or "
        "created).",
        "- The measuring agent (`agent`): Kaizen's demo service desk agent (agent role in every "
        f"organisation, member of サービスデスク) with {kd['mine']:,} active incidents assigned "
        f"({kd['unassigned']:,} active incidents unassigned); on the peer a staff user with the same tickets "
        f"({pdd['mine']:,} open assigned, {pdd['unassigned']:,} open unassigned, all kinds). Lists "
        f"return {PAGE} rows everywhere (django-helpdesk's default is 25).",
        "- Goals: creation ≥ 300 tickets/s; queue lists p95 ≤ 50 ms server time.",
        "",
    ]
    # --- creation
    lines += [
        f"### Ticket creation through the API ({opts.connections} connections, {opts.duration} s per round, wrk)",
        "",
        "Kaizen: `POST /api/v1/incidents/` as the agent (Bearer token): validation, number from the "
        f"locked counter, CMDB impact, priority matrix, {ctx['seed']['rules']} active business rules "
        "(team routing, tags, a notification, two that do not match), round-robin assignment in the team, "
        "the automatic `assign` transition, audit hash chain rows and outbox events, one transaction. "
        "django-helpdesk: `POST /api/tickets/` (its DRF `TicketViewSet`, through its `TicketForm`): the "
        "ticket, the opening follow-up, the notification mails rendered (dummy backend), several "
        "autocommit transactions; it has no rules and no automatic assignment, so the body names the queue "
        "and the assignee. Kaizen in batches: the same bodies, "
        f"{opts.batch_size} per `POST /api/v1/incidents/batch/`, every ticket through the same steps "
        "(rules, round robin, transition, audit rows, outbox events), all of a batch in one transaction.",
        "",
        "| system | tickets/s (median, low–high) | client p50 / p99 ms | server p50 / p99 ms | queries per create "
        "| number lock held p50 / p99 ms | audit chain lock held p50 / p99 ms | number lock wait p50 / p99 ms "
        "| errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, load in (
        ("Kaizen", k_load["create"]),
        ("django-helpdesk", p_load["create"]),
    ):
        rps = [s.rps for s in load.samples]

        def pair(values: list[float] | None) -> str:
            return f"{fmt(percentile(values, 50))} / {fmt(percentile(values, 99))}" if values else "–"

        lines.append(
            f"| {name} | **{fmt(median(rps), 0)}** ({fmt(min(rps), 0)}–{fmt(max(rps), 0)}) "
            f"| {fmt(median([s.p50_ms for s in load.samples]))} / {fmt(median([s.p99_ms for s in load.samples]))} "
            f"| {fmt(percentile(load.app, 50))} / {fmt(percentile(load.app, 99))} "
            f"| {fmt(percentile(load.queries, 50), 0)} "
            f"| {pair(load.held.get('number'))} | {pair(load.held.get('audit'))} | {pair(load.wait.get('number'))} "
            f"| {sum(s.errors for s in load.samples)} |"
        )
    batch = k_load.get("batch")
    b_rps = 0.0
    if batch is not None and batch.samples:
        size = opts.batch_size
        tickets = [s.rps * size for s in batch.samples]
        b_rps = median(tickets)
        lines.append(
            f"| Kaizen, batches of {size} (`POST /api/v1/incidents/batch/`, {opts.batch_connections} connections; "
            "times per request, queries per ticket) "
            f"| **{fmt(b_rps, 0)}** ({fmt(min(tickets), 0)}–{fmt(max(tickets), 0)}) "
            f"| {fmt(median([s.p50_ms for s in batch.samples]))} / {fmt(median([s.p99_ms for s in batch.samples]))} "
            f"| {fmt(percentile(batch.app, 50))} / {fmt(percentile(batch.app, 99))} "
            f"| {fmt(percentile(batch.queries, 50) / size, 1)} | – | – | – "
            f"| {sum(s.errors for s in batch.samples)} |"
        )
    k_rps = median([s.rps for s in k_load["create"].samples])
    p_rps = median([s.rps for s in p_load["create"].samples])
    held = percentile(k_load["create"].held.get("number", []), 50)
    alone = k_seq["create"]
    lines += [
        "",
        f"Kaizen/peer throughput: **{fmt(ratio(k_rps, p_rps), 2)}** one ticket per request"
        + (f", **{fmt(ratio(b_rps, p_rps), 2)}** in batches (the peer has no batch create)" if b_rps else "")
        + ". Goal ≥ 300 tickets/s: one ticket per request "
        + ("**met**" if k_rps >= 300 else f"**not met** ({fmt(k_rps, 0)}/s)")
        + (
            f"; in batches {'**met**' if b_rps >= 300 else f'**not met** ({fmt(b_rps, 0)}/s)'}"
            if b_rps
            else ""
        )
        + "."
        + (
            f" Every Kaizen create holds the number counter row lock from the number allocation to the "
            f"commit (median {fmt(held)} ms under load), and the audit chain head lock from its first audit "
            f"row to the commit, so creates are serialised: at most about {fmt(1000 / held, 0)} per second "
            f"whatever the number of workers. Alone (sequential creates, one connection, n={len(alone.app)}): "
            f"server time p50 {fmt(percentile(alone.app, 50))} ms, number lock held p50 "
            f"{fmt(percentile(alone.locks.get('number', []), 50))} ms, audit chain lock held p50 "
            f"{fmt(percentile(alone.locks.get('audit', []), 50))} ms: a bound of about "
            f"{fmt(1000 / percentile(alone.locks.get('number', [float('nan')]), 50), 0)} creates/s even without "
            "CPU contention."
            if held and not math.isnan(held)
            else ""
        )
        + f" django-helpdesk alone: server time p50 {fmt(percentile(p_seq['create'].app, 50))} ms "
        f"(n={len(p_seq['create'].app)}).",
        "",
        "Checked after the run: " + ctx["verification"],
        "",
    ]
    # --- lists: server time
    lines += [
        "### Queue lists: server time (sequential requests, one connection)",
        "",
        "Time inside Django (`Server-Timing` from the bench middleware placed first in each project's "
        f"middleware); up to {opts.samples} requests per list over the rounds (fewer when a list is slow: "
        f"each cell stops after {opts.cell_seconds} s). *queries*: median per request.",
        "",
        "| list | Kaizen request | p50 / p95 / p99 ms | queries | django-helpdesk request | p50 / p95 / p99 ms | queries "
        "| n (K / p) | **Kaizen/peer p95** | goal p95 ≤ 50 ms |",
        "| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for key, label in ROWS:
        kkey = "active" if key == "api" else key
        ke, pe = eps[("kaizen", kkey)], eps.get(("peer", key))
        ks, ps = k_seq[kkey], p_seq.get(key)
        if pe is None or ps is None:
            continue
        k95 = percentile(ks.app, 95)
        p95 = percentile(ps.app, 95)
        lines.append(
            f"| {label} | `{ke.label}` | {fmt(percentile(ks.app, 50))} / **{fmt(k95)}** / {fmt(percentile(ks.app, 99))} "
            f"| {fmt(median(ks.queries), 0)} | `{pe.label}` "
            f"| {fmt(percentile(ps.app, 50))} / **{fmt(p95)}** / {fmt(percentile(ps.app, 99))} "
            f"| {fmt(median(ps.queries), 0)} | {len(ks.app)} / {len(ps.app)} | **{fmt(ratio(k95, p95), 3)}** "
            f"| {'met' if k95 <= 50 else '**not met**'} |"
        )
    errors = sum(s.errors for d in (k_seq, p_seq) for s in d.values())
    if errors:
        lines += ["", f"**{errors} sequential requests failed (not 200): see the log.**"]
    # --- lists under wrk
    lines += [
        "",
        f"### Queue lists under load (wrk, {opts.list_connections} connections, {opts.duration} s per round)",
        "",
        "| list | Kaizen req/s | p50 / p99 ms | django-helpdesk req/s | p50 / p99 ms | Kaizen/peer req/s | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in ROWS:
        kl, pl = k_load.get(key), p_load.get(key)
        if kl is None or pl is None:
            continue
        kr, klat, kv = wrk_cells(kl)
        pr, plat, pv_ = wrk_cells(pl)
        lines.append(
            f"| {label} | {kr} | {klat} | {pr} | {plat} | {fmt(ratio(kv, pv_), 2)} "
            f"| {sum(s.errors for s in kl.samples) + sum(s.errors for s in pl.samples)} |"
        )
    # --- what was compared
    lines += [
        "",
        "### What was compared on the peer",
        "",
        "- django-helpdesk has no kinds (incidents, requests, problems share one list) and no keyset pages. "
        "Its agent ticket list (`/tickets/`) is an HTML shell whose rows come from "
        "`/datatables_ticket_list/<base64 query>` (offset pages, two `COUNT`s, a last-follow-up subquery "
        "per row and one time-spent query per row): that JSON request, sorted newest first with 50 rows, "
        "is compared with Kaizen's list API for the active, deep, mine and unassigned lists. Kaizen lists "
        "incidents only (`/api/v1/incidents/`), the peer every open ticket.",
        "- *Deep page*: Kaizen follows `next` (a keyset cursor) "
        f"{ctx['deep_page']} times and measures the page reached; the peer asks for the same rows with "
        f"`start={ctx['deep_page'] * PAGE}` (SQL OFFSET).",
        "- *Agent UI queue page*: Kaizen's `/desk/?queue=active` renders the rows, the queue counts and the "
        "filters in one HTML response; the peer's figure is the sum, per sample, of `/tickets/` (shell with "
        "filters) and the datatables request for its rows. Under wrk the peer row loads only the shell.",
        "- *REST API list*: django-helpdesk's own API, `GET /api/tickets/?status=1,2` (staff only), beside "
        "Kaizen's `?queue=active` (the same Kaizen figures as the first row). Its viewset loads every "
        "matching ticket and runs one custom-field query per ticket before paginating, so it is sampled "
        f"only {opts.api_samples} times per round and not under wrk.",
        "- Mine: the agent's open tickets (`assigned_to__id__in`); unassigned: owner empty "
        "(`assigned_to__id__isnull`); both through the same datatables request with those filters, "
        "as its list filters do.",
    ]
    lines += ["", "### What the figures say", ""]
    lines += conclusions(ctx)
    lines += ["", "### Query profiles (test client, no server, after the load)", ""]
    lines += profiles_markdown(ctx)
    return "\n".join(lines) + "\n"


def wrk_cells(load: Load) -> tuple[str, str, float]:
    """req/s (with the rounds skipped), p50 / p99 and the req/s value of one list under wrk."""
    if not load.samples:
        return f"skipped (p50 alone > {SLOW_MS} ms)", "–", float("nan")
    rps = median([s.rps for s in load.samples])
    lat = f"{fmt(median([s.p50_ms for s in load.samples]))} / {fmt(median([s.p99_ms for s in load.samples]))}"
    note = f" ({load.skipped} of {load.skipped + len(load.samples)} rounds skipped)" if load.skipped else ""
    return fmt(rps) + note, lat, rps


def conclusions(ctx: dict[str, Any]) -> list[str]:
    k_seq, p_seq = ctx["seq"]["kaizen"], ctx["seq"]["peer"]
    out = []
    labels = dict(ROWS)
    lists = [key for key in labels if key in k_seq]
    worst = max(lists, key=lambda key: percentile(k_seq[key].app, 95))
    over = [key for key in lists if percentile(k_seq[key].app, 95) > 50]
    if over:
        out.append(
            "- Kaizen lists over the 50 ms p95 goal: "
            + ", ".join(f"{labels[k]} ({fmt(percentile(k_seq[k].app, 95))} ms)" for k in over)
            + "."
        )
    else:
        out.append(
            f"- Every Kaizen list is within the 50 ms p95 goal; the slowest is {labels[worst]} "
            f"({fmt(percentile(k_seq[worst].app, 95))} ms)."
        )
    faster = []
    for key, label in ROWS:
        kkey = "active" if key == "api" else key
        if key in p_seq and kkey in k_seq:
            r = ratio(percentile(k_seq[kkey].app, 95), percentile(p_seq[key].app, 95))
            faster.append(f"{label} {fmt(1 / r if r else float('nan'), 1)}×")
    out.append(
        "- django-helpdesk p95 / Kaizen p95 (how many times slower the peer is): " + ", ".join(faster) + "."
    )
    k_create = median([s.rps for s in ctx["load"]["kaizen"]["create"].samples])
    p_create = median([s.rps for s in ctx["load"]["peer"]["create"].samples])
    out.append(
        f"- Creation: Kaizen {fmt(k_create, 0)}/s, django-helpdesk {fmt(p_create, 0)}/s "
        f"(Kaizen/peer {fmt(ratio(k_create, p_create), 2)}), with Kaizen doing rules, assignment, a "
        "workflow transition and the audit chain in one transaction."
    )
    return out


def profiles_markdown(ctx: dict[str, Any]) -> list[str]:
    systems = (("Kaizen", ctx["profiles"]["kaizen"]), ("django-helpdesk", ctx["profiles"]["peer"]))
    out = [
        "| system | request | status | queries | time in queries ms | slowest query ms |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, rows in systems:
        for row in rows:
            slowest = row["slowest"][0]["ms"] if row["slowest"] else float("nan")
            out.append(
                f"| {name} | `{row['label']}` | {row['status']} | {row['queries']} | {fmt(row['query_ms'], 0)} "
                f"| {fmt(slowest, 0)} |"
            )
    out += ["", "Statements of one create (test client, after the load; count × shape, total ms):", ""]
    for name, rows in systems:
        creates = [r for r in rows if r["label"].startswith("POST")]
        if creates:
            shapes = ", ".join(f"{n} × `{shape}` ({ms:.0f})" for shape, n, ms in creates[0]["shapes"])
            out.append(f"- {name} `{creates[0]['label']}`: {creates[0]['queries']} statements: {shapes}.")
    if ctx.get("create_functions"):
        out += [
            "",
            "Where a Kaizen create spends its time (cProfile over 20 creates through the test client; "
            "cumulative share of the request, calls per create; functions of `src/kaizen` only):",
            "",
            "| function | calls per create | share of the request |",
            "| --- | ---: | ---: |",
        ]
        out += [f"| `{name}` | {calls:g} | {share:.0%} |" for name, calls, share in ctx["create_functions"]]
    out.append("")
    for name, rows in systems:
        for row in rows:
            if not row["slowest"] or not row["plan"]:
                continue
            sql = row["slowest"][0]["sql"]
            out += [
                "<details><summary>"
                + f"{name} {row['label']}: slowest query {fmt(row['slowest'][0]['ms'], 0)} ms</summary>",
                "",
                "```sql",
                sql if len(sql) < 6000 else sql[:6000] + " …",
                "```",
                "",
                "```text",
                row["plan"],
                "```",
                "",
                "</details>",
                "",
            ]
    return out


# --- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/postgres",
        help=f"a PostgreSQL server; the benchmark (re)creates {KAIZEN_DB} and {PEER_DB} there and never "
        "touches the database named in the URL",
    )
    parser.add_argument("--tickets", type=int, default=1_000_000, help="tickets per system (1,000,000)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk load per cell (10)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for creation (16)")
    parser.add_argument("--list-connections", type=int, default=8, help="wrk connections for lists (8)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--samples", type=int, default=300, help="sequential requests per list, all rounds")
    parser.add_argument("--cell-seconds", type=int, default=40, help="cap of one sequential cell (40 s)")
    parser.add_argument("--api-samples", type=int, default=2, help="peer REST API list requests per round")
    parser.add_argument("--create-samples", type=int, default=30, help="sequential creates per round (30)")
    parser.add_argument("--batch-size", type=int, default=100, help="tickets per batch create (100)")
    parser.add_argument(
        "--batch-connections", type=int, default=4, help="wrk connections for batch creates (4)"
    )
    parser.add_argument("--deep-page", type=int, default=200, help="pages to follow for the deep page (200)")
    parser.add_argument("--requesters", type=int, default=2000, help="Kaizen requesters (people) to create")
    parser.add_argument(
        "--peer-version", default=PEER_VERSION, help=f"django-helpdesk version ({PEER_VERSION})"
    )
    parser.add_argument(
        "--keep-databases", action="store_true", help=f"keep {KAIZEN_DB} and {PEER_DB} after the run"
    )
    parser.add_argument("--quick", action="store_true", help="50,000 tickets, one short round")
    parser.add_argument(
        "--output", help="results file (default benchmarks/RESULTS.md; --quick prints instead unless given)"
    )
    parser.add_argument(
        "--only",
        choices=("all", "lists"),
        default="all",
        help="all: the full run (default); lists: Kaizen's lists alone, sequential, no creates, no wrk, "
        "no peer, printed (and written to the desk_bench_lists section of --output when given)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"with --only lists: measure an existing {KAIZEN_DB} (made by an earlier run with "
        "--keep-databases, at least --tickets tickets) instead of rebuilding it, and keep it",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.quick:
        opts.tickets = min(opts.tickets, 50_000)
        opts.duration, opts.rounds, opts.samples = 3, 1, 60
        opts.cell_seconds, opts.api_samples, opts.deep_page, opts.create_samples = 15, 1, 10, 10
        opts.requesters = min(opts.requesters, 300)
    if opts.reuse and opts.only != "lists":
        raise SystemExit("--reuse is for --only lists")
    if not opts.child and opts.only == "all" and not loadgen.have_wrk():
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if opts.output is None and not opts.quick and opts.only == "all":
        opts.output = str(BENCH / "RESULTS.md")
    return opts


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def kaizen_environment(tmp: Path, timing_log: Path, kaizen_url: str) -> dict[str, str]:
    """The environment of every Kaizen process of the benchmark (steps, children and the server)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        "DJANGO_SETTINGS_MODULE": "benchmarks.desk_settings",
        "KAIZEN_DATA_DIR": str(tmp / "data"),
        "KAIZEN_DATABASE_URL": kaizen_url,
        "KAIZEN_SECRET_KEY": SECRET_KEY,
        "KAIZEN_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "KAIZEN_BROKER_URL": f"sqlite:///{tmp / 'jobs.sqlite3'}",
        "KAIZEN_EMAIL_URL": "memory://",
        "KAIZEN_DEBUG": "false",
        "KAIZEN_LOG_LEVEL": "WARNING",
        "BENCH_LOCKS": json.dumps(LOCKS),
        "BENCH_TIMING_LOG": str(timing_log),
    }
    env.pop("KAIZEN_CONFIG", None)
    return env


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    if opts.child:
        return run_child(opts.child, opts.spec)
    if opts.only == "lists":
        from desk_lists import run_lists

        return run_lists(opts)
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    import psycopg

    from kaizen import cli

    workers = cli.web_workers(0)
    maintenance_url, kaizen_url, peer_url = database_urls(opts.database_url)
    started_at = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    pv = ensure_peer_venv(opts.peer_version)
    opts.workers = workers
    ctx: dict[str, Any] = {"opts": opts, "started": started_at, "peer_versions": pv, "workers": workers}
    with tempfile.TemporaryDirectory(prefix="kaizen-desk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        logs = {"kaizen": tmp / "kaizen-timing.log", "peer": tmp / "peer-timing.log"}
        kaizen_env = kaizen_environment(tmp, logs["kaizen"], kaizen_url)
        project = desk_peer.write_project(
            tmp / "peer-project",
            database={
                "name": PEER_DB,
                "user": urlsplit(peer_url).username or "",
                "password": urlsplit(peer_url).password or "",
                "host": urlsplit(peer_url).hostname or "",
                "port": str(urlsplit(peer_url).port or ""),
            },
            secret=SECRET_KEY,
        )
        peer_env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"VIRTUAL_ENV", "PYTHONHOME", "DJANGO_SETTINGS_MODULE"}
        }
        peer_env |= {
            "PYTHONPATH": os.pathsep.join([str(project), str(ROOT)]),
            "DJANGO_SETTINGS_MODULE": f"{desk_peer.PACKAGE}.settings",
            "BENCH_TIMING_LOG": str(logs["peer"]),
        }
        gen_started = time.monotonic()
        # --- Kaizen: database, reference data, tickets
        log(f"Kaizen: recreating {KAIZEN_DB}, kaizen init ...")
        recreate_database(maintenance_url, KAIZEN_DB)
        run(
            [sys.executable, "-m", "kaizen.cli", "init", "--password", secrets.token_urlsafe(16)],
            kaizen_env,
            "kaizen init",
        )
        spec = {"organisations": 40, "requesters": opts.requesters, "agents": 60, "teams": 12}
        spec_file = tmp / "kaizen-seed.json"
        spec_file.write_text(json.dumps(spec))
        log(f"Kaizen: seeding {spec} through the services ...")
        seed = result_of(
            run(
                [sys.executable, __file__, "--child", "kaizen-seed", "--spec", str(spec_file)],
                kaizen_env,
                "Kaizen seed",
            )
        )
        shape = Shape(
            tickets=opts.tickets,
            teams=len(seed["teams"]),
            requesters=opts.requesters,
            services=len(seed["services"]),
            categories=7,
            end=started_at.replace(microsecond=0).isoformat(),
        )
        log(f"Kaizen: generating {opts.tickets:,} tickets ...")
        k_gen = generate_kaizen(kaizen_url, shape, seed["internal_org"])
        log(f"Kaizen: {k_gen['tickets']:,} tickets in {k_gen['seconds']:.1f} s")
        # --- peer: database, project, users, queues, tickets
        log(f"peer: recreating {PEER_DB}, migrating django-helpdesk ...")
        recreate_database(maintenance_url, PEER_DB)
        users = sorted({tuple(m) for members in seed["team_members"] for m in members})
        peer_spec = {"users": [list(u) for u in users], "queues": seed["teams"], "agent": "agent"}
        peer_spec_file = tmp / "peer-setup.json"
        peer_spec_file.write_text(json.dumps(peer_spec, ensure_ascii=False))
        peer = result_of(
            run(
                [str(peer_python()), str(BENCH / "desk_peer.py"), "setup", str(peer_spec_file)],
                peer_env,
                "peer setup",
                cwd=project,
            )
        )
        queue_members = [[peer["users"][m[0]] for m in members] for members in seed["team_members"]]
        log(f"peer: generating {opts.tickets:,} tickets ...")
        p_gen = generate_peer(peer_url, shape, queue_members, peer["queues"])
        log(
            f"peer: {p_gen['tickets']:,} tickets and {p_gen['followups']:,} follow-ups in {p_gen['seconds']:.1f} s"
        )
        log("VACUUM (ANALYZE) both databases ...")
        vacuum_analyze(kaizen_url)
        vacuum_analyze(peer_url)
        ctx["generation"] = {
            "kaizen": k_gen["seconds"],
            "peer": p_gen["seconds"],
            "total": time.monotonic() - gen_started,
        }
        ctx["summary"] = data_summary(kaizen_url, peer_url, seed["agent_person"], peer["agent_id"])
        ctx["seed"] = seed
        log(f"data: {json.dumps(ctx['summary'], default=str)}")
        with psycopg.connect(kaizen_url) as conn:
            max_kaizen = conn.execute("SELECT max(id) FROM tickets_ticket").fetchone()[0]
            ctx["pg_version"] = conn.execute("SHOW server_version").fetchone()[0]
        with psycopg.connect(peer_url) as conn:
            max_peer = conn.execute("SELECT max(id) FROM helpdesk_ticket").fetchone()[0]
        bodies = {"kaizen": tmp / "kaizen-bodies.jsonl", "peer": tmp / "peer-bodies.jsonl"}
        bodies["kaizen"].write_text("\n".join(kaizen_bodies(seed)) + "\n")
        bodies["peer"].write_text("\n".join(peer_bodies(peer, seed)) + "\n")
        bodies["kaizen-batch"] = tmp / "kaizen-batches.jsonl"
        bodies["kaizen-batch"].write_text("\n".join(kaizen_batches(seed, opts.batch_size)) + "\n")
        creds = {
            "kaizen": {"token": seed["token"], "cookie": seed["cookie"]},
            "peer": {"token": peer["token"], "cookie": peer["cookie"]},
        }
        # --- servers
        measure_started = dt.datetime.now(dt.UTC)
        with (
            serving(
                "kaizen",
                lambda port: gunicorn_argv(sys.executable, "benchmarks.bench_apps:wsgi", port, workers),
                kaizen_env,
                ROOT,
                tmp,
            ) as k_srv,
            serving(
                "peer",
                lambda port: gunicorn_argv(
                    peer_python(), f"{desk_peer.PACKAGE}.wsgi:application", port, workers
                ),
                peer_env,
                project,
                tmp,
            ) as p_srv,
        ):
            servers = {"kaizen": k_srv, "peer": p_srv}
            log(f"servers ready: Kaizen on {k_srv.port}, django-helpdesk on {p_srv.port}")
            k_client = Client(k_srv.port, {"Authorization": f"Bearer {seed['token']}"})
            deep_path, deep = follow_next(k_client, "/api/v1/incidents/?queue=active", opts.deep_page)
            ctx["deep_page"] = deep
            endpoints = kaizen_endpoints(deep_path, deep) + peer_endpoints(
                peer["agent_id"], deep, opts.api_samples
            )
            ctx["endpoints"] = endpoints
            clients = {
                (e.system, e.key): Client(servers[e.system].port, e.headers(creds[e.system]))
                for e in endpoints
            }
            validate(endpoints, clients, servers, creds, bodies)
            seq = {"kaizen": {}, "peer": {}}
            load = {"kaizen": {}, "peer": {}}
            with psycopg.connect(maintenance_url, autocommit=True) as monitor:
                run_rounds(opts, endpoints, clients, servers, creds, bodies, logs, seq, load, monitor)
            ctx["seq"], ctx["load"] = seq, load
        ctx["verification"] = verify(kaizen_url, peer_url, max_kaizen, max_peer, measure_started)
        log("query profiles ...")
        ctx["create_functions"] = []
        ctx["profiles"] = {
            "kaizen": profile_child(
                "kaizen",
                endpoints,
                creds,
                kaizen_env,
                tmp,
                project,
                bodies["kaizen"].read_text().splitlines()[0],
                ctx["create_functions"],
            ),
            "peer": profile_child(
                "peer",
                endpoints,
                creds,
                peer_env,
                tmp,
                project,
                bodies["peer"].read_text().splitlines()[0],
                [],
            ),
        }
    if not opts.keep_databases:
        drop_databases(maintenance_url)
    ctx["elapsed"] = time.monotonic() - started
    report = build_report(ctx)
    if opts.output:
        write_section("desk_bench", report, Path(opts.output))
        log(f"wrote the desk_bench section of {opts.output} ({ctx['elapsed'] / 60:.1f} min)")
    else:
        print(report)
    return 0


def validate(
    endpoints: list[Endpoint],
    clients: dict[tuple[str, str], Client],
    servers: dict[str, Running],
    creds: dict[str, dict[str, str]],
    bodies: dict[str, Path],
) -> None:
    """One checked request per endpoint, and one create per system, before any load."""
    for ep in endpoints:
        client = clients[(ep.system, ep.key)]
        for path in ep.paths:
            problem = check_reply(ep, path, client.get(path))
            if problem:
                raise SystemExit(f"{ep.system} {ep.label} ({path}) is wrong before any load: {problem}")
    for system, path in (("kaizen", "/api/v1/incidents/"), ("peer", "/api/tickets/")):
        client = Client(servers[system].port, {"Authorization": f"Bearer {creds[system]['token']}"})
        body = bodies[system].read_text().splitlines()[0].replace("{key}", "validation")
        reply = client.request("POST", path, body.encode())
        if reply.status != 201:
            raise SystemExit(f"{system}: POST {path} answered {reply.status}: {reply.body[:1000]!r}")
        data = reply.json()
        if system == "kaizen" and not (data.get("assignee") and data.get("team") and data.get("number")):
            raise SystemExit(f"Kaizen's create did not route and assign the ticket: {data}")
        log(f"{system}: POST {path} -> 201 in {reply.app_ms:.1f} ms server time, {reply.queries} queries")


def wait_idle(running: Running, monitor: Any, database: str, limit_s: float = 180) -> float:
    """Wait until the server's workers stop using CPU and its database has no active query (wrk
    abandons requests in flight when it stops; the server still runs them); return the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        pids = session_pids(running.proc.pid)
        before = sum(process_seconds(pid) for pid in pids)
        time.sleep(0.25)
        busy = sum(process_seconds(pid) for pid in pids) - before >= 0.02
        active = monitor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
            "AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()[0]
        if not busy and not active:
            break
    return time.monotonic() - started


def warm_up(endpoints: list[Endpoint], clients: dict[tuple[str, str], Client], workers: int) -> None:
    """Each list requested 2 x workers times from as many threads as workers, so every worker has run
    every list before the first measurement."""
    from concurrent.futures import ThreadPoolExecutor

    for ep in endpoints:
        model = clients[(ep.system, ep.key)]
        reps = 1 if not ep.wrk else 2

        def hit(_i: int, ep: Endpoint = ep, model: Client = model, reps: int = reps) -> None:
            client = Client(model.port, model.headers)
            for _ in range(reps):
                for path in ep.paths:
                    client.get(path)

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(hit, range(workers)))


def run_rounds(
    opts: argparse.Namespace,
    endpoints: list[Endpoint],
    clients: dict[tuple[str, str], Client],
    servers: dict[str, Running],
    creds: dict[str, dict[str, str]],
    bodies: dict[str, Path],
    logs: dict[str, Path],
    seq: dict[str, dict[str, Series]],
    load: dict[str, dict[str, Load]],
    monitor: Any,
) -> None:
    log("warm-up ...")
    warm_up(endpoints, clients, opts.workers)
    for system, running in servers.items():
        wait_idle(running, monitor, DATABASES[system])
    per_round = max(1, math.ceil(opts.samples / opts.rounds))
    offsets = {s: (logs[s].stat().st_size if logs[s].exists() else 0) for s in logs}
    for round_no in range(1, opts.rounds + 1):
        order = ["kaizen", "peer"] if round_no % 2 else ["peer", "kaizen"]
        for system in order:
            c = creds[system]
            for ep in (e for e in endpoints if e.system == system):
                series = seq[system].setdefault(ep.key, Series())
                before = len(series.app)
                sample(clients[(system, ep.key)], ep, ep.samples or per_round, opts.cell_seconds, series)
                got = series.app[before:]
                log(
                    f"round {round_no} {system:<6} {ep.key:<10} sequential n={len(got):<4} "
                    f"p50 {percentile(got, 50):8.1f} ms p95 {percentile(got, 95):8.1f} ms server "
                    f"(queries {median(series.queries[before:]):.0f})"
                )
                if not ep.wrk:
                    continue
                cell = load[system].setdefault(ep.key, Load())
                if percentile(got, 50) > SLOW_MS:
                    cell.skipped += 1
                    log(f"round {round_no} {system:<6} {ep.key:<10} wrk skipped: p50 alone > {SLOW_MS} ms")
                    continue
                s = run_wrk_cell(
                    servers[system],
                    ep.paths[0],
                    token=c["token"] if ep.auth == "token" else None,
                    cookie=None,
                    script=BENCH / "desk_get.lua",
                    extra=[c["cookie"] if ep.auth == "session" else "-"],
                    seconds=opts.duration,
                    connections=opts.list_connections,
                )
                cell.samples.append(s)
                waited = wait_idle(servers[system], monitor, DATABASES[system])
                log(
                    f"round {round_no} {system:<6} {ep.key:<10} wrk {s.rps:8.1f} req/s p50 {s.p50_ms:7.1f} ms "
                    f"p99 {s.p99_ms:7.1f} ms errors {s.errors} (idle after {waited:.1f} s)"
                )
            # creation: alone (sequential), then under load
            alone = seq[system].setdefault("create", Series())
            sample_creates(servers[system], c["token"], bodies[system], opts.create_samples, alone)
            log(
                f"round {round_no} {system:<6} create     sequential n={opts.create_samples} p50 "
                f"{percentile(alone.app, 50):.1f} ms server, "
                + ", ".join(f"{n} lock held p50 {percentile(v, 50):.1f} ms" for n, v in alone.locks.items())
            )
            _, offsets[system] = read_log(logs[system], offsets[system], "POST")
            path = "/api/v1/incidents/" if system == "kaizen" else "/api/tickets/"
            cell = load[system].setdefault("create", Load())
            s = run_wrk_cell(
                servers[system],
                path,
                token=c["token"],
                cookie=None,
                script=BENCH / "desk_post.lua",
                extra=[f"{round_no}{system[0]}{secrets.token_hex(3)}", str(bodies[system])],
                seconds=opts.duration,
                connections=opts.connections,
            )
            cell.samples.append(s)
            wait_idle(
                servers[system], monitor, DATABASES[system]
            )  # and the last responses' log lines are written
            lines, offsets[system] = read_log(logs[system], offsets[system], "POST")
            for ln in lines:
                if ln[2] != "201":
                    continue
                cell.app.append(float(ln[3]))
                cell.queries.append(float(ln[5]))
                if system == "kaizen":
                    for i, name in enumerate(LOCKS):
                        wait, held = ln[6 + 2 * i], ln[7 + 2 * i]
                        if held != "nan":
                            cell.wait.setdefault(name, []).append(float(wait))
                            cell.held.setdefault(name, []).append(float(held))
            cell.logged += len(lines)
            log(
                f"round {round_no} {system:<6} create     wrk {s.rps:8.1f} req/s p50 {s.p50_ms:7.1f} ms "
                f"p99 {s.p99_ms:7.1f} ms errors {s.errors}; server p50 {percentile(cell.app, 50):.1f} ms, "
                + ", ".join(f"{n} lock held p50 {percentile(v, 50):.1f} ms" for n, v in cell.held.items())
            )
            if system == "kaizen":
                offsets[system] = _batch_cell(
                    opts, servers[system], c["token"], bodies, logs, offsets, load, monitor, round_no
                )


def _batch_cell(
    opts: argparse.Namespace,
    running: Running,
    token: str,
    bodies: dict[str, Path],
    logs: dict[str, Path],
    offsets: dict[str, int],
    load: dict[str, dict[str, Load]],
    monitor: Any,
    round_no: int,
) -> int:
    """Kaizen's batch create under load (``--batch-size`` tickets per request); returns the log offset."""
    cell = load["kaizen"].setdefault("batch", Load())
    s = run_wrk_cell(
        running,
        "/api/v1/incidents/batch/",
        token=token,
        cookie=None,
        script=BENCH / "desk_post.lua",
        extra=[f"{round_no}b{secrets.token_hex(3)}", str(bodies["kaizen-batch"])],
        seconds=opts.duration,
        connections=opts.batch_connections,
    )
    cell.samples.append(s)
    wait_idle(running, monitor, DATABASES["kaizen"])
    lines, offset = read_log(logs["kaizen"], offsets["kaizen"], "POST")
    for ln in lines:
        if ln[2] == "201" and ln[1].endswith("/batch/"):
            cell.app.append(float(ln[3]))
            cell.queries.append(float(ln[5]))
    cell.logged += len(lines)
    log(
        f"round {round_no} kaizen batch      wrk {s.rps * opts.batch_size:8.1f} tickets/s ({s.rps:.2f} req/s) "
        f"p50 {s.p50_ms:7.1f} ms p99 {s.p99_ms:7.1f} ms errors {s.errors}; server p50 {percentile(cell.app, 50):.1f} ms"
    )
    return offset


def verify(kaizen_url: str, peer_url: str, max_kaizen: int, max_peer: int, since: dt.datetime) -> str:
    """What the measured creates left behind (rules, assignment, audit rows), in one sentence."""
    import psycopg

    with psycopg.connect(kaizen_url) as conn:
        total, assigned, teamed, tagged, assigned_state = conn.execute(
            """SELECT count(*), count(assignee_id), count(team_id),
                      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM tickets_ticket_tags tt WHERE tt.ticket_id = t.id)),
                      count(*) FILTER (WHERE state_category = 'open')
                 FROM tickets_ticket t WHERE id > %s""",
            (max_kaizen,),
        ).fetchone()
        actions = dict(
            conn.execute(
                """SELECT action, count(*) FROM core_auditentry
                    WHERE record_type = 'tickets.ticket' AND at >= %s GROUP BY action""",
                (since,),
            ).fetchall()
        )
        outbox = conn.execute(
            "SELECT count(*) FROM core_outboxmessage WHERE created_at >= %s", (since,)
        ).fetchone()[0]
        chain = conn.execute("SELECT count(*) FROM core_auditentry WHERE at >= %s", (since,)).fetchone()[0]
    with psycopg.connect(peer_url) as conn:
        p_total, p_assigned = conn.execute(
            "SELECT count(*), count(assigned_to_id) FROM helpdesk_ticket WHERE id > %s", (max_peer,)
        ).fetchone()
        p_follow = conn.execute(
            "SELECT count(*) FROM helpdesk_followup WHERE ticket_id > %s", (max_peer,)
        ).fetchone()[0]

    def share(a: int, b: int) -> str:
        return f"{a / b:.0%}" if b else "n/a"

    return (
        f"Kaizen created {total:,} incidents through the API during the run: {share(teamed, total)} with a team "
        f"and {share(assigned, total)} with an assignee (rules and round robin), {share(assigned_state, total)} "
        f"moved to *assigned* by the automatic transition, {share(tagged, total)} tagged by the VPN rule; the "
        f"audit chain grew by {chain:,} rows (ticket rows: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(actions.items()))
        + f"), the outbox by {outbox:,} events. django-helpdesk created {p_total:,} tickets "
        f"({share(p_assigned, p_total)} assigned as sent) with {p_follow:,} follow-ups."
    )


def profile_child(
    system: str,
    endpoints: list[Endpoint],
    creds: dict[str, dict[str, str]],
    env: dict[str, str],
    tmp: Path,
    project: Path,
    body: str,
    create_functions: list[Any],
) -> list[dict[str, Any]]:
    """The query profile of every list of ``system`` and of one create, in a child process."""
    c = creds[system]
    token = {"Authorization": f"Bearer {c['token']}"}
    name, _, value = c["cookie"].partition("=")
    specs: list[dict[str, Any]] = []
    for ep in endpoints:
        if ep.system != system or (system == "peer" and ep.key == "api"):
            continue
        for i, path in enumerate(ep.paths):
            label = ep.label if len(ep.paths) == 1 else f"{ep.label}, request {i + 1}"
            entry: dict[str, Any] = {"label": label, "path": path}
            if ep.auth == "token":
                entry["headers"] = token
            else:
                entry["cookies"] = {name: value}
            specs.append(entry)
    create = "/api/v1/incidents/" if system == "kaizen" else "/api/tickets/"
    specs.append({"label": f"POST {create}", "path": create, "headers": token, "body": body})
    spec_file = tmp / f"{system}-profile.json"
    spec_file.write_text(json.dumps({"endpoints": specs}, ensure_ascii=False))
    if system == "kaizen":
        argv = [sys.executable, __file__, "--child", "kaizen-profile", "--spec", str(spec_file)]
        out = result_of(run(argv, env, "Kaizen profile"))
        create_functions.extend(out["create_functions"])
        return list(out["rows"])
    argv = [str(peer_python()), str(BENCH / "desk_peer.py"), "profile", str(spec_file)]
    return list(result_of(run(argv, env, "peer profile", cwd=project)))


if __name__ == "__main__":
    sys.exit(main())
