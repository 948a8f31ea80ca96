"""Forms of the portfolio pages."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core import access
from kaizen.core.forms import RecordForm

from .choices import PackageRole
from .models import PackageMember, Service, ServiceDependency, ServicePackage

DIRECTIONS = [("up", _("What depends on it (impact)")), ("down", _("What it needs (dependencies)"))]


class ServiceForm(RecordForm):
    """Create or edit a service and its customers."""

    class Meta:
        model = Service
        fields: ClassVar[list[str]] = [
            "name",
            "code",
            "organisation",
            "lifecycle",
            "planned_live_on",
            "live_since",
            "retired_on",
            "provider_kind",
            "supplier",
            "owner_team",
            "owner",
            "service_hours",
            "customers",
            "description",
        ]
        widgets: ClassVar[dict[str, Any]] = {
            "planned_live_on": forms.DateInput(attrs={"type": "date"}),
            "live_since": forms.DateInput(attrs={"type": "date"}),
            "retired_on": forms.DateInput(attrs={"type": "date"}),
        }

    def service_arguments(self) -> dict[str, Any]:
        return {"data": self.data_fields(), "customers": list(self.cleaned_data.get("customers") or [])}


class PackageForm(RecordForm):
    """Create or edit a service package: its core, enabling and enhancing services."""

    core = forms.ModelMultipleChoiceField(
        label=_("Core services"), queryset=Service.objects.none(), required=False
    )
    enabling = forms.ModelMultipleChoiceField(
        label=_("Enabling services"), queryset=Service.objects.none(), required=False
    )
    enhancing = forms.ModelMultipleChoiceField(
        label=_("Enhancing services"), queryset=Service.objects.none(), required=False
    )

    class Meta:
        model = ServicePackage
        fields: ClassVar[list[str]] = ["name", "code", "organisation", "description"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        visible = access.restrict(Service.objects.all(), user, "view")
        for role in PackageRole.values:
            field = self.fields[role]
            field.queryset = visible  # type: ignore[attr-defined]
            field.widget.attrs["size"] = 6
            if self.instance.pk is not None:
                self.initial.setdefault(
                    role,
                    list(
                        PackageMember.objects.filter(package=self.instance, role=role).values_list(
                            "service_id", flat=True
                        )
                    ),
                )

    def service_arguments(self) -> dict[str, Any]:
        members = {role: list(self.cleaned_data.get(role) or []) for role in PackageRole.values}
        return {"data": self.data_fields(), "members": members}


class DependencyForm(RecordForm):
    """Record that a service needs another service or a CI."""

    class Meta:
        model = ServiceDependency
        fields: ClassVar[list[str]] = ["service", "depends_on_service", "depends_on_ci", "description"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk is not None:
            for name in ("service", "depends_on_service", "depends_on_ci"):
                self.fields[name].disabled = True

    def _post_clean(self) -> None:
        # organisation and validity are set by the service; model validation runs there.
        neither_or_both = (self.cleaned_data.get("depends_on_service") is None) == (
            self.cleaned_data.get("depends_on_ci") is None
        )
        if neither_or_both and self.instance.pk is None:
            self.add_error(None, _("Choose either a service or a CI."))

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        if self.instance.pk is not None:
            return {"data": {"description": data.get("description", "")}}
        return {"data": data}


class ImpactForm(forms.Form):
    """Options of the impact analysis page."""

    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, required=False)
    depth = forms.IntegerField(label=_("Depth limit"), min_value=1, max_value=50, required=False)
    as_of = forms.DateTimeField(
        label=_("As of"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Show the dependencies as they were at this moment (empty: now)."),
    )
