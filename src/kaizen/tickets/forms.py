"""Forms of the agent UI: create and edit tickets, apply actions, reply, decide reviews, bulk edits."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Organisation, Person, Team
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import access
from kaizen.core.ui.widgets import QuickSelect
from kaizen.portfolio.models import Service

from .choices import CauseClass, Channel, Impact, Kind, ReviewOutcome, Urgency, Visibility
from .models import Category, Ticket, TicketTemplate
from .models.ticket import MAX_BODY, MAX_TITLE

MAX_REFS = 50
_SPLIT = re.compile(r"[,\s、，]+")


def _visible(model: Any, user: Any) -> Any:
    return model.objects.visible_to(user)


class CIListField(forms.CharField):
    """Affected CIs typed as numbers (``CI-000011, CI-000020``); only CIs the user sees.

    With ``accept_ids`` a bare number is taken as the CI's id (``11``) as well.
    """

    accept_ids = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 2000)
        kwargs.setdefault("help_text", _("CI numbers separated by commas, e.g. CI-000011, CI-000020."))
        super().__init__(*args, **kwargs)
        self.user: Any = None

    def clean(self, value: Any) -> list[int]:  # type: ignore[override]
        text = super().clean(value)
        tokens = [n.strip().upper() for n in _SPLIT.split(text or "") if n.strip()]
        if len(tokens) > MAX_REFS:
            raise forms.ValidationError(_("At most %(n)s CIs.") % {"n": MAX_REFS})
        if not tokens:
            return []

        def is_id(token: str) -> bool:
            return self.accept_ids and token.isdigit() and len(token) <= 12

        ids = {int(t) for t in tokens if is_id(t)}
        numbers = [t for t in tokens if not is_id(t)]
        visible = ConfigurationItem.objects.visible_to(self.user)
        by_number = dict(visible.filter(number__in=numbers).values_list("number", "pk")) if numbers else {}
        by_id = set(visible.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        missing = [n for n in numbers if n not in by_number] + [str(i) for i in sorted(ids - by_id)]
        if missing:
            raise forms.ValidationError(
                _("No such CI, or you may not see it: %(numbers)s") % {"numbers": ", ".join(missing[:10])}
            )
        return sorted(set(by_number.values()) | by_id)


def tags_list(text: str) -> list[str]:
    """Split a comma-separated tag field."""
    return [t.strip() for t in re.split(r"[,、，]", text or "") if t.strip()]


class TicketFieldsForm(forms.Form):
    """The editable fields of a ticket (staff), shared by quick create and the ticket page."""

    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Markdown: **bold**, lists, `code`, links."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organisation.objects.none(), required=False
    )
    requester = forms.ModelChoiceField(label=_("Requester"), queryset=Person.objects.none(), required=False)
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=Person.objects.none(), required=False)
    cis = CIListField(label=_("Affected CIs"))
    urgency = forms.TypedChoiceField(
        label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    impact = forms.TypedChoiceField(
        label=_("Impact"),
        choices=[("", _("From the CMDB")), *Impact.choices],
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Leave empty to take it from the affected CIs and the service."),
    )
    impact_reason = forms.CharField(label=_("Reason for another impact"), max_length=500, required=False)
    tags = forms.CharField(
        label=_("Tags"), max_length=1000, required=False, help_text=_("Separated by commas.")
    )

    def __init__(self, *args: Any, user: Any, kind: str = Kind.INCIDENT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.kind = kind
        fields = self.fields
        fields["organisation"].queryset = _visible(Organisation, user).filter(is_active=True)  # type: ignore[attr-defined]
        fields["requester"].queryset = (
            _visible(Person, user).filter(is_active=True).select_related("organisation")
        )  # type: ignore[attr-defined]
        fields["service"].queryset = _visible(Service, user)  # type: ignore[attr-defined]
        fields["category"].queryset = Category.objects.filter(is_active=True, kind__in=["", kind])  # type: ignore[attr-defined]
        fields["team"].queryset = _visible(Team, user)  # type: ignore[attr-defined]
        fields["assignee"].queryset = _visible(Person, user).filter(is_active=True, user__isnull=False)  # type: ignore[attr-defined]
        fields["cis"].user = user  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("organisation") and not data.get("requester") and "organisation" in self.fields:
            self.add_error("organisation", _("Choose the organisation or the requester."))
        return data

    def service_data(self) -> dict[str, Any]:
        """Return the fields for the ticket service (without CIs, tags and impact)."""
        data = self.cleaned_data
        skip = {"cis", "tags", "impact", "impact_reason", "template", "kind", "version"}
        out = {k: v for k, v in data.items() if k not in skip and k in self.fields}
        if out.get("organisation") is None:
            out.pop("organisation", None)
        return out


class TicketCreateForm(TicketFieldsForm):
    """Quick create: kind, optional template, the fields."""

    template = forms.ModelChoiceField(
        label=_("Template"), queryset=TicketTemplate.objects.none(), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = TicketTemplate.objects.filter(kind=self.kind, is_active=True)  # type: ignore[attr-defined]
        self.fields["template"].widget.attrs["data-reload-form"] = ""
        self.order_fields(["template", "title", "description", "organisation", "requester", "service"])


class TicketEditForm(TicketFieldsForm):
    """The fields of an existing ticket, with its version."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3})
    )
    cause_class = forms.ChoiceField(
        label=_("Cause class"), choices=[("", "---------"), *CauseClass.choices], required=False
    )

    @classmethod
    def for_ticket(cls, ticket: Ticket, *, user: Any, data: Any = None) -> TicketEditForm:
        initial = {
            "title": ticket.title,
            "description": ticket.description,
            "organisation": ticket.organisation_id,
            "requester": ticket.requester_id,
            "service": ticket.service_id,
            "category": ticket.category_id,
            "channel": ticket.channel,
            "team": ticket.team_id,
            "assignee": ticket.assignee_id,
            "cis": ", ".join(ticket.cis.order_by("number").values_list("number", flat=True)),
            "urgency": ticket.urgency,
            "impact": ticket.impact if ticket.impact_reason else "",
            "impact_reason": ticket.impact_reason,
            "tags": ", ".join(ticket.tags.values_list("name", flat=True)),
            "version": ticket.version,
            "resolution": ticket.resolution,
            "cause_class": ticket.cause_class,
        }
        return cls(data, user=user, kind=ticket.kind, initial=initial)


