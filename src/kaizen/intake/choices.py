"""Choices of email intake, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Security(models.TextChoices):
    """How the IMAP connection is protected."""

    SSL = "ssl", _("TLS (IMAPS, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (trusted network only)")


class ImapAuth(models.TextChoices):
    """How Kaizen signs in to the IMAP server."""

    PASSWORD = "password", _("Password")
    OAUTH2 = "oauth2", _("OAuth 2.0 (Microsoft 365, Gmail)")


class UnknownSenders(models.TextChoices):
    """What happens to mail from an address no person has."""

    CREATE = "create", _("Create the requester and the ticket")
    REJECT = "reject", _("Reject with a notice to the sender")


class Transport(models.TextChoices):
    """How a message reached Kaizen."""

    IMAP = "imap", "IMAP"
    SMTP = "smtp", "SMTP"
    LMTP = "lmtp", "LMTP"
    API = "api", pgettext_lazy("mail transport", "API upload")


class MailState(models.TextChoices):
    """What processing made of a stored message."""

    PENDING = "pending", pgettext_lazy("mail state", "Waiting")
    CREATED = "created", pgettext_lazy("mail state", "Ticket created")
    THREADED = "threaded", pgettext_lazy("mail state", "Added to a ticket")
    IGNORED = "ignored", pgettext_lazy("mail state", "Ignored (automatic mail or loop)")
    REJECTED = "rejected", pgettext_lazy("mail state", "Rejected")
    FAILED = "failed", pgettext_lazy("mail state", "Failed")
