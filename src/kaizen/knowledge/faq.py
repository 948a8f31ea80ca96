"""FAQ candidates: a period's inquiries grouped into topics by meaning, each with its size, typical
examples and the published article that covers it, if one does; a topic no article covers is one
click from a draft.

Inquiries are the incidents and service requests opened in the period (their title and excerpt,
through the search index's stored vectors) and the portal questions no article answered (ask page).
Everything is read as the person who started the run: it shows only what they may see. The grouping
itself is :mod:`.clustering`; it runs as a job (``tasks.cluster_inquiries``) that reports progress.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Organisation, Person, User
from kaizen.core import access
from kaizen.core.services import create_record
from kaizen.search import similarity
from kaizen.search.models import SearchEntry
from kaizen.search.similar import UseEmbedder
from kaizen.tickets.models import Ticket

from . import clustering
from .choices import ArticleState, FaqState, Outcome
from .models import WRITERS, Article, Deflection, FaqCluster, FaqRun

log = logging.getLogger("kaizen.knowledge")

MAX_INQUIRIES = 50_000
EXAMPLES = 5
COVERED = 0.6
"""Similarity from which a published article counts as covering a topic."""
KINDS = ("incident", "request")


def start_run(*, actor: Any, data: Mapping[str, Any]) -> FaqRun:
    """Record a run (queued) and start its job after commit.

    Raises:
        PermissionDenied: the actor may not write articles in that organisation.
        ValidationError: a period outside 1 to 731 days.
    """
    days = data.get("days", 90)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 731:
        raise ValidationError({"days": _("The period is 1 to 731 days.")})
    if data.get("organisation") is None and access.org_scope(actor, WRITERS) is not access.ALL:
        raise ValidationError({"organisation": _("Choose the organisation.")})
    with transaction.atomic():
        run = create_record(
            FaqRun,
            actor=actor,
            data={"organisation": data.get("organisation"), "days": days, "started_by": actor},
        )
        transaction.on_commit(lambda: _enqueue(run.pk))
    return run


STALE = dt.timedelta(minutes=30)
"""A run queued or running longer than this lost its worker: it is marked failed."""


def runs_for(user: Any) -> Any:
    """Return the runs ``user`` may open: their own (a run shows what its starter may see), or all
    of those they may see when they see every organisation."""
    runs = FaqRun.objects.visible_to(user)
    if access.org_scope(user, WRITERS) is not access.ALL:
        runs = runs.filter(started_by_id=getattr(user, "pk", None))
    return runs


def settle_stale() -> int:
    """Mark failed the runs whose job was lost (a worker killed mid-run); return how many."""
    return FaqRun.objects.filter(
        state__in=[FaqState.QUEUED, FaqState.RUNNING], created_at__lt=timezone.now() - STALE
    ).update(
        state=FaqState.FAILED,
        error=_("The job did not finish; start the run again."),
        finished_at=timezone.now(),
    )


def _enqueue(run_id: int) -> None:
    from . import tasks

    tasks.cluster_inquiries(run_id)


def _progress(run_id: int, percent: int) -> None:
    FaqRun.objects.filter(pk=run_id).update(progress=max(0, min(100, percent)))


def _inquiries(run: FaqRun, user: User) -> tuple[list[str], list[dict[str, Any]], np.ndarray]:
    """Return the texts, descriptions and vectors of the run's inquiries (tickets, then questions)."""
    since = run.created_at - dt.timedelta(days=run.days)
    tickets = Ticket.objects.visible_to(user).filter(kind__in=KINDS, created_at__gte=since)
    questions = Deflection.objects.visible_to(user).filter(outcome=Outcome.UNANSWERED, created_at__gte=since)
    if run.organisation_id is not None:
        orgs = Organisation.descendants(run.organisation_id, Organisation.children_map())
        tickets = tickets.filter(organisation_id__in=orgs)
        questions = questions.filter(organisation_id__in=orgs)
    ids = list(tickets.order_by("-id").values_list("pk", flat=True)[:MAX_INQUIRIES])
    entries = SearchEntry.objects.filter(record_type__in=KINDS, record_id__in=ids).values_list(
        "record_type", "record_id", "number", "title", "excerpt", "vector"
    )
    texts: list[str] = []
    meta: list[dict[str, Any]] = []
    raw: list[bytes | None] = []
    for kind, pk, number, title, excerpt, vector in entries.iterator(chunk_size=2000):
        texts.append(title)
        meta.append({"kind": kind, "id": pk, "number": number, "title": title[:200]})
        raw.append(bytes(vector) if vector is not None else similarity.vector_of(title, excerpt))
    asked = list(questions.order_by("-id").values_list("pk", "question")[:MAX_INQUIRIES])
    for (pk, question), vector in zip(
        asked, similarity.vectors_of([(q, "") for _p, q in asked]), strict=True
    ):
        texts.append(question)
        meta.append({"kind": "question", "id": pk, "number": "", "title": question[:200]})
        raw.append(vector)
    dims = similar_dims()
    matrix = np.zeros((len(raw), dims), dtype=np.float32)
    for i, vector in enumerate(raw):
        if vector:
            matrix[i] = np.frombuffer(vector, dtype=np.float16).astype(np.float32)
    return texts, meta, matrix


