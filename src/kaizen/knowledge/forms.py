"""Forms of the article pages: the article, its moves, feedback, version comparison, drafts from tickets."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from kaizen.core.forms import RecordForm

from . import policies
from .models import MAX_COMMENT, Article

MAX_VERSION = 10**9
MAX_ID = 2**63 - 1


class ArticleForm(RecordForm):
    """Write or edit an article; outside draft its title, text and audience are read-only."""

    review_interval_days = forms.IntegerField(
        label=_("Re-review every (days)"),
        min_value=1,
        max_value=policies.MAX_REVIEW_DAYS,
        initial=policies.REVIEW_DAYS,
        help_text=_("The next re-review is due this many days after publication or the last review."),
    )

    class Meta:
        model = Article
        fields: ClassVar[list[str]] = [
            "organisation",
            "title",
            "service",
            "category",
            "audience",
            "owner",
            "reviewers",
            "review_interval_days",
            "body",
        ]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["body"].widget.attrs["rows"] = 18
        self.fields["body"].strip = False  # type: ignore[attr-defined]  # Markdown keeps its whitespace
        category = self.fields["category"]
        current = self.instance.category_id
        category.queryset = category.queryset.filter(is_active=True) | category.queryset.filter(pk=current)  # type: ignore[attr-defined]
        if self.instance.pk is not None and self.instance.state not in policies.EDITABLE_STATES:
            for name in ("title", "body", "audience"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("Start a new revision to change this.")

    def service_arguments(self) -> dict[str, Any]:
        data = {k: v for k, v in self.data_fields().items() if not self.fields[k].disabled}
        return {"data": data, "reviewers": list(self.cleaned_data.get("reviewers") or [])}


class MoveForm(forms.Form):
    """The version a page was rendered from (optimistic locking), and a note for the audit trail."""

    version = forms.IntegerField(min_value=1, max_value=MAX_VERSION)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 2})
    )


class FeedbackForm(forms.Form):
    """Did the article help? With an optional comment."""

    helpful = forms.TypedChoiceField(
        label=_("Did this article help?"),
        choices=[("yes", _("Yes, it helped")), ("no", _("No, it did not help"))],
        coerce=lambda value: value == "yes",
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DiffForm(forms.Form):
    """Two versions of an article to compare."""

    old = forms.IntegerField(label=_("From version"), min_value=1, max_value=MAX_VERSION)
    new = forms.IntegerField(label=_("To version"), min_value=1, max_value=MAX_VERSION)


class DraftForm(forms.Form):
    """The ticket a draft is written from."""

    ticket = forms.IntegerField(min_value=1, max_value=MAX_ID)
