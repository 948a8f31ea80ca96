"""Forms of the request catalogue pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.accounts.models import Team, User
from kaizen.cmdb.forms import JSONSchemaField
from kaizen.core.forms import RecordForm

from .models import CatalogItem, FulfilmentTask

MAX_LINES = 20


class CatalogItemForm(RecordForm):
    """A catalogue item: its form fields (JSON), approvers in order and fulfilment tasks."""

    form_schema = JSONSchemaField(
        label=_("Form fields"),
        required=False,
        max_length=100_000,
        help_text=_(
            'A JSON list such as [{"name": "start_date", "label": "利用開始日", "label_en": "Start date", '
            '"type": "date", "required": true}, {"name": "size", "label": "容量", "type": "enum", '
            '"choices": ["10GB", "50GB"]}]. '
            "Types: string, text, integer, decimal, boolean, date, ip, cidr, hostname, port, url, email, "
            "enum."
        ),
    )
    approver_names = forms.CharField(
        label=_("Approvers"),
        required=False,
        max_length=2000,
        help_text=_("Login names in the order they approve, separated by commas."),
    )
    task_lines = forms.CharField(
        label=_("Fulfilment tasks"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One task per line: title | team name."),
    )

    class Meta:
        model = CatalogItem
        fields = [
            "service",
            "name",
            "name_en",
            "description",
            "form_schema",
            "approval_mode",
            "team",
            "is_active",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.initial["approver_names"] = ", ".join(
                self.instance.approver_rows.select_related("user").values_list("user__username", flat=True)
            )
            self.initial["task_lines"] = "\n".join(
                f"{t.title} | {t.team.name}" for t in self.instance.task_templates.select_related("team")
            )

    def clean_approver_names(self) -> list[User]:
        names = [n.strip() for n in (self.cleaned_data.get("approver_names") or "").split(",") if n.strip()]
        users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        missing = [n for n in names if n not in users]
        if missing:
            raise forms.ValidationError(_("Unknown logins: %(names)s") % {"names": ", ".join(missing[:10])})
        return [users[n] for n in names]

    def clean_task_lines(self) -> list[tuple[str, Team]]:
        lines = [
            line.strip() for line in (self.cleaned_data.get("task_lines") or "").splitlines() if line.strip()
        ]
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("At most %(n)s tasks.") % {"n": MAX_LINES})
        teams = Team.objects.visible_to(self.user)
        out = []
        for number, line in enumerate(lines, start=1):
            title, _sep, team_name = line.partition("|")
            team = teams.filter(name=team_name.strip()).first()
            if not title.strip() or team is None:
                raise forms.ValidationError(
                    _("Line %(n)s: write the title, a | and the name of a team you can see.") % {"n": number}
                )
            out.append((title.strip()[:200], team))
        return out

    def service_arguments(self) -> dict[str, Any]:
        return {
            "data": self.data_fields(),
            "approvers": self.cleaned_data.get("approver_names", []),
            "tasks": self.cleaned_data.get("task_lines", []),
        }


class TaskForm(forms.Form):
    """Mark a fulfilment task done (or cancelled), with a note."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    state = forms.ChoiceField(
        choices=[("done", _("Done")), ("cancelled", _("Cancelled")), ("open", _("Open"))]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000)


__all__ = ["CatalogItemForm", "FulfilmentTask", "TaskForm"]
