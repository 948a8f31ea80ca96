"""Forms of the change pages: raise and edit a change, review it, go ahead despite warnings,
filter the board, choose a KPI period; the settings forms of templates, boards and windows."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation, Team, User
from kaizen.core.forms import RecordForm
from kaizen.portfolio.models import Service
from kaizen.tickets.forms import CIListField
from kaizen.tickets.models.ticket import MAX_BODY, MAX_TITLE

from . import policies
from .choices import ChangeType, ReviewOutcome, RiskLevel
from .models import MAX_PLAN, ChangeBoard, ChangeTemplate, ChangeWindow
from .workflow import PLAN_FIELDS

LOCAL_INPUT = "%Y-%m-%dT%H:%M"
INPUT_FORMATS = [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
RISK_PREFIX = "risk_"
SHORT_TYPES = [
    (ChangeType.STANDARD.value, _("Standard change")),
    (ChangeType.NORMAL.value, _("Normal change")),
    (ChangeType.EMERGENCY.value, _("Emergency change")),
]
PLAN_LABELS = {
    "implementation_plan": _("Implementation plan"),
    "backout_plan": _("Back-out plan"),
    "test_plan": _("Test plan"),
    "communication_plan": _("Communication plan"),
}


def local_input() -> forms.DateTimeInput:
    """A ``datetime-local`` input: the browser sends the wall-clock time of the user's time zone."""
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT)


def _moment(label: Any) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, required=False, widget=local_input(), input_formats=INPUT_FORMATS)


class ChangeCIField(CIListField):
    """Affected CIs by number (``CI-000011``) or by id (``11``); only CIs the user sees."""

    accept_ids = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("CI numbers or ids separated by commas, e.g. CI-000011, 20."))
        super().__init__(*args, **kwargs)


