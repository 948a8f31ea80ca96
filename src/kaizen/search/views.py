"""The search page ``/search/?q=``: the same search as the API, for people (Japanese and English)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from kaizen.core import access
from kaizen.tickets import panels

from . import queries, similarity, sources
from .forms import SearchForm

PAGE = 20


@login_required
def page(request: HttpRequest) -> HttpResponse:
    """Search what the user may see; hits link to the record's own page."""
    form = SearchForm(request.GET or None)
    hits: list[dict[str, Any]] = []
    searched, has_more, offset, status = False, False, 0, 200
    if form.is_bound and form.is_valid() and form.cleaned_data["q"].strip():
        raw_offset = request.GET.get("offset", "0")
        offset = (
            int(raw_offset) if raw_offset.isascii() and raw_offset.isdigit() and len(raw_offset) < 6 else 0
        )
        kind = form.cleaned_data["type"]
        try:
            found = queries.search(
                request.user,
                form.cleaned_data["q"],
                types=[kind] if kind else None,
                limit=PAGE,
                offset=min(offset, queries.MAX_OFFSET),
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
            status = 400
        else:
            searched, has_more = True, found.has_more
            labels = dict(form.fields["type"].choices)
            hits = [
                {
                    "type": labels.get(h.record_type, h.record_type),
                    "number": h.number,
                    # Both are built by highlight.py from escaped text with <mark> around matches.
                    "title_html": mark_safe(h.title_html),  # noqa: S308
                    "snippet": mark_safe(h.snippet),  # noqa: S308
                    "url": sources.url_of(request.user, h.record_type, h.record_id),
                }
                for h in found.hits
            ]
    elif form.is_bound and form.errors:
        status = 400
    query = request.GET.copy()
    query["offset"] = str(offset + PAGE)
    return render(
        request,
        "search/search.html",
        {
            "form": form,
            "hits": hits,
            "searched": searched,
            "next_query": query.urlencode() if has_more else "",
        },
        status=status,
    )


@panels.register(35)
def similar_panel(request: HttpRequest, ticket: Any) -> tuple[str, dict[str, Any]] | None:
    """The ticket page panel: past incidents, problems and articles most alike to the ticket (staff)."""
    if not access.has_any_role(request.user, access.STAFF_ROLES):
        return None
    found = similarity.similar_to(request.user, ticket.kind, ticket.pk)
    if not found:
        return None
    labels = dict(SearchForm().fields["type"].choices)
    rows = [
        {
            "type": labels.get(s.record_type, s.record_type),
            "number": s.number,
            "title": s.title,
            "score": f"{s.score:.2f}",
            "url": sources.url_of(request.user, s.record_type, s.record_id),
        }
        for s in found
    ]
    return "search/_similar.html", {"similar": rows}
