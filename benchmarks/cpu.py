"""CPU accounting for api_bench.py: how much of the machine other processes took during a measurement.

The benchmark shares the machine with the rest of the world. For each measurement it compares the
CPU time the whole machine spent busy (``/proc/stat``, steal included) with the CPU time of the
benchmark's own processes (the server's process session, wrk, and the PostgreSQL backends serving
the benchmark database). The difference, divided by the wall time, is the number of cores that
other processes used meanwhile: a direct measure of how noisy that cell was.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds the machine has spent not idle, over all cores (steal counts as busy)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields[:8]]  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return (sum(values) - idle) / _TICK


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()  # fields from "state" on; the name may contain spaces


def process_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else 0.0


def session_pids(session: int) -> list[int]:
    """Processes whose session id is ``session`` (a server started with start_new_session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[3]) == session:
                found.append(int(entry.name))
    return found


@dataclass
class CpuWindow:
    """Measure one time window: call :meth:`stop` at its end."""

    own_pids: Callable[[], Iterable[int]]
    started: float = field(default_factory=time.monotonic)
    busy: float = field(default_factory=machine_busy_seconds)
    children: float = field(default_factory=lambda: sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]))
    own: dict[int, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.own = {pid: process_seconds(pid) for pid in self.own_pids()}

    def stop(self) -> float:
        """Return the cores other processes used on average during the window."""
        wall = time.monotonic() - self.started
        busy = machine_busy_seconds() - self.busy
        waited = sum(resource.getrusage(resource.RUSAGE_CHILDREN)[:2]) - self.children  # wrk
        own = sum(process_seconds(pid) - self.own.get(pid, 0.0) for pid in set(self.own_pids()))
        return max(0.0, (busy - own - waited) / wall) if wall > 0 else 0.0
