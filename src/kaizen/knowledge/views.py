"""Pages of knowledge management: the article list (with the overdue review filter), the article page
(rendered text, feedback, versions, moves), its form, the comparison of two versions, drafts from
tickets and the panel of the ticket page.

Thin: parse, authorise (``visible_to``/``can``), call one service or query, render. A refused write
shows the message on the article page (400, 403 or 409), never a 500.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kaizen.core import access
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.core.ui.registry import ModelUI
from kaizen.core.ui.views import RecordDetailView, refused_page
from kaizen.tickets import panels
from kaizen.tickets.choices import Kind, StateCategory
from kaizen.tickets.models import Ticket

from . import policies, queries, services
from .choices import ArticleAction
from .filters import ArticleFilter
from .forms import ArticleForm, DiffForm, DraftForm, FeedbackForm, MoveForm
from .models import WRITERS, Article

ERRORS = (ValidationError, PermissionDenied, ConflictError, ActionNotAllowed)
RECENT_VERSIONS = 20


def _text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You do not have permission to do this.")


def _status(exc: Exception) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, ConflictError | ActionNotAllowed):
        return 409
    return 400


def _form_text(form: Any) -> str:
    return " ".join(
        f"{form.fields[k].label or k}: {e}" if k in form.fields else str(e)
        for k, errs in form.errors.items()
        for e in errs
    )


class ArticleUI(ModelUI):
    """Pages of knowledge articles."""

    model = Article
    slug = "articles"
    namespace = "knowledge"
    form_class = ArticleForm
    filterset_class = ArticleFilter
    columns = ("number", "title", "state", "audience", "service", "review_due_on", "owner")
    sortable = ("number", "title", "state", "review_due_on", "view_count")
    detail_fields = (
        "state",
        "audience",
        "organisation",
        "service",
        "category",
        "owner",
        "reviewers",
        "revision",
        "review_interval_days",
        "review_due_on",
        "published_at",
        "published_by",
        "retired_at",
        "source_ticket",
        "view_count",
    )
    select_related = ("organisation", "service", "owner", "category", "published_by", "source_ticket")
    prefetch_related = ("reviewers",)
    detail_template = "knowledge/article_detail.html"
    create_service = staticmethod(services.create_article)
    update_service = staticmethod(services.update_article)
    delete_service = staticmethod(services.delete_article)

    @classmethod
    def list_actions(cls, request: Any) -> list[dict[str, str]]:
        if access.has_any_role(request.user, access.STAFF_ROLES):
            url = reverse("knowledge:articles-list") + "?review=overdue"
            actions = [{"label": _("Overdue for review"), "url": url}]
            if access.has_any_role(request.user, WRITERS):
                actions.append({"label": _("FAQ candidates"), "url": reverse("knowledge:faq")})
            return actions
        return []

    @classmethod
    def extra_context(cls, obj: Any, user: Any) -> dict[str, Any]:
        facts = services.actor_facts(obj, user)
        moves = [
            {
                "code": code,
                "label": ArticleAction(code).label,
                "url": reverse("knowledge:action", args=[obj.pk, code]),
            }
            for code in policies.moves(obj.state, facts)
        ]
        staff = queries.staff_reads(obj, user)
        versions = list(queries.versions(obj)[:RECENT_VERSIONS]) if staff else []
        mine = queries.feedback_of(obj, user)
        return {
            "article": obj,
            "staff": staff,
            "moves": moves,
            "votes": queries.votes(obj),
            "my_feedback": mine,
            "can_give_feedback": obj.state == "published" and mine is None,
            "feedback_form": FeedbackForm(),
            "comments": queries.comments(obj, user),
            "versions": versions,
            "overdue": policies.is_overdue(obj.state, obj.review_due_on, timezone.localdate()),
            "content_editable": obj.state in policies.EDITABLE_STATES,
        }


class ArticleDetailView(RecordDetailView):
    """The article page; opening it counts a view. Refused writes from its forms are shown on it."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        response = super().get(request, pk)
        if response.status_code == 200 and request.method == "GET":
            services.record_view(pk, actor=request.user)
        return response


ArticleUI.detail_view = ArticleDetailView


def _page(request: HttpRequest, article_id: int, status: int, message: str) -> HttpResponse:
    return refused_page(ArticleUI, request, article_id, status, message)