class ActionForm(forms.Form):
    """The parameters a workflow action may need."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 4})
    )
    visibility = forms.ChoiceField(label=_("The comment is"), choices=Visibility.choices, required=False)
    resolution = forms.CharField(
        label=_("Resolution"), required=False, max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 4})
    )
    cause_class = forms.ChoiceField(
        label=_("Cause class"), choices=[("", "---------"), *CauseClass.choices], required=False
    )
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, guards: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _visible(Person, user).filter(is_active=True, user__isnull=False)  # type: ignore[attr-defined]
        if "resolution" not in guards:
            del self.fields["resolution"]
        if "cause_class" not in guards:
            del self.fields["cause_class"]
        if "assignee" not in guards:
            del self.fields["assignee"]

    def params(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version" and v not in (None, "")}
        if data.get("assignee") is not None:
            data["assignee"] = data["assignee"].pk
        return data


class CommentForm(forms.Form):
    """A reply or a work note, with an optional file."""

    body = forms.CharField(label=_("Text"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 4}))
    visibility = forms.ChoiceField(
        label=_("Visibility"), choices=Visibility.choices, initial=Visibility.INTERNAL
    )
    is_timeline = forms.BooleanField(label=_("Major incident timeline entry"), required=False)
    file = forms.FileField(label=_("Attach a file"), required=False)


class MajorForm(forms.Form):
    """Declare or end a major incident."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class ReviewForm(forms.Form):
    """The improvement decision of an incident that meets a criterion."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    problem = forms.CharField(
        label=_("Existing problem"),
        max_length=20,
        required=False,
        help_text=_("Number, e.g. PRB-000012. Empty: open a new problem."),
    )
    problem_title = forms.CharField(label=_("Title of the new problem"), max_length=200, required=False)
    improvement_title = forms.CharField(label=_("Improvement"), max_length=200, required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class LinkForm(forms.Form):
    """Link this ticket to another by number."""

    number = forms.CharField(label=_("Ticket number"), max_length=20)
    kind = forms.ChoiceField(label=_("Link"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from .choices import LinkKind

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = LinkKind.choices  # type: ignore[attr-defined]


BULK_OPERATIONS = [
    ("assign_me", _("Assign to me")),
    ("set_team", _("Give to team")),
    ("add_tag", _("Add tag")),
    ("action", _("Apply action")),
]


class BulkForm(forms.Form):
    """One operation on the selected tickets of a queue."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)
    operation = forms.ChoiceField(label=_("With the selected"), choices=BULK_OPERATIONS, widget=QuickSelect)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, widget=QuickSelect
    )
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    action = forms.SlugField(label=_("Action"), max_length=50, required=False)
    comment = forms.CharField(label=_("Comment"), max_length=MAX_BODY, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = _visible(Team, user)  # type: ignore[attr-defined]
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in raw[:200]]  # type: ignore[attr-defined]

    def clean_ids(self) -> list[int]:
        ids: list[int] = self.cleaned_data["ids"]
        if len(ids) > 200:
            raise forms.ValidationError(_("At most 200 tickets at once."))
        return ids


def can_work(user: Any) -> bool:
    """Tell whether ``user`` works tickets anywhere (agents, managers, administrators)."""
    from .models.ticket import WORKERS

    return access.has_any_role(user, WORKERS)
