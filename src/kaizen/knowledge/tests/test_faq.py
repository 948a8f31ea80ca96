"""FAQ candidates: inquiries grouped into topics by meaning, coverage by articles, drafts, the pages."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing.ui import HOSTILE_VALUES, client_for
from kaizen.knowledge import clustering, faq, services
from kaizen.knowledge.choices import ArticleState
from kaizen.knowledge.models import Article, FaqCluster, FaqRun
from kaizen.knowledge.tests.factories import published
from kaizen.tickets.tests.factories import admin, desk, requester_of, ticket

pytestmark = pytest.mark.django_db

VPN = [
    "VPNに接続できません",
    "在宅勤務でVPNがつながらない",
    "Cannot connect to the VPN from home",
    "VPN接続エラーが出る",
]
PRINTER = [
    "プリンタで印刷できない",
    "複合機から印刷が出てこない",
    "The printer on the 3rd floor does not print",
]


def test_clustering_groups_alike_vectors_and_drops_singletons() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=16), rng.normal(size=16)
    rows = np.array(
        [
            a,
            a + 0.05 * rng.normal(size=16),
            b,
            b + 0.05 * rng.normal(size=16),
            b,
            rng.normal(size=16),
            np.zeros(16),
        ],
        dtype=np.float32,
    )
    topics = clustering.cluster(rows, threshold=0.9)
    assert [sorted(t.members) for t in topics] == [[2, 3, 4], [0, 1]]
    assert clustering.cluster(np.zeros((0, 16), dtype=np.float32)) == []
    assert clustering.cluster(np.zeros((3, 16), dtype=np.float32)) == []
    assert clustering.best_cover(topics[0].centroid, np.zeros((0, 16), dtype=np.float32)) == (-1, 0.0)


@pytest.fixture
def desk_history(django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    desk()
    org = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        for title in VPN + PRINTER + ["会議室の予約方法"]:
            ticket(org, title=title)
        ticket(OrganisationFactory(), title="VPNに接続できない（他社）")
        article = published(org, title="VPN 接続できないときの対処", body="証明書を更新してください。")
    return {"org": org, "article": article, "agent": user_with_role(Role.AGENT, org)}


def _run(user: Any, django_capture_on_commit_callbacks: Any, **data: Any) -> FaqRun:
    with django_capture_on_commit_callbacks(execute=True), context.acting(user=user):
        run = faq.start_run(actor=user, data={"days": 30, **data})
    run.refresh_from_db()
    return run


def test_a_run_finds_the_topics_their_sizes_and_which_article_covers_them(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    run = _run(desk_history["agent"], django_capture_on_commit_callbacks, organisation=desk_history["org"])
    assert run.state == "done" and run.progress == 100 and run.inquiries == 8  # not the other organisation's
    topics = list(run.clusters.all())
    sizes = {tuple(sorted(e["title"] for e in c.examples)): c for c in topics}
    vpn = next(c for c in topics if any("VPN" in e["title"] for e in c.examples))
    printer = next(
        c for c in topics if any("印刷" in e["title"] or "print" in e["title"] for e in c.examples)
    )
    assert vpn.size >= 3 and printer.size >= 2 and vpn.rank < printer.rank
    assert vpn.article_id == desk_history["article"].pk
    assert printer.article_id is None
    assert all("他社" not in e["title"] for c in topics for e in c.examples)
    assert sizes


def test_a_topic_becomes_a_draft_once(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    run = _run(desk_history["agent"], django_capture_on_commit_callbacks, organisation=desk_history["org"])
    printer = next(c for c in run.clusters.all() if c.article_id is None)
    with context.acting(user=desk_history["agent"]):
        draft = faq.draft_from_cluster(printer.pk, actor=desk_history["agent"])
        again = faq.draft_from_cluster(printer.pk, actor=desk_history["agent"])
    assert draft.pk == again.pk and draft.state == ArticleState.DRAFT
    assert draft.title == printer.label and printer.examples[0]["title"] in draft.body
    assert FaqCluster.objects.get(pk=printer.pk).draft_id == draft.pk


def test_unanswered_portal_questions_join_the_topics(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    requester = requester_of(desk_history["org"])
    for question in ("印刷ができません", "プリンターが動かない"):
        services.record_unanswered(requester, question=question)
    run = _run(desk_history["agent"], django_capture_on_commit_callbacks, organisation=desk_history["org"])
    assert run.inquiries == 10
    assert sum(c.questions for c in run.clusters.all()) >= 1


def test_pages_start_follow_and_draft(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(desk_history["agent"])
    assert client.get(reverse("knowledge:faq")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("knowledge:faq"), {"days": 30, "organisation": desk_history["org"].pk})
    assert response.status_code == 302
    run = FaqRun.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "FAQ" in page and "VPN" in page
    partial = client.get(response["Location"], HTTP_HX_REQUEST="true")
    assert partial["HX-Refresh"] == "true"
    cluster = run.clusters.filter(article__isnull=True).first()
    drafted = client.post(reverse("knowledge:faq-draft", args=[cluster.pk]))
    assert drafted.status_code == 302 and Article.objects.filter(state=ArticleState.DRAFT).exists()


@pytest.mark.parametrize("days", ["0", "-1", "800", "abc", *HOSTILE_VALUES[:3]])
def test_bad_periods_and_other_people_are_refused(desk_history: dict[str, Any], days: str) -> None:
    client = client_for(desk_history["agent"])
    assert client.post(reverse("knowledge:faq"), {"days": days}).status_code == 400
    assert not FaqRun.objects.exists()
    with pytest.raises(Exception, match="731"):
        faq.start_run(actor=desk_history["agent"], data={"days": 1000})


def test_runs_of_other_organisations_and_requesters_see_nothing(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    run = _run(desk_history["agent"], django_capture_on_commit_callbacks, organisation=desk_history["org"])
    outsider = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert outsider.get(reverse("knowledge:faq-run", args=[run.pk])).status_code == 404
    cluster = run.clusters.first()
    assert outsider.post(reverse("knowledge:faq-draft", args=[cluster.pk])).status_code == 404
    requester = client_for(requester_of(desk_history["org"]))
    assert requester.get(reverse("knowledge:faq")).status_code == 403
    assert client_for(admin()).get(reverse("knowledge:faq-run", args=[run.pk])).status_code == 200


def test_the_api_starts_a_run_reads_its_topics_and_drafts(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from kaizen.core.testing.api import assert_problem
    from kaizen.core.testing.api import client_for as api_client

    client = api_client(desk_history["agent"])
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/api/v1/faq-runs/", {"days": 30, "organisation": desk_history["org"].pk}, format="json"
        )
    assert started.status_code == 202, started.content
    body = client.get(f"/api/v1/faq-runs/{started.json()['id']}/").json()
    assert body["state"] == "done" and body["topics"] and body["topics"][0]["size"] >= 3
    topic = next(t for t in body["topics"] if t["article"] is None)
    drafted = client.post(f"/api/v1/faq-runs/topics/{topic['id']}/draft/")
    assert drafted.status_code == 201 and drafted.json()["number"].startswith("KB-")
    for bad in (
        {"days": 0},
        {"days": "x"},
        {"days": 30},
        {"days": 30, "organisation": 10**9},
        {"surprise": 1},
    ):
        assert_problem(client.post("/api/v1/faq-runs/", bad, format="json"), 400)
    assert_problem(client.post("/api/v1/faq-runs/topics/999999/draft/"), 404)
    outsider = api_client(user_with_role(Role.AGENT, OrganisationFactory()))
    assert outsider.get("/api/v1/faq-runs/").json()["results"] == []
    assert_problem(outsider.post(f"/api/v1/faq-runs/topics/{topic['id']}/draft/"), 404)
    assert_problem(
        api_client(requester_of(desk_history["org"])).post("/api/v1/faq-runs/topics/1/draft/"), 403
    )


def test_a_run_is_opened_by_its_starter_and_a_lost_job_is_marked_failed(
    desk_history: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    import datetime as dt

    run = _run(desk_history["agent"], django_capture_on_commit_callbacks, organisation=desk_history["org"])
    colleague = client_for(user_with_role(Role.AGENT, desk_history["org"]))
    assert colleague.get(reverse("knowledge:faq-run", args=[run.pk])).status_code == 404
    stuck = FaqRun.objects.create(
        organisation=desk_history["org"], days=30, state="running", started_by=desk_history["agent"]
    )
    FaqRun.objects.filter(pk=stuck.pk).update(created_at=stuck.created_at - dt.timedelta(hours=1))
    client_for(desk_history["agent"]).get(reverse("knowledge:faq-run", args=[stuck.pk]))
    stuck.refresh_from_db()
    assert stuck.state == "failed" and stuck.error


def test_clustering_many_topics_stays_correct_past_the_first_allocation() -> None:
    rng = np.random.default_rng(3)
    bases = rng.normal(size=(150, 32))
    rows = np.vstack([bases, bases + 0.01 * rng.normal(size=bases.shape)]).astype(np.float32)
    topics = clustering.cluster(rows, threshold=0.95)
    assert len(topics) == 150 and all(len(t.members) == 2 for t in topics)
