"""Reads of knowledge management for pages and the API: articles, the review list, versions, feedback."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kaizen.core import access

from . import policies
from .choices import ArticleState
from .models import Article, ArticleVersion, Deflection, Feedback


def articles(user: Any) -> QuerySet[Article]:
    """Return the articles ``user`` may read, with what lists show."""
    return Article.objects.visible_to(user).select_related("organisation", "service", "owner", "category")


def overdue(qs: QuerySet[Article], today: dt.date | None = None) -> QuerySet[Article]:
    """Narrow ``qs`` to published articles past their re-review date, the most overdue first."""
    today = today or timezone.localdate()
    return qs.filter(state=ArticleState.PUBLISHED, review_due_on__lt=today).order_by("review_due_on", "pk")


def overdue_for(user: Any) -> QuerySet[Article]:
    """Return the published articles ``user`` may change that are overdue for review."""
    return overdue(Article.objects.visible_to(user, "change"))


def staff_reads(article: Article, user: Any) -> bool:
    """Tell whether ``user`` reads ``article`` as staff of its organisation (versions, history, comments).

    Requesters read the published text only: drafts, reviewers' notes and history are the team's.
    """
    scope = access.org_scope(user, access.STAFF_ROLES)
    return not isinstance(scope, frozenset) or article.organisation_id in scope


def versions(article: Article) -> QuerySet[ArticleVersion]:
    """Return the versions of an article, newest first."""
    return ArticleVersion.objects.filter(article=article).select_related("author").order_by("-number")


def version(article: Article, number: int) -> ArticleVersion | None:
    """Return one version of an article (None when it has no such version)."""
    return ArticleVersion.objects.filter(article=article, number=number).first()


@dataclass(frozen=True)
class Votes:
    """How many readers found an article helpful, in total and for its current revision."""

    helpful: int
    not_helpful: int
    revision_helpful: int
    revision_not_helpful: int

    def as_dict(self) -> dict[str, int]:
        """Return the counts as plain values (API)."""
        return {
            "helpful": self.helpful,
            "not_helpful": self.not_helpful,
            "revision_helpful": self.revision_helpful,
            "revision_not_helpful": self.revision_not_helpful,
        }


def votes(article: Article) -> Votes:
    """Return the feedback counts of ``article`` (one query)."""
    current = Q(revision=article.revision)
    row = Feedback.objects.filter(article=article).aggregate(
        n_helpful=Count("pk", filter=Q(helpful=True)),
        n_not_helpful=Count("pk", filter=Q(helpful=False)),
        n_revision_helpful=Count("pk", filter=current & Q(helpful=True)),
        n_revision_not_helpful=Count("pk", filter=current & Q(helpful=False)),
    )
    return Votes(**{k.removeprefix("n_"): int(v or 0) for k, v in row.items()})


def feedback_of(article: Article, user: Any) -> Feedback | None:
    """Return the feedback ``user`` gave on the current revision of ``article``."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Feedback.objects.filter(article=article, revision=article.revision, user_id=user.pk).first()


def comments(article: Article, user: Any, limit: int = 50) -> list[Feedback]:
    """Return the latest feedback comments on ``article`` that ``user`` may read (staff)."""
    return list(
        Feedback.objects.visible_to(user)
        .filter(article=article)
        .exclude(comment="")
        .select_related("user")
        .order_by("-id")[:limit]
    )


def diff(
    article: Article, old: int, new: int
) -> tuple[ArticleVersion, ArticleVersion, list[policies.DiffLine]] | None:
    """Return two versions of an article and the lines that differ (title first), or None."""
    a, b = version(article, old), version(article, new)
    if a is None or b is None:
        return None
    lines = policies.diff_lines(f"# {a.title}\n\n{a.body}", f"# {b.title}\n\n{b.body}")
    return a, b, lines


@dataclass(frozen=True)
class DeflectionRate:
    """Portal questions with suggested articles over a period: answered by an article, or ticketed
    (questions nothing answered on the ask page are not counted: no article was there to deflect)."""

    answered: int
    ticketed: int
    days: int

    @property
    def total(self) -> int:
        return self.answered + self.ticketed

    @property
    def percent(self) -> int | None:
        return round(100 * self.answered / self.total) if self.total else None


def deflection(user: Any, days: int = 30) -> DeflectionRate:
    """Return the deflection rate of the portal questions ``user`` may see, over the last ``days``."""
    since = timezone.now() - dt.timedelta(days=days)
    counts = dict(
        Deflection.objects.visible_to(user)
        .filter(created_at__gte=since)
        .values("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    return DeflectionRate(answered=counts.get("answered", 0), ticketed=counts.get("ticket", 0), days=days)
