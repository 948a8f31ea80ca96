"""Periodic job of problem management: reminders for problems that have not moved (idempotent)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kaizen.core import context

from . import services

log = logging.getLogger("kaizen.problems")


@db_periodic_task(crontab(minute="30", hour="0"))  # type: ignore[untyped-decorator]
def remind_stale_problems() -> int:
    """Remind the owners of open problems that have not moved (09:30 in Tokyo, once a day)."""
    with context.acting(channel=context.Channel.JOB, label="problem reminders"):
        count = services.remind_stale()
    if count:
        log.info("reminded %d problem owner(s)", count)
    return count
