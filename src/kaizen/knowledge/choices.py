"""States, audiences and moves of knowledge articles, with translated labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleState(models.TextChoices):
    """Where an article stands: only published articles are read outside the team writing them."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    """Who an article is written for: requesters (portal and agents) or agents only."""

    REQUESTERS = "requesters", _("Requesters and agents")
    AGENTS = "agents", _("Agents only")


class ArticleAction(models.TextChoices):
    """The moves of an article (``POST /api/v1/articles/{id}/actions/<code>/``, hyphens allowed)."""

    SUBMIT = "submit", _("Submit for review")
    PUBLISH = "publish", _("Publish")
    RETURN = "return", _("Return to draft")
    REVISE = "revise", _("Start a new revision")
    RECONFIRM = "reconfirm", _("Confirm the review")
    RETIRE = "retire", _("Retire")


class ReviewFilter(models.TextChoices):
    """The review filter of the article list."""

    OVERDUE = "overdue", _("Overdue for review")


class Outcome(models.TextChoices):
    """What came of a question a requester typed in the portal."""

    ANSWERED = "answered", _("Answered by an article")
    TICKET = "ticket", _("Ticket created")
    UNANSWERED = "unanswered", _("No article answered it")


class FaqState(models.TextChoices):
    """Where a run grouping inquiries into FAQ candidates is."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
