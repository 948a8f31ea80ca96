"""The requester portal: report an incident, request from the catalogue, follow and answer own tickets.

A requester sees only the tickets they requested and only the public replies on them; every read
goes through ``visible_to``. Approvers (any login named on a catalogue item) decide here too.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaizen.approvals import services as approvals_service
from kaizen.approvals.choices import ApprovalState
from kaizen.approvals.models import Approval
from kaizen.core.services import ActionNotAllowed
from kaizen.core.ui.views import SERVICE_ERRORS, apply_service_errors
from kaizen.knowledge import services as knowledge
from kaizen.knowledge.models import Article
from kaizen.requests import services as requests
from kaizen.requests.models import CatalogItem
from kaizen.tickets import downloads, services, workflow
from kaizen.tickets.choices import ACTIVE_CATEGORIES, Kind, StateCategory, Visibility
from kaizen.tickets.models import Attachment, Comment, Ticket
from kaizen.tickets.models.ticket import MAX_TITLE

from .forms import FIELD_PREFIX, CatalogRequestForm, DecisionForm, IncidentForm, ReasonForm, ReplyForm


def _own(request: HttpRequest) -> Any:
    """Return the tickets the user requested (the portal never shows others, whatever the role)."""
    person = workflow.person_of(request.user)
    if person is None:
        return Ticket.objects.none()
    return Ticket.objects.visible_to(request.user).filter(requester=person).select_related("state", "service")


def _ticket(request: HttpRequest, pk: int) -> Ticket:
    ticket = _own(request).filter(pk=pk).first()
    if ticket is None:
        raise Http404(_("No such ticket, or it is not yours."))
    return ticket


def _url(ticket: Ticket) -> str:
    return reverse("portal:ticket", args=[ticket.pk])


def _errors(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The requester's tickets, open first, with the ways to ask for help."""
    show = request.GET.get("show", "open")
    qs = _own(request)
    qs = qs.filter(state_category__in=ACTIVE_CATEGORIES | {StateCategory.RESOLVED}) if show == "open" else qs
    approvals = Approval.objects.filter(
        approver=request.user, state=ApprovalState.WAITING, ticket__state_category=StateCategory.APPROVAL
    ).count()
    return render(
        request,
        "portal/home.html",
        {
            "tickets": list(qs.order_by("-id")[:200]),
            "show": show,
            "approvals": approvals,
            "has_person": workflow.person_of(request.user) is not None,
        },
    )


@login_required
def new_incident(request: HttpRequest) -> HttpResponse:
    """Report an incident (with an optional file)."""
    form = IncidentForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payload = {
            "title": data["title"],
            "description": data["description"],
            "urgency": data["urgency"],
            "channel": "portal",
        }
        if data.get("service"):
            payload["service"] = data["service"].pk
        try:
            with transaction.atomic():  # a refused file leaves no ticket behind
                ticket = services.create_ticket(actor=request.user, kind=Kind.INCIDENT, data=payload)
                upload = data.get("file")
                if upload is not None:
                    services.add_attachment(
                        ticket.pk, actor=request.user, name=upload.name, data=upload.read()
                    )
        except (*SERVICE_ERRORS, ActionNotAllowed) as exc:
            if isinstance(exc, ActionNotAllowed):
                form.add_error(None, str(exc))
            else:
                apply_service_errors(form, exc)
        else:
            suggested = request.POST.getlist("suggested")
            if suggested:  # the articles shown did not help: counts against the deflection rate
                with contextlib.suppress(ValidationError, PermissionDenied):
                    knowledge.record_ticket(
                        request.user, question=data["title"], ticket=ticket, suggested=suggested
                    )
            messages.success(request, _("Thank you. Your ticket is %(number)s.") % {"number": ticket.number})
            return HttpResponseRedirect(_url(ticket))
    context = {"form": form, "suggestions": _suggestions(request, request.POST.get("title", ""))}
    return render(request, "portal/new_incident.html", context, status=400 if form.errors else 200)


