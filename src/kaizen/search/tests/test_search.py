"""Indexing tickets and searching them: matches, visibility, updates, hostile queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.search import services
from kaizen.search.models import SearchEntry
from kaizen.tickets import services as ticket_services
from kaizen.tickets.tests.factories import admin, desk, requester_of, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Any:
    """Run a write and the outbox deliveries it queues (the index is kept by a handler)."""

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def own_ticket(requester: Any, title: str) -> Any:
    return ticket_services.create_ticket(actor=requester, kind="incident", data={"title": title})


def numbers(user: Any, q: str, **kwargs: Any) -> set[str]:
    return {h.number for h in services.search(user, q, **kwargs).hits}


def test_a_new_ticket_is_indexed_after_commit(deliver: Any) -> None:
    t = deliver(ticket, title="プリンタ印刷不可", description="3階の複合機で印刷できません")
    entry = SearchEntry.objects.get(record_type="incident", record_id=t.pk)
    assert entry.number == t.number
    assert "印刷" in entry.tokens.split()


@pytest.mark.parametrize("q", ["印刷", "プリンター", "ﾌﾟﾘﾝﾀ", "複合機", "印刷 プリンタ"])
def test_japanese_queries_find_the_ticket(deliver: Any, q: str) -> None:
    t = deliver(ticket, title="プリンタ印刷不可", description="3階の複合機で印刷できません")
    assert numbers(admin(), q) == {t.number}


def test_two_character_word_inside_a_compound(deliver: Any) -> None:
    t = deliver(ticket, title="サーバ室の警告灯が点灯")
    assert numbers(admin(), "警告") == {t.number}
    assert numbers(admin(), "サーバー") == {t.number}


def test_every_term_must_match(deliver: Any) -> None:
    a = deliver(ticket, title="VPN接続障害")
    b = deliver(ticket, title="メール障害")
    assert numbers(admin(), "障害") == {a.number, b.number}
    assert numbers(admin(), "ＶＰＮ 障害") == {a.number}
    assert numbers(admin(), "ＶＰＮ メール") == set()


def test_english_text_is_found(deliver: Any) -> None:
    t = deliver(ticket, title="Printers on floor 3 are not printing", description="Error 0x80070005")
    assert numbers(admin(), "printer") == {t.number}
    assert numbers(admin(), "PRINTERS floor") == {t.number}
    assert numbers(admin(), "scanner") == set()


def test_hits_carry_a_highlighted_snippet(deliver: Any) -> None:
    t = deliver(ticket, title="<b>警告</b>灯", description="朝から警告灯が点灯 & 消えない")
    hit = services.search(admin(), "警告").hits[0]
    assert hit.record_type == "incident" and hit.record_id == t.pk and hit.number == t.number
    assert hit.title_html == "&lt;b&gt;<mark>警告</mark>&lt;/b&gt;灯"
    assert hit.snippet == "朝から<mark>警告</mark>灯が点灯 &amp; 消えない"
    assert hit.score > 0


def test_an_update_is_reflected(deliver: Any) -> None:
    t = deliver(ticket, title="メールが送れない")
    deliver(
        ticket_services.update_ticket,
        t.pk,
        actor=admin(),
        changes={"title": "ファイルサーバーに接続できない"},
        version=t.version,
    )
    assert numbers(admin(), "メール") == set()
    assert numbers(admin(), "サーバ") == {t.number}
    assert SearchEntry.objects.filter(record_id=t.pk).count() == 1


def test_a_rolled_back_write_indexes_nothing(deliver: Any) -> None:
    with pytest.raises(ValidationError):
        deliver(ticket, title="印刷" * 200)  # too long a title
    assert not SearchEntry.objects.exists()


def test_requester_sees_only_own_tickets(deliver: Any) -> None:
    org = OrganisationFactory()
    alice, bob = requester_of(org), requester_of(org)
    mine = deliver(own_ticket, alice, "印刷できない")
    deliver(own_ticket, bob, "印刷できない")
    deliver(ticket, org, title="印刷が遅い")
    assert numbers(alice, "印刷") == {mine.number}


def test_another_organisations_agent_sees_nothing(deliver: Any) -> None:
    org, other = OrganisationFactory(), OrganisationFactory()
    t = deliver(ticket, org, title="印刷できない")
    assert numbers(user_with_role(Role.AGENT, org), "印刷") == {t.number}
    assert numbers(user_with_role(Role.AGENT, other), "印刷") == set()
    assert numbers(user_with_role(None, org), "印刷") == set()


def test_types_filter_the_hits(deliver: Any) -> None:
    incident = deliver(ticket, title="印刷障害")
    problem = deliver(ticket, kind="problem", title="印刷障害の根本原因")
    assert numbers(admin(), "印刷", types=["problem"]) == {problem.number}
    assert numbers(admin(), "印刷", types=["incident", "problem"]) == {incident.number, problem.number}
    with pytest.raises(ValidationError):
        services.search(admin(), "印刷", types=["secret"])


def test_limit_and_offset_page_through_hits(deliver: Any) -> None:
    made = {deliver(ticket, title=f"印刷障害 {i}").number for i in range(5)}
    first = services.search(admin(), "印刷", limit=3)
    second = services.search(admin(), "印刷", limit=3, offset=3)
    assert first.has_more and not second.has_more
    assert {h.number for h in first.hits} | {h.number for h in second.hits} == made


@pytest.mark.parametrize(
    "q",
    ['"', '""', "*", "印刷*", "NEAR", "NEAR(印刷 障害)", "-x", "-印刷", "a OR b", "印刷 AND NOT 障害", "a:b",
     "tokens:印刷", "印刷 & 障害 | !x", "(印刷)", "'; DROP TABLE search_searchentry; --", "\\", "^印刷",
     "😀", "\u202e\ufeff", "ﾞﾞﾞ", "％％", "印刷" * 499],
)  # fmt: skip
def test_hostile_queries_are_text(deliver: Any, q: str) -> None:
    org = OrganisationFactory()
    t = deliver(ticket, org, title="印刷障害 NEAR x OR b")
    for user in (admin(), user_with_role(Role.AGENT, org)):  # every organisation; one (scoped terms)
        for any_term in (False, True):
            result = services.search(user, q, any_term=any_term)
            assert all(h.number == t.number for h in result.hits)
    assert SearchEntry.objects.count() == 1


def test_syntax_words_match_as_words(deliver: Any) -> None:
    t = deliver(ticket, title="NEAR field communication")
    assert numbers(admin(), "near") == {t.number}
    assert numbers(admin(), '"near"') == {t.number}


@pytest.mark.parametrize("q", ["", "   ", "x" * 1001])
def test_empty_or_long_query_is_refused(q: str) -> None:
    with pytest.raises(ValidationError) as err:
        services.search(admin(), q)
    assert "q" in err.value.message_dict


def test_query_without_terms_finds_nothing(deliver: Any) -> None:
    deliver(ticket, title="印刷障害")
    assert services.search(admin(), "!!! 。、").hits == []


def test_reindex_all_rebuilds_and_drops_stale_entries(deliver: Any) -> None:
    t = ticket(title="印刷障害")  # outbox not delivered: not indexed yet
    SearchEntry.objects.create(record_type="incident", record_id=999_999, title="gone", tokens="印刷")
    SearchEntry.objects.create(record_type="retired", record_id=1, title="old", tokens="印刷")
    assert services.reindex_all() == 1
    assert list(SearchEntry.objects.values_list("record_id", flat=True)) == [t.pk]
    assert numbers(admin(), "印刷") == {t.number}


def test_remove_drops_the_entry(deliver: Any) -> None:
    t = deliver(ticket, title="印刷障害")
    services.remove("incident", t.pk)
    services.remove("incident", t.pk)
    assert numbers(admin(), "印刷") == set()


def test_the_index_stays_in_step_with_the_entry_table(deliver: Any) -> None:
    t = deliver(ticket, title="印刷障害")
    SearchEntry.objects.filter(record_id=t.pk).update(tokens="別件")
    assert numbers(admin(), "印刷") == set()
    assert numbers(admin(), "別件") == {t.number}
    SearchEntry.objects.all().delete()
    assert numbers(admin(), "別件") == set()


def test_search_reindex_command(capsys: Any) -> None:
    from django.core.management import call_command

    ticket(title="印刷障害")
    call_command("search_reindex")
    assert SearchEntry.objects.count() == 1


CORPUS = {
    "a": "プリンタ印刷不可",
    "b": "サーバー室の警告灯が点灯",
    "c": "ｻｰﾊﾞｰ再起動後にＶＰＮ接続障害",
    "d": "Printers on floor 3 are not printing",
    "e": "オフィス引越しの打合せ",
    "f": "メール送信エラー (SMTP 550)",
}
EXPECTED = {
    "印刷": {"a"},
    "警告": {"b"},
    "サーバ": {"b", "c"},
    "vpn": {"c"},
    "障害": {"c"},
    "printer": {"d"},
    "引っ越し 打ち合わせ": {"e"},
    "smtp 550": {"f"},
    "エラー": {"f"},
    "プリンター 警告": set(),
    '"サーバー" -警告': {"b"},
    "NEAR(サーバ)": set(),
}


@pytest.mark.parametrize(("q", "expected"), list(EXPECTED.items()))
def test_the_same_hits_on_every_database(deliver: Any, q: str, expected: set[str]) -> None:
    """The expected sets are written down once: this test passes on SQLite and on PostgreSQL."""
    made = {deliver(ticket, title=title).number: key for key, title in CORPUS.items()}
    assert {made[n] for n in numbers(admin(), q)} == expected


@pytest.mark.parametrize(("q", "expected"), list(EXPECTED.items()))
def test_an_agent_of_one_organisation_gets_the_same_hits(deliver: Any, q: str, expected: set[str]) -> None:
    """A user of a few organisations is matched per record type and organisation (on SQLite, in the
    ``scoped`` column): the same hits as the administrator's among that organisation's tickets, none
    of another organisation's with the same words."""
    org, other = OrganisationFactory(), OrganisationFactory()
    made = {deliver(ticket, org, title=title).number: key for key, title in CORPUS.items()}
    for title in CORPUS.values():
        deliver(ticket, other, title=title)
    assert {made[n] for n in numbers(user_with_role(Role.AGENT, org), q)} == expected
    assert {made[n] for n in numbers(user_with_role(Role.AGENT, org), q, any_term=True)} >= expected


