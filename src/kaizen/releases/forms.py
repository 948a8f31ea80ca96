"""Forms of the release pages: the release and its plan, items, checks, moves, checklists."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from .choices import ItemCategory, ItemKind
from .models import MAX_EVIDENCE, MAX_ITEM, PLAN_FIELDS, Checklist, ChecklistItem, Release

MAX_VERSION = 10**12
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ReleaseForm(RecordForm):
    """Create or edit a release: what, when, who, and the sections of its plan."""

    class Meta:
        model = Release
        fields: ClassVar[list[str]] = [
            "organisation",
            "title",
            "service",
            "owner",
            "planned_at",
            "description",
            *PLAN_FIELDS,
            "watchers",
        ]
        widgets: ClassVar[dict[str, Any]] = {"planned_at": DATETIME}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for name in ("description", *PLAN_FIELDS):
            self.fields[name].widget.attrs["rows"] = 3

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        return {"data": data, "watchers": list(self.cleaned_data.get("watchers") or [])}


class VersionForm(forms.Form):
    """The version a page was rendered from (optimistic locking), and a reason where one is asked."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=MAX_EVIDENCE, widget=forms.Textarea(attrs={"rows": 2})
    )


class BundleForm(forms.Form):
    """Bundle one change into a release, or take one out."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)
    add = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    remove = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("add") and not data.get("remove"):
            raise forms.ValidationError(_("Choose a change."))
        return data


class ItemForm(forms.Form):
    """Add an acceptance item to a release."""

    kind = forms.ChoiceField(label=_("Kind"), choices=ItemKind.choices)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", "---------"), *ItemCategory.choices], required=False
    )
    text = forms.CharField(label=_("Item"), max_length=MAX_ITEM)
    guidance = forms.CharField(label=_("What counts as evidence"), max_length=MAX_ITEM, required=False)
    mandatory = forms.BooleanField(label=_("Mandatory"), required=False, initial=True)


class CheckForm(forms.Form):
    """Check an acceptance item with its evidence."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=MAX_EVIDENCE,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApplyChecklistForm(forms.Form):
    """Copy an operations acceptance checklist into a release."""

    checklist = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class ChecklistForm(RecordForm):
    """Create or edit an operations acceptance checklist (a new one starts with the shipped minimum)."""

    class Meta:
        model = Checklist
        fields: ClassVar[list[str]] = ["organisation", "name", "name_en", "description", "is_active"]


class ChecklistItemForm(RecordForm):
    """Create or edit an item of an operations acceptance checklist."""

    class Meta:
        model = ChecklistItem
        fields: ClassVar[list[str]] = ["checklist", "category", "text", "guidance", "mandatory", "order"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["order"].required = False
        self.fields["order"].help_text = _("Empty: after the last item.")