def _visible(request: HttpRequest, pk: int) -> Article:
    found = Article.objects.visible_to(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such record, or you may not see it."))
    return found


def _detail(article_id: int) -> str:
    return reverse("knowledge:articles-detail", args=[article_id])


@login_required
@require_POST
def action(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Submit, publish, return to draft, revise, confirm the review or retire an article."""
    article = _visible(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return _page(request, article.pk, 400, _form_text(form))
    try:
        done = services.transition(
            article.pk,
            code,
            actor=request.user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data.get("note", ""),
        )
    except ERRORS as exc:
        return _page(request, article.pk, _status(exc), _text(exc))
    label = ArticleAction(code).label if code in ArticleAction.values else code
    messages.success(
        request, _("%(article)s: %(action)s — done.") % {"article": done.number, "action": label}
    )
    return HttpResponseRedirect(_detail(done.pk))


@login_required
@require_POST
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    """Record whether the article helped the reader."""
    article = _visible(request, pk)
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _page(request, article.pk, 400, _form_text(form))
    try:
        services.give_feedback(
            article.pk,
            actor=request.user,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data.get("comment", ""),
        )
    except ERRORS as exc:
        return _page(request, article.pk, _status(exc), _text(exc))
    messages.success(request, _("Thank you for your feedback."))
    return HttpResponseRedirect(_detail(article.pk) + "#feedback")


@login_required
@require_GET
def diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Compare two versions of an article (``?old=1&new=2``; the last two by default; staff)."""
    article = _visible(request, pk)
    if not queries.staff_reads(article, request.user):
        raise PermissionDenied(_("Versions are for the staff who maintain the article."))
    versions = list(queries.versions(article)[:500])
    numbers = [v.number for v in versions]
    initial = {"new": numbers[0], "old": numbers[1] if len(numbers) > 1 else numbers[0]} if numbers else {}
    form = DiffForm(request.GET or initial)
    found, status = None, 200
    if form.is_valid():
        found = queries.diff(article, form.cleaned_data["old"], form.cleaned_data["new"])
        if found is None:
            form.add_error(None, _("No such version of this article."))
            status = 400
    else:
        status = 400
    return render(
        request,
        "knowledge/article_diff.html",
        {
            "article": article,
            "form": form,
            "versions": versions,
            "old": found[0] if found else None,
            "new": found[1] if found else None,
            "lines": found[2] if found else [],
            "detail_url": _detail(article.pk),
            "list_url": reverse("knowledge:articles-list"),
        },
        status=status,
    )


@login_required
@require_POST
def draft(request: HttpRequest) -> HttpResponse:
    """Draft an article from a resolved incident or a problem, then open it for editing."""
    if not access.has_any_role(request.user, WRITERS):
        raise PermissionDenied(_("You do not have permission to do this."))
    form = DraftForm(request.POST)
    ticket_id = form.cleaned_data["ticket"] if form.is_valid() else None
    back = reverse("tickets:ticket", args=[ticket_id]) if ticket_id else reverse("knowledge:articles-list")
    if ticket_id is None:
        messages.error(request, _form_text(form))
        return HttpResponseRedirect(back)
    try:
        article = services.draft_from_ticket(ticket_id, actor=request.user)
    except ERRORS as exc:
        messages.error(request, _text(exc))
        return HttpResponseRedirect(back)
    messages.success(
        request, _("%(number)s was drafted: edit it, then submit it for review.") % {"number": article.number}
    )
    return HttpResponseRedirect(reverse("knowledge:articles-edit", args=[article.pk]))


@panels.register(40)
def article_panel(request: HttpRequest, ticket: Ticket) -> tuple[str, dict[str, Any]] | None:
    """Articles drafted from a ticket, and "Draft an article" on resolved incidents and problems."""
    if ticket.kind not in (Kind.INCIDENT, Kind.PROBLEM) or not access.has_any_role(
        request.user, access.STAFF_ROLES
    ):
        return None
    drafted = list(queries.articles(request.user).filter(source_ticket=ticket).order_by("-id")[:20])
    ready = ticket.kind == Kind.PROBLEM or ticket.state_category in (
        StateCategory.RESOLVED,
        StateCategory.CLOSED,
    )
    can_draft = ready and access.has_any_role(request.user, WRITERS)
    if not drafted and not can_draft:
        return None
    return ("knowledge/_ticket_panel.html", {"drafted": drafted, "can_draft": can_draft})