def _suggestions(request: HttpRequest, question: str) -> list[dict[str, Any]]:
    return [
        {
            "id": h.record_id,
            "number": h.number,
            # Built by kaizen.search.highlight from escaped text with <mark> around the matches.
            "title_html": mark_safe(h.title_html),  # noqa: S308
            "snippet": mark_safe(h.snippet),  # noqa: S308
            "url": reverse("knowledge:articles-detail", args=[h.record_id]),
        }
        for h in knowledge.suggest(request.user, question[:MAX_TITLE])
    ]


@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles that may answer what the requester is typing (htmx partial of the report form)."""
    question = request.GET.get("title", "")
    return render(request, "portal/_suggestions.html", {"suggestions": _suggestions(request, question)})


# -- the ask page: questions answered from published articles, or handed over as a ticket ----------

ASK_SALT = "kaizen.portal.ask"
ASK_DONE = "kaizen.portal.ask.done"
"""Session key: conversations already handed over (digest -> ticket id, the last twenty)."""
ASK_TURNS = 10
"""Questions one conversation keeps (the oldest are dropped); the hand-over carries them all."""


def _conversation(request: HttpRequest) -> list[dict[str, Any]]:
    """Return the turns so far from the signed hidden field (a tampered or stale one starts afresh)."""
    raw = request.POST.get("conversation", "")
    try:
        turns = signing.loads(raw, salt=ASK_SALT, max_age=86_400) if raw else []
    except signing.BadSignature:
        return []
    if not isinstance(turns, list):
        return []
    out = []
    for turn in turns[-ASK_TURNS:]:
        if isinstance(turn, dict) and isinstance(turn.get("q"), str) and isinstance(turn.get("ids"), list):
            out.append(
                {"q": turn["q"][:MAX_TITLE], "ids": [i for i in turn["ids"] if isinstance(i, int)][:5]}
            )
    return out


def _turn_view(
    request: HttpRequest, turns: list[dict[str, Any]], latest: list[dict[str, Any]] | None
) -> list[Any]:
    """Return the turns with their articles for display (a turn just asked with its marked-up hits)."""
    ids = {i for t in turns for i in t["ids"]}
    articles = {
        a.pk: a
        for a in Article.objects.visible_to(request.user).filter(pk__in=ids).only("pk", "number", "title")
    }
    shown = []
    for index, turn in enumerate(turns):
        if index == len(turns) - 1 and latest is not None:
            answers = latest
        else:
            answers = [
                {
                    "id": a.pk,
                    "number": a.number,
                    "title_html": a.title,
                    "url": reverse("knowledge:articles-detail", args=[a.pk]),
                }
                for i in turn["ids"]
                if (a := articles.get(i)) is not None
            ]
        shown.append({"q": turn["q"], "answers": answers, "ids": turn["ids"]})
    return shown


@login_required
def ask(request: HttpRequest) -> HttpResponse:
    """Ask in your own words: answers from published articles, or a hand-over to the service desk."""
    turns = _conversation(request) if request.method == "POST" else []
    latest: list[dict[str, Any]] | None = None
    error = ""
    if request.method == "POST":
        question = " ".join(request.POST.get("question", "").split())
        if not question:
            error = _("Type your question first.")
        elif len(question) > MAX_TITLE:
            error = _("At most %(n)s characters.") % {"n": MAX_TITLE}
        else:
            latest = _suggestions(request, question)
            turns = [*turns, {"q": question, "ids": [s["id"] for s in latest]}][-ASK_TURNS:]
            if not latest:  # nothing to offer: the question feeds the FAQ candidates
                with contextlib.suppress(ValidationError, PermissionDenied):
                    knowledge.record_unanswered(request.user, question=question)
    context = {
        "turns": _turn_view(request, turns, latest) if turns else [],
        "conversation": signing.dumps(turns, salt=ASK_SALT) if turns else "",
        "last_question": turns[-1]["q"] if turns else "",
        "error": error,
    }
    partial = bool(request.headers.get("HX-Request"))
    template = "portal/_ask_turns.html" if partial else "portal/ask.html"
    # htmx swaps only 2xx answers: the partial shows its error with a 200.
    return render(request, template, context, status=400 if error and not partial else 200)


def _transcript(request: HttpRequest, turns: list[dict[str, Any]]) -> str:
    ids = {i for t in turns for i in t["ids"]}
    numbers = dict(Article.objects.visible_to(request.user).filter(pk__in=ids).values_list("pk", "number"))
    lines = [_("Conversation on the ask page before this ticket:"), ""]
    for turn in turns:
        offered = ", ".join(numbers[i] for i in turn["ids"] if i in numbers) or _("no article found")
        lines += [_("Question: %(q)s") % {"q": turn["q"]}, _("Articles offered: %(a)s") % {"a": offered}, ""]
    return "\n".join(lines).strip()


@login_required
@require_POST
def ask_ticket(request: HttpRequest) -> HttpResponse:
    """Hand the conversation over to the service desk as an incident with the transcript."""
    turns = _conversation(request)
    if not turns:
        messages.error(request, _("Ask your question first."))
        return HttpResponseRedirect(reverse("portal:ask"))
    # A second submission of the same conversation (a double click, a retry) opens no second ticket.
    key = hashlib.sha256(request.POST.get("conversation", "").encode()).hexdigest()[:24]
    done: dict[str, int] = request.session.get(ASK_DONE, {})
    existing = _own(request).filter(pk=done.get(key, 0)).first()
    if existing is not None:
        return HttpResponseRedirect(_url(existing))
    payload = {
        "title": turns[0]["q"][:MAX_TITLE],
        "description": _transcript(request, turns),
        "channel": "chat",
    }
    try:
        ticket = services.create_ticket(actor=request.user, kind=Kind.INCIDENT, data=payload)
    except (*SERVICE_ERRORS, ActionNotAllowed) as exc:
        messages.error(request, _errors(exc))
        return HttpResponseRedirect(reverse("portal:ask"))
    request.session[ASK_DONE] = {**dict(list(done.items())[-20:]), key: ticket.pk}
    offered = [i for t in turns for i in t["ids"]]
    if offered:  # articles were offered and did not help: counts against the deflection rate
        with contextlib.suppress(ValidationError, PermissionDenied):
            knowledge.record_ticket(request.user, question=turns[-1]["q"], ticket=ticket, suggested=offered)
    messages.success(request, _("Thank you. Your ticket is %(number)s.") % {"number": ticket.number})
    return HttpResponseRedirect(_url(ticket))


@login_required
@require_POST
def answered(request: HttpRequest) -> HttpResponse:
    """The requester found the answer in a suggested article: record it, create no ticket."""
    try:
        knowledge.record_answered(
            request.user,
            question=request.POST.get("title", ""),
            article_id=request.POST.get("article"),
            suggested=request.POST.getlist("suggested"),
        )
    except Article.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("portal:new-incident"))
    messages.success(request, _("Glad the article helped. No ticket was created."))
    return HttpResponseRedirect(reverse("portal:home"))


@login_required
def catalogue(request: HttpRequest) -> HttpResponse:
    """What can be requested, by service."""
    items = list(
        CatalogItem.objects.visible_to(request.user)
        .filter(is_active=True, service__lifecycle="live")
        .select_related("service")
        .distinct()
    )
    return render(request, "portal/catalogue.html", {"items": items})


@login_required
def request_item(request: HttpRequest, pk: int) -> HttpResponse:
    """Request one catalogue item through its form."""
    item = (
        CatalogItem.objects.visible_to(request.user)
        .filter(pk=pk, is_active=True)
        .select_related("service")
        .first()
    )
    if item is None:
        raise Http404(_("No such catalogue item, or you may not request it."))
    form = CatalogRequestForm(request.POST or None, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = requests.request_item(
                actor=request.user,
                item=item,
                values=form.values(),
                description=form.cleaned_data.get("description", ""),
                urgency=form.cleaned_data.get("urgency"),
            )
        except ValidationError as exc:
            for key, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
                name = (
                    FIELD_PREFIX + key.removeprefix("form_values.")
                    if key.startswith("form_values.")
                    else None
                )
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        except (*SERVICE_ERRORS, ActionNotAllowed) as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Thank you. Your request is %(number)s.") % {"number": ticket.number})
            return HttpResponseRedirect(_url(ticket))
    return render(
        request, "portal/request_item.html", {"item": item, "form": form}, status=400 if form.errors else 200
    )


@login_required
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the requester's tickets: state, public replies, files, reply and confirm."""
    item = _ticket(request, pk)
    return _page(request, item)


