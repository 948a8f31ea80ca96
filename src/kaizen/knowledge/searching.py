"""Knowledge articles in the search index: their documents, who sees them, and keeping them current.

The search app knows no domain; this module registers articles as a source (record type
``article``) and re-indexes an article after each committed write of it (outbox handlers, like the
tickets' in ``kaizen.search.receivers``). Who sees a hit is ``Article.objects.visible_to``: a
requester finds only published articles meant for requesters, of their providers and services.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from kaizen.core import events
from kaizen.search import services as search
from kaizen.search import sources
from kaizen.search.choices import Audience as SearchAudience
from kaizen.search.models import MAX_EXCERPT

from .choices import Audience
from .models import Article, readable_organisations

RECORD_TYPE = "article"


def _visible(user: Any) -> QuerySet[Any]:
    return Article.objects.visible_to(user).values("pk")


_MARKUP = re.compile(r"[*_`#>|~]+|^\s*(?:[-+]|\d+\.)\s+", re.MULTILINE)
"""Markdown emphasis, headings, quotes, tables and list markers, left out of the excerpt shown in hits."""


def document(article: Article) -> sources.Document:
    """Return the searchable text of an article: its title and Markdown text (excerpt without markup)."""
    shown = SearchAudience.ORGANISATION if article.audience == Audience.REQUESTERS else SearchAudience.STAFF
    return sources.Document(
        record_type=RECORD_TYPE,
        record_id=article.pk,
        organisation_id=article.organisation_id,
        number=article.number,
        title=article.title,
        body=article.body,
        excerpt=_MARKUP.sub("", article.body)[:MAX_EXCERPT],
        audience=shown,
    )


def _url(user: Any, record_type: str, record_id: int) -> str:
    return reverse("knowledge:articles-detail", args=[record_id])


def _documents(ids: Iterable[int] | None) -> Iterator[sources.Document]:
    rows = Article.objects.only("pk", "number", "title", "body", "audience", "organisation_id").order_by("pk")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids)).select_for_update()
    for article in rows.iterator(chunk_size=500):
        yield document(article)


SOURCE = sources.register(
    sources.Source(
        name="knowledge",
        record_types=frozenset({RECORD_TYPE}),
        visible=_visible,
        documents=_documents,
        url=_url,
        organisations=readable_organisations,
    )
)


@events.handler("knowledge.article_changed")
def index_changed_article(payload: dict[str, Any]) -> None:
    """Index an article after it was written, changed or deleted."""
    search.reindex_record(SOURCE.name, int(payload["article_id"]))


@events.handler("knowledge.article_state_changed")
def index_moved_article(payload: dict[str, Any]) -> None:
    """Index an article again after a move (publication makes it findable by requesters)."""
    search.reindex_record(SOURCE.name, int(payload["article_id"]))
