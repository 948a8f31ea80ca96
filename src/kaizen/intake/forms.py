"""Forms of the mail intake pages: mailboxes (the IMAP password and OAuth secrets are write-only)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from .choices import ImapAuth
from .models import MAILBOX_FIELDS, Mailbox


def _secret(label: Any, max_length: int, help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=help_text,
    )


def _ascii_folder(value: str) -> str:
    value = (value or "").strip()
    if value and (not value.isascii() or not value.isprintable()):
        raise forms.ValidationError(_("Use the folder's ASCII name (letters, digits, / and .)."))
    return value


class MailboxForm(RecordForm):
    """A mailbox; the organisation is chosen once, at creation; secrets are never shown."""

    imap_password = _secret(
        _("IMAP password"),
        500,
        _("Leave empty to keep the stored password (enter it again when you change the server)."),
    )
    oauth_client_secret = _secret(
        _("OAuth client secret"),
        2000,
        _(
            "Leave empty to keep the stored secret (enter it again when you change the server, "
            "token URL or client ID)."
        ),
    )
    oauth_refresh_token = _secret(
        _("OAuth refresh token"),
        4000,
        _(
            "Gmail: the refresh token of the mailbox's consent. Empty for Microsoft 365 app-only "
            "access; leave empty to keep a stored one."
        ),
    )

    class Meta:
        model = Mailbox
        fields: ClassVar[list[str]] = MAILBOX_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields.pop("organisation", None)
            self.fields.pop("serves_all", None)
        if "imap_auth" in self.fields:
            self.fields["imap_auth"].required = False  # missing: the stored choice, or a password
        for name in ("imap_password", "oauth_client_secret", "oauth_refresh_token"):
            self.initial.pop(name, None)  # never sent back to the browser, even as a hidden value

    def clean_imap_folder(self) -> str:
        return _ascii_folder(self.cleaned_data.get("imap_folder", "")) or "INBOX"

    def clean_archive_folder(self) -> str:
        return _ascii_folder(self.cleaned_data.get("archive_folder", ""))

    def clean_imap_auth(self) -> str:
        return str(self.cleaned_data.get("imap_auth") or self.instance.imap_auth or ImapAuth.PASSWORD)

    def clean_imap_password(self) -> str:
        return str(self.cleaned_data.get("imap_password") or "")  # empty: the service keeps the stored one

    def clean_oauth_client_secret(self) -> str:
        return self._one_line("oauth_client_secret")

    def clean_oauth_refresh_token(self) -> str:
        return self._one_line("oauth_refresh_token")

    def _one_line(self, name: str) -> str:
        value = str(self.cleaned_data.get(name) or "").strip()
        if value and not value.isprintable():
            raise forms.ValidationError(_("Paste the value on one line, without control characters."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation = data.get("organisation") or getattr(self.instance, "organisation", None)
        serves_all = data.get("serves_all") or getattr(self.instance, "serves_all", False)
        for name in () if serves_all else ("default_service", "default_team"):
            value = data.get(name)
            if value is not None and organisation is not None and value.organisation_id != organisation.pk:
                self.add_error(name, _("Choose one of the mailbox's organisation."))
        return data