def _page(
    request: HttpRequest, item: Ticket, *, reply: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    comments = list(
        Comment.objects.visible_to(request.user)
        .filter(ticket=item, visibility=Visibility.PUBLIC)
        .prefetch_related("attachments")
    )
    files = list(Attachment.objects.visible_to(request.user).filter(ticket=item, comment__isnull=True))
    actions = {t.code for t in workflow.available(item, request.user)}
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": item,
            "comments": comments,
            "files": files,
            "reply": reply or ReplyForm(),
            "reason": ReasonForm(),
            "can_reopen": "reopen" in actions,
            "can_cancel": "cancel" in actions,
            "can_confirm": item.state_category == StateCategory.RESOLVED and item.confirmed_at is None,
            "can_reply": item.state_category not in (StateCategory.CLOSED, StateCategory.CANCELLED),
            "approvals": (
                list(item.approvals.exclude(state="delegated").select_related("approver"))
                if item.kind == Kind.REQUEST
                else []
            ),
        },
        status=status,
    )


@login_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the service desk (a reply to a ticket waiting for you resumes it)."""
    item = _ticket(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                comment = services.add_comment(
                    item.pk, actor=request.user, body=form.cleaned_data["body"], visibility=Visibility.PUBLIC
                )
                upload = form.cleaned_data.get("file")
                if upload is not None:
                    services.add_attachment(
                        item.pk,
                        actor=request.user,
                        name=upload.name,
                        data=upload.read(),
                        comment_id=comment.pk,
                    )
        except SERVICE_ERRORS as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Your reply was sent."))
            return HttpResponseRedirect(_url(item))
    return _page(request, _ticket(request, pk), reply=form, status=400)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm that the problem is solved."""
    item = _ticket(request, pk)
    try:
        done = services.confirm_resolution(item.pk, actor=request.user)
        if done.state_category == StateCategory.CLOSED:
            messages.success(request, _("Thank you for confirming. The ticket is closed."))
        else:
            messages.success(request, _("Thank you for confirming. The service desk will close the ticket."))
    except (*SERVICE_ERRORS, ActionNotAllowed) as exc:
        messages.error(request, _errors(exc))
    return HttpResponseRedirect(_url(item))


