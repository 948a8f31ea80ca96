"""Load generators for api_bench.py: wrk (preferred) or an asyncio/httpx client as a fallback.

Both return a :class:`Sample`: requests per second, latency p50/p99 in milliseconds and errors,
where an error is any response whose status is not 2xx (wrk alone would let 3xx pass and only
counts status >= 400) or any socket error / timeout.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECK_SCRIPT = HERE / "wrk_check.lua"
WARMUP_SCRIPT = HERE / "wrk_warmup.lua"
TIMEOUT_S = 10


@dataclass(frozen=True)
class Target:
    """One request to load-test: method, URL, Bearer token (or none) and, for writes, a wrk script."""

    url: str
    token: str | None = None
    write_script: Path | None = None


@dataclass(frozen=True)
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    detail: str = ""


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "wrk"


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _find(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text)
    if match is None:
        raise RuntimeError(f"wrk output lacks {pattern!r}:\n{text}")
    return match


def parse_wrk(out: str) -> Sample:
    """Parse wrk's report (run with --latency and one of our scripts printing ``non2xx N``)."""
    rps = float(_find(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(_find(r"(\d+) requests in", out).group(1))
    if total == 0:
        return Sample(0.0, float("nan"), float("nan"), 0, 0, "no request completed")
    p50 = _ms(_find(r"\n\s+50%\s+(\S+)", out).group(1))
    p99 = _ms(_find(r"\n\s+99%\s+(\S+)", out).group(1))
    non2xx = int(_find(r"non2xx (\d+)", out).group(1))
    socket = 0
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        socket = sum(int(g) for g in m.groups())
    detail = f"non-2xx {non2xx}, socket errors {socket}" if non2xx or socket else ""
    return Sample(rps, p50, p99, total, non2xx + socket, detail)


def run_wrk(target: Target, *, seconds: int, connections: int, extra: list[str] | None = None) -> Sample:
    """Drive ``target`` with wrk (2 threads) for ``seconds`` and parse the report."""
    script = target.write_script or CHECK_SCRIPT
    argv = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        f"{TIMEOUT_S}s",
        "-s",
        str(script),
        target.url,
        "--",
        target.token or "-",
        *(extra or []),
    ]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr or result.stdout}")
    return parse_wrk(result.stdout)


def warm_up_wrk(base: str, targets: list[Target], *, seconds: int, connections: int) -> None:
    """Cycle through every GET target for ``seconds`` so that each worker and thread has run it."""
    gets = [t for t in targets if t.write_script is None]
    if not gets:
        return
    pairs: list[str] = []
    for t in gets:
        pairs += [t.url[len(base) :] or "/", t.token or "-"]
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(WARMUP_SCRIPT), base, "--", *pairs]
    subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)


# --- fallback: asyncio + httpx ------------------------------------------------------------------


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _drive(target: Target, seconds: float, connections: int) -> Sample:
    import httpx

    headers = {"Accept": "application/json"}
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT_S, headers=headers) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                try:
                    response = await client.get(target.url)
                    await response.aread()
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append((time.perf_counter() - t0) * 1000)
                if not 200 <= response.status_code < 300:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    if not latencies:
        return Sample(0.0, float("nan"), float("nan"), 0, errors, "no request completed")
    return Sample(
        len(latencies) / elapsed,
        _percentile(latencies, 50),
        _percentile(latencies, 99),
        len(latencies),
        errors,
        f"{errors} errors" if errors else "",
    )


def run_python(target: Target, *, seconds: int, connections: int) -> Sample:
    """Drive ``target`` with an asyncio/httpx client in this process (GET targets only)."""
    if target.write_script is not None:
        raise RuntimeError("the Python load generator only does GET endpoints; install wrk for writes")
    return asyncio.run(_drive(target, seconds, connections))