def similar_dims() -> int:
    """Return the length of the stored vectors."""
    return UseEmbedder.dimensions


def _articles(user: User) -> tuple[list[int], np.ndarray]:
    published = (
        Article.objects.visible_to(user).filter(state=ArticleState.PUBLISHED).values_list("pk", flat=True)
    )
    rows = list(
        SearchEntry.objects.filter(
            record_type="article", record_id__in=list(published), vector__isnull=False
        ).values_list("record_id", "vector")
    )
    matrix = np.zeros((len(rows), similar_dims()), dtype=np.float32)
    for i, (_pk, vector) in enumerate(rows):
        matrix[i] = np.frombuffer(bytes(vector or b""), dtype=np.float16).astype(np.float32)
    return [pk for pk, _v in rows], matrix


def run_clustering(run_id: int) -> FaqRun | None:
    """Do a queued run: group its inquiries, record the topics, mark it done (or failed, with why)."""
    with transaction.atomic():
        run = FaqRun.objects.select_for_update().filter(pk=run_id, state=FaqState.QUEUED).first()
        if run is None:
            return None
        FaqRun.objects.filter(pk=run_id).update(state=FaqState.RUNNING, progress=1)
    user = run.started_by
    try:
        if user is None or not user.is_active:
            raise PermissionDenied(_("The person who started the run has no login any more."))
        texts, meta, matrix = _inquiries(run, user)
        _progress(run_id, 20)
        topics = clustering.cluster(matrix, progress=lambda p: _progress(run_id, 20 + p * 3 // 4))
        article_ids, articles = _articles(user)
        labels = clustering.labels(texts, topics)
        clusters = []
        for rank, (topic, label) in enumerate(zip(topics, labels, strict=True), start=1):
            best, score = clustering.best_cover(topic.centroid, articles)
            examples = [meta[i] for i in topic.members[:EXAMPLES]]
            clusters.append(
                FaqCluster(
                    run_id=run_id,
                    rank=rank,
                    size=len(topic.members),
                    questions=sum(1 for i in topic.members if meta[i]["kind"] == "question"),
                    label=label or _("(no title)"),
                    examples=examples,
                    article_id=article_ids[best] if best >= 0 and score >= COVERED else None,
                    coverage=round(score, 3),
                )
            )
        with transaction.atomic():
            FaqCluster.objects.filter(run_id=run_id).delete()
            FaqCluster.objects.bulk_create(clusters)
            FaqRun.objects.filter(pk=run_id).update(
                state=FaqState.DONE, progress=100, inquiries=len(texts), finished_at=timezone.now()
            )
    except (PermissionDenied, ValidationError) as exc:
        _fail(run_id, " ".join(getattr(exc, "messages", [str(exc)])))
    except Exception as exc:
        log.exception("FAQ run %s failed", run_id)
        _fail(run_id, type(exc).__name__)
    return FaqRun.objects.get(pk=run_id)


def _fail(run_id: int, reason: str) -> None:
    FaqRun.objects.filter(pk=run_id).update(
        state=FaqState.FAILED, error=reason[:500], finished_at=timezone.now()
    )


def draft_from_cluster(cluster_id: int, *, actor: Any) -> Article:
    """Write a draft article for a topic: its label as the title, the inquiries as the questions.

    Once: a second call (a double click, a concurrent one) answers the same draft.

    Raises:
        FaqCluster.DoesNotExist: no such topic in a run the actor may open.
        PermissionDenied: the actor may not write articles there.
    """
    from . import services

    with transaction.atomic():
        cluster = (
            FaqCluster.objects.select_for_update(of=("self",))
            .filter(run__in=runs_for(actor))
            .select_related("run")
            .get(pk=cluster_id)
        )
        if cluster.draft_id is not None and Article.objects.filter(pk=cluster.draft_id).exists():
            return Article.objects.get(pk=cluster.draft_id)
        lines = [f"## {_('Questions people asked')}", ""]
        lines += [
            f"- {e['title']}" + (f" ({e['number']})" if e.get("number") else "") for e in cluster.examples
        ]
        lines += ["", f"## {_('Answer')}", "", _("(Write the answer here.)")]
        data: dict[str, Any] = {"title": cluster.label[:200], "body": "\n".join(lines)}
        person = Person.objects.filter(user_id=actor.pk).first() if getattr(actor, "pk", None) else None
        organisation = cluster.run.organisation_id or (person.organisation_id if person else None)
        if organisation is not None:
            data["organisation"] = organisation
        article = services.create_article(actor=actor, data=data)
        FaqCluster.objects.filter(pk=cluster.pk).update(draft=article)
    return article