def test_scoped_terms_follow_the_entry(deliver: Any) -> None:
    """The ``scoped`` column is kept by the same triggers as the terms (SQLite; PostgreSQL matches the
    entry's own terms): a changed text or organisation is what the next search sees."""
    org, other = OrganisationFactory(), OrganisationFactory()
    t = deliver(ticket, org, title="印刷障害")
    agent = user_with_role(Role.AGENT, org)
    assert numbers(agent, "印刷") == {t.number}
    SearchEntry.objects.filter(record_id=t.pk).update(tokens="別件 障害")
    assert numbers(agent, "印刷") == set()
    assert numbers(agent, "別件 障害") == {t.number}
    # The entry moved to another organisation: it is looked for there only (the agent may still see
    # the record, but its entry no longer says the agent's organisation).
    SearchEntry.objects.filter(record_id=t.pk).update(organisation=other)
    assert numbers(agent, "別件") == set()
    assert numbers(admin(), "別件") == {t.number}


def test_the_scoped_column_holds_each_term_behind_its_scope(deliver: Any) -> None:
    from django.db import connection

    from kaizen.search import facets

    if connection.vendor != "sqlite":
        pytest.skip("the scoped column is SQLite's")
    org = OrganisationFactory()
    t = deliver(ticket, org, title="プリンタ印刷不可")
    entry = SearchEntry.objects.get(record_id=t.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s",
            ['scoped : "' + facets.scoped("incident", org.pk, "印刷") + '"'],
        )
        assert cursor.fetchall() == [(entry.pk,)]
        cursor.execute(
            "SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s",
            ['scoped : "' + facets.scoped("incident", org.pk + 1, "印刷") + '"'],
        )
        assert cursor.fetchall() == []
        # A word typed by a user never matches a scope (nor a facet) by itself.
        cursor.execute(
            "SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s",
            ['tokens : "' + facets.scoped("incident", org.pk, "印刷") + '"'],
        )
        assert cursor.fetchall() == []
    assert numbers(user_with_role(Role.AGENT, org), facets.scoped("incident", org.pk, "印刷")) == set()


