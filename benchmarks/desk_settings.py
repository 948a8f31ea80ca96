"""Settings of desk_bench.py for Kaizen: the api_bench settings plus the server-time middleware.

``benchmarks.server_timing.ServerTimingMiddleware`` goes first, so the time it reports covers all of
Kaizen's middleware, the view and the template. Nothing else differs from the production settings
(``bench_settings`` keeps them unchanged for WSGI servers).
"""

from benchmarks.bench_settings import *  # noqa: F403
from benchmarks.bench_settings import MIDDLEWARE

MIDDLEWARE = ["benchmarks.server_timing.ServerTimingMiddleware", *MIDDLEWARE]
