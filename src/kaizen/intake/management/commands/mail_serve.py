"""``kaizen manage mail_serve``: accept mail for the mailboxes over SMTP or LMTP."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kaizen.intake.server import Server


class Command(BaseCommand):
    help = (
        "Accept mail for the mailboxes' addresses over SMTP (default port 2525) or LMTP (--lmtp, port 2424) "
        "until stopped. Put it behind your mail server; it does not relay and does not do TLS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP (RFC 2033) instead of SMTP.")
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument(
            "--port", type=int, default=None, help="Port (default 2525, or 2424 with --lmtp)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"] or (2424 if options["lmtp"] else 2525)
        server = Server(hostname=options["host"], port=port, lmtp=options["lmtp"])
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        server.start()
        self.stdout.write(f"{'LMTP' if options['lmtp'] else 'SMTP'} on {options['host']}:{port}")
        try:
            stop.wait()
        finally:
            server.stop()
