"""Webhook jobs: one attempt of one delivery, and the periodic job that sends due retries.

Retries are not huey retries: the next attempt is stored in ``next_attempt_at``, so a retry
survives a worker restart or a lost broker; the periodic job (every minute) queues what is due.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kaizen.core import context

from . import services

log = logging.getLogger("kaizen.jobs")


@db_task()  # type: ignore[untyped-decorator]
def deliver_webhook(delivery_id: int) -> None:
    """Make the due attempt of one delivery (does nothing when it is not due or taken)."""
    with context.acting(channel=context.Channel.JOB, label="webhooks"):
        services.attempt(delivery_id)


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def send_due_webhooks() -> None:
    """Queue every delivery whose next attempt is due (retries, and jobs lost with a worker)."""
    ids = services.due_deliveries()
    for delivery_id in ids:
        deliver_webhook(delivery_id)
    if ids:
        log.info("webhooks: queued %d due delivery attempt(s)", len(ids))
