"""The demo articles load once, through the services, with one overdue and one draft."""

from __future__ import annotations

import pytest

from kaizen.core import demo
from kaizen.knowledge.choices import ArticleState, Audience
from kaizen.knowledge.models import Article, Feedback
from kaizen.knowledge.queries import overdue

pytestmark = pytest.mark.django_db


def test_the_demo_articles_load_once():
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio", "knowledge"))
    titles = set(Article.objects.values_list("title", flat=True))
    assert {
        "VPN 接続手順",
        "パスワードリセットの手順",
        "プリンタで印刷できないとき",
        "メール送信エラーの対処",
    } <= titles
    assert "Connecting to the VPN" in titles
    assert Article.objects.filter(state=ArticleState.DRAFT).count() == 1
    assert [a.title for a in overdue(Article.objects.all())] == ["VPN 接続手順"]
    assert Article.objects.filter(state=ArticleState.PUBLISHED, audience=Audience.REQUESTERS).count() == 5
    assert Feedback.objects.count() == 2
    count = Article.objects.count()
    demo.load_all(password="kaizen-demo", only=("knowledge",))
    assert Article.objects.count() == count


def test_the_demo_articles_are_searchable_after_the_demo_loads():
    from kaizen.search import services as search
    from kaizen.tickets.tests.factories import admin

    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio", "knowledge", "search"))
    hits = search.search(admin(), "印刷", types=["article"]).hits
    assert "プリンタで印刷できないとき" in {h.title for h in hits}
