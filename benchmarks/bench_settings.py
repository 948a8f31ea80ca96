"""Kaizen's production settings plus one minimal view (the baseline beside the real API).

``BENCH_DB_MODE`` changes only how database connections are kept, for the ASGI server: there Django
runs sync code in changing threads and each thread would keep its own persistent connection open
(``CONN_MAX_AGE``), so connections pile up towards PostgreSQL's ``max_connections``. Django's advice
for ASGI is its connection pool (5.1+, needs ``psycopg-pool``) or no persistent connections:

* ``pool``: psycopg's pool, ``BENCH_DB_POOL_SIZE`` connections at most per process (default 8);
* ``close``: a new connection per request (``CONN_MAX_AGE = 0``);
* unset: Kaizen's production settings unchanged (used for every WSGI server).
"""

import os

from kaizen.settings import *  # noqa: F403
from kaizen.settings import DATABASES

ROOT_URLCONF = "benchmarks.bench_urls"

_MODE = os.environ.get("BENCH_DB_MODE", "")
if _MODE in {"pool", "close"}:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
if _MODE == "pool":
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": int(os.environ.get("BENCH_DB_POOL_SIZE", "8")),
        "timeout": 10,
    }
