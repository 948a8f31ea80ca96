"""Periodic jobs of the desk: stale-ticket rules and automatic closure (idempotent)."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kaizen.core import context

from . import automation

log = logging.getLogger("kaizen.tickets")


@db_periodic_task(crontab(minute="*/5"))  # type: ignore[untyped-decorator]
def sweep_stale_tickets() -> int:
    """Apply the stale-ticket rules to every ticket they match (each rule acts once per ticket)."""
    with context.acting(channel=context.Channel.JOB, label="stale ticket rules"):
        count = automation.run_stale_rules()
    if count:
        log.info("stale ticket rules acted %d time(s)", count)
    return count


@db_periodic_task(crontab(minute="7", hour="*"))  # type: ignore[untyped-decorator]
def close_resolved_tickets() -> int:
    """Close resolved tickets whose confirmation period passed (where the closure policy allows)."""
    with context.acting(channel=context.Channel.JOB, label="automatic closure"):
        count = automation.auto_close()
    if count:
        log.info("closed %d resolved ticket(s) automatically", count)
    return count