def test_a_resolution_is_searchable_after_the_action(deliver: Any) -> None:
    t = deliver(ticket, title="メールが送れない")
    deliver(
        ticket_services.apply_action,
        t.pk,
        "resolve",
        actor=admin(),
        version=t.version,
        params={"resolution": "DNSサーバーの設定を修正", "cause_class": "hardware"},
    )
    assert numbers(admin(), "dns 設定") == {t.number}


def test_a_late_delivery_indexes_the_latest_text() -> None:
    """Messages may arrive late or out of order: each handler indexes what the ticket holds now."""
    from kaizen.core import events
    from kaizen.core.models import OutboxMessage

    t = ticket(title="メールが送れない")
    ticket_services.update_ticket(t.pk, actor=admin(), changes={"title": "印刷できない"}, version=t.version)
    created = OutboxMessage.objects.get(topic="ticket.created", payload__ticket_id=t.pk)
    events.deliver(created.pk)
    assert numbers(admin(), "印刷") == {t.number}
    assert numbers(admin(), "メール") == set()


def test_a_record_changing_type_keeps_one_entry() -> None:
    from kaizen.search.sources import Document

    services.index(Document("incident", 7, None, "INC-7", "印刷障害", "", ""))
    services.index(Document("problem", 7, None, "PRB-7", "印刷障害", "", ""))
    assert list(SearchEntry.objects.values_list("record_type", "record_id")) == [("problem", 7)]


