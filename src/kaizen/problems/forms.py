"""Forms of problem management: known errors, problem details, problems from incidents, fixes."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Person
from kaizen.core.forms import RecordForm
from kaizen.portfolio.models import Service
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

from .models import MAX_RANK, MAX_TEXT, WORKERS, KnownError, ProblemRecord
from .services import MAX_INCIDENTS

NUMBER = re.compile(r"^[A-Za-z]{2,5}-\d{1,12}$")


def owner_choices(user: Any) -> QuerySet[Person]:
    """People who may own problems: active people with a login that works tickets, visible to ``user``."""
    return (
        Person.objects.visible_to(user)
        .filter(is_active=True, user__memberships__role__in=sorted(WORKERS))
        .distinct()
        .order_by("name", "pk")
    )


class KnownErrorForm(RecordForm):
    """A known error: what agents see, what caused it, what to do meanwhile; the state has its buttons."""

    class Meta:
        model = KnownError
        fields: ClassVar[list[str]] = [
            "organisation",
            "problem",
            "title",
            "symptoms",
            "root_cause",
            "workaround",
            "keywords",
            "services",
            "cis",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        problem = self.fields["problem"]
        problem.queryset = problem.queryset.filter(kind=Kind.PROBLEM).order_by("-pk")  # type: ignore[attr-defined]
        for name in ("services", "cis"):
            field = self.fields[name]
            field.queryset = field.queryset.order_by("name", "pk")  # type: ignore[attr-defined]
            field.required = False
        if not self.is_bound and self.instance.pk is None:
            self._from_problem(problem.queryset)  # type: ignore[attr-defined]

    def _from_problem(self, problems: QuerySet[Ticket]) -> None:
        """Fill a new known error from the problem it is recorded for (``?problem=<id>``)."""
        raw = str(self.initial.get("problem") or "")
        found = problems.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
        if found is None:
            return
        record = ProblemRecord.objects.filter(pk=found.pk).first()
        defaults = {
            "organisation": found.organisation_id,
            "title": found.title,
            "root_cause": record.root_cause if record else "",
            "workaround": record.workaround if record else "",
            "services": [found.service_id] if found.service_id else [],
            "cis": list(found.cis.values_list("pk", flat=True)),
        }
        for name, value in defaults.items():
            if not self.initial.get(name):
                self.initial[name] = value

    def service_arguments(self) -> dict[str, Any]:
        return {
            "data": self.data_fields(),
            "services": list(self.cleaned_data.get("services") or []),
            "cis": list(self.cleaned_data.get("cis") or []),
        }


class VersionForm(forms.Form):
    """The version a button press is based on (publish, retire), with an optional reason."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class ProblemDetailsForm(forms.Form):
    """The details of a problem shown on its desk page: owner, root cause, workaround, debt-list data."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)
    owner = forms.ModelChoiceField(label=_("Problem owner"), queryset=Person.objects.none(), required=False)
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_TEXT, required=False
    )
    workaround = forms.CharField(
        label=_("Workaround"), widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_TEXT, required=False
    )
    shared_with_development = forms.BooleanField(label=_("Shared with development"), required=False)
    development_ref = forms.CharField(
        label=_("Development reference"),
        max_length=200,
        required=False,
        help_text=_("The issue key or address in the development team's tracker."),
    )
    rank = forms.IntegerField(
        label=_("Rank"),
        min_value=1,
        max_value=MAX_RANK,
        required=False,
        help_text=_("Order on the debt list: 1 is the most urgent."),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices(user)  # type: ignore[attr-defined]

    @classmethod
    def for_record(cls, record: ProblemRecord | None, *, user: Any, data: Any = None) -> ProblemDetailsForm:
        """Return the form filled with a problem's details (version 1 before it has any)."""
        initial: dict[str, Any] = {"version": 1}
        if record is not None:
            initial = {
                "version": record.version,
                "owner": record.owner_id,
                "root_cause": record.root_cause,
                "workaround": record.workaround,
                "shared_with_development": record.shared_with_development,
                "development_ref": record.development_ref,
                "rank": record.rank,
            }
        return cls(data, user=user, initial=initial)

    def changes(self) -> dict[str, Any]:
        """Return the cleaned details for the service (without the version)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class FixForm(forms.Form):
    """The change that fixes a problem, by number (CHG-000123)."""

    number = forms.CharField(label=_("Change number"), max_length=20)

    def clean_number(self) -> str:
        value = str(self.cleaned_data["number"]).strip().upper()
        if not NUMBER.match(value):
            raise forms.ValidationError(_("Give a ticket number such as CHG-000123."))
        return value


class IncidentLinkForm(forms.Form):
    """The problem an incident is linked to from a suggested known error."""

    problem = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)


class FromIncidentsForm(forms.Form):
    """A problem recorded from incidents (by number) or from a trend (without any)."""

    incidents = forms.CharField(
        label=_("Incidents"),
        max_length=2000,
        required=False,
        help_text=_("Incident numbers separated by spaces or commas (INC-000123 INC-000124)."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=50_000, required=False
    )
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False)
    owner = forms.ModelChoiceField(label=_("Problem owner"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["service"].queryset = Service.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = owner_choices(user)  # type: ignore[attr-defined]

    def clean_incidents(self) -> list[Ticket]:
        numbers = [n.upper() for n in re.split(r"[\s,、，]+", self.cleaned_data.get("incidents") or "") if n]
        numbers = list(dict.fromkeys(numbers))
        if len(numbers) > MAX_INCIDENTS:
            raise forms.ValidationError(_("At most %(n)s incidents.") % {"n": MAX_INCIDENTS})
        bad = [n for n in numbers if not NUMBER.match(n)]
        if bad:
            raise forms.ValidationError(
                _("Not incident numbers: %(numbers)s") % {"numbers": ", ".join(bad[:5])}
            )
        found = {
            t.number: t
            for t in Ticket.objects.visible_to(self.user).filter(number__in=numbers, kind=Kind.INCIDENT)
        }
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(
                _("No such incident, or you may not see it: %(numbers)s")
                % {"numbers": ", ".join(missing[:5])}
            )
        return [found[n] for n in numbers]
