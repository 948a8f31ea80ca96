"""Platform jobs: outbox delivery and its periodic sweep.

Jobs take ids, are idempotent, and run with the ``job`` channel so their writes are audited as such.
"""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kaizen.core import context, events

log = logging.getLogger("kaizen.jobs")


@db_task(retries=3, retry_delay=10)  # type: ignore[untyped-decorator]
def deliver_outbox_message(message_id: int) -> bool:
    """Deliver one outbox message to its handlers (idempotent; jobs queued by earlier versions)."""
    with context.acting(channel=context.Channel.JOB, label="outbox"):
        return events.deliver(message_id)


@db_task(retries=3, retry_delay=10)  # type: ignore[untyped-decorator]
def deliver_outbox_messages(message_ids: list[int]) -> bool:
    """Deliver the outbox messages of one transaction, in order (idempotent per handler)."""
    delivered = True
    with context.acting(channel=context.Channel.JOB, label="outbox"):
        for message_id in message_ids:
            delivered = events.deliver(message_id) and delivered
    return delivered


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def sweep_outbox() -> int:
    """Re-deliver outbox messages that were not delivered in time (worker crash, broker outage)."""
    ids = events.pending(settings.OUTBOX_SWEEP_SECONDS)
    with context.acting(channel=context.Channel.JOB, label="outbox sweep"):
        for message_id in ids:
            events.deliver(message_id)
    if ids:
        log.info("outbox sweep delivered %d message(s)", len(ids))
    return len(ids)
