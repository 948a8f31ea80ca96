"""Forms of the monitoring pages: integrations, CI mapping rules, maintenance windows, alert actions."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django import forms
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from .models import CIMapping, Integration, MaintenanceWindow

MAX_JSON = 20_000
"""Longest JSON text accepted in a settings field (the rules are small; a larger text is a mistake)."""
MAX_TOPICS = 50
SILENCE_HOURS = (1, 4, 24)


class JsonText(forms.JSONField):
    """A JSON textarea that refuses oversized or too deeply nested text with a form error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"class": "mono", "spellcheck": "false"}))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_JSON:
            raise forms.ValidationError(
                _("At most %(n)s characters of JSON.") % {"n": MAX_JSON}, code="too_long"
            )
        try:
            return super().to_python(value)
        except RecursionError as exc:
            raise forms.ValidationError(_("The JSON is nested too deeply."), code="invalid") from exc

    def bound_data(self, data: Any, initial: Any) -> Any:
        """Show refused text again as typed (re-parsing it must not fail either)."""
        if isinstance(data, str) and len(data) > MAX_JSON:
            return InvalidJSONInput(data[:MAX_JSON])
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)


class TopicLines(forms.CharField):
    """SNS topic ARNs, one per line (a JSON list is accepted too)."""

    widget = forms.Textarea

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_JSON)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"class": "mono", "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = (super().clean(value) or "").strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except (ValueError, RecursionError) as exc:
                raise forms.ValidationError(_("Enter a valid JSON list or one ARN per line.")) from exc
            if not isinstance(parsed, list):
                raise forms.ValidationError(_("Enter a valid JSON list or one ARN per line."))
            topics = [str(t).strip() if isinstance(t, str) else t for t in parsed]
        else:
            topics = [line.strip() for line in text.splitlines() if line.strip()]
        if len(topics) > MAX_TOPICS:
            raise forms.ValidationError(_("At most %(n)s topics.") % {"n": MAX_TOPICS})
        return topics


INTEGRATION_FIELDS = [
    "name",
    "source",
    "organisation",
    "description",
    "is_enabled",
    "default_service",
    "create_incidents",
    "incident_severity",
    "min_duration",
    "expire_after",
    "group_window",
    "reopen_window",
    "flap_changes",
    "flap_window",
    "max_body_bytes",
    "thresholds",
    "sns_topics",
]
FIXED_AFTER_CREATE = ("organisation", "source")


class IntegrationForm(RecordForm):
    """A monitoring integration; the organisation and the source are chosen once, at creation."""

    thresholds = JsonText(
        label=_("Thresholds"),
        required=False,
        help_text=_(
            'JSON list, for example [{"metric": "cpu", "warning": 80, "critical": 90, "hysteresis": 5, '
            '"direction": "above"}]. Empty: the severity the source sends.'
        ),
    )
    sns_topics = TopicLines(
        label=_("Allowed SNS topic ARNs"),
        help_text=_("One ARN per line (arn:aws:sns:...). Only for Amazon CloudWatch through SNS."),
    )

    class Meta:
        model = Integration
        fields: ClassVar[list[str]] = INTEGRATION_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in FIXED_AFTER_CREATE:
                self.fields.pop(name, None)

    def clean_thresholds(self) -> list[Any]:
        value = self.cleaned_data.get("thresholds")
        return [] if value in (None, "") else value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service = data.get("default_service")
        organisation = data.get("organisation") or getattr(self.instance, "organisation", None)
        if service is not None and organisation is not None and service.organisation_id != organisation.pk:
            self.add_error("default_service", _("Choose a service of the integration's organisation."))
        return data


class MappingForm(RecordForm):
    """A CI mapping rule: which alert field is compared with which CI field."""

    class Meta:
        model = CIMapping
        fields: ClassVar[list[str]] = [
            "organisation",
            "integration",
            "order",
            "match_field",
            "label",
            "pattern",
            "ci_field",
            "ci_attribute",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        integration, organisation = data.get("integration"), data.get("organisation")
        if (
            integration is not None
            and organisation is not None
            and integration.organisation_id != organisation.pk
        ):
            self.add_error("integration", _("The integration belongs to another organisation."))
        return data


class WindowForm(RecordForm):
    """A maintenance window over CIs and services of its organisation."""

    class Meta:
        model = MaintenanceWindow
        fields: ClassVar[list[str]] = [
            "organisation",
            "name",
            "starts_at",
            "ends_at",
            "all_of_organisation",
            "cis",
            "services",
            "reason",
        ]
        widgets: ClassVar[dict[str, Any]] = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisation = self.instance.organisation_id or _int(self.initial.get("organisation"))
        for name in ("cis", "services"):
            field = self.fields[name]
            queryset = field.queryset.order_by("name")  # type: ignore[attr-defined]
            if organisation and not self.is_bound:
                queryset = queryset.filter(organisation_id=organisation)
            field.queryset = queryset  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organisation = data.get("organisation")
        if organisation is not None:
            for name in ("cis", "services"):
                if any(item.organisation_id != organisation.pk for item in data.get(name) or []):
                    self.add_error(name, _("Choose only CIs and services of the window's organisation."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        return {
            "data": self.data_fields(),
            "cis": list(self.cleaned_data.get("cis") or []),
            "services": list(self.cleaned_data.get("services") or []),
        }


def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 12 else None


class AlertActionForm(forms.Form):
    """The version an alert action starts from, and where to go back to."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    next = forms.CharField(max_length=2000, required=False)


class SilenceForm(AlertActionForm):
    """Silence an alert for one of the offered durations, or lift its silence."""

    hours = forms.TypedChoiceField(
        choices=[(str(h), str(h)) for h in SILENCE_HOURS], coerce=int, required=False, empty_value=None
    )
    lift = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("lift") and not data.get("hours"):
            raise forms.ValidationError(_("Choose how long to silence the alert."))
        return data


class LinkForm(AlertActionForm):
    """Attach an alert to an incident by its number (``INC-000123``); empty with unlink detaches it."""

    number = forms.CharField(label=_("Incident number"), max_length=20, required=False)
    unlink = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("unlink") and not (data.get("number") or "").strip():
            self.add_error("number", _("Give the incident number, e.g. INC-000123."))
        return data


class VersionForm(forms.Form):
    """The version of the record a button acts on (token rotation and revocation)."""

    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
