"""Pages of FAQ candidates (``/knowledge/faq/``): start a run, follow its progress, read its topics,
draft an article from a topic no article covers. Thin: parse, authorise, call one service, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kaizen.accounts.models import Organisation
from kaizen.core import access

from . import faq
from .choices import FaqState
from .models import WRITERS, FaqCluster

PERIODS = [(30, gettext_lazy("30 days")), (90, gettext_lazy("90 days")), (365, gettext_lazy("1 year"))]


class RunForm(forms.Form):
    """Which inquiries to group: a period and, optionally, one organisation."""

    days = forms.TypedChoiceField(label=gettext_lazy("Period"), choices=PERIODS, coerce=int, initial=90)
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=gettext_lazy("Every organisation I may see"),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = Organisation.objects.visible_to(user).order_by("name")  # type: ignore[attr-defined]


def _writer(user: Any) -> bool:
    return access.has_any_role(user, WRITERS)


@login_required
def runs(request: HttpRequest) -> HttpResponse:
    """The runs so far, and the form that starts one."""
    if not _writer(request.user):
        raise PermissionDenied
    form = RunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        org = form.cleaned_data["organisation"]
        try:
            run = faq.start_run(
                actor=request.user, data={"days": form.cleaned_data["days"], "organisation": org}
            )
        except (PermissionDenied, ValidationError) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            return HttpResponseRedirect(reverse("knowledge:faq-run", args=[run.pk]))
    rows = faq.runs_for(request.user).select_related("organisation")[:20]
    return render(
        request, "knowledge/faq_runs.html", {"form": form, "runs": rows}, status=400 if form.errors else 200
    )


@login_required
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A run: its progress while it works (the page polls), then its topics, largest first."""
    if not _writer(request.user):
        raise PermissionDenied
    faq.settle_stale()
    run = faq.runs_for(request.user).select_related("organisation").filter(pk=pk).first()
    if run is None:
        raise Http404
    clusters = list(run.clusters.select_related("article", "draft")) if run.state == FaqState.DONE else []
    context = {"run": run, "clusters": clusters, "working": run.state in (FaqState.QUEUED, FaqState.RUNNING)}
    template = (
        "knowledge/_faq_progress.html" if request.headers.get("HX-Request") else "knowledge/faq_run.html"
    )
    response = render(request, template, context)
    if request.headers.get("HX-Request") and not context["working"]:
        response["HX-Refresh"] = "true"  # done: show the topics
    return response


@login_required
@require_POST
def draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft an article from a topic (once: a second click opens the same draft)."""
    try:
        article = faq.draft_from_cluster(pk, actor=request.user)
    except FaqCluster.DoesNotExist:
        raise Http404 from None
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        cluster = FaqCluster.objects.filter(pk=pk).values_list("run_id", flat=True).first()
        return HttpResponseRedirect(
            reverse("knowledge:faq-run", args=[cluster]) if cluster else reverse("knowledge:faq")
        )
    messages.success(
        request, _("%(number)s was drafted from the topic; write the answer.") % {"number": article.number}
    )
    return HttpResponseRedirect(reverse("knowledge:articles-edit", args=[article.pk]))
