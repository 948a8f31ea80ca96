"""Query profile of a few requests, run inside a configured Django process (Kaizen or the peer).

desk_bench.py calls :func:`profile` in a child process of each system after the load: every
request is made through Django's test client (no web server), its queries are captured, grouped by
statement shape (verb and table), and the slowest one is explained with
``EXPLAIN (ANALYZE, BUFFERS)``. Needs only Django.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

_SHAPE = re.compile(
    r'^\s*(?:(SELECT|WITH).*?\bFROM\s+"?(\w+)"?|(INSERT)\s+INTO\s+"?(\w+)"?|(UPDATE)\s+"?(\w+)"?|(DELETE)\s+FROM\s+"?(\w+)"?'
    r"|(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT|BEGIN|COMMIT|ROLLBACK)\b)",
    re.IGNORECASE | re.DOTALL,
)


def shape(sql: str) -> str:
    """``SELECT tickets_ticket``, ``SELECT ... FOR UPDATE core_sequence``, ``INSERT core_auditentry``, ..."""
    match = _SHAPE.match(sql)
    if not match:
        return sql.split(None, 1)[0].upper() if sql.strip() else "?"
    groups = [g for g in match.groups() if g]
    verb = groups[0].upper()
    if verb == "WITH":
        verb = "SELECT"
    if verb == "SELECT" and re.search(r"\bFOR UPDATE\b", sql, re.IGNORECASE):
        verb = "SELECT ... FOR UPDATE"
    return f"{verb} {groups[1]}" if len(groups) > 1 else verb


def _explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def profile(endpoints: list[dict[str, Any]], repeat: int = 3) -> list[dict[str, Any]]:
    """Request each ``{"label", "path", "headers", "cookies", "body"}`` (``body``: a JSON POST)
    ``repeat`` times; describe the queries of the last run."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    out = []
    for ep in endpoints:
        client = Client(HTTP_HOST="127.0.0.1")
        headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in ep.get("headers", {}).items()}
        for cookie, value in ep.get("cookies", {}).items():
            client.cookies[cookie] = value
        for i in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                if "body" in ep:
                    body = ep["body"].replace("{key}", f"profile-{i}-{time.time_ns()}")
                    response = client.post(ep["path"], data=body, content_type="application/json", **headers)
                else:
                    response = client.get(ep["path"], **headers)
                elapsed = time.perf_counter() - started
        all_queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
        counts: Counter[str] = Counter()
        times: Counter[str] = Counter()
        for ms, sql in all_queries:
            counts[shape(sql)] += 1
            times[shape(sql)] += ms
        selects = [
            (ms, sql) for ms, sql in all_queries if sql.lstrip().upper().startswith(("SELECT", "WITH"))
        ]
        slowest = sorted(selects, key=lambda item: -item[0])[:3]
        plan = ""
        if slowest and "body" not in ep:
            try:
                plan = _explain(slowest[0][1])
            except Exception as exc:  # say so rather than fail the benchmark at its very end
                plan = f"(EXPLAIN failed: {type(exc).__name__}: {exc})"
        out.append(
            {
                "label": ep["label"],
                "status": response.status_code,
                "ms": elapsed * 1000,
                "queries": len(all_queries),
                "query_ms": sum(ms for ms, _sql in all_queries),
                "shapes": [[name, n, times[name]] for name, n in counts.most_common()],
                "slowest": [{"ms": ms, "sql": sql} for ms, sql in slowest],
                "plan": plan,
            }
        )
    return out
