"""Forms of the mail intake pages: mailboxes (the IMAP password is write-only)."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from .models import MAILBOX_FIELDS, Mailbox


def _ascii_folder(value: str) -> str:
    value = (value or "").strip()
    if value and (not value.isascii() or not value.isprintable()):
        raise forms.ValidationError(_("Use the folder's ASCII name (letters, digits, / and .)."))
    return value


class MailboxForm(RecordForm):
    """A mailbox; the organisation is chosen once, at creation; the password is never shown."""

    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the stored password (enter it again when you change the server)."),
    )

    class Meta:
        model = Mailbox
        fields: ClassVar[list[str]] = MAILBOX_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields.pop("organisation", None)
            self.fields.pop("serves_all", None)

    def clean_imap_folder(self) -> str:
        return _ascii_folder(self.cleaned_data.get("imap_folder", "")) or "INBOX"

    def clean_archive_folder(self) -> str:
        return _ascii_folder(self.cleaned_data.get("archive_folder", ""))

    def clean_imap_password(self) -> str:
        return str(self.cleaned_data.get("imap_password") or "")  # empty: the service keeps the stored one

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation = data.get("organisation") or getattr(self.instance, "organisation", None)
        serves_all = data.get("serves_all") or getattr(self.instance, "serves_all", False)
        for name in () if serves_all else ("default_service", "default_team"):
            value = data.get(name)
            if value is not None and organisation is not None and value.organisation_id != organisation.pk:
                self.add_error(name, _("Choose one of the mailbox's organisation."))
        return data
