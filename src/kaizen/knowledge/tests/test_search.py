"""Articles in the search index (kept by outbox handlers: each test delivers after its writes)."""

from __future__ import annotations

from typing import Any

import pytest

from kaizen.core import context
from kaizen.knowledge import services
from kaizen.knowledge.choices import Audience
from kaizen.search import services as search
from kaizen.search.models import SearchEntry

from .factories import (
    OrganisationFactory,
    admin,
    article,
    customer_of,
    fresh,
    published,
    requester_of,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def numbers(user: Any, q: str, **kwargs: Any) -> set[str]:
    return {h.number for h in search.search(user, q, **kwargs).hits}


def test_an_article_is_found_by_its_words_and_their_variants(django_capture_on_commit_callbacks: Any):
    provider = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        kb = published(
            provider, title="プリンタで印刷できないときの対処", body="複合機のサーバーを再起動します。"
        )
    staff = admin()
    for q in ("印刷", "プリンター", "ｻｰﾊﾞ", "複合機 再起動"):
        assert numbers(staff, q) == {kb.number}, q
    assert numbers(staff, "印刷", types=["article"]) == {kb.number}
    assert numbers(staff, "印刷", types=["incident"]) == set()


def test_a_requester_finds_only_published_articles_meant_for_requesters(
    django_capture_on_commit_callbacks: Any,
):
    provider = OrganisationFactory()
    customer, service = customer_of(provider)
    with django_capture_on_commit_callbacks(execute=True):
        shown = published(provider, service=service, title="VPN 接続手順")
        agents_only = published(provider, audience=Audience.AGENTS, title="VPN 装置の再起動手順")
        draft = article(provider, title="VPN の新しい接続手順")
    reader = requester_of(customer)
    assert numbers(reader, "VPN") == {shown.number}
    agent = user_with_role("agent", provider)
    assert numbers(agent, "VPN") == {shown.number, agents_only.number, draft.number}
    assert numbers(user_with_role("agent", OrganisationFactory()), "VPN") == set()


def test_changes_moves_and_deletion_keep_the_index_current(django_capture_on_commit_callbacks: Any):
    provider = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        draft = article(provider, title="メール送信エラーの対処")
    staff = admin()
    assert numbers(staff, "送信") == {draft.number}
    with context.acting(user=staff), django_capture_on_commit_callbacks(execute=True):
        services.update_article(
            draft.pk, actor=staff, changes={"title": "パスワードの再設定"}, version=draft.version
        )
    assert numbers(staff, "送信") == set()
    assert numbers(staff, "パスワード") == {draft.number}
    with context.acting(user=staff), django_capture_on_commit_callbacks(execute=True):
        services.delete_article(draft.pk, actor=staff, version=fresh(draft).version)
    assert not SearchEntry.objects.filter(record_type="article", record_id=draft.pk).exists()


def test_reindex_all_includes_articles():
    provider = OrganisationFactory()
    kb = published(provider, title="警告灯が点灯したとき")
    SearchEntry.objects.filter(record_type="article").delete()
    search.reindex_all()
    assert numbers(admin(), "警告") == {kb.number}


def test_the_snippet_of_an_article_leaves_out_its_markup(django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        body = "## 手順\n\n1. **本社 VPN** を選ぶ\n- `vpncli` を起動"
        published(OrganisationFactory(), title="手順書", body=body)
    (hit,) = search.search(admin(), "VPN").hits
    assert "**" not in hit.snippet and "##" not in hit.snippet and "`" not in hit.snippet
    assert "<mark>VPN</mark>" in hit.snippet
