"""Article services: lifecycle and who may do what, versions, feedback, view counts, visibility,
optimistic locking and drafts from incidents and problems."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from kaizen.core.access import Role
from kaizen.core.models import AuditEntry, OutboxMessage
from kaizen.core.services import ActionNotAllowed, ConflictError
from kaizen.knowledge import queries, services
from kaizen.knowledge.choices import ArticleState, Audience
from kaizen.knowledge.models import Article, ArticleVersion, Feedback
from kaizen.knowledge.tests.factories import (
    OrganisationFactory,
    admin,
    article,
    customer_of,
    fresh,
    person_of,
    published,
    requester_of,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def _move(obj, code, actor, **kwargs):
    return services.transition(obj.pk, code, actor=actor, version=fresh(obj).version, **kwargs)


# -- lifecycle ------------------------------------------------------------------------------------


def test_a_new_article_is_a_numbered_draft_owned_by_its_author_with_a_first_version():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    made = article(org, actor=agent)
    assert made.number.startswith("KB-") and len(made.number) == 9
    assert made.state == ArticleState.DRAFT and made.revision == 1
    assert made.owner == person_of(agent)
    assert list(made.versions.values_list("number", "title")) == [(1, "VPN 接続手順")]
    assert AuditEntry.objects.filter(record_id=str(made.pk), action="create").exists()
    assert article(org).number != made.number


def test_agents_write_and_submit_but_only_a_reviewer_or_manager_publishes():
    org = OrganisationFactory()
    agent, reviewer, manager = (user_with_role(r, org) for r in (Role.AGENT, Role.AGENT, Role.MANAGER))
    draft = article(org, actor=agent, reviewers=[person_of(reviewer)])
    _move(draft, "submit", agent)
    with pytest.raises(PermissionDenied):
        _move(draft, "publish", agent)
    done = _move(draft, "publish", reviewer)
    assert done.state == ArticleState.PUBLISHED and done.published_by == reviewer
    assert done.review_due_on == timezone.localdate() + dt.timedelta(days=180)
    assert ArticleVersion.objects.get(article=done, number=1).published
    assert AuditEntry.objects.filter(record_id=str(done.pk), action="publish").exists()
    assert OutboxMessage.objects.filter(topic="knowledge.article_state_changed").count() == 2
    other = article(org, actor=agent)
    _move(other, "submit", agent)
    assert _move(other, "publish", manager).state == ArticleState.PUBLISHED


def test_a_reviewer_returns_a_draft_and_the_owner_or_a_manager_retires():
    org = OrganisationFactory()
    owner, reviewer, stranger = (user_with_role(Role.AGENT, org) for _ in range(3))
    draft = article(org, actor=owner, reviewers=[person_of(reviewer)])
    _move(draft, "submit", owner)
    assert _move(draft, "return", reviewer, note="手順3の画面名を直してください").state == ArticleState.DRAFT
    assert AuditEntry.objects.get(record_id=str(draft.pk), action="return").meta["note"].startswith("手順3")
    _move(draft, "submit", owner)
    _move(draft, "publish", reviewer)
    with pytest.raises(PermissionDenied):
        _move(draft, "retire", stranger)
    with pytest.raises(PermissionDenied):
        _move(draft, "retire", reviewer)
    retired = _move(draft, "retire", owner)
    assert retired.state == ArticleState.RETIRED and retired.retired_at is not None
    assert _move(draft, "revise", user_with_role(Role.MANAGER, org)).state == ArticleState.DRAFT
    assert fresh(draft).retired_at is None


def test_a_move_that_does_not_apply_is_refused_with_the_moves_that_do():
    org = OrganisationFactory()
    draft = article(org)
    with pytest.raises(ActionNotAllowed) as caught:
        _move(draft, "publish", admin())
    assert caught.value.allowed == ["submit", "retire"]
    with pytest.raises(ActionNotAllowed):
        _move(draft, "bogus", admin())
    assert fresh(draft).version == 1


def test_an_empty_draft_cannot_be_submitted():
    draft = article(OrganisationFactory(), body="  ")
    with pytest.raises(ValidationError) as caught:
        _move(draft, "submit", admin())
    assert "body" in caught.value.message_dict


def test_an_auditor_and_a_requester_make_no_move():
    org = OrganisationFactory()
    customer, service = customer_of(org)
    done = published(org, service=service)
    with pytest.raises(PermissionDenied):
        _move(done, "retire", user_with_role(Role.AUDITOR, org))
    with pytest.raises(PermissionDenied):
        _move(done, "reconfirm", requester_of(customer))


def test_confirming_the_review_moves_the_next_review_date():
    org = OrganisationFactory()
    done = published(org, review_interval_days=30)
    Article.objects.filter(pk=done.pk).update(review_due_on=timezone.localdate() - dt.timedelta(days=3))
    assert list(queries.overdue(Article.objects.all())) == [fresh(done)]
    confirmed = _move(done, "reconfirm", admin())
    assert confirmed.review_due_on == timezone.localdate() + dt.timedelta(days=30)
    assert confirmed.version == fresh(done).version and list(queries.overdue(Article.objects.all())) == []
    again = _move(done, "reconfirm", admin())
    assert again.version == confirmed.version + 1


# -- editing, versions, locking ---------------------------------------------------------------------


def test_each_change_of_title_or_text_keeps_a_version_and_the_diff_shows_it():
    org = OrganisationFactory()
    draft = article(org)
    services.update_article(
        draft.pk, actor=admin(), changes={"body": "## 手順\n\n1. 再起動する\n"}, version=1
    )
    services.update_article(draft.pk, actor=admin(), changes={"review_interval_days": 90}, version=2)
    assert fresh(draft).revision == 2
    assert list(ArticleVersion.objects.filter(article=draft).values_list("number", flat=True)) == [2, 1]
    old, new, lines = queries.diff(fresh(draft), 1, 2)
    assert (old.number, new.number) == (1, 2)
    assert {(d.kind, d.text) for d in lines} >= {
        ("added", "1. 再起動する"),
        ("removed", "1. VPN クライアントを開く"),
    }
    assert queries.diff(fresh(draft), 1, 9) is None


def test_a_published_article_keeps_its_text_until_a_new_revision():
    org = OrganisationFactory()
    done = published(org)
    with pytest.raises(ValidationError) as caught:
        services.update_article(done.pk, actor=admin(), changes={"title": "新しい題"}, version=done.version)
    assert "title" in caught.value.message_dict
    moved = services.update_article(
        done.pk, actor=admin(), changes={"review_interval_days": 60}, version=done.version
    )
    assert moved.review_interval_days == 60
    draft = _move(done, "revise", admin())
    changed = services.update_article(
        draft.pk, actor=admin(), changes={"title": "新しい題"}, version=draft.version
    )
    assert changed.title == "新しい題" and changed.revision == 2


def test_a_stale_version_is_a_conflict_and_changes_nothing():
    draft = article(OrganisationFactory())
    services.update_article(draft.pk, actor=admin(), changes={"title": "一回目"}, version=1)
    with pytest.raises(ConflictError):
        services.update_article(draft.pk, actor=admin(), changes={"title": "二回目"}, version=1)
    with pytest.raises(ConflictError):
        services.transition(draft.pk, "submit", actor=admin(), version=1)
    assert fresh(draft).title == "一回目" and fresh(draft).state == ArticleState.DRAFT


def test_reviewers_are_people_the_writer_sees_and_changing_them_is_a_new_version():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    draft = article(org, actor=agent)
    hidden = person_of(user_with_role(Role.AGENT, OrganisationFactory()))
    with pytest.raises(ValidationError):
        services.update_article(draft.pk, actor=agent, changes={}, version=1, reviewers=[hidden])
    colleague = person_of(user_with_role(Role.AGENT, org))
    changed = services.update_article(draft.pk, actor=agent, changes={}, version=1, reviewers=[colleague])
    assert changed.version == 2 and list(changed.reviewers.all()) == [colleague]
    assert AuditEntry.objects.filter(record_id=str(draft.pk), action="reviewers").exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ["x"]},
        {"title": "x" * 201},
        {"body": "x" * 50_001},
        {"body": 12},
        {"audience": "everyone"},
        {"review_interval_days": 0},
        {"review_interval_days": "30"},
        {"review_interval_days": 2000},
        {"state": "published"},
        {"number": "KB-999999"},
        {"title": "bell\x07"},
        {"service": 10**20},
    ],
)
def test_invalid_values_are_refused(changes):
    draft = article(OrganisationFactory())
    with pytest.raises(ValidationError):
        services.update_article(draft.pk, actor=admin(), changes=changes, version=1)
    assert fresh(draft).version == 1


# -- feedback and views ---------------------------------------------------------------------------


def test_feedback_is_once_per_reader_and_revision():
    org = OrganisationFactory()
    customer, service = customer_of(org)
    reader = requester_of(customer)
    done = published(org, service=service)
    services.give_feedback(done.pk, actor=reader, helpful=True, comment="助かりました")
    with pytest.raises(ValidationError):
        services.give_feedback(done.pk, actor=reader, helpful=False)
    services.give_feedback(done.pk, actor=user_with_role(Role.AGENT, org), helpful=False)
    votes = queries.votes(fresh(done))
    assert (votes.helpful, votes.not_helpful, votes.revision_helpful) == (1, 1, 1)
    draft = _move(done, "revise", admin())
    with pytest.raises(Article.DoesNotExist):  # a requester no longer sees it
        services.give_feedback(draft.pk, actor=reader, helpful=True)
    with pytest.raises(ValidationError):
        services.give_feedback(draft.pk, actor=admin(), helpful=True)
    services.update_article(draft.pk, actor=admin(), changes={"body": "改訂版"}, version=draft.version)
    _move(draft, "submit", admin())
    _move(draft, "publish", admin())
    services.give_feedback(done.pk, actor=reader, helpful=False)
    votes = queries.votes(fresh(done))
    assert (votes.helpful, votes.not_helpful, votes.revision_helpful, votes.revision_not_helpful) == (
        1,
        2,
        0,
        1,
    )
    assert Feedback.objects.filter(article=done, user=reader).count() == 2


@pytest.mark.parametrize(("helpful", "comment"), [("yes", ""), (1, ""), (True, 5), (True, "x" * 2001)])
def test_bad_feedback_is_refused(helpful, comment):
    done = published(OrganisationFactory())
    with pytest.raises(ValidationError):
        services.give_feedback(done.pk, actor=admin(), helpful=helpful, comment=comment)
    assert not Feedback.objects.exists()


def test_feedback_on_an_invisible_article_is_not_found():
    done = published(OrganisationFactory())
    with pytest.raises(Article.DoesNotExist):
        services.give_feedback(done.pk, actor=user_with_role(Role.AGENT, OrganisationFactory()), helpful=True)


def test_views_are_counted_without_a_version_or_an_audit_row():
    done = published(OrganisationFactory())
    stale = fresh(done)
    before = AuditEntry.objects.count()
    for _ in range(3):
        services.record_view(done.pk, actor=admin())
    # A writer holding a copy read before the views does not overwrite the counter.
    services.update_article(
        done.pk, actor=admin(), changes={"review_interval_days": 30}, version=stale.version
    )
    row = fresh(done)
    assert row.view_count == 3 and row.version == stale.version + 1
    assert AuditEntry.objects.count() == before + 1
    with pytest.raises(Article.DoesNotExist):
        services.record_view(done.pk, actor=user_with_role(Role.AGENT, OrganisationFactory()))


@pytest.mark.django_db(transaction=True)
def test_concurrent_views_are_all_counted():
    done = published(OrganisationFactory())
    reader = admin()
    threads, rounds = 6, 5
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            for _ in range(rounds):
                services.record_view(done.pk, actor=reader)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join(timeout=60)
    assert not errors, errors
    assert fresh(done).view_count == threads * rounds


# -- visibility -----------------------------------------------------------------------------------


def test_a_requester_reads_only_published_requester_articles_of_their_provider():
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    _other_customer, other_service = customer_of(provider)
    reader = requester_of(customer)
    visible = published(provider, service=service)
    general = published(provider)
    hidden = [
        published(provider, audience=Audience.AGENTS),
        article(provider, audience=Audience.REQUESTERS),
        published(provider, service=other_service),
        published(OrganisationFactory()),
    ]
    seen = set(Article.objects.visible_to(reader).values_list("pk", flat=True))
    assert seen == {visible.pk, general.pk}
    assert not seen & {a.pk for a in hidden}
    assert not Article.objects.visible_to(reader, "change").exists()


def test_agents_see_every_article_of_their_organisations_and_nothing_else():
    org, other = OrganisationFactory(), OrganisationFactory()
    mine = [article(org), published(org, audience=Audience.AGENTS)]
    theirs = published(other)
    for role in (Role.AGENT, Role.MANAGER, Role.AUDITOR):
        user = user_with_role(role, org)
        assert set(Article.objects.visible_to(user).values_list("pk", flat=True)) == {a.pk for a in mine}
    stranger = user_with_role(Role.AGENT, other)
    assert set(Article.objects.visible_to(stranger).values_list("pk", flat=True)) == {theirs.pk}
    with pytest.raises(Article.DoesNotExist):
        services.update_article(mine[0].pk, actor=stranger, changes={"title": "x"}, version=1)


def test_an_auditor_reads_but_does_not_write():
    org = OrganisationFactory()
    auditor = user_with_role(Role.AUDITOR, org)
    draft = article(org)
    with pytest.raises(PermissionDenied):
        services.update_article(draft.pk, actor=auditor, changes={"title": "x"}, version=1)
    with pytest.raises(PermissionDenied):
        article(org, actor=auditor)
    with pytest.raises(PermissionDenied):
        services.delete_article(draft.pk, actor=auditor)


def test_a_manager_deletes_an_article_with_its_versions_and_feedback():
    org = OrganisationFactory()
    done = published(org)
    services.give_feedback(done.pk, actor=admin(), helpful=True)
    with pytest.raises(PermissionDenied):
        services.delete_article(done.pk, actor=user_with_role(Role.AGENT, org))
    services.delete_article(done.pk, actor=user_with_role(Role.MANAGER, org))
    assert not Article.objects.filter(pk=done.pk).exists()
    assert not ArticleVersion.objects.filter(article_id=done.pk).exists()
    assert not Feedback.objects.exists()
