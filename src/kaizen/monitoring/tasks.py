"""Jobs of monitoring: drain the inbox when woken, and the periodic sweep (idempotent)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from kaizen.core import context

from . import correlation, processing

log = logging.getLogger("kaizen.monitoring")

FLAG = "kaizen.monitoring.drain"
"""Set in the broker while a drain job is queued: the intake queues at most one at a time."""


def wake() -> None:
    """Queue a drain job unless one is queued or draining (called after a delivery is committed).

    The flag is the broker's put-if-empty. The job keeps it set while it drains and clears it
    *before* its last look for work, so a delivery committed after that is either seen by that
    look or queues a new job; under a steady stream one job drains everything, and the intake
    does not queue a job per request for it to find nothing.
    """
    try:
        if HUEY.storage.put_if_empty(FLAG, b"1"):
            drain_deliveries()
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
