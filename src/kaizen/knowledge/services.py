"""Every write of knowledge management: articles, their moves, versions, feedback, view counts and
drafts from resolved incidents and problems.

Keyword-only, one transaction each, audited through :mod:`kaizen.core.services` and
:mod:`kaizen.core.audit`, versions compared (:class:`~kaizen.core.services.ConflictError`).
A view only increments a counter (an ``F()`` update: no lost update, no audit row, no new version).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.accounts.models import Organisation, Person
from kaizen.core import access, audit, events, sequences
from kaizen.core.services import ActionNotAllowed, ConflictError, create_record, delete_record, update_record
from kaizen.portfolio.models import Service
from kaizen.problems import queries as problems
from kaizen.tickets.choices import Kind, StateCategory
from kaizen.tickets.models import Category, Ticket

from . import policies
from .choices import ArticleAction, ArticleState, Audience, Outcome
from .events import ArticleChanged, ArticleStateChanged
from .models import (
    MAX_BODY,
    MAX_COMMENT,
    MAX_QUESTION,
    MAX_TITLE,
    Article,
    ArticleVersion,
    Deflection,
    Feedback,
)

SEQUENCE = "knowledge.article"
MAX_ID = 2**63 - 1
MAX_REVIEWERS = 50
ARTICLE_FIELDS = frozenset(
    {"organisation", "title", "body", "service", "category", "audience", "owner", "review_interval_days"}
)
"""Fields of an article a caller may set (number, state, revision and stamps are the services')."""
CONTENT_FIELDS = ("title", "body", "audience")
"""What changes only in draft: a reviewer approves exactly what is published, for whom."""
RESOLVED = (StateCategory.RESOLVED, StateCategory.CLOSED)


# -- helpers --------------------------------------------------------------------------------------


def _pk(value: Any, field: str) -> int:
    pk = getattr(value, "pk", value)
    if isinstance(pk, str) and pk.strip().isdigit():
        pk = int(pk)
    if isinstance(pk, bool) or not isinstance(pk, int) or not 0 < pk <= MAX_ID:
        raise ValidationError({field: _("No such record, or you may not see it.")})
    return pk


def _visible(actor: Any, model: Any, value: Any, field: str) -> Any:
    """Return the record ``value`` names if the actor may see it (None stays None)."""
    if value is None or value == "":
        return None
    found = model.objects.visible_to(actor).filter(pk=_pk(value, field)).first()
    if found is None:
        raise ValidationError({field: _("No such record, or you may not see it.")})
    return found


def _values(actor: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError(_("Expected an object of article fields."))
    unknown = sorted(str(k)[:50] for k in data if k not in ARTICLE_FIELDS)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    values = dict(data)
    for name, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        if name in values:
            value = values[name]
            if not isinstance(value, str):
                raise ValidationError({name: _("Expected text.")})
            if len(value) > limit:
                raise ValidationError({name: _("At most %(n)s characters.") % {"n": limit}})
            values[name] = value.strip() if name == "title" else value
    if "audience" in values and values["audience"] not in Audience.values:
        raise ValidationError({"audience": _("Choose requesters or agents only.")})
    if "review_interval_days" in values:
        days = values["review_interval_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= policies.MAX_REVIEW_DAYS:
            raise ValidationError({"review_interval_days": _("Re-review every 1 to 1,095 days.")})
    for name, model in (("service", Service), ("owner", Person), ("category", Category)):
        if name in values:
            values[name] = _visible(actor, model, values[name], name)
    if "organisation" in values and not isinstance(values["organisation"], Organisation):
        # Rights in the organisation are checked by create_record / update_record.
        found = Organisation.objects.filter(pk=_pk(values["organisation"], "organisation")).first()
        if found is None:
            raise ValidationError({"organisation": _("No such record, or you may not see it.")})
        values["organisation"] = found
    return values


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _person_id(actor: Any) -> int | None:
    user = _user(actor)
    if user is None:
        return None
    pk: int | None = Person.objects.filter(user_id=user.pk).values_list("pk", flat=True).first()
    return pk


def _reviewer_ids(actor: Any, reviewers: Iterable[Any]) -> list[int]:
    if isinstance(reviewers, str | bytes | Mapping) or not isinstance(reviewers, Iterable):
        raise ValidationError({"reviewers": _("Expected a list of ids.")})
    ids: list[int] = []
    for value in reviewers:
        ids.append(_pk(value, "reviewers"))
        if len(ids) > MAX_REVIEWERS:
            raise ValidationError({"reviewers": _("At most %(n)s.") % {"n": MAX_REVIEWERS}})
    ids = list(dict.fromkeys(ids))
    found = set(Person.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if any(i not in found for i in ids):
        raise ValidationError({"reviewers": _("No such record, or you may not see it.")})
    return sorted(ids)


def _set_reviewers(article: Article, actor: Any, reviewers: Iterable[Any] | None) -> bool:
    """Replace the reviewers; return whether they changed (audited)."""
    if reviewers is None:
        return False
    after = _reviewer_ids(actor, reviewers)
    before = sorted(article.reviewers.values_list("pk", flat=True))
    if before == after:
        return False
    article.reviewers.set(after)
    audit.record(article, action="reviewers", changes={"reviewers": [before, after]})
    return True


def _keep_version(article: Article, actor: Any) -> ArticleVersion:
    user = _user(actor)
    return ArticleVersion.objects.create(
        article=article,
        number=article.revision,
        title=article.title,
        body=article.body,
        author=user,
        author_label=(user.get_full_name() or user.get_username())[:200] if user is not None else "",
    )


def _lock(article_id: Any, actor: Any) -> Article:
    """Lock an article the actor may see (``Article.DoesNotExist`` otherwise)."""
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None or not access.can(actor, "view", Article, obj=article):
        raise Article.DoesNotExist
    return article


def _check_version(article: Article, version: int | None) -> None:
    if version is not None and article.version != version:
        raise ConflictError(current_version=article.version, sent_version=version)


def actor_facts(article: Article, actor: Any) -> policies.Actor:
    """Return what the state machine needs to know about ``actor`` on ``article``."""
    person = _person_id(actor)
    staff = access.org_scope(actor, access.STAFF_ROLES)
    is_staff = not isinstance(staff, frozenset) or article.organisation_id in staff
    return policies.Actor(
        writer=access.can(actor, "change", Article, obj=article),
        manager=access.can(actor, "manage", Article, obj=article),
        owner=person is not None and article.owner_id == person,
        reviewer=person is not None and is_staff and article.reviewers.filter(pk=person).exists(),
    )


# -- articles -------------------------------------------------------------------------------------


def create_article(
    *,
    actor: Any,
    data: Mapping[str, Any],
    reviewers: Iterable[Any] | None = None,
    source_ticket: Ticket | None = None,
) -> Article:
    """Write a draft article (``KB-nnnnnn``); its owner is the author unless given.

    Raises:
        PermissionDenied: the actor may not write articles in the organisation.
        ValidationError: unknown or invalid fields, an invisible service, owner, category or reviewer.
    """
    values = _values(actor, data)
    if not values.get("title"):
        raise ValidationError({"title": _("This field is required.")})
    with transaction.atomic():
        if values.get("owner") is None:
            person = _person_id(actor)
            values["owner"] = Person.objects.filter(pk=person).first() if person else None
        article = create_record(
            Article,
            actor=actor,
            data={
                **values,
                "number": sequences.next_number(SEQUENCE, "KB"),
                "state": ArticleState.DRAFT,
                "revision": 1,
                "source_ticket": source_ticket,
            },
        )
        _set_reviewers(article, actor, reviewers)
        _keep_version(article, actor)
        events.emit(ArticleChanged(article_id=article.pk, number=article.number))
    return article


def update_article(
    article_id: int,
    *,
    actor: Any,
    changes: Mapping[str, Any],
    version: int | None,
    reviewers: Iterable[Any] | None = None,
) -> Article:
    """Change an article if ``version`` is current; a new title or text is a new version.

    Title, text and audience change only in draft (start a new revision of a published article);
    a retired article does not change.

    Raises:
        Article.DoesNotExist: no such article visible to the actor.
        ConflictError: stale version.
        PermissionDenied: the actor may not change it.
        ValidationError: invalid values, or content changes outside draft.
    """
    with transaction.atomic():
        current = _lock(article_id, actor)
        if not access.can(actor, "change", Article, obj=current):
            raise PermissionDenied(_("You do not have permission to do this."))
        _check_version(current, version)
        values = _values(actor, changes)
        if current.state == ArticleState.RETIRED:
            raise ValidationError(_("A retired article does not change; start a new revision first."))
        moved = [k for k in CONTENT_FIELDS if k in values and values[k] != getattr(current, k)]
        if moved and current.state not in policies.EDITABLE_STATES:
            raise ValidationError(
                {
                    k: _(
                        "The article is %(state)s: "
                        "start a new revision to change its title, text or audience."
                    )
                    % {"state": current.get_state_display()}
                    for k in moved
                }
            )
        if "title" in values and not values["title"]:
            raise ValidationError({"title": _("This field is required.")})
        content = any(k in moved for k in ("title", "body"))
        if content:
            values["revision"] = current.revision + 1
        article = update_record(Article, current.pk, actor=actor, changes=values, expected_version=version)
        if _set_reviewers(article, actor, reviewers) and article.version == current.version:
            article.version += 1
            article.save(update_fields=["version", "updated_at"])
        if content:
            _keep_version(article, actor)
        events.emit(ArticleChanged(article_id=article.pk, number=article.number))
    return article


def delete_article(article_id: int, *, actor: Any, version: int | None = None) -> None:
    """Delete an article with its versions and feedback (managers; normally it is retired instead)."""
    with transaction.atomic():
        number = Article.objects.filter(pk=article_id).values_list("number", flat=True).first() or ""
        delete_record(Article, article_id, actor=actor, expected_version=version)
        events.emit(ArticleChanged(article_id=article_id, number=number))


def transition(article_id: int, code: str, *, actor: Any, version: int | None, note: str = "") -> Article:
    """Move an article: submit, publish, return to draft, revise, confirm the review or retire.

    Publishing (and confirming a review) sets the next re-review date from the article's interval.

    Raises:
        Article.DoesNotExist: no such article visible to the actor.
        ActionNotAllowed: the move does not apply in the article's state (lists those that do).
        PermissionDenied: the actor may not make this move.
        ConflictError: stale version.
        ValidationError: a draft without title or text, an over-long note.
    """
    move = policies.TRANSITIONS.get(code)
    if not isinstance(note, str) or len(note) > MAX_COMMENT:
        raise ValidationError({"note": _("At most %(n)s characters.") % {"n": MAX_COMMENT}})
    with transaction.atomic():
        article = _lock(article_id, actor)
        _check_version(article, version)
        facts = actor_facts(article, actor)
        if move is None or article.state not in move.sources:
            label = ArticleAction(code).label if code in ArticleAction.values else code[:50]
            raise ActionNotAllowed(
                _("%(action)s does not apply to an article that is %(state)s.")
                % {"action": label, "state": article.get_state_display()},
                allowed=policies.moves(article.state, facts),
            )
        if not policies.may(code, facts):
            raise PermissionDenied(_("You do not have permission to do this."))
        if code in ("submit", "publish"):
            problems_ = policies.publish_problems(title=article.title, body=article.body)
            if problems_:
                raise ValidationError(problems_)
        now = timezone.now()
        values: dict[str, Any] = {"state": move.target}
        if code in ("publish", "reconfirm"):
            values["review_due_on"] = policies.review_due(
                timezone.localdate(now), article.review_interval_days
            )
        if code == "publish":
            values.update(published_at=now, published_by=_user(actor), retired_at=None)
            ArticleVersion.objects.filter(article=article, number=article.revision).update(published=True)
        elif code == "retire":
            values["retired_at"] = now
        elif code == "revise":
            values["retired_at"] = None
        updated = update_record(
            Article,
            article.pk,
            actor=actor,
            changes=values,
            expected_version=None,
            check=False,
            action=code,
            meta={"note": note.strip()} if note.strip() else None,
        )
        if updated.version == article.version:  # a confirmation on the same day changes no field
            updated.version += 1
            updated.save(update_fields=["version", "updated_at"])
            audit.record(updated, action=code, meta={"note": note.strip()} if note.strip() else None)
        events.emit(
            ArticleStateChanged(
                article_id=updated.pk,
                number=updated.number,
                action=code,
                from_state=article.state,
                to_state=updated.state,
            )
        )
    return updated


def record_view(article_id: int, *, actor: Any) -> None:
    """Count one view of an article the actor may see (concurrent views are all counted; not audited)."""
    if not Article.objects.visible_to(actor).filter(pk=article_id).exists():
        raise Article.DoesNotExist
    Article.objects.filter(pk=article_id).update(view_count=F("view_count") + 1)


def give_feedback(article_id: int, *, actor: Any, helpful: Any, comment: Any = "") -> Feedback:
    """Record whether the current revision of a published article helped the actor (once per revision).

    Raises:
        Article.DoesNotExist: no such article visible to the actor.
        ValidationError: not published, not true/false, a comment too long, feedback already given.
    """
    if not isinstance(helpful, bool):
        raise ValidationError({"helpful": _("Expected true or false.")})
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise ValidationError({"comment": _("Expected text.")})
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": _("At most %(n)s characters.") % {"n": MAX_COMMENT}})
    user = _user(actor)
    if user is None:
        raise PermissionDenied(_("You do not have permission to do this."))
    with transaction.atomic():
        article = Article.objects.visible_to(actor).filter(pk=article_id).first()
        if article is None:
            raise Article.DoesNotExist
        if article.state != ArticleState.PUBLISHED:
            raise ValidationError(_("Feedback is given on published articles."))
        if Feedback.objects.filter(article=article, revision=article.revision, user=user).exists():
            raise ValidationError(_("You already gave feedback on this revision."))
        try:
            with transaction.atomic():
                return create_record(
                    Feedback,
                    actor=actor,
                    check=False,
                    data={
                        "article": article,
                        "revision": article.revision,
                        "user": user,
                        "helpful": helpful,
                        "comment": comment.strip(),
                    },
                )
        except IntegrityError as exc:  # the same reader twice at once: the constraint decides
            raise ValidationError(_("You already gave feedback on this revision.")) from exc


# -- drafts from tickets --------------------------------------------------------------------------


def _section(title: str, text: str) -> str:
    return f"## {title}\n\n{text.strip() or '—'}\n"


def _incident_body(ticket: Ticket) -> str:
    if ticket.state_category not in RESOLVED:
        raise ValidationError({"ticket": _("Draft an article from a resolved incident.")})
    symptom = "\n\n".join(t for t in (ticket.title, ticket.description.strip()) if t)
    parts = [
        _section(_("Symptom"), symptom),
        _section(_("Cause"), ticket.get_cause_class_display() if ticket.cause_class else ""),
        _section(_("Resolution"), ticket.resolution),
    ]
    return "\n".join(parts)


def _problem_body(actor: Any, ticket: Ticket) -> str:
    summary = problems.summary(actor, ticket)
    record, known = summary.record, summary.known_errors[:1]
    ke = known[0] if known else None
    symptom = (ke.symptoms if ke and ke.symptoms.strip() else "") or "\n\n".join(
        t for t in (ticket.title, ticket.description.strip()) if t
    )
    cause = (record.root_cause if record and record.root_cause.strip() else "") or (
        ke.root_cause if ke else ""
    )
    workaround = (record.workaround if record and record.workaround.strip() else "") or (
        ke.workaround if ke else ""
    )
    fixes = "\n".join(f"- {t.number} {t.title}" for t in summary.fixes) or ticket.resolution
    parts = [
        _section(_("Symptom"), symptom),
        _section(_("Cause"), cause),
        _section(_("Workaround"), workaround),
        _section(_("Fix"), fixes),
    ]
    return "\n".join(parts)


def _draft_organisation(actor: Any, ticket: Ticket) -> int:
    """Return where the draft goes: the service's provider, the author's organisation, or the ticket's."""
    user = _user(actor)
    person = Person.objects.filter(user_id=user.pk).first() if user is not None else None
    candidates = [
        ticket.service.organisation_id if ticket.service_id and ticket.service else None,
        person.organisation_id if person is not None else None,
        ticket.organisation_id,
    ]
    for org_id in candidates:
        if org_id is not None and access.can(actor, "add", Article, organisation_id=org_id):
            return int(org_id)
    raise PermissionDenied(_("You do not have permission to do this."))


def draft_from_ticket(ticket_id: Any, *, actor: Any) -> Article:
    """Write a draft article from a resolved incident or from a problem, for an agent to edit and submit.

    An incident gives the symptom (title, description), the cause class and the resolution note;
    a problem gives the symptom, root cause and workaround (from its details or its known error)
    and its fix (the fixing changes, or its resolution note).

    Raises:
        ValidationError: no such ticket visible to the actor, not an incident or a problem, an
            incident that is not resolved.
        PermissionDenied: the actor may not write articles.
    """
    pk = _pk(ticket_id, "ticket")
    ticket = Ticket.objects.visible_to(actor).select_related("service", "category").filter(pk=pk).first()
    if ticket is None:
        raise ValidationError({"ticket": _("No such ticket, or you may not see it.")})
    if ticket.kind == Kind.INCIDENT:
        body = _incident_body(ticket)
    elif ticket.kind == Kind.PROBLEM:
        body = _problem_body(actor, ticket)
    else:
        raise ValidationError({"ticket": _("Draft an article from an incident or a problem.")})
    body += "\n" + _("_Drafted from %(number)s._") % {"number": ticket.number} + "\n"
    category = ticket.category if ticket.category is not None and ticket.category.is_active else None
    service = (
        ticket.service_id
        if ticket.service_id and Service.objects.visible_to(actor).filter(pk=ticket.service_id).exists()
        else None
    )
    data: dict[str, Any] = {
        "organisation": _draft_organisation(actor, ticket),
        "title": ticket.title[:MAX_TITLE],
        "body": body[:MAX_BODY],
        "service": service,
        "category": category.pk if category is not None else None,
        "audience": Audience.AGENTS,
    }
    return create_article(actor=actor, data=data, source_ticket=ticket)


# -- portal questions (deflection) ---------------------------------------------------------------

MAX_SUGGESTIONS = 5


def suggest(actor: Any, question: str) -> list[Any]:
    """Return up to five published articles the actor may read that share words with ``question``.

    Any word counts (a question is a sentence, not a query); the best matches come first. An empty
    or over-long question suggests nothing.
    """
    from kaizen.search import services as search

    text = question.strip() if isinstance(question, str) else ""
    if not text or len(text) > MAX_TITLE:
        return []
    found = search.search(actor, text, types=["article"], limit=MAX_SUGGESTIONS * 2, any_term=True)
    published = set(
        Article.objects.visible_to(actor)
        .filter(pk__in=[h.record_id for h in found.hits], state=ArticleState.PUBLISHED)
        .values_list("pk", flat=True)
    )
    return [h for h in found.hits if h.record_id in published][:MAX_SUGGESTIONS]


def _suggested_ids(actor: Any, values: Iterable[Any]) -> list[int]:
    ids = sorted(
        {int(v) for v in values if isinstance(v, int | str) and str(v).isdigit() and len(str(v)) < 10}
    )
    if not ids:
        return []
    return sorted(Article.objects.visible_to(actor).filter(pk__in=ids[:20]).values_list("pk", flat=True))


def _record_question(actor: Any, *, question: Any, suggested: Iterable[Any], **data: Any) -> Deflection:
    user = _user(actor)
    person = (
        Person.objects.filter(user_id=user.pk).select_related("organisation").first()
        if user is not None
        else None
    )
    if user is None or person is None:
        raise PermissionDenied(_("Your login has no person record; ask the service desk to add one."))
    text = (question if isinstance(question, str) else "").strip()[:MAX_QUESTION]
    if not text:
        raise ValidationError({"question": _("Type your question first.")})
    return create_record(
        Deflection,
        actor=actor,
        check=False,
        data={
            "organisation": person.organisation,
            "user": user,
            "question": text,
            "suggested": _suggested_ids(actor, suggested),
            **data,
        },
    )


def record_answered(
    actor: Any, *, question: Any, article_id: Any, suggested: Iterable[Any] = ()
) -> Deflection:
    """Record that a published article answered a requester's question: no ticket was needed.

    Raises:
        Article.DoesNotExist: no such published article visible to the actor.
        ValidationError: an empty question.
        PermissionDenied: the login has no person record.
    """
    try:
        pk = int(article_id)
    except (TypeError, ValueError):
        raise Article.DoesNotExist from None
    article = Article.objects.visible_to(actor).filter(pk=pk, state=ArticleState.PUBLISHED).first()
    if article is None:
        raise Article.DoesNotExist
    with transaction.atomic():
        return _record_question(
            actor, question=question, suggested=[*suggested, pk], outcome=Outcome.ANSWERED, article=article
        )


def record_ticket(
    actor: Any, *, question: Any, ticket: Ticket, suggested: Iterable[Any]
) -> Deflection | None:
    """Record that a requester created a ticket although articles were suggested (none when none were)."""
    ids = _suggested_ids(actor, suggested)
    if not ids:
        return None
    return _record_question(actor, question=question, suggested=ids, outcome=Outcome.TICKET, ticket=ticket)


def record_unanswered(actor: Any, *, question: Any, suggested: Iterable[Any] = ()) -> Deflection:
    """Record a question no published article answered (the ask page): it feeds the FAQ candidates.

    Raises:
        ValidationError: an empty question.
        PermissionDenied: the login has no person record.
    """
    with transaction.atomic():
        return _record_question(actor, question=question, suggested=suggested, outcome=Outcome.UNANSWERED)
