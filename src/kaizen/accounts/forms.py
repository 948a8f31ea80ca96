"""Forms of the accounts pages."""

from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from .choices import Language
from .models import Membership, Organisation, Person, Team
from .queries import grantable_users


class OrganisationForm(RecordForm):
    """Create or edit an organisation."""

    class Meta:
        model = Organisation
        fields: ClassVar[list[str]] = ["name", "code", "kind", "parent", "description", "is_active"]


class PersonForm(RecordForm):
    """Create or edit a person record (the login is given separately)."""

    class Meta:
        model = Person
        fields: ClassVar[list[str]] = [
            "name",
            "name_kana",
            "organisation",
            "email",
            "phone",
            "job_title",
            "is_active",
        ]


class TeamForm(RecordForm):
    """Create or edit a team and its members."""

    class Meta:
        model = Team
        fields: ClassVar[list[str]] = ["name", "organisation", "email", "lead", "members", "description"]

    def service_arguments(self) -> dict[str, Any]:
        return {"data": self.data_fields(), "members": list(self.cleaned_data.get("members") or [])}


class MembershipForm(RecordForm):
    """Grant a role to a user in an organisation (or in every organisation)."""

    class Meta:
        model = Membership
        fields: ClassVar[list[str]] = ["user", "role", "organisation"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["user"].queryset = grantable_users(user)  # type: ignore[attr-defined]
        self.fields["organisation"].empty_label = _("All organisations")  # type: ignore[attr-defined]


def _time_zones() -> list[tuple[str, str]]:
    names = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
    return [("", _("Default (%(zone)s)") % {"zone": "Asia/Tokyo"}), *((n, n) for n in names)]


class PreferencesForm(forms.Form):
    """A user's own UI language and time zone."""

    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Browser default")), *Language.choices],
        required=False,
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_time_zones, required=False)


class LoginForm(forms.Form):
    """Give a person a login (username and an initial password)."""

    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        error_messages={"invalid": _("Use letters, digits and @ . + - _ only.")},
    )
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        required=False,
        max_length=128,
        help_text=_("Leave empty to create a login that cannot sign in until a password is set."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_password(self) -> str:
        value: str = self.cleaned_data.get("password") or ""
        if value:
            validate_password(value)
        return value
