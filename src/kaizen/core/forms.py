"""Form base classes shared by every domain's UI."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from kaizen.core import access


class RecordForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm for a :class:`~kaizen.core.models.Record` used with the generic views.

    It carries the record ``version`` the user started from (optimistic locking) and limits
    every related-record choice to what the user may see, through ``visible_to``.
    Domain forms declare ``Meta.model`` and ``Meta.fields`` and may override
    :meth:`service_arguments` to split data for their service (many-to-many lists, ...).
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk is not None:
            self.fields["version"].initial = self.instance.version
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset.model, "access_policy"):
                field.queryset = access.restrict(queryset, user, "view")  # type: ignore[attr-defined]
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 4
            elif isinstance(field.widget, forms.SelectMultiple):
                field.widget.attrs["size"] = 8
                if not field.help_text:
                    field.help_text = _("Hold Ctrl (⌘ on a Mac) to select several.")

    def clean_version(self) -> int | None:
        value: int | None = self.cleaned_data.get("version")
        if self.instance.pk is not None and value is None:
            raise forms.ValidationError(_("The form is missing the record version. Reload the page."))
        return value

    def data_fields(self) -> dict[str, Any]:
        """Return cleaned values of the model's own (non many-to-many) fields."""
        m2m = {f.name for f in self._meta.model._meta.many_to_many}
        names = [n for n in self._meta.fields or () if n not in m2m and n in self.cleaned_data]
        return {n: self.cleaned_data[n] for n in names}

    def service_arguments(self) -> dict[str, Any]:
        """Return the keyword arguments for the create/update service besides actor/version."""
        return {"data": self.data_fields()}


def model_label(model: type[Model]) -> str:
    """Return ``app_label.model_name``, the record type used in the audit trail."""
    return model._meta.label_lower
