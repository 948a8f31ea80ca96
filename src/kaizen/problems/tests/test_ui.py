"""Problem management pages: known errors (generic suite), the debt list and its exports, the panels
of the ticket page, problem details, problems from incidents, with bad and hostile input."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.testing.ui import HOSTILE, UiCase, UiPermissionSuite, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.problems import services
from kaizen.problems.choices import KnownErrorState
from kaizen.problems.models import KnownError, ProblemRecord
from kaizen.tickets.models import TicketLink
from kaizen.tickets.tests.factories import desk, person_of

from .factories import change, incident, known_error, problem


class TestKnownErrorPages(UiPermissionSuite):
    case = UiCase(
        prefix="problems:known-errors",
        make=lambda org: known_error(org, state=KnownErrorState.DRAFT),
        form_data=lambda org: {
            "organisation": org.pk,
            "title": "VPN 証明書の期限切れ",
            "symptoms": "認証エラー",
            "workaround": "証明書を再発行する",
            "keywords": "VPN, 証明書",
        },
        edit_data=lambda obj: {
            "organisation": obj.organisation_id,
            "title": obj.title,
            "symptoms": "証明書の有効期限が切れていますと表示される",
            "workaround": obj.workaround,
            "keywords": obj.keywords,
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        text_field="title",
        relation_field="organisation",
        list_ceiling=20,
    )


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk(db: Any) -> None:
    desk()


@pytest.fixture
def org() -> Any:
    return OrganisationFactory()


@pytest.fixture
def agent(org: Any) -> Any:
    return user_with_role(Role.AGENT, org)


def _ticket_page(client: Any, ticket: Any) -> str:
    response = client.get(reverse("tickets:ticket", args=[ticket.pk]))
    assert response.status_code == 200
    return str(response.content.decode())


# -- known errors ------------------------------------------------------------------------------


def test_publish_and_retire_buttons(org: Any, agent: Any) -> None:
    row = known_error(org, state=KnownErrorState.DRAFT)
    client = client_for(agent)
    detail = client.get(reverse("problems:known-errors-detail", args=[row.pk])).content.decode()
    assert reverse("problems:known-error-publish", args=[row.pk]) in detail
    assert (
        client.post(reverse("problems:known-error-publish", args=[row.pk]), {"version": "x"}).status_code
        == 302
    )
    assert KnownError.objects.get(pk=row.pk).state == KnownErrorState.DRAFT
    client.post(reverse("problems:known-error-publish", args=[row.pk]), {"version": 1})
    assert KnownError.objects.get(pk=row.pk).state == KnownErrorState.PUBLISHED
    stale = client.post(reverse("problems:known-error-retire", args=[row.pk]), {"version": 1}, follow=True)
    assert KnownError.objects.get(pk=row.pk).state == KnownErrorState.PUBLISHED
    assert "alert" in stale.content.decode() or "message-error" in stale.content.decode()
    client.post(reverse("problems:known-error-retire", args=[row.pk]), {"version": 2, "reason": "修正済み"})
    assert KnownError.objects.get(pk=row.pk).state == KnownErrorState.RETIRED
    auditor = client_for(user_with_role(Role.AUDITOR, org))
    auditor.post(reverse("problems:known-error-publish", args=[row.pk]), {"version": 3})
    assert KnownError.objects.get(pk=row.pk).state == KnownErrorState.RETIRED
    other = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert (
        other.post(reverse("problems:known-error-publish", args=[row.pk]), {"version": 3}).status_code == 404
    )


def test_known_error_list_search_is_japanese_substring(org: Any, agent: Any) -> None:
    wanted = known_error(org, title="SMTP 中継サーバのメモリリーク")
    other = known_error(org, title="VPN 証明書の期限切れ")
    html = client_for(agent).get(reverse("problems:known-errors-list"), {"q": "ﾒﾓﾘﾘｰｸ"}).content.decode()
    assert reverse("problems:known-errors-detail", args=[wanted.pk]) in html
    assert reverse("problems:known-errors-detail", args=[other.pk]) not in html


# -- the debt list and its exports -------------------------------------------------------------


def _debt_problems(org: Any, agent: Any) -> dict[str, Any]:
    service = ServiceFactory(organisation=org)
    first = problem(
        org,
        actor=agent,
        title="会計A 月末の性能劣化",
        service=service,
        rank=1,
        shared_with_development=True,
        development_ref="ACCA-318",
        root_cause="締めバッチの排他ロック",
        owner=person_of(agent),
    )
    second = problem(
        org, actor=agent, title='=HYPERLINK("http://x")', incidents=(incident(org), incident(org))
    )
    known_error(org, problem_ticket=first)
    return {"first": first, "second": second, "service": service}


def test_debt_list_shows_open_problems_in_order_with_their_columns(org: Any, agent: Any) -> None:
    made = _debt_problems(org, agent)
    theirs = problem(OrganisationFactory(), title="他社の問題")
    response = client_for(agent).get(reverse("problems:debt"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(made["first"].number) < html.index(made["second"].number)
    assert theirs.number not in html and "他社の問題" not in html
    assert "ACCA-318" not in html  # only the development view shows the reference
    dev = client_for(agent).get(reverse("problems:debt"), {"view": "development"}).content.decode()
    assert made["first"].number in dev and made["second"].number not in dev and "ACCA-318" in dev


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({"shared": "true"}, "first", "second"),
        ({"shared": "false"}, "second", "first"),
        ({"known_error": "true"}, "first", "second"),
        ({"q": "HYPERLINK"}, "second", "first"),
    ],
)
def test_debt_list_filters(org: Any, agent: Any, params: dict[str, str], shown: str, hidden: str) -> None:
    made = _debt_problems(org, agent)
    html = client_for(agent).get(reverse("problems:debt"), params).content.decode()
    assert made[shown].number in html and made[hidden].number not in html


def test_debt_list_filters_by_service_and_owner(org: Any, agent: Any) -> None:
    made = _debt_problems(org, agent)
    client = client_for(agent)
    by_service = client.get(reverse("problems:debt"), {"service": made["service"].pk}).content.decode()
    assert made["first"].number in by_service and made["second"].number not in by_service
    by_owner = client.get(reverse("problems:debt"), {"owner": person_of(agent).pk}).content.decode()
    assert made["first"].number in by_owner and made["second"].number not in by_owner


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"service": "abc"},
        {"service": "99999999999999999999"},
        {"owner": "-1"},
        {"organisation": "1 OR 1=1"},
        {"shared": "maybe"},
        {"view": "<script>"},
        {"q": "x" * 5000},
        {"q": "\x00"},
    ],
)
def test_bad_debt_list_parameters_never_fail(org: Any, agent: Any, params: dict[str, str]) -> None:
    _debt_problems(org, agent)
    assert client_for(agent).get(reverse("problems:debt"), params).status_code == 200


def test_debt_list_is_for_staff(org: Any) -> None:
    assert client_for(None).get(reverse("problems:debt")).status_code == 302
    requester = client_for(user_with_role(Role.REQUESTER, org))
    assert requester.get(reverse("problems:debt")).status_code == 403
    assert requester.get(reverse("problems:export"), {"format": "csv"}).status_code == 403


def test_csv_export_is_what_the_filter_shows_with_formulas_neutralised(org: Any, agent: Any) -> None:
    made = _debt_problems(org, agent)
    response = client_for(agent).get(reverse("problems:export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text.splitlines()
    assert len(lines) == 3
    assert made["first"].number in lines[1] and "締めバッチの排他ロック" in lines[1]
    assert "'=HYPERLINK" in lines[2]
    shared = client_for(agent).get(reverse("problems:export"), {"format": "csv", "view": "development"})
    assert len(shared.content.decode("utf-8").splitlines()) == 2


def test_xlsx_export_opens_with_openpyxl(org: Any, agent: Any) -> None:
    made = _debt_problems(org, agent)
    response = client_for(agent).get(reverse("problems:export"), {"format": "xlsx", "shared": "false"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and len(rows[0]) == 17
    number_column = 1
    assert rows[1][number_column] == made["second"].number
    title_cell = sheet.cell(row=2, column=3)
    assert title_cell.value.startswith("=HYPERLINK") and title_cell.data_type == "s"
    assert rows[1][11] == 2  # incidents, a number


def test_bad_export_requests_are_400(org: Any, agent: Any) -> None:
    client = client_for(agent)
    assert client.get(reverse("problems:export"), {"format": "pdf"}).status_code == 400
    assert client.get(reverse("problems:export"), {"format": "csv", "service": "abc"}).status_code == 400


# -- the problem's panel and its details -------------------------------------------------------


def test_problem_page_shows_details_known_errors_incidents_and_fixes(org: Any, agent: Any) -> None:
    source = incident(org)
    created = problem(org, actor=agent, incidents=(source,), workaround=HOSTILE, root_cause="TLS キャッシュ")
    ke = known_error(org, problem_ticket=created)
    fix = change(org)
    services.link_fix(created.pk, actor=agent, change=fix.pk)
    html = _ticket_page(client_for(agent), created)
    assert 'id="problem-title"' in html
    assert reverse("problems:details", args=[created.pk]) in html
    assert reverse("problems:known-errors-detail", args=[ke.pk]) in html
    assert source.number in html and fix.number in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    auditor_html = _ticket_page(client_for(user_with_role(Role.AUDITOR, org)), created)
    assert (
        'id="problem-title"' in auditor_html
        and reverse("problems:fix", args=[created.pk]) not in auditor_html
    )


def test_details_form_saves_and_redirects(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    url = reverse("problems:details", args=[created.pk])
    client = client_for(agent)
    assert client.get(url).status_code == 200
    data = {"version": 1, "owner": person_of(agent).pk, "root_cause": "原因", "workaround": "回避", "rank": 2}
    response = client.post(url, {**data, "shared_with_development": "on"})
    assert response.status_code == 302 and response["Location"] == reverse(
        "tickets:ticket", args=[created.pk]
    )
    record = ProblemRecord.objects.get(pk=created.pk)
    assert (record.version, record.rank, record.shared_with_development) == (2, 2, True)


def test_stale_details_form_is_409_and_lists_the_changes(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    url = reverse("problems:details", args=[created.pk])
    client_for(agent).post(url, {"version": 1, "workaround": "先の回避策"})
    other = client_for(user_with_role(Role.AGENT, org))
    response = other.post(url, {"version": 1, "workaround": "後の回避策"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "workaround" in html and 'class="alert alert-error"' in html
    assert ProblemRecord.objects.get(pk=created.pk).workaround == "先の回避策"


@pytest.mark.parametrize(
    "data",
    [
        {"version": "abc"},
        {},
        {"version": 1, "rank": "abc"},
        {"version": 1, "rank": "0"},
        {"version": 1, "owner": "99999999"},
        {"version": 1, "owner": "1 OR 1=1"},
        {"version": 1, "root_cause": "x" * 20_001},
        {"version": 1, "development_ref": "x" * 201},
        {"version": 1, "root_cause": "bell\x07"},
    ],
)
def test_bad_details_form_input_is_400(org: Any, agent: Any, data: dict[str, Any]) -> None:
    created = problem(org, actor=agent)
    response = client_for(agent).post(reverse("problems:details", args=[created.pk]), data)
    assert response.status_code == 400
    assert ProblemRecord.objects.get(pk=created.pk).version == 1


def test_details_of_other_organisations_and_non_problems_are_404(org: Any, agent: Any) -> None:
    client = client_for(agent)
    theirs = problem(OrganisationFactory())
    for pk in (theirs.pk, incident(org).pk, 99999999):
        assert client.get(reverse("problems:details", args=[pk])).status_code == 404
        assert (
            client.post(reverse("problems:details", args=[pk]), {"version": 1, "rank": 1}).status_code == 404
        )
    auditor = client_for(user_with_role(Role.AUDITOR, org))
    mine = problem(org)
    assert (
        auditor.post(reverse("problems:details", args=[mine.pk]), {"version": 1, "rank": 1}).status_code
        == 403
    )
    requester = client_for(user_with_role(Role.REQUESTER, org))
    assert requester.get(reverse("problems:details", args=[mine.pk])).status_code == 403


def test_post_without_csrf_is_refused(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    client = client_for(agent, csrf=True)
    assert (
        client.post(reverse("problems:details", args=[created.pk]), {"version": 1, "rank": 1}).status_code
        == 403
    )
    assert ProblemRecord.objects.get(pk=created.pk).rank is None


def test_fix_form_links_a_change_by_number(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent)
    fix = change(org)
    client = client_for(agent)
    url = reverse("problems:fix", args=[created.pk])
    for number in ("", "abc", "CHG-99999999", incident(org).number, "x" * 50):
        assert client.post(url, {"number": number}).status_code == 302
    assert not TicketLink.objects.filter(from_ticket=created).exists()
    client.post(url, {"number": fix.number.lower()})
    assert TicketLink.objects.filter(from_ticket=created, to_ticket=fix, kind="fixed_by").exists()


# -- the incident's panel ----------------------------------------------------------------------


def test_incident_page_suggests_known_errors_and_links_their_problem_in_one_click(
    org: Any, agent: Any
) -> None:
    ci = CIFactory(organisation=org)
    created = problem(org, actor=agent)
    ke = known_error(org, problem_ticket=created, title="VPN が切断される", workaround=HOSTILE, cis=(ci,))
    hit = incident(org, title="ＶＰＮが切れる", cis=[ci])
    client = client_for(agent)
    html = _ticket_page(client, hit)
    assert ke.number in html and reverse("problems:link-incident", args=[hit.pk]) in html
    assert "<img src=x" not in html
    response = client.post(reverse("problems:link-incident", args=[hit.pk]), {"problem": created.pk})
    assert response.status_code == 302
    assert TicketLink.objects.filter(from_ticket=hit, to_ticket=created, kind="caused_by").exists()
    assert reverse("problems:link-incident", args=[hit.pk]) not in _ticket_page(client, hit)


def test_incident_link_refuses_bad_and_invisible_problems(org: Any, agent: Any) -> None:
    hit = incident(org)
    client = client_for(agent)
    url = reverse("problems:link-incident", args=[hit.pk])
    for value in ("", "abc", "-1", "99999999", str(problem(OrganisationFactory()).pk), str(incident(org).pk)):
        assert client.post(url, {"problem": value}).status_code == 302
    assert not TicketLink.objects.filter(from_ticket=hit).exists()
    assert client.post(reverse("problems:link-incident", args=[99999999]), {"problem": 1}).status_code == 404


def test_other_organisations_known_errors_are_not_suggested(org: Any, agent: Any) -> None:
    theirs = known_error(OrganisationFactory(), title="VPN が切断される", keywords="VPN, 切断")
    html = _ticket_page(client_for(agent), incident(org, title="VPN が切断される"))
    assert theirs.number not in html


# -- problems from incidents -------------------------------------------------------------------


def test_new_problem_from_incidents_by_number(org: Any, agent: Any) -> None:
    one, two = incident(org), incident(org)
    client = client_for(agent)
    page = client.get(reverse("problems:create"), {"incident": one.pk}).content.decode()
    assert one.number in page
    response = client.post(
        reverse("problems:create"),
        {"incidents": f"{one.number}, {two.number.lower()}", "title": "VPN 切断の多発"},
    )
    assert response.status_code == 302
    link_sources = set(TicketLink.objects.filter(kind="caused_by").values_list("from_ticket_id", flat=True))
    assert link_sources == {one.pk, two.pk}


@pytest.mark.parametrize(
    "incidents",
    ["INC-99999999", "not a number", "INC-1; DROP TABLE x", " ".join(f"INC-{i:06d}" for i in range(60))],
)
def test_new_problem_with_bad_incidents_is_400(org: Any, agent: Any, incidents: str) -> None:
    response = client_for(agent).post(reverse("problems:create"), {"incidents": incidents, "title": "x"})
    assert response.status_code == 400 and 'class="error"' in response.content.decode()
    assert not ProblemRecord.objects.exists()


def test_new_problem_from_another_organisations_incident_is_400(org: Any, agent: Any) -> None:
    theirs = incident(OrganisationFactory())
    response = client_for(agent).post(reverse("problems:create"), {"incidents": theirs.number, "title": "x"})
    assert response.status_code == 400
    assert not ProblemRecord.objects.exists()


def test_new_problem_page_is_for_workers(org: Any) -> None:
    assert client_for(user_with_role(Role.AUDITOR, org)).get(reverse("problems:create")).status_code == 403
    assert client_for(None).get(reverse("problems:create")).status_code == 302


def test_known_error_form_is_filled_from_its_problem(org: Any, agent: Any) -> None:
    created = problem(org, actor=agent, title="メール中継のメモリリーク", workaround="週次で再起動する")
    client = client_for(agent)
    page = client.get(reverse("problems:known-errors-create"), {"problem": created.pk}).content.decode()
    assert "メール中継のメモリリーク" in page and "週次で再起動する" in page
    theirs = problem(OrganisationFactory(), title="他社の問題", workaround="他社の回避策")
    for value in (theirs.pk, "abc", "9" * 40):
        page = client.get(reverse("problems:known-errors-create"), {"problem": value}).content.decode()
        assert "他社の回避策" not in page
    html = _ticket_page(client, created)
    assert reverse("problems:known-errors-create") + f"?problem={created.pk}" in html
