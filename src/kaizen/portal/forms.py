"""Forms of the requester portal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kaizen.cmdb.forms import attribute_field
from kaizen.portfolio.models import Service
from kaizen.requests.models import CatalogItem
from kaizen.tickets.choices import Urgency
from kaizen.tickets.models.ticket import MAX_BODY, MAX_TITLE

FIELD_PREFIX = "field_"


class IncidentForm(forms.Form):
    """Report something that does not work."""

    title = forms.CharField(
        label=_("What is wrong?"),
        max_length=MAX_TITLE,
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("portal:suggest"),
                "hx-trigger": "input changed delay:500ms",
                "hx-target": "#suggestions",
                "hx-swap": "innerHTML",
                "autocomplete": "off",
            }
        ),
    )
    description = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What did you try, since when, error messages, who else is affected."),
    )
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none(), required=False)
    urgency = forms.TypedChoiceField(
        label=_("How urgent is it?"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
    )
    file = forms.FileField(label=_("Screenshot or file"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.visible_to(user).filter(lifecycle="live")  # type: ignore[attr-defined]


class CatalogRequestForm(forms.Form):
    """Request a catalogue item: its own typed fields, then a free note."""

    def __init__(self, *args: Any, item: CatalogItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        language = translation.get_language() or "ja"
        for definition in item.form_schema:
            if isinstance(definition, dict) and "name" in definition:
                field = attribute_field(definition, language)
                field.required = bool(definition.get("required"))
                self.fields[FIELD_PREFIX + definition["name"]] = field
        self.fields["description"] = forms.CharField(
            label=_("Anything else we should know"),
            required=False,
            max_length=MAX_BODY,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        self.fields["urgency"] = forms.TypedChoiceField(
            label=_("How urgent is it?"), choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM
        )

    def values(self) -> dict[str, Any]:
        return {
            name.removeprefix(FIELD_PREFIX): value
            for name, value in self.cleaned_data.items()
            if name.startswith(FIELD_PREFIX) and value not in (None, "")
        }


class ReplyForm(forms.Form):
    """Reply to the service desk on one's own ticket."""

    body = forms.CharField(
        label=_("Your reply"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 4})
    )
    file = forms.FileField(label=_("Attach a file"), required=False)


class ReasonForm(forms.Form):
    """Reopen or cancel with a reason."""

    comment = forms.CharField(label=_("Why?"), max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    """An approver's decision."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
