"""Knowledge management: articles (``KB-000001``), their versions and the feedback of their readers.

An article is written by agents as a draft, reviewed, published for its audience (requesters and
agents, or agents only) and re-reviewed periodically; a published article goes back to draft for a
new revision, and is retired when it no longer applies. Every change of the title or body keeps a
version row, so any two versions can be compared. Readers say whether a published revision helped.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaizen.core.access import READ_ROLES, STAFF_ROLES, AccessPolicy, Role, org_scope
from kaizen.core.models import Record
from kaizen.portfolio.models import Service

from .choices import ArticleState, Audience, FaqState, Outcome
from .policies import MAX_REVIEW_DAYS, REVIEW_DAYS

WRITERS = frozenset({Role.ADMIN, Role.MANAGER, Role.AGENT})
"""Who writes drafts (agents, managers, administrators)."""
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
MAX_TITLE = 200
MAX_BODY = 50_000
MAX_COMMENT = 2_000


def _published_for_requesters(user: Any) -> Q:
    """Requesters read the published requester articles of their providers.

    Their providers are their own organisations and the organisations providing a service their
    organisations are customers of; an article about a service is read by that service's
    customers only.
    """
    scope = org_scope(user, [Role.REQUESTER])
    published = Q(state=ArticleState.PUBLISHED, audience=Audience.REQUESTERS)
    if not isinstance(scope, frozenset):
        return published
    if not scope:
        return Q(pk__in=[])
    orgs = sorted(scope)
    used = Service.objects.filter(customers__in=orgs)
    providers = Q(organisation__in=orgs) | Q(organisation__in=used.values("organisation_id"))
    about = Q(service__isnull=True) | Q(service__in=used.values("pk")) | Q(service__organisation__in=orgs)
    return published & providers & about


def readable_organisations(user: Any) -> frozenset[int] | None:
    """Return every organisation holding an article ``user`` may read (None: any): the staff
    role's organisations and, for a requester, the providers of :func:`_published_for_requesters`."""
    staff = org_scope(user, STAFF_ROLES)
    requester = org_scope(user, [Role.REQUESTER])
    if not isinstance(staff, frozenset) or not isinstance(requester, frozenset):
        return None
    if not requester:
        return staff
    used = Service.objects.filter(customers__in=sorted(requester)).values_list("organisation_id", flat=True)
    return staff | requester | frozenset(used.distinct().order_by())


