"""Forms of service level management: calendars (hours per weekday, holidays, closures), tiers, agreements."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm
from kaizen.tickets.models import WorkflowState

from . import calendars, policies
from .choices import Metric
from .models import Agreement, BusinessCalendar, Outage, ServiceTier

MAX_TEXT = 100_000
ZONES = sorted(zoneinfo.available_timezones())
COUNTRIES = [("JP", _("Japanese public holidays")), ("", _("No public holidays"))]


def _zone_choices() -> list[tuple[str, str]]:
    return [(z, z) for z in ZONES]


class ComputedFields(RecordForm):
    """A record form some of whose model fields are built from other form fields (targets, definition).

    The model validates them again; its errors on fields the form does not show go to the top.
    """

    def _update_errors(self, errors: Any) -> None:
        from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

        if hasattr(errors, "error_dict"):
            mapped: dict[str, Any] = {}
            for name, messages in errors.error_dict.items():
                mapped.setdefault(name if name in self.fields else NON_FIELD_ERRORS, []).extend(messages)
            errors = ValidationError(mapped)
        super()._update_errors(errors)


class CalendarForm(ComputedFields):
    """A business calendar edited as text: ranges per weekday, closed dates and closures one per line."""

    time_zone = forms.ChoiceField(label=_("Time zone"), initial="Asia/Tokyo")
    public_holidays = forms.ChoiceField(
        label=_("Public holidays"), choices=COUNTRIES, required=False, initial="JP"
    )
    year_end = forms.BooleanField(
        label=_("Closed for the year end (12/29–1/3)"), required=False, initial=True
    )
    closed_dates = forms.CharField(
        label=_("Company holidays"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea,
        help_text=_("One date a line (YYYY-MM-DD)."),
    )
    closures = forms.CharField(
        label=_("One-off closures"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea,
        help_text=_("One a line: start / end / name, for example 2026-12-10 18:00 / 2026-12-11 09:00 / 停電"),
    )

    class Meta:
        model = BusinessCalendar
        fields: ClassVar[list[str]] = ["name", "name_en", "description", "is_default"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = _zone_choices()
        for weekday in range(calendars.WEEKDAY_COUNT):
            self.fields[f"hours_{weekday}"] = forms.CharField(
                label=calendars.weekday_name(weekday),
                required=False,
                max_length=200,
                help_text=_(
                    "For example 09:00-12:00, 13:00-18:00; 00:00-24:00 around the clock; empty: closed."
                )
                if weekday == 0
                else "",
            )
        definition = {**calendars.DEFAULT_DEFINITION, **(self.instance.definition or {})}
        if not self.is_bound:
            self.initial.update(
                time_zone=definition["time_zone"],
                public_holidays=definition.get("public_holidays", ""),
                year_end=bool(definition.get("year_end")),
                closed_dates="\n".join(definition.get("closed_dates", [])),
                closures="\n".join(_closure_line(c) for c in definition.get("closures", [])),
                **{
                    f"hours_{d}": ", ".join(f"{s}-{e}" for s, e in ranges)
                    for d, ranges in enumerate(definition["hours"])
                },
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours = []
        for weekday in range(calendars.WEEKDAY_COUNT):
            text = (data.get(f"hours_{weekday}") or "").strip()
            ranges = []
            for part in filter(None, (p.strip() for p in text.replace("、", ",").split(","))):
                start, sep, end = part.replace("–", "-").replace("〜", "-").replace("~", "-").partition("-")
                if not sep:
                    self.add_error(f"hours_{weekday}", _("Write ranges as HH:MM-HH:MM."))
                    break
                ranges.append([start.strip().zfill(5), end.strip().zfill(5)])
            hours.append(ranges)
        dates = [line.split()[0] for line in (data.get("closed_dates") or "").splitlines() if line.strip()]
        closures = []
        zone = data.get("time_zone") or "Asia/Tokyo"
        for number, line in enumerate((data.get("closures") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parsed = _parse_closure(line, zone)
            if parsed is None:
                self.add_error("closures", _("Line %(n)s: write start / end / name.") % {"n": number})
            else:
                closures.append(parsed)
        definition = {
            "time_zone": zone,
            "hours": hours,
            "public_holidays": data.get("public_holidays", ""),
            "year_end": bool(data.get("year_end")),
            "closed_dates": dates,
            "closures": closures,
        }
        if not self.errors:
            for field, messages in calendars.definition_errors(definition).items():
                target = "hours_0" if field == "hours" else field if field in self.fields else None
                for message in messages:
                    self.add_error(target, message)
        self.definition = definition
        # The model checks the definition again; an invalid one is reported on the fields above.
        self.instance.definition = (
            definition if not self.errors else self.instance.definition or {**calendars.DEFAULT_DEFINITION}
        )
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        data["definition"] = self.definition
        return {"data": data}


def _closure_line(closure: dict[str, Any]) -> str:
    start = dt.datetime.fromisoformat(closure["start"])
    end = dt.datetime.fromisoformat(closure["end"])
    return f"{start:%Y-%m-%d %H:%M} / {end:%Y-%m-%d %H:%M} / {closure.get('name', '')}".rstrip(" /")


def _parse_closure(line: str, zone: str) -> dict[str, str] | None:
    parts = [p.strip() for p in line.split("/")]
    if len(parts) < 2:
        return None
    try:
        tz = zoneinfo.ZoneInfo(zone)
        start = dt.datetime.fromisoformat(parts[0])
        end = dt.datetime.fromisoformat(parts[1])
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None
    start = start if start.tzinfo else start.replace(tzinfo=tz)
    end = end if end.tzinfo else end.replace(tzinfo=tz)
    return {"start": start.isoformat(), "end": end.isoformat(), "name": "/".join(parts[2:])[:200]}


class TargetsMixin(forms.Form):
    """Targets per priority and clock as a grid of minute fields (4 priorities × 3 clocks)."""

    target_fields: ClassVar[list[tuple[int, str]]] = [(p, m) for p in (1, 2, 3, 4) for m in Metric.values]

    def add_target_fields(self, targets: dict[str, Any], *, help_first: Any) -> None:
        """Add one minutes field per priority and clock, filled from ``targets``."""
        labels = dict(Metric.choices)
        for priority, metric in self.target_fields:
            name = f"t_{priority}_{metric}"
            self.fields[name] = forms.IntegerField(
                label=f"P{priority} {labels[metric]}",
                required=False,
                min_value=1,
                max_value=policies.MAX_TARGET_MINUTES,
                help_text=help_first if (priority, metric) == (1, "response") else "",
            )
            value = (targets or {}).get(str(priority), {}).get(metric)
            if value and not self.is_bound:
                self.initial[name] = value

    def targets_value(self) -> dict[str, dict[str, int]]:
        """Return the targets document from the grid (only filled cells)."""
        out: dict[str, dict[str, int]] = {}
        for priority, metric in self.target_fields:
            value = self.cleaned_data.get(f"t_{priority}_{metric}")
            if value:
                out.setdefault(str(priority), {})[metric] = int(value)
        return out


class TierForm(ComputedFields, TargetsMixin):
    """A service tier with its targets grid."""

    class Meta:
        model = ServiceTier
        fields: ClassVar[list[str]] = ["name", "name_en", "description", "monthly_fee", "order"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_target_fields(
            self.instance.targets, help_first=_("Minutes of business time; empty: no target.")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.instance.targets = self.targets_value()
        return data

    def service_arguments(self) -> dict[str, Any]:
        return {"data": {**self.data_fields(), "targets": self.targets_value()}}


class AgreementForm(ComputedFields, TargetsMixin):
    """An agreement: what it covers, its calendar, tier or own targets, pauses, warnings, escalations."""

    ticket_kinds = forms.MultipleChoiceField(
        label=_("Ticket kinds"),
        choices=[(k, k) for k in policies.TICKET_KINDS],
        initial=["incident", "request"],
    )
    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"),
        choices=[(p, f"P{p}") for p in (1, 2, 3, 4)],
        coerce=int,
        required=False,
        help_text=_("None chosen: every priority."),
    )
    warn_at = forms.CharField(
        label=_("Warning thresholds (%)"), initial="75, 90", max_length=50, help_text=_("For example 75, 90.")
    )
    escalations = forms.JSONField(
        label=_("Escalations"),
        required=False,
        initial=list,
        widget=forms.Textarea(attrs={"class": "mono"}),
        help_text=_(
            'JSON list, for example [{"at": 90, "metric": "resolution", "action": "raise_priority"}, '
            '{"at": 100, "metric": "any", "action": "reassign", "team": 3}]. Actions: notify, escalate, '
            "reassign, raise_priority. Empty: warnings notify, breaches also escalate to managers."
        ),
    )

    class Meta:
        model = Agreement
        fields: ClassVar[list[str]] = [
            "name",
            "name_en",
            "kind",
            "description",
            "service",
            "customer",
            "team",
            "supplier",
            "calendar",
            "tier",
            "pause_states",
            "supplier_states",
            "alert_outside_hours",
            "monthly_limit",
            "availability_target",
            "order",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        states = WorkflowState.objects.order_by("kind", "order")
        self.fields["pause_states"].queryset = states
        self.fields["supplier_states"].queryset = states
        self.add_target_fields(
            self.instance.targets, help_first=_("Own targets in minutes of business time; empty: the tier's.")
        )
        if self.instance.pk and not self.is_bound:
            self.initial.update(
                ticket_kinds=self.instance.ticket_kinds,
                priorities=self.instance.priorities,
                warn_at=", ".join(str(v) for v in self.instance.warn_at or []),
                escalations=self.instance.escalations,
            )

    def clean_warn_at(self) -> list[int]:
        text = self.cleaned_data.get("warn_at") or ""
        try:
            values = sorted({int(v) for v in text.replace("%", "").split(",") if v.strip()})
        except ValueError as exc:
            raise forms.ValidationError(_("Whole percentages separated by commas.")) from exc
        errors = policies.threshold_errors(values)
        if errors:
            raise forms.ValidationError(errors)
        return values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name, value in self._computed().items():
            setattr(self.instance, name, value)
        return data

    def _computed(self) -> dict[str, Any]:
        return {
            "ticket_kinds": list(self.cleaned_data.get("ticket_kinds") or []),
            "priorities": sorted(self.cleaned_data.get("priorities") or []),
            "warn_at": self.cleaned_data.get("warn_at") or [],
            "escalations": self.cleaned_data.get("escalations") or [],
            "targets": self.targets_value(),
        }

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        data.update(
            ticket_kinds=list(self.cleaned_data.get("ticket_kinds") or []),
            priorities=sorted(self.cleaned_data.get("priorities") or []),
            warn_at=self.cleaned_data.get("warn_at") or [],
            escalations=self.cleaned_data.get("escalations") or [],
            targets=self.targets_value(),
            pause_states=list(self.cleaned_data.get("pause_states") or []),
            supplier_states=list(self.cleaned_data.get("supplier_states") or []),
        )
        return {"data": data}


class OutageForm(RecordForm):
    """An outage of a service."""

    class Meta:
        model = Outage
        fields: ClassVar[list[str]] = ["service", "start", "end", "planned", "description"]
        widgets: ClassVar[dict[str, Any]] = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "end": forms.DateTimeInput(attrs={"type": "datetime-local"}),
        }


class IcsForm(forms.Form):
    """An iCalendar file whose closed days and closures are added to a calendar."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    file = forms.FileField(label=_("iCalendar file (.ics)"))


class AssignAgreementForm(forms.Form):
    """Put a ticket under an agreement by hand, with the reason."""

    agreement = forms.ModelChoiceField(
        label=_("Agreement"), queryset=Agreement.objects.filter(is_active=True)
    )
    reason = forms.CharField(label=_("Reason"), max_length=300)
