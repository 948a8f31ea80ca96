"""Forms of the approval inbox."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_COMMENT


class DecisionForm(forms.Form):
    """An approver's decision, or a delegation to another login."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject")), ("delegate", _("Delegate"))]
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=MAX_COMMENT)
    to = forms.CharField(label=_("Delegate to (login name)"), required=False, max_length=150)
