"""Jobs of email intake: process stored mail when woken, poll IMAP mailboxes every minute."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from kaizen.core import context

from . import imap, services
from .models import Mailbox

log = logging.getLogger("kaizen.intake")

FLAG = "kaizen.intake.drain"
"""Set in the broker while a processing job is queued: receiving queues at most one at a time."""


def wake() -> None:
    """Queue a processing job unless one is queued (called after a message is committed)."""
    try:
        if HUEY.storage.put_if_empty(FLAG, b"1"):
            process_mail()
    except Exception:  # the broker may be down: the periodic poll processes the message later
        log.warning("could not queue mail processing; the next poll will", exc_info=True)


@db_task()  # type: ignore[untyped-decorator]
def process_mail() -> int:
    """Process every waiting message; clear the flag before a last look (see monitoring's drain)."""
    done = 0
    with context.acting(channel=context.Channel.EMAIL, label="mail intake"):
        try:
            done += services.drain()
            HUEY.storage.pop_data(FLAG)
            done += services.drain()
        except BaseException:
            HUEY.storage.pop_data(FLAG)
            raise
    return done


@db_task()  # type: ignore[untyped-decorator]
def poll_mailbox(mailbox_id: int) -> int:
    """Fetch new mail of one IMAP mailbox and process it; return how many messages were stored."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id, is_enabled=True).first()
    if mailbox is None or not mailbox.polls:
        return 0
    with context.acting(channel=context.Channel.EMAIL, label="mail intake"):
        stored = imap.poll(mailbox)
        services.drain()
    return stored


@db_periodic_task(crontab(minute="*"))  # type: ignore[untyped-decorator]
def poll_mailboxes() -> int:
    """Queue a poll of every enabled IMAP mailbox, and process mail a lost wake-up left behind."""
    ids = list(Mailbox.objects.filter(is_enabled=True).exclude(imap_host="").values_list("id", flat=True))
    for mailbox_id in ids:
        poll_mailbox(mailbox_id)
    with context.acting(channel=context.Channel.EMAIL, label="mail intake"):
        services.drain()
    return len(ids)
