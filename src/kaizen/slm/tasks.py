"""Periodic jobs of service level management (idempotent)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kaizen.core import context

from . import alerts

log = logging.getLogger("kaizen.slm")


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def check_service_levels() -> int:
    """Raise the service level warnings and breaches due now and refresh the queues' due times."""
    with context.acting(channel=context.Channel.JOB, label="service level check"):
        count = alerts.check()
    if count:
        log.info("service level check raised %d alert(s)", count)
    return count