# -- bounded candidates (queries.BOUND) --------------------------------------------------------------


def test_a_common_word_ranks_its_newest_matches_and_deeper_pages_reach_further(
    deliver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kaizen.search.queries.BOUND", 3)
    org = OrganisationFactory()
    made = [deliver(ticket, org, title=f"印刷障害 {i}").number for i in range(6)]
    first = services.search(admin(), "印刷", limit=2)
    assert {h.number for h in first.hits} <= set(made[-3:]) and first.has_more
    pages = [services.search(admin(), "印刷", limit=2, offset=n).hits for n in (0, 2, 4)]
    assert sorted(h.number for page in pages for h in page) == sorted(made)


def test_matches_the_user_may_not_see_do_not_crowd_out_older_visible_ones(
    deliver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kaizen.search.queries.BOUND", 2)
    org = OrganisationFactory()
    alice, bob = requester_of(org), requester_of(org)
    mine = deliver(own_ticket, alice, "印刷できない")
    for _ in range(4):  # newer matches of the same organisation, not alice's
        deliver(own_ticket, bob, "印刷できない")
    assert numbers(alice, "印刷") == {mine.number}


@pytest.mark.parametrize("per_organisation", [8, 0])  # the window read per organisation, or per type
def test_facets_keep_another_organisations_entries_out_of_the_candidates(
    deliver: Any, monkeypatch: pytest.MonkeyPatch, per_organisation: int
) -> None:
    monkeypatch.setattr("kaizen.search.queries.BOUND", 2)
    monkeypatch.setattr("kaizen.search.queries.WINDOW", 3)
    monkeypatch.setattr("kaizen.search.queries.WINDOW_ORGANISATIONS", per_organisation)
    mine, other = OrganisationFactory(), OrganisationFactory()
    wanted = deliver(ticket, mine, title="印刷障害")
    for _ in range(12):  # more newer matches than BOUND × BATCHES, all in the other organisation
        deliver(ticket, other, title="印刷障害")
    assert numbers(user_with_role(Role.AGENT, mine), "印刷") == {wanted.number}


def test_suggestions_take_entries_holding_every_word_beyond_the_newest(
    deliver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kaizen.search.queries.BOUND", 2)
    org = OrganisationFactory()
    best = deliver(ticket, org, title="トナー交換でプリンタが直らない")
    for i in range(5):
        deliver(ticket, org, title=f"プリンタの設置 {i}")
    hits = services.search(admin(), "プリンタ トナー", any_term=True, limit=3).hits
    assert hits[0].number == best.number


def test_the_window_of_newest_entries_comes_first_and_older_ones_when_it_holds_too_few(
    deliver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kaizen.search.queries.WINDOW", 3)
    org = OrganisationFactory()
    old = {deliver(ticket, org, title=f"印刷障害 障害 {i}").number for i in range(3)}
    for title in ("印刷できない", "印刷が遅い", "メール障害"):  # the window: the three newest
        deliver(ticket, org, title=title)
    # A page of one needs two candidates (one more tells whether a next page exists): the window
    # holds two, so nothing older is ranked.
    first = services.search(admin(), "印刷", limit=1)
    assert first.has_more and first.hits[0].title in {"印刷できない", "印刷が遅い"}
    # Two matches in the window, a page of three asks for four: the older matches are read too.
    assert len(services.search(admin(), "印刷", limit=3).hits) == 3
    assert old <= numbers(admin(), "印刷", limit=10)
    # A word only older entries hold is found below the window.
    assert numbers(admin(), "障害 印刷") == old


def test_the_database_pads_terms_as_the_ranking_expects(deliver: Any) -> None:
    from django.db import connection

    from kaizen.search import ranking

    deliver(ticket, title="印刷 印刷 障害 VPN")
    entry = SearchEntry.objects.get()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {ranking.PADDED_SQL.format(column='tokens')} FROM search_searchentry WHERE id = %s",
            [entry.pk],
        )
        assert cursor.fetchone()[0] == ranking.padded(entry.tokens)