@login_required
@require_POST
def act(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Reopen or cancel one's own ticket, with a reason."""
    item = _ticket(request, pk)
    if code not in ("reopen", "cancel"):
        raise Http404
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why."))
        return HttpResponseRedirect(_url(item))
    try:
        services.apply_action(
            item.pk,
            code,
            actor=request.user,
            version=item.version,
            params={"comment": form.cleaned_data["comment"]},
        )
    except (*SERVICE_ERRORS, ActionNotAllowed) as exc:
        messages.error(request, _errors(exc))
    return HttpResponseRedirect(_url(item))


@login_required
def download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download a file of one's own ticket."""
    attachment = Attachment.objects.visible_to(request.user).filter(pk=pk).select_related("ticket").first()
    person = workflow.person_of(request.user)
    if attachment is None or person is None or attachment.ticket.requester_id != person.pk:
        raise Http404
    return downloads.attachment_response(request.user, pk, inline=request.GET.get("inline") == "1")


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """The requests waiting for the user's approval, and their decisions."""
    if request.method == "POST":
        form = DecisionForm(request.POST)
        approval_id = request.POST.get("approval", "")
        if form.is_valid() and approval_id.isdigit():
            try:
                approvals_service.decide(
                    int(approval_id),
                    actor=request.user,
                    approve=form.cleaned_data["decision"] == "approve",
                    comment=form.cleaned_data.get("comment", ""),
                )
                messages.success(request, _("Your decision was recorded."))
            except (ValidationError, PermissionDenied, ActionNotAllowed) as exc:
                messages.error(request, _errors(exc))
        else:
            messages.error(request, _("Choose approve or reject."))
        return HttpResponseRedirect(reverse("portal:approvals"))
    rows = (
        Approval.objects.filter(approver=request.user)
        .select_related("ticket__state", "ticket__requester")
        .order_by("state", "-id")[:200]
    )
    return render(request, "portal/approvals.html", {"rows": rows, "form": DecisionForm()})
