"""Mail intake sends on its own: the notice to a sender the mailbox does not accept."""

from __future__ import annotations

import logging

from django.conf import settings

from kaizen.mail.parse import ParsedMail
from kaizen.tickets import notify

from .models import Mailbox

log = logging.getLogger("kaizen.intake")


def refuse_unknown_sender(mailbox: Mailbox, parsed: ParsedMail) -> bool:
    """Tell the sender their message was not accepted; never to automatic mail (RFC 3834).

    Sent after commit; a failure to send is logged, the refusal stands either way.
    """
    if parsed.suppress_auto_reply or not parsed.from_address:
        return False
    headers = {"Auto-Submitted": "auto-replied", "Reply-To": mailbox.address}
    if parsed.message_id:
        headers["In-Reply-To"] = parsed.message_id
        headers["References"] = " ".join([*parsed.references[-9:], parsed.message_id])
    recipient = notify.Recipient(parsed.from_address, settings.LANGUAGE_CODE, False)
    try:
        sent = notify.mail_each(
            [recipient],
            "intake/mail/refused.txt",
            {"mailbox": mailbox, "subject": parsed.subject[:200]},
            headers=headers,
        )
    except Exception:  # the SMTP server may be down; the message is recorded as rejected anyway
        log.warning("could not send the refusal to %s", parsed.from_address, exc_info=True)
        return False
    return sent > 0
