"""Jobs of monitoring: drain the inbox when woken, and the periodic sweep (idempotent)."""

from __future__ import annotations

import logging
import time

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from kaizen.core import context

from . import correlation, processing

log = logging.getLogger("kaizen.monitoring")

FLAG = "kaizen.monitoring.drain"
"""Set in the broker while a drain job is queued: the intake queues at most one at a time."""


SEEN_FOR = 0.05
"""Seconds a process trusts the flag to be set after it saw it set (or set it): no broker call then."""
LAST_LOOK_AFTER = 0.1
"""Seconds the drain job waits between clearing the flag and its last look (more than SEEN_FOR)."""
_seen = [float("-inf")]


def wake() -> None:
    """Queue a drain job unless one is queued or draining (called after a delivery is committed).

    The flag is the broker's put-if-empty. The job keeps it set while it drains and clears it
    *before* its last look for work, so a delivery committed after that is either seen by that
    look or queues a new job; under a steady stream one job drains everything, and the intake
    does not queue a job per request for it to find nothing.

    A process that saw the flag set less than :data:`SEEN_FOR` ago does not ask the broker again
    (under load that saves a round trip on most deliveries). Nothing is stranded by that: the flag
    it saw is cleared only after it was seen, and the job that clears it takes its last look
    :data:`LAST_LOOK_AFTER` later, after this delivery's commit.
    """
    asked = time.monotonic()
    if asked - _seen[0] < SEEN_FOR:
        return
    try:
        if HUEY.storage.put_if_empty(FLAG, b"1"):
            drain_deliveries()
        if not HUEY.immediate:  # an immediate job has already run and cleared the flag
            _seen[0] = asked
    except Exception:  # the broker may be down: the periodic sweep processes the delivery later
        log.warning(
            "could not queue the monitoring drain; the sweep will process the delivery", exc_info=True
        )


@db_task()  # type: ignore[untyped-decorator]
def drain_deliveries() -> int:
    """Process every waiting delivery, holding the flag (see :func:`wake`) until a last look."""
    linger = 0.0 if HUEY.immediate else processing.LINGER
    done = 0
    with context.acting(channel=context.Channel.MONITORING, label="monitoring intake"):
        try:
            while True:
                done += processing.drain(linger=linger)
                HUEY.storage.pop_data(FLAG)
                if not HUEY.immediate:
                    time.sleep(LAST_LOOK_AFTER)  # see wake(): after any delivery that skipped the broker
                found = processing.drain()  # what was committed before the flag was cleared
                done += found
                if not found or not HUEY.storage.put_if_empty(FLAG, b"1"):
                    return done  # nothing more, or a new job is queued for what comes next
        except BaseException:  # let the next delivery queue a job (a killed worker: the sweep)
            HUEY.storage.pop_data(FLAG)
            raise


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_monitoring() -> dict[str, int]:
    """Process deliveries a lost wake-up left behind, count pending alerts, expire silent ones."""
    HUEY.storage.pop_data(FLAG)
    with context.acting(channel=context.Channel.JOB, label="monitoring sweep"):
        done = {
            "deliveries": processing.drain(),
            "counted": processing.promote(),
            "expired": processing.expire(),
            "settled": correlation.settle(),
        }
    if any(done.values()):
        log.info("monitoring sweep: %s", done)
    return done