class ChangeFieldsForm(forms.Form):
    """What only a change has: type, reason, the risk questionnaire, the plans and the window."""

    change_type = forms.ChoiceField(
        label=_("Type of change"),
        choices=ChangeType.choices,
        initial=ChangeType.NORMAL,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=MAX_PLAN,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    implementation_plan = forms.CharField(
        label=PLAN_LABELS["implementation_plan"],
        required=False,
        max_length=MAX_PLAN,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    backout_plan = forms.CharField(
        label=PLAN_LABELS["backout_plan"],
        required=False,
        max_length=MAX_PLAN,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    test_plan = forms.CharField(
        label=PLAN_LABELS["test_plan"],
        required=False,
        max_length=MAX_PLAN,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    communication_plan = forms.CharField(
        label=PLAN_LABELS["communication_plan"],
        required=False,
        max_length=MAX_PLAN,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who is told, when and how."),
    )
    planned_start = _moment(_("Planned start"))
    planned_end = _moment(_("Planned end"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for question in policies.QUESTIONS:
            self.fields[RISK_PREFIX + question.code] = forms.ChoiceField(
                label=str(question.text),
                choices=[(code, label) for code, label, _score in question.answers],
                required=False,
                widget=forms.RadioSelect,
            )

    def risk_fields(self) -> list[Any]:
        """Return the bound fields of the risk questionnaire, in order."""
        return [self[RISK_PREFIX + q.code] for q in policies.QUESTIONS]

    def plan_fields(self) -> list[Any]:
        return [self[name] for name in PLAN_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        errors = policies.check_window(data.get("planned_start"), data.get("planned_end"))
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    def answers(self) -> dict[str, str]:
        """Return the questionnaire's answers (empty when none was given)."""
        data = self.cleaned_data
        return {
            q.code: data[RISK_PREFIX + q.code] for q in policies.QUESTIONS if data.get(RISK_PREFIX + q.code)
        }

    def change_values(self) -> dict[str, Any]:
        """Return the values of the change record for ``services.raise_change``/``update_change``."""
        data = self.cleaned_data
        return {
            "change_type": data["change_type"],
            "reason": data.get("reason", ""),
            "risk_answers": self.answers(),
            **{name: data.get(name, "") for name in PLAN_FIELDS},
            "planned_start": data.get("planned_start"),
            "planned_end": data.get("planned_end"),
        }


def service_field(name: str) -> str:
    """Return the form field that shows a service error about ``name`` (``risk_answers.tested``...)."""
    if name.startswith("risk_answers."):
        return RISK_PREFIX + name.split(".", 1)[1]
    return name


class ChangeCreateForm(ChangeFieldsForm):
    """A new change: the ticket fields, optionally a standard template, and the change fields."""

    template = forms.ModelChoiceField(
        label=_("Standard change template"),
        queryset=ChangeTemplate.objects.none(),
        required=False,
        help_text=_("A pre-approved standard change: its plans are filled in, no CAB is needed."),
    )
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE, required=False)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False)
    cis = ChangeCIField(label=_("Affected CIs"))
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    TICKET_FIELDS: ClassVar[tuple[str, ...]] = (
        "template",
        "title",
        "description",
        "organisation",
        "service",
        "cis",
        "team",
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        fields = self.fields
        fields["template"].queryset = ChangeTemplate.objects.visible_to(user).filter(is_active=True)  # type: ignore[attr-defined]
        fields["template"].widget.attrs["data-reload-form"] = ""
        fields["organisation"].queryset = Organisation.objects.visible_to(user).filter(is_active=True)  # type: ignore[attr-defined]
        fields["service"].queryset = Service.objects.visible_to(user)  # type: ignore[attr-defined]
        fields["team"].queryset = Team.objects.visible_to(user)  # type: ignore[attr-defined]
        fields["cis"].user = user  # type: ignore[attr-defined]
        self.order_fields([*self.TICKET_FIELDS, "change_type", "reason"])

    def ticket_fields(self) -> list[Any]:
        return [self[name] for name in self.TICKET_FIELDS]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("template") is not None:
            data["change_type"] = ChangeType.STANDARD
        elif not (data.get("title") or "").strip() and "title" not in self.errors:
            self.add_error("title", _("Give the change a title (or choose a standard template)."))
        return data

    def ticket_data(self) -> dict[str, Any]:
        """Return the ticket fields for ``services.raise_change`` (``data``)."""
        data = self.cleaned_data
        out: dict[str, Any] = {
            "organisation": data["organisation"],
            "description": data.get("description", ""),
            "service": data.get("service"),
            "team": data.get("team"),
        }
        if (data.get("title") or "").strip():
            out["title"] = data["title"].strip()
        return out


class ChangeEditForm(ChangeFieldsForm):
    """The change record of an existing change, with the ticket version it started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def initial_for(cls, change: Any) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "version": change.ticket.version,
            "change_type": change.change_type,
            "reason": change.reason,
            "planned_start": change.planned_start,
            "planned_end": change.planned_end,
            **{name: getattr(change, name) for name in PLAN_FIELDS},
        }
        for code, answer in (change.risk_answers or {}).items():
            initial[RISK_PREFIX + str(code)] = answer
        return initial


def same_minute(a: dt.datetime | None, b: dt.datetime | None) -> bool:
    """Tell whether two moments are the same to the minute (what a ``datetime-local`` input shows)."""
    if a is None or b is None:
        return a is b
    return a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)


class ReviewForm(forms.Form):
    """The post-implementation review of a change."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label=_("Review notes"),
        required=False,
        max_length=MAX_PLAN,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required unless the change was successful: what went wrong and what was learnt."),
    )


class ProceedForm(forms.Form):
    """Submit or schedule a change despite its scheduling warnings, with the reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    override_reason = forms.CharField(
        label=_("Reason for going ahead despite the warnings"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 2})
    )


class BoardFilterForm(forms.Form):
    """Filters of the change board and list (all optional)."""

    type = forms.ChoiceField(label=_("Type"), choices=[("", _("Any type")), *SHORT_TYPES], required=False)
    risk = forms.ChoiceField(
        label=_("Risk"), choices=[("", _("Any risk")), *RiskLevel.choices], required=False
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False, empty_label=_("Any service")
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any team")
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            field.widget.attrs.setdefault("id", f"filter-{name}")

    def apply(self, qs: Any) -> Any:
        """Return ``qs`` narrowed by the valid filters."""
        data = self.cleaned_data
        if data.get("type"):
            qs = qs.filter(change_type=data["type"])
        if data.get("risk"):
            qs = qs.filter(risk_level=data["risk"])
        if data.get("service") is not None:
            qs = qs.filter(ticket__service=data["service"])
        if data.get("team") is not None:
            qs = qs.filter(ticket__team=data["team"])
        return qs


class PeriodForm(forms.Form):
    """The period of the KPI page (dates in the user's time zone, both included)."""

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    MAX_DAYS = 3660

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end must be on or after the start."))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("end", _("At most %(n)s days at once.") % {"n": self.MAX_DAYS})
        return data


# -- settings -----------------------------------------------------------------------------------


class TemplateForm(RecordForm):
    """A standard change template."""

    class Meta:
        model = ChangeTemplate
        fields: ClassVar[list[str]] = [
            "name",
            "name_en",
            "description",
            "service",
            "team",
            "implementation_plan",
            "backout_plan",
            "test_plan",
            "communication_plan",
            "max_duration_minutes",
            "is_active",
        ]


class BoundedChoices(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A multi-select of records whose posted ids are checked before any query (no 500 on ``9 * 30``)."""

    def _check_values(self, value: Any) -> Any:
        for pk in value:
            text = str(pk)
            if not text.isdigit() or len(text) > 18:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": text[:50]}
                )
        return super()._check_values(value)  # type: ignore[misc]


class UserChoices(BoundedChoices):
    """Active logins, shown with their full name."""

    def label_from_instance(self, obj: Any) -> str:
        full = obj.get_full_name()
        return f"{obj.username} ({full})" if full else obj.username


class BoardForm(RecordForm):
    """The CAB or the ECAB with its members."""

    members = UserChoices(
        label=_("Members"),
        queryset=User.objects.none(),
        required=False,
    )

    class Meta:
        model = ChangeBoard
        fields: ClassVar[list[str]] = ["kind", "name", "name_en", "mode", "quorum", "meets_on", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["members"]
        field.queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]
        field.widget.attrs["size"] = 10
        if self.instance.pk is not None and not self.is_bound:
            self.initial["members"] = list(self.instance.members.values_list("pk", flat=True))

    def service_arguments(self) -> dict[str, Any]:
        return {"data": self.data_fields(), "members": list(self.cleaned_data.get("members") or [])}


class WindowForm(RecordForm):
    """A freeze, blackout or maintenance window over some services (none: every service)."""

    class Meta:
        model = ChangeWindow
        fields: ClassVar[list[str]] = [
            "name",
            "name_en",
            "kind",
            "starts_at",
            "ends_at",
            "services",
            "reason",
            "is_active",
        ]
        widgets: ClassVar[dict[str, Any]] = {"starts_at": local_input(), "ends_at": local_input()}
        field_classes: ClassVar[dict[str, Any]] = {"services": BoundedChoices}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = INPUT_FORMATS  # type: ignore[attr-defined]
        field = self.fields["services"]
        field.queryset = field.queryset.order_by("name")  # type: ignore[attr-defined]

    def service_arguments(self) -> dict[str, Any]:
        chosen = list(self.cleaned_data.get("services") or [])
        if self.instance.pk is not None:
            # Services the editor may not see stay on the window: the form cannot show them.
            seen = self.fields["services"].queryset.values("pk")  # type: ignore[attr-defined]
            chosen += list(self.instance.services.exclude(pk__in=seen))
        return {"data": self.data_fields(), "services": chosen}
