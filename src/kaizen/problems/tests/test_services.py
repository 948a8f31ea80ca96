"""Services and queries of problem management: problems from incidents, details, fixes, known errors,
search and suggestions, and one organisation never seeing another's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.models import AuditEntry
from kaizen.core.services import ConflictError
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.problems import queries, services
from kaizen.problems.choices import KnownErrorState
from kaizen.problems.models import KnownError, ProblemRecord
from kaizen.tickets import services as tickets
from kaizen.tickets.models import Ticket, TicketLink
from kaizen.tickets.tests.factories import (
    OrganisationFactory,
    Role,
    admin,
    desk,
    person_of,
    ticket,
    user_with_role,
)

from .factories import change, incident, known_error, problem

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def agent(org: Any) -> Any:
    return user_with_role(Role.AGENT, org)


# -- problems from incidents --------------------------------------------------------------------


def test_problem_from_incidents_links_each_and_copies_service_and_cis(org: Any, agent: Any) -> None:
    service = ServiceFactory(organisation=org)
    ci_a, ci_b = CIFactory(organisation=org), CIFactory(organisation=org)
    first = incident(org, service=service, cis=[ci_a])
    second = incident(org, service=service, cis=[ci_b], title="VPN が切れる")
    created = services.create_problem(
        actor=agent,
        incidents=[first.pk, second.pk],
        data={"title": "VPN 切断の多発", "owner": person_of(agent), "root_cause": "調査中"},
    )
    assert created.kind == "problem" and created.number.startswith("PRB-")
    assert created.organisation == org and created.service == service
    assert set(created.cis.values_list("pk", flat=True)) == {ci_a.pk, ci_b.pk}
    links = TicketLink.objects.filter(to_ticket=created, kind="caused_by")
    assert set(links.values_list("from_ticket_id", flat=True)) == {first.pk, second.pk}
    record = ProblemRecord.objects.get(pk=created.pk)
    assert record.owner == person_of(agent) and record.root_cause == "調査中"
    assert first.number in created.description
    assert AuditEntry.objects.filter(record_type="problems.problemrecord", record_id=str(created.pk)).exists()


def test_problem_from_a_trend_needs_no_incident(org: Any, agent: Any) -> None:
    created = services.create_problem(actor=agent, data={"title": "月末の性能劣化", "organisation": org})
    assert created.organisation == org
    assert ProblemRecord.objects.filter(pk=created.pk).exists()


def test_another_organisations_incident_is_refused_and_nothing_is_written(org: Any, agent: Any) -> None:
    theirs = incident(OrganisationFactory())
    before = Ticket.objects.count()
    with pytest.raises(ValidationError) as error:
        services.create_problem(actor=agent, incidents=[incident(org).pk, theirs.pk], data={"title": "x"})
    assert "incidents" in error.value.message_dict
    assert Ticket.objects.count() == before + 1  # only the visible incident made above


@pytest.mark.parametrize(
    "incidents", [["abc"], [1.5], [True], [None], [-1], ["9" * 30], "INC-1", {"id": 1}, [99999999]]
)
def test_bad_incident_ids_are_field_errors(org: Any, agent: Any, incidents: Any) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_problem(actor=agent, incidents=incidents, data={"title": "x", "organisation": org})
    assert "incidents" in error.value.message_dict


def test_an_incident_is_not_a_problem_source_twice_and_a_change_is_not_an_incident(
    org: Any, agent: Any
) -> None:
    with pytest.raises(ValidationError):
        services.create_problem(actor=agent, incidents=[change(org).pk], data={"title": "x"})


def test_requesters_and_readers_cannot_record_problems(org: Any) -> None:
    requester = user_with_role(Role.REQUESTER, org)
    own = tickets.create_ticket(actor=requester, kind="incident", data={"title": "印刷できない"})
    with pytest.raises((PermissionDenied, ValidationError)):
        services.create_problem(actor=requester, incidents=[own.pk], data={"title": "x"})
    auditor = user_with_role(Role.AUDITOR, org)
    with pytest.raises(PermissionDenied):
        services.create_problem(actor=auditor, data={"title": "x", "organisation": org})


def test_unknown_fields_and_missing_title_are_refused(org: Any, agent: Any) -> None:
    with pytest.raises(ValidationError):
        services.create_problem(actor=agent, data={"title": "x", "organisation": org, "number": "PRB-9"})
    with pytest.raises(ValidationError) as error:
        services.create_problem(actor=agent, data={"title": "  ", "organisation": org})
    assert "title" in error.value.message_dict


def test_problems_recorded_elsewhere_get_their_details_row_on_first_use(org: Any, agent: Any) -> None:
    raw = ticket(org, kind="problem", actor=agent, title="デスクから記録した問題")
    assert not ProblemRecord.objects.filter(pk=raw.pk).exists()
    saved = services.update_details(raw.pk, actor=agent, changes={"workaround": "再起動"}, version=1)
    assert saved.version == 2 and saved.workaround == "再起動"


# -- details -----------------------------------------------------------------------------------


def test_details_update_is_versioned_and_audited(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    saved = services.update_details(
        created.pk,
        actor=agent,
        changes={"root_cause": "TLS キャッシュのリーク", "shared_with_development": True, "rank": 3},
        version=1,
    )
    assert saved.version == 2 and saved.rank == 3
    row = AuditEntry.objects.filter(record_id=str(created.pk), action="update").latest("seq")
    assert row.meta["version"] == 2 and "root_cause" in row.changes
    same = services.update_details(created.pk, actor=agent, changes={"rank": 3}, version=2)
    assert same.version == 2  # no change, no new version


def test_stale_details_version_is_a_conflict_listing_what_changed(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    services.update_details(created.pk, actor=agent, changes={"workaround": "再起動する"}, version=1)
    with pytest.raises(ConflictError) as error:
        services.update_details(created.pk, actor=admin(), changes={"workaround": "別の回避策"}, version=1)
    assert error.value.current_version == 2
    assert error.value.changes and "workaround" in error.value.changes[0]["changes"]
    assert ProblemRecord.objects.get(pk=created.pk).workaround == "再起動する"


@pytest.mark.parametrize(
    "changes",
    [
        {"rank": 0},
        {"rank": 1_000_001},
        {"rank": "1"},
        {"rank": True},
        {"shared_with_development": "yes"},
        {"root_cause": 42},
        {"root_cause": "長" * 20_001},
        {"development_ref": "x" * 201},
        {"owner": "abc"},
        {"owner": 99999999},
        {"version": 3},
        {"ticket": 1},
    ],
)
def test_bad_details_are_refused(org: Any, agent: Any, changes: dict[str, Any]) -> None:
    created = problem(org, actor=agent)
    with pytest.raises(ValidationError):
        services.update_details(created.pk, actor=agent, changes=changes, version=1)
    assert ProblemRecord.objects.get(pk=created.pk).version == 1


def test_control_characters_in_details_are_refused(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    with pytest.raises(ValidationError):
        services.update_details(created.pk, actor=agent, changes={"root_cause": "bell\x07"}, version=1)


def test_owner_from_another_organisation_is_invisible(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    stranger = person_of(user_with_role(Role.AGENT, OrganisationFactory()))
    with pytest.raises(ValidationError) as error:
        services.update_details(created.pk, actor=agent, changes={"owner": stranger.pk}, version=1)
    assert "owner" in error.value.message_dict


def test_details_of_another_organisations_problem_are_invisible(org: Any, agent: Any) -> None:
    theirs = problem(OrganisationFactory())
    with pytest.raises(Ticket.DoesNotExist):
        services.update_details(theirs.pk, actor=agent, changes={"rank": 1}, version=1)
    auditor = user_with_role(Role.AUDITOR, theirs.organisation)
    with pytest.raises(PermissionDenied):
        services.update_details(theirs.pk, actor=auditor, changes={"rank": 1}, version=1)


# -- fixes and links ---------------------------------------------------------------------------


def test_link_fix_links_the_change_once(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    fix = change(org)
    link = services.link_fix(created.pk, actor=agent, change=fix.pk)
    assert (link.from_ticket_id, link.to_ticket_id, link.kind) == (created.pk, fix.pk, "fixed_by")
    assert services.link_fix(created.pk, actor=agent, change=fix.pk).pk == link.pk
    assert queries.summary(agent, created).fixes == [fix]


def test_link_fix_refuses_what_is_not_a_visible_change(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    for target in (incident(org).pk, change(OrganisationFactory()).pk, 99999999, "abc", None):
        with pytest.raises(ValidationError):
            services.link_fix(created.pk, actor=agent, change=target)
    assert not TicketLink.objects.filter(from_ticket=created).exists()


def test_link_incident_is_idempotent(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    source = incident(org)
    first = services.link_incident(created.pk, actor=agent, incident=source.pk)
    assert services.link_incident(created.pk, actor=agent, incident=source.pk).pk == first.pk
    assert queries.summary(agent, created).incidents == [source]


# -- known errors ------------------------------------------------------------------------------


def test_known_error_is_numbered_and_publishing_moves_the_problem_to_known_error(
    org: Any, agent: Any
) -> None:
    created = problem(org, actor=agent)
    service = ServiceFactory(organisation=org)
    draft = services.create_known_error(
        actor=agent,
        data={"problem": created, "title": "VPN 切断", "workaround": "再接続する"},
        services=[service],
    )
    assert draft.number.startswith("KE-") and draft.state == KnownErrorState.DRAFT
    assert draft.organisation == org and list(draft.services.all()) == [service]
    published = services.publish_known_error(draft.pk, actor=agent, version=draft.version)
    assert published.state == KnownErrorState.PUBLISHED and published.published_at is not None
    created.refresh_from_db()
    assert created.state.code == "known_error"
    assert created.comments.filter(body__contains=draft.number).exists()
    with pytest.raises(ValidationError):
        services.publish_known_error(draft.pk, actor=agent, version=None)


def test_publishing_needs_a_workaround(org: Any, agent: Any) -> None:
    draft = services.create_known_error(actor=agent, data={"organisation": org, "title": "原因不明の遅延"})
    with pytest.raises(ValidationError) as error:
        services.publish_known_error(draft.pk, actor=agent, version=draft.version)
    assert "workaround" in error.value.message_dict


def test_retire_and_stale_version(org: Any, agent: Any) -> None:
    draft = services.create_known_error(
        actor=agent, data={"organisation": org, "title": "x", "workaround": "y"}
    )
    published = services.publish_known_error(draft.pk, actor=agent, version=1)
    with pytest.raises(ConflictError):
        services.retire_known_error(draft.pk, actor=agent, version=1)
    retired = services.retire_known_error(draft.pk, actor=agent, version=published.version, reason="修正済み")
    assert retired.state == KnownErrorState.RETIRED and retired.retired_at is not None
    assert AuditEntry.objects.filter(
        record_id=str(draft.pk), action="retire", meta__reason="修正済み"
    ).exists()


def test_scope_only_change_is_a_new_version(org: Any, agent: Any) -> None:
    draft = services.create_known_error(actor=agent, data={"organisation": org, "title": "x"})
    ci = CIFactory(organisation=org)
    saved = services.update_known_error(draft.pk, actor=agent, changes={}, version=1, cis=[ci])
    assert saved.version == 2 and list(saved.cis.all()) == [ci]
    with pytest.raises(ConflictError):
        services.update_known_error(draft.pk, actor=agent, changes={}, version=1, cis=[])


def test_known_error_problem_must_be_a_visible_problem_of_its_organisation(org: Any, agent: Any) -> None:
    other_org = OrganisationFactory()
    for problem_value in (incident(org), problem(other_org), 99999999, "abc"):
        with pytest.raises(ValidationError):
            services.create_known_error(
                actor=agent, data={"organisation": org, "title": "x", "problem": problem_value}
            )
    mine = problem(org, actor=agent)
    both = user_with_role(Role.AGENT, None)
    with pytest.raises(ValidationError) as error:
        services.create_known_error(
            actor=both, data={"organisation": other_org, "title": "x", "problem": mine}
        )
    assert "problem" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.create_known_error(actor=agent, data={"title": "x"})


def test_known_error_in_another_organisation_is_refused(org: Any, agent: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.create_known_error(actor=agent, data={"organisation": OrganisationFactory(), "title": "x"})


def test_invisible_scope_is_refused(org: Any, agent: Any) -> None:
    theirs = CIFactory(organisation=OrganisationFactory())
    with pytest.raises(ValidationError) as error:
        services.create_known_error(actor=agent, data={"organisation": org, "title": "x"}, cis=[theirs])
    assert "cis" in error.value.message_dict
    assert not KnownError.objects.exists()


# -- search and suggestions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["ﾒﾓﾘﾘｰｸ", "メモリリーク", "リーク", "ＳＭＴＰ", "smtp", "SMTP　中継", "中継サーバ メモリ"],
)
def test_search_matches_japanese_substrings_and_full_and_half_width(org: Any, agent: Any, query: str) -> None:
    wanted = known_error(org, title="SMTP 中継サーバのメモリリーク", keywords="")
    known_error(org, title="VPN 証明書の期限切れ", keywords="")
    found = list(queries.search(queries.known_errors(agent), query))
    assert found == [wanted]


def test_search_with_every_term_missing_finds_nothing(org: Any, agent: Any) -> None:
    known_error(org, title="SMTP 中継サーバのメモリリーク")
    assert not queries.search(queries.known_errors(agent), "メモリ 証明書").exists()
    assert queries.search(queries.known_errors(agent), "").count() == 1


def test_incident_gets_matching_published_known_errors(org: Any, agent: Any) -> None:
    service = ServiceFactory(organisation=org)
    ci = CIFactory(organisation=org)
    by_code = known_error(org, title="会計B 仕訳登録のエラー", keywords="E-2041, 摘要欄")
    by_ci = known_error(org, title="ゲートウェイのセッション断", keywords="", cis=(ci,))
    by_service = known_error(org, title="配送の遅延", keywords="", services_=(service,))
    known_error(org, title="サービスだけが同じ", keywords="", services_=(service,))
    known_error(org, title="会計B 仕訳登録のエラー", keywords="E-2041", state=KnownErrorState.DRAFT)
    known_error(org, title="会計B 仕訳登録のエラー", keywords="E-2041", state=KnownErrorState.RETIRED)
    known_error(org, title="関係のない既知のエラー", keywords="プリンタ")
    hit = incident(org, title="会計Bで仕訳入力時にエラー Ｅ－２０４１ が表示される")
    assert [s.known_error for s in queries.suggestions(agent, hit)] == [by_code]
    assert any(r.startswith("keyword:e-2041") for r in queries.suggestions(agent, hit)[0].reasons)
    assert [
        s.known_error for s in queries.suggestions(agent, incident(org, title="つながらない", cis=[ci]))
    ] == [by_ci]
    assert [
        s.known_error for s in queries.suggestions(agent, incident(org, title="配送が遅延", service=service))
    ] == [by_service]


def test_everyday_words_alone_suggest_nothing(org: Any, agent: Any) -> None:
    known_error(org, title="VPN 証明書の期限切れ", symptoms="認証エラーが表示される", keywords="証明書")
    assert (
        queries.suggestions(agent, incident(org, title="会計Bで仕訳入力時にエラー E-2041 が表示される")) == []
    )


def test_incident_words_are_found_in_the_known_error_text(org: Any, agent: Any) -> None:
    wanted = known_error(org, title="VPN接続が数分おきに切断される（DPD 設定）", keywords="")
    hit = incident(org, title="ＶＰＮ接続が数分おきに切断される")
    found = queries.suggestions(agent, hit)
    assert [s.known_error for s in found] == [wanted]
    assert set(found[0].reasons) == {"word:vpn接続", "word:数分", "word:切断"}
    assert (
        queries.suggestions(agent, incident(org, title="ＶＰＮ接続が切断される")) == []
    )  # two words: too weak


def test_another_organisations_known_errors_and_problems_stay_invisible(org: Any, agent: Any) -> None:
    other = OrganisationFactory()
    theirs = known_error(other, title="会計B 仕訳登録のエラー", keywords="E-2041")
    their_problem = problem(other)
    hit = incident(org, title="エラー E-2041")
    assert queries.suggestions(agent, hit) == []
    assert theirs not in queries.known_errors(agent)
    assert not queries.search(queries.known_errors(agent), "E-2041").exists()
    assert their_problem not in queries.debt_list(agent)
    assert their_problem in queries.debt_list(admin())


def test_debt_list_order_counts_and_flags(org: Any, agent: Any) -> None:
    unranked = problem(org, actor=agent, title="順位なし")
    second = problem(org, actor=agent, title="二番目", incidents=(incident(org), incident(org)))
    first = problem(org, actor=agent, title="一番目")
    services.update_details(first.pk, actor=agent, changes={"rank": 1}, version=1)
    services.update_details(second.pk, actor=agent, changes={"rank": 2}, version=1)
    known_error(org, problem_ticket=second)
    closed = problem(org, actor=agent, title="取消")
    tickets.apply_action(closed.pk, "cancel", actor=agent, version=closed.version, params={"comment": "不要"})
    rows = list(queries.debt_list(agent))
    assert rows == [first, second, unranked]
    assert [r.incident_count for r in rows] == [0, 2, 0]
    assert [r.has_known_error for r in rows] == [False, True, False]
