"""``kaizen manage mail_poll``: fetch new mail of the IMAP mailboxes now and process it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kaizen.core import context
from kaizen.intake import imap, services
from kaizen.intake.models import Mailbox


class Command(BaseCommand):
    help = "Fetch new mail of every enabled IMAP mailbox (or those named) and process waiting mail."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="Mailbox names (default: all enabled IMAP mailboxes).")

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(is_enabled=True).exclude(imap_host="")
        if options["names"]:
            mailboxes = mailboxes.filter(name__in=options["names"])
        with context.acting(channel=context.Channel.EMAIL, label="mail_poll"):
            for mailbox in mailboxes:
                stored = imap.poll(mailbox)
                mailbox.refresh_from_db(fields=["last_error"])
                note = f" ({mailbox.last_error})" if mailbox.last_error else ""
                self.stdout.write(f"{mailbox.name}: {stored} new{note}")
            self.stdout.write(f"processed: {services.drain()}")
