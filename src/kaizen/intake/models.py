"""Email intake: mailboxes (configuration) and the raw inbox of messages received through them.

A message is stored raw before anything else (``InboundMail``): an SMTP/LMTP client gets its 250
and an IMAP message is passed over only once the row is committed. Processing then records what
became of it (a ticket, a reply, ignored, rejected, failed) on the same row, which keeps the
original bytes for good: the ticket shows the text without quoted history, the original stays here.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import STAFF_ROLES, AccessPolicy, Role
from kaizen.core.models import Record
from kaizen.tickets.choices import Kind

from . import policies
from .choices import ImapAuth, MailState, Security, Transport, UnknownSenders

MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
CONFIGURATION = AccessPolicy(
    org_field="organisation",
    actions={"view": STAFF_ROLES, "add": MANAGERS, "change": MANAGERS, "delete": MANAGERS},
)
"""Mailboxes: staff read them, managers configure them in their organisations."""

MAILBOX_FIELDS = [
    "name",
    "address",
    "organisation",
    "serves_all",
    "description",
    "is_enabled",
    "kind",
    "default_team",
    "default_service",
    "unknown_senders",
    "trusted_domains",
    "auth_server",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_auth",
    "imap_password",
    "oauth_token_url",
    "oauth_allow_private",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
    "oauth_refresh_token",
    "imap_folder",
    "archive_folder",
]
"""The settings of a mailbox people edit (form, API, detail page), in the order shown."""
SECRET_FIELDS = frozenset({"imap_password", "oauth_client_secret", "oauth_refresh_token"})
"""Write-only settings: accepted, never shown, returned, exported or audited."""

KINDS = [c for c in Kind.choices if c[0] in (Kind.INCIDENT, Kind.REQUEST)]


class Mailbox(Record):
    """One address people write to; its mail becomes tickets of one organisation.

    Mail arrives by polling an IMAP folder (host set) or over SMTP/LMTP from the organisation's
    mail server (``kaizen manage mail_serve``), matched by the recipient address. The IMAP password,
    the OAuth client secret and refresh token are stored as given (they are needed in clear) and
    never shown, exported or audited.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(
        _("address"),
        unique=True,
        help_text=_("The address people write to; replies from tickets are sent from it."),
    )
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="mailboxes",
        verbose_name=_("organisation"),
        help_text=_(
            "Tickets opened from this mailbox belong to this organisation (unknown senders join it)."
        ),
    )
    serves_all = models.BooleanField(
        _("every organisation's mail"),
        default=False,
        help_text=_(
            "One address for every customer: a known sender's ticket belongs to the sender's organisation. "
            "Set when the mailbox is created, by an administrator of every organisation."
        ),
    )
    description = models.TextField(_("description"), blank=True, max_length=2000)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    kind = models.CharField(_("ticket type"), max_length=20, choices=KINDS, default=Kind.INCIDENT)
    default_team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
        help_text=_("New tickets go to this team unless a rule routes them elsewhere."),
    )
    default_service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    unknown_senders = models.CharField(
        _("unknown senders"), max_length=20, choices=UnknownSenders.choices, default=UnknownSenders.CREATE
    )
    trusted_domains = models.TextField(
        _("own domains"),
        blank=True,
        max_length=4000,
        help_text=_(
            "One per line. Mail claiming to come from these domains without a passing SPF, DKIM or "
            "DMARC result from your mail server is flagged as possibly spoofed."
        ),
    )
    auth_server = models.CharField(
        _("authenticating server"),
        max_length=255,
        blank=True,
        help_text=_(
            "The name your receiving mail server writes at the start of its Authentication-Results "
            "header (for example mx.example.co.jp). Only its results are trusted, so a header a sender "
            "forged is ignored. Empty: the topmost header is taken as your server's."
        ),
    )
    imap_host = models.CharField(
        _("IMAP host"),
        max_length=255,
        blank=True,
        help_text=_("Leave empty for mail delivered over SMTP/LMTP."),
    )
    imap_port = models.PositiveIntegerField(
        _("IMAP port"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("Empty: 993 with TLS, 143 otherwise."),
    )
    imap_security = models.CharField(
        _("IMAP security"), max_length=20, choices=Security.choices, default=Security.SSL
    )
    imap_username = models.CharField(_("IMAP user"), max_length=255, blank=True)
    imap_auth = models.CharField(
        _("IMAP sign-in"),
        max_length=20,
        choices=ImapAuth.choices,
        default=ImapAuth.PASSWORD,
        help_text=_("Microsoft 365 accepts only OAuth 2.0; Gmail prefers it."),
    )
    imap_password = models.CharField(_("IMAP password"), max_length=500, blank=True)
    oauth_token_url = models.CharField(
        _("OAuth token URL"),
        max_length=policies.MAX_TOKEN_URL,
        blank=True,
        help_text=_(
            "Microsoft 365: https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token; "
            "Gmail: https://oauth2.googleapis.com/token."
        ),
    )
    oauth_allow_private = models.BooleanField(
        _("allow a private token server"),
        default=False,
        help_text=_(
            "Permit a token server on a loopback or private address (an on-premises identity "
            "provider), and plain http on this machine only. Administrators only; leave off for "
            "Microsoft 365 and Gmail."
        ),
    )
    oauth_client_id = models.CharField(_("OAuth client ID"), max_length=255, blank=True)
    oauth_client_secret = models.CharField(_("OAuth client secret"), max_length=2000, blank=True)
    oauth_scope = models.CharField(
        _("OAuth scope"),
        max_length=500,
        blank=True,
        help_text=_(
            "Microsoft 365: https://outlook.office365.com/.default; Gmail: https://mail.google.com/."
        ),
    )
    oauth_refresh_token = models.CharField(
        _("OAuth refresh token"),
        max_length=4000,
        blank=True,
        help_text=_(
            "Given: the refresh-token grant is used (Gmail). Empty: client credentials "
            "(Microsoft 365 app-only access)."
        ),
    )
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    archive_folder = models.CharField(
        _("archive folder"),
        max_length=255,
        blank=True,
        help_text=_("Processed messages are moved here; empty: they stay and are marked read."),
    )
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("service account"),
    )
    uid_validity = models.BigIntegerField(null=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True, editable=False)
    last_received_at = models.DateTimeField(_("last received"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True, editable=False)

    access_policy: ClassVar[AccessPolicy] = CONFIGURATION
    audit_exclude: ClassVar[frozenset[str]] = (
        Record.audit_exclude
        | SECRET_FIELDS
        | {
            "uid_validity",
            "last_uid",
            "last_polled_at",
            "last_received_at",
            "last_error",
            "last_error_at",
        }
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Normalise the address, refuse unusable domains and IMAP settings without a user."""
        self.address = (self.address or "").strip().lower()
        errors: dict[str, Any] = {}
        bad = policies.bad_domains(self.trusted_domains)
        if bad:
            errors["trusted_domains"] = _("Not a domain name: %(d)s") % {"d": ", ".join(bad[:5])}
        self.auth_server = (self.auth_server or "").strip().lower()
        if policies.bad_server_name(self.auth_server):
            errors["auth_server"] = _("Not a server name: letters, digits, dots and hyphens.")
        if self.imap_host and not self.imap_username:
            errors["imap_username"] = _("Enter the IMAP user.")
        if self.imap_auth == ImapAuth.OAUTH2:
            errors.update(self._oauth_errors())
        if errors:
            raise ValidationError(errors)

    def _oauth_errors(self) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        self.oauth_token_url = (self.oauth_token_url or "").strip()
        self.oauth_client_id = (self.oauth_client_id or "").strip()
        self.oauth_scope = (self.oauth_scope or "").strip()
        if not self.oauth_token_url:
            errors["oauth_token_url"] = _("Enter the token URL of your identity provider.")
        else:
            problems = policies.token_url_problems(
                self.oauth_token_url, allow_private=bool(self.oauth_allow_private)
            )
            if problems:
                errors["oauth_token_url"] = problems
        if not self.oauth_client_id:
            errors["oauth_client_id"] = _("Enter the client ID of the registered application.")
        elif policies.bad_oauth_value(self.oauth_client_id):
            errors["oauth_client_id"] = _("The client ID may not contain spaces or control characters.")
        if not self.oauth_client_secret:
            errors["oauth_client_secret"] = _("Enter the client secret.")
        if policies.bad_oauth_value(self.imap_username or ""):
            errors["imap_username"] = _("The user may not contain spaces or control characters.")
        if policies.bad_oauth_value(self.oauth_scope, spaces=True):
            errors["oauth_scope"] = _("The scope may not contain control characters.")
        return errors

    @property
    def uses_oauth(self) -> bool:
        """Tell whether the mailbox signs in to IMAP with an OAuth 2.0 access token (XOAUTH2)."""
        return self.imap_auth == ImapAuth.OAUTH2

    @property
    def polls(self) -> bool:
        """Tell whether the mailbox is read over IMAP (rather than fed over SMTP/LMTP)."""
        return bool(self.imap_host)


class InboundMail(models.Model):
    """One message as received (raw bytes), and what processing made of it."""

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, related_name="messages", verbose_name=_("mailbox")
    )
    transport = models.CharField(_("received by"), max_length=10, choices=Transport.choices)
    received_at = models.DateTimeField(_("received"), db_index=True)
    raw = models.BinaryField(_("original message"))
    size = models.PositiveIntegerField(_("size"))
    digest = models.CharField(max_length=64)
    message_id = models.CharField(_("Message-ID"), max_length=255, blank=True)
    envelope_from = models.CharField(_("envelope sender"), max_length=320, blank=True)
    remote_addr = models.CharField(_("sender address"), max_length=64, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=MailState.choices, default=MailState.PENDING)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    sender = models.CharField(_("from"), max_length=320, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    spoofed = models.BooleanField(_("possibly spoofed"), default=False)
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )
    comment = models.ForeignKey(
        "tickets.Comment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reply"),
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["mailbox", "digest"], name="intake_mail_once_per_digest"),
            models.UniqueConstraint(
                fields=["mailbox", "message_id"],
                condition=~Q(message_id=""),
                name="intake_mail_once_per_message_id",
            ),
        ]
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["id"], condition=Q(state="pending"), name="intake_mail_pending"),
            models.Index(fields=["mailbox", "-id"], name="intake_mail_recent"),
            models.Index(fields=["message_id"], name="intake_mail_message_id"),
            models.Index(fields=["ticket", "id"], name="intake_mail_ticket"),
            models.Index(fields=["mailbox", "sender", "received_at"], name="intake_mail_sender"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}#{self.pk} {self.state}"

    @property
    def is_pending(self) -> bool:
        """Tell whether processing has not decided yet."""
        return self.state == MailState.PENDING