class Article(Record):
    """A knowledge article: a symptom and its solution, a how-to, an explanation."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("organisation"),
        help_text=_("The service provider organisation that owns the article; its staff maintain it."),
    )
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    body = models.TextField(
        _("text"), blank=True, max_length=MAX_BODY, help_text=_("Markdown: headings, lists, links, code.")
    )
    service = models.ForeignKey(
        "portfolio.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("service"),
    )
    category = models.ForeignKey(
        "tickets.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("category"),
        help_text=_("The ticket category the article answers (the same list as on tickets)."),
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.AGENTS
    )
    owner = models.ForeignKey(
        "accounts.Person",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_articles",
        verbose_name=_("owner"),
        help_text=_(
            "Who keeps the article right; the owner or a manager starts a new revision or retires it."
        ),
    )
    reviewers = models.ManyToManyField(
        "accounts.Person",
        blank=True,
        related_name="reviewed_articles",
        verbose_name=_("reviewers"),
        help_text=_("They may publish the article after review (managers may too)."),
    )
    state = models.CharField(
        _("state"), max_length=20, choices=ArticleState.choices, default=ArticleState.DRAFT, editable=False
    )
    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)
    review_interval_days = models.PositiveSmallIntegerField(
        _("re-review every (days)"),
        default=REVIEW_DAYS,
        help_text=_("The next re-review is due this many days after publication or the last review."),
    )
    review_due_on = models.DateField(_("next review"), null=True, blank=True, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
        editable=False,
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True, editable=False)
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("drafted from"),
        editable=False,
    )
    view_count = models.PositiveBigIntegerField(_("views"), default=0, editable=False)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={
            "view": STAFF_ROLES,
            "add": WRITERS,
            "change": WRITERS,
            "manage": MANAGERS,
            "delete": MANAGERS,
        },
        own=_published_for_requesters,
    )
    audit_exclude: ClassVar[frozenset[str]] = Record.audit_exclude | {"view_count"}

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("knowledge article")
        verbose_name_plural = _("knowledge articles")
        indexes: ClassVar[list[Any]] = [
            models.Index(fields=["state", "audience", "organisation"], name="knowledge_state_idx"),
            models.Index(fields=["state", "review_due_on"], name="knowledge_review_idx"),
        ]
        constraints: ClassVar[list[Any]] = [
            models.CheckConstraint(
                condition=Q(review_interval_days__gte=1, review_interval_days__lte=MAX_REVIEW_DAYS),
                name="knowledge_review_interval_range",
                violation_error_message=_("Re-review every 1 to 1,095 days."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ArticleVersion(models.Model):
    """One version of an article's title and text (kept on every change of either; never edited)."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=MAX_TITLE)
    body = models.TextField(_("text"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_label = models.CharField(_("author"), max_length=200, blank=True)
    at = models.DateTimeField(_("saved"), auto_now_add=True)
    published = models.BooleanField(_("published"), default=False)

    class Meta:
        ordering: ClassVar[list[str]] = ["article_id", "-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class Feedback(Record):
    """A reader's verdict on one revision of an article: helpful or not, with an optional comment."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("article")
    )
    revision = models.PositiveIntegerField(_("revision"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("reader")
    )
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=MAX_COMMENT)

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="article__organisation",
        actions={"view": STAFF_ROLES, "add": READ_ROLES, "change": MANAGERS, "delete": MANAGERS},
        own=lambda user: Q(user_id=user.pk),
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(
                fields=["article", "revision", "user"],
                name="knowledge_feedback_once",
                violation_error_message=_("You already gave feedback on this revision."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.revision}: {'+' if self.helpful else '-'}"

    def organisation_id_for_audit(self) -> int | None:
        return int(self.article.organisation_id)


MAX_QUESTION = 300


class Deflection(Record):
    """A question a requester typed in the portal with the articles suggested for it, and its outcome:
    an article answered it (no ticket), or a ticket was created anyway. The deflection rate is the
    share answered."""

    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("requester")
    )
    question = models.CharField(_("question"), max_length=MAX_QUESTION)
    suggested = models.JSONField(_("suggested articles"), default=list, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("article")
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ticket"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": READ_ROLES, "change": MANAGERS, "delete": MANAGERS},
        own=lambda user: Q(user_id=user.pk),
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("portal question")
        verbose_name_plural = _("portal questions")
        indexes: ClassVar[list[Any]] = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.question[:40]} ({self.outcome})"


class FaqRun(Record):
    """One grouping of a period's inquiries into topics (FAQ candidates), run as a job with progress."""

    organisation = models.ForeignKey(
        "accounts.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
        help_text=_("Inquiries of this organisation and the organisations in it; empty: all you may see."),
    )
    days = models.PositiveIntegerField(
        _("period (days)"), default=90, validators=[MinValueValidator(1), MaxValueValidator(731)]
    )
    state = models.CharField(_("state"), max_length=20, choices=FaqState.choices, default=FaqState.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    inquiries = models.PositiveIntegerField(_("inquiries"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )

    access_policy: ClassVar[AccessPolicy] = AccessPolicy(
        org_field="organisation",
        actions={"view": STAFF_ROLES, "add": WRITERS, "change": MANAGERS, "delete": MANAGERS},
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["-id"]
        verbose_name = _("FAQ candidate run")
        verbose_name_plural = _("FAQ candidate runs")

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.days}d #{self.pk}"


class FaqCluster(models.Model):
    """A topic of a run: how many inquiries, typical examples, and the article that covers it if any."""

    run = models.ForeignKey(FaqRun, on_delete=models.CASCADE, related_name="clusters", verbose_name=_("run"))
    rank = models.PositiveIntegerField(_("rank"))
    size = models.PositiveIntegerField(_("inquiries"))
    questions = models.PositiveIntegerField(_("unanswered portal questions"), default=0)
    label = models.CharField(_("topic"), max_length=200)
    examples = models.JSONField(_("examples"), default=list)
    article = models.ForeignKey(
        Article,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("covered by"),
    )
    coverage = models.FloatField(_("coverage"), default=0.0)
    draft = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("draft")
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["run", "rank"]
        verbose_name = _("FAQ candidate")
        verbose_name_plural = _("FAQ candidates")

    def __str__(self) -> str:
        return self.label
