"""Every write of the search index: index a record, remove it, rebuild everything.

The index is derived data (no audit rows, no version): ``receivers.py`` keeps it current after
each ticket write, :func:`reindex_all` rebuilds it from the sources (after an upgrade, or to
repair). :func:`search` is the read, for callers that only know the services.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import transaction

from . import analyzer, queries, similarity, sources
from .models import SearchEntry
from .sources import Document

BATCH = 200


def index(document: Document) -> SearchEntry:
    """Store ``document`` in the index, replacing what the index held for that record.

    A record that changed type within its source (a ticket reclassified) loses its old entry.
    """
    return _store(document, _tokens(document), similarity.vector_of(document.title, document.excerpt))


def _tokens(document: Document) -> str:
    return analyzer.index_text(f"{document.title}\n{document.body}")


def _store(document: Document, tokens: str, vector: bytes | None) -> SearchEntry:
    source = sources.source_of(document.record_type)
    others = sorted(source.record_types - {document.record_type}) if source else []
    with transaction.atomic():
        if others:
            SearchEntry.objects.filter(record_type__in=others, record_id=document.record_id).delete()
        entry, _created = SearchEntry.objects.update_or_create(
            record_type=document.record_type,
            record_id=document.record_id,
            defaults={
                "organisation_id": document.organisation_id,
                "audience": document.audience,
                "number": document.number[:30],
                "title": document.title[:300],
                "excerpt": document.excerpt,
                "tokens": tokens,
                "vector": vector,
            },
        )
    return entry


def remove(record_type: str, record_id: int) -> None:
    """Drop a record from the index (no error when it is not there)."""
    with transaction.atomic():
        SearchEntry.objects.filter(record_type=record_type, record_id=record_id).delete()


def remove_record(source_name: str, record_id: int) -> None:
    """Drop every entry of a source's record, whatever its type (a deleted ticket)."""
    source = sources.SOURCES[source_name]
    with transaction.atomic():
        SearchEntry.objects.filter(record_type__in=sorted(source.record_types), record_id=record_id).delete()


def reindex_record(source_name: str, record_id: int) -> None:
    """Index one record of a source as it is now, or drop it from the index when it is gone.

    The source locks the record's row while it is read (:class:`~kaizen.search.sources.Source`), so
    handlers delivered late or out of order still leave the latest text in the index.
    """
    with transaction.atomic():
        found = next(iter(sources.SOURCES[source_name].documents([record_id])), None)
        if found is None:
            remove_record(source_name, record_id)
        else:
            index(found)


def reindex_all() -> int:
    """Rebuild the index from every source, in batches; return the number of entries indexed.

    Entries whose record is gone (or whose type no source indexes any more) are deleted.
    """
    count = 0
    for source in sources.SOURCES.values():
        seen: set[tuple[str, int]] = set()
        batch: list[Document] = []
        for document in source.documents(None):
            batch.append(document)
            if len(batch) >= BATCH:
                count += _write(batch, seen)
                batch = []
        count += _write(batch, seen)
        with transaction.atomic():
            stale = [
                pk
                for pk, rtype, rid in SearchEntry.objects.filter(
                    record_type__in=sorted(source.record_types)
                ).values_list("pk", "record_type", "record_id")
                if (rtype, rid) not in seen
            ]
            for start in range(0, len(stale), 500):
                SearchEntry.objects.filter(pk__in=stale[start : start + 500]).delete()
    with transaction.atomic():
        SearchEntry.objects.exclude(record_type__in=sorted(sources.record_types())).delete()
    return count


def _write(batch: list[Document], seen: set[tuple[str, int]]) -> int:
    # Analysed and embedded outside the write transaction, the vectors in one batch.
    vectors = similarity.vectors_of([(d.title, d.excerpt) for d in batch])
    analysed = [
        (document, _tokens(document), vector) for document, vector in zip(batch, vectors, strict=True)
    ]
    with transaction.atomic():
        for document, tokens, vector in analysed:
            _store(document, tokens, vector)
            seen.add((document.record_type, document.record_id))
    return len(batch)


def search(
    user: Any,
    q: str,
    *,
    types: Collection[str] | None = None,
    limit: int = 20,
    offset: int = 0,
    any_term: bool = False,
) -> queries.Results:
    """Search the index as ``user`` (see :func:`kaizen.search.queries.search`)."""
    return queries.search(user, q, types=types, limit=limit, offset=offset, any_term=any_term)
