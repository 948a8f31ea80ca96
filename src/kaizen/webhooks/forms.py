"""Forms of the webhook pages."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from . import policies
from .models import WebhookEndpoint


class EndpointForm(RecordForm):
    """Create or edit a webhook endpoint; topics are typed one per line (or comma-separated)."""

    topics = forms.CharField(
        label=_("Topics"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=policies.MAX_TOPICS * (policies.MAX_TOPIC + 1),
        help_text=_("One per line: exact topics (ticket.created), prefixes (ticket.*) or * for every event."),
    )
    new_secret = forms.BooleanField(
        label=_("Generate a new signing secret"),
        required=False,
        help_text=_("The receiver must then verify with the new secret shown on the endpoint's page."),
    )

    class Meta:
        model = WebhookEndpoint
        fields: ClassVar[list[str]] = ["name", "url", "topics", "is_active", "allow_private", "description"]
        widgets: ClassVar[dict[str, Any]] = {"url": forms.URLInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk is None:
            del self.fields["new_secret"]
            self.initial.setdefault("topics", "*")
        elif isinstance(self.instance.topics, list) and "topics" not in self.data:
            self.initial["topics"] = "\n".join(str(t) for t in self.instance.topics)

    def clean_topics(self) -> list[str]:
        topics = policies.parse_topics(self.cleaned_data.get("topics") or "")
        problems = policies.topic_problems(topics)
        if problems:
            raise forms.ValidationError(problems)
        return topics

    def service_arguments(self) -> dict[str, Any]:
        data = self.data_fields()
        if self.cleaned_data.get("new_secret"):
            data["secret"] = ""
        return {"data": data}
