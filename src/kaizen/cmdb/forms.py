"""Forms of the CMDB pages; CI attributes become form fields generated from the type's schema."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from . import control, policies
from .choices import AttributeType
from .models import (
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipRule,
    RelationshipType,
    SoftwareInstallation,
)

ATTR_PREFIX = "attr_"


class JSONSchemaField(forms.CharField):
    """A JSON text area for an attribute schema."""

    widget = forms.Textarea(attrs={"rows": 12, "class": "mono"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value

    def to_python(self, value: Any) -> Any:
        if value in (None, ""):
            return []
        if isinstance(value, list):
            return value
        try:
            return json.loads(value)
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Not valid JSON: %(error)s") % {"error": exc}) from exc


class CITypeForm(RecordForm):
    """Create or edit a CI type and its attribute schema."""

    attribute_schema = JSONSchemaField(
        label=_("Attribute schema"),
        required=False,
        max_length=100_000,
        help_text=_(
            'A JSON list such as [{"name": "hostname", "label": "ホスト名", "label_en": "Host name", '
            '"type": "hostname", "required": true}]. Types: string, text, integer, decimal, boolean, date, '
            "ip, cidr, hostname, port, url, email, enum (with choices)."
        ),
    )

    class Meta:
        model = CIType
        fields: ClassVar[list[str]] = ["code", "name", "name_en", "description", "attribute_schema"]


class RelationshipTypeForm(RecordForm):
    """Create or edit a relationship type."""

    class Meta:
        model = RelationshipType
        fields: ClassVar[list[str]] = [
            "code",
            "name",
            "name_en",
            "reverse_name",
            "reverse_name_en",
            "propagation",
        ]


class RelationshipRuleForm(RecordForm):
    """Allow a relationship type between two CI types."""

    class Meta:
        model = RelationshipRule
        fields: ClassVar[list[str]] = ["relationship_type", "source_type", "target_type"]


def attribute_field(definition: dict[str, Any], language: str) -> forms.Field:
    label = policies.attribute_label(definition, language)
    common: dict[str, Any] = {"label": label, "required": False, "help_text": definition.get("help", "")}
    kind = definition.get("type")
    if kind == AttributeType.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if kind == AttributeType.BOOLEAN:
        return forms.TypedChoiceField(choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common)
    if kind == AttributeType.ENUM:
        return forms.ChoiceField(
            choices=[("", "—"), *((c, c) for c in definition.get("choices", []))], **common
        )
    if kind == AttributeType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == AttributeType.INTEGER:
        return forms.CharField(widget=forms.NumberInput(attrs={"step": "1"}), **common)
    return forms.CharField(**common)


def change_field(help_text: Any) -> forms.CharField:
    """The change (CHG number) under which CIs under strict control are changed."""
    return forms.CharField(
        label=_("Change"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "CHG-000123"}),
        help_text=help_text,
    )


class CIForm(RecordForm):
    """Create or edit a CI; attribute fields follow the chosen type; strict CIs name their change."""

    change = change_field(
        _("This CI is under strict change control: name the change being implemented that lists it.")
    )

    class Meta:
        model = ConfigurationItem
        fields: ClassVar[list[str]] = [
            "name",
            "ci_type",
            "status",
            "organisation",
            "owner_team",
            "location",
            "control_level",
            "external_id",
            "description",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        # Changing the type reloads the form with that type's attribute fields (static/kaizen/app.js).
        self.fields["ci_type"].widget.attrs["data-reload-form"] = "true"
        self.schema = self._schema()
        language = translation.get_language() or "ja"
        stored = self.instance.attributes if self.instance.pk else {}
        for definition in self.schema:
            name = ATTR_PREFIX + definition["name"]
            field = attribute_field(definition, language)
            self.fields[name] = field
            value = stored.get(definition["name"])
            if isinstance(value, bool):
                value = "true" if value else "false"
            self.initial.setdefault(name, value)
            if definition.get("required"):
                field.widget.attrs["aria-required"] = "true"
                field.label = f"{field.label} *"
        if not (self.instance.pk and control.strict([self.instance])):
            del self.fields["change"]
        else:
            self.fields["change"].required = True

    def _schema(self) -> list[dict[str, Any]]:
        raw = self.data.get("ci_type") if self.is_bound else self.initial.get("ci_type")
        type_id = raw if raw not in (None, "") else getattr(self.instance, "ci_type_id", None)
        try:
            ci_type = CIType.objects.filter(pk=int(type_id)).first() if type_id is not None else None
        except (TypeError, ValueError):
            ci_type = None
        schema = ci_type.attribute_schema if ci_type is not None else []
        return [d for d in schema if isinstance(d, dict) and "name" in d]

    def attribute_fields(self) -> list[Any]:
        """Return the bound attribute fields, for the template."""
        return [self[ATTR_PREFIX + d["name"]] for d in self.schema]

    def plain_fields(self) -> list[Any]:
        """Return the bound fields that are not attributes."""
        return [f for f in self.visible_fields() if not f.name.startswith(ATTR_PREFIX)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        raw = {d["name"]: cleaned.get(ATTR_PREFIX + d["name"]) for d in self.schema}
        values, errors = policies.clean_attributes(self.schema, raw)
        for name, message in errors.items():
            self.add_error(ATTR_PREFIX + name if ATTR_PREFIX + name in self.fields else None, message)
        self.instance.attributes = values
        self.instance.attributes_checked = True  # reported per field above; the service checks again
        cleaned["attributes"] = values
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        data["attributes"] = self.cleaned_data.get("attributes", {})
        arguments: dict[str, Any] = {"data": data}
        if self.instance.pk is not None:
            arguments["change"] = self.cleaned_data.get("change", "")
        return arguments


class RelationshipForm(RecordForm):
    """Relate two CIs (under a change when either is under strict change control)."""

    change = change_field(
        _("Needed when either CI is under strict change control: the change being implemented that lists it.")
    )

    class Meta:
        model = Relationship
        fields: ClassVar[list[str]] = ["source", "relationship_type", "target", "description"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk is not None:
            for name in ("source", "relationship_type", "target"):
                self.fields[name].disabled = True
            del self.fields["change"]
        self.fields["source"].queryset = self.fields["source"].queryset.select_related("ci_type")  # type: ignore[attr-defined]
        self.fields["target"].queryset = self.fields["target"].queryset.select_related("ci_type")  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        # organisation and validity are set by the service; model validation runs there.
        pass

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        if self.instance.pk is not None:
            return {"data": {"description": data.get("description", "")}}
        data.pop("change", None)
        return {"data": data, "change": self.cleaned_data.get("change", "")}


class SoftwareForm(RecordForm):
    """Add a software package (package URL) to a CI."""

    class Meta:
        model = SoftwareInstallation
        fields: ClassVar[list[str]] = ["ci", "purl", "package_version"]


class ImportForm(forms.Form):
    """Upload a CMDB import file and choose how to apply it."""

    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Shift_JIS, e.g. saved from Excel), JSON or YAML. Columns: external_id, name, "
            "type, organisation, status, owner_team, location, control_level, description, attr.<attribute>. "
            "An export of this list is a valid import file."
        ),
    )
    dry_run = forms.BooleanField(label=_("Check only (dry run)"), required=False, initial=True)
    continue_on_error = forms.BooleanField(
        label=_("Import the valid rows even if some rows are wrong"), required=False
    )
    organisation = forms.SlugField(
        label=_("Organisation code for rows without one"), required=False, max_length=50
    )
    change = change_field(
        _(
            "Needed when the file changes CIs under strict change control: the change being "
            "implemented that lists them."
        )
    )
