"""Bench-only middleware: how long each request spent inside Django, for desk_bench.py.

Put first in ``MIDDLEWARE`` (``desk_settings.py`` for Kaizen, the generated project for the peer),
it measures from the moment Django hands the request to the middleware chain until the response
comes back: every other middleware, the view, the template and every query. It adds

    Server-Timing: app;dur=12.3, db;dur=4.5;desc="17 queries"

to the response and, when ``BENCH_TIMING_LOG`` names a file, appends one line per request to it:
``method path status app_ms db_ms queries`` and, per watched lock, ``wait_ms held_ms`` (every
worker appends to the same file with O_APPEND; the lines are short enough to stay whole).

``BENCH_LOCKS`` (JSON ``{"name": "regular expression", ...}``) names the queries that take a
serialising row lock, e.g. the ``SELECT ... FOR UPDATE`` of a number counter. For each, the first
matching query's duration is the wait for the lock, and the time from its end to the commit of the
outer transaction (a ``transaction.on_commit`` callback) is how long the lock was held. Never part
of the product: it lives under ``benchmarks/`` and needs only Django.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction

_LOCKS = {name: re.compile(rx) for name, rx in json.loads(os.environ.get("BENCH_LOCKS") or "{}").items()}
_LOG = os.environ.get("BENCH_TIMING_LOG", "")
NAN = float("nan")


class _Queries:
    """A ``connection.execute_wrapper`` that counts and times queries (and the watched locks)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.wait: dict[str, float] = {}
        self.since: dict[str, float] = {}
        self.held: dict[str, float] = {}

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ended = time.perf_counter()
            self.count += 1
            self.seconds += ended - started
            for name, pattern in _LOCKS.items():
                if name not in self.since and pattern.search(sql):
                    self.wait[name] = ended - started
                    self.since[name] = ended
                    transaction.on_commit(lambda name=name: self._committed(name))

    def _committed(self, name: str) -> None:
        self.held[name] = time.perf_counter() - self.since[name]


def _ms(seconds: float) -> str:
    return "nan" if seconds != seconds else f"{seconds * 1000:.3f}"


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        queries = _Queries()
        started = time.perf_counter()
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(queries):
            response = self.get_response(request)
        app = time.perf_counter() - started
        response["Server-Timing"] = (
            f'app;dur={app * 1000:.3f}, db;dur={queries.seconds * 1000:.3f};desc="{queries.count} queries"'
            + "".join(f", lock-{name};dur={_ms(queries.held.get(name, NAN))}" for name in queries.since)
        )
        if _LOG:
            locks = "".join(
                f" {_ms(queries.wait.get(name, NAN))} {_ms(queries.held.get(name, NAN))}" for name in _LOCKS
            )
            line = (
                f"{request.method} {request.path} {response.status_code} {_ms(app)} {_ms(queries.seconds)} "
                f"{queries.count}{locks}\n"
            )
            fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode())
            finally:
                os.close(fd)
        return response
