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
    """Queue a drain job unless one is already queued (called after a delivery is committed).

    The flag is the broker's put-if-empty; the job clears it *before* it looks for work, so a
    delivery committed after that is either seen by the running job or queues a new one.
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
    """Process every waiting delivery."""
    HUEY.storage.pop_data(FLAG)
    with context.acting(channel=context.Channel.MONITORING, label="monitoring intake"):
        return processing.drain(linger=0.0 if HUEY.immediate else processing.LINGER)


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
