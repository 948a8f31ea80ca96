"""The queue page: rows read like the ticket filters, counts in one statement, options the agent may see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.template.defaultfilters import date as date_filter
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from kaizen.accounts.tests.factories import OrganisationFactory, PersonFactory, TeamFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.templatetags.kaizen_ui import sla_cell, ticket_badges
from kaizen.core.testing.ui import HOSTILE, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets import queries, tables
from kaizen.tickets.filters import TicketFilter
from kaizen.tickets.forms import BulkForm
from kaizen.tickets.models import Ticket

from .factories import desk, person_of, team_with, ticket

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _desk(db):
    desk()


def _options(html: str, name: str, select_id: str) -> list[tuple[str, str]]:
    block = html.split(f'<select name="{name}" id="{select_id}">', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', block)


def _varied_tickets(agent):
    """Tickets covering every cell: flags, clock states, with and without requester, team, assignee."""
    org = OrganisationFactory(name="顧客 <b>")
    team = team_with(agent, org=org, name="一次対応")
    requester = PersonFactory(organisation=org, name="依頼者 'A'")
    made = [
        ticket(org, title="全部あり", team=team.pk, assignee=person_of(agent).pk, requester=requester.pk),
        ticket(org, title="誰もいない"),
        ticket(org, title=HOSTILE),
        ticket(org, title="期限切れ"),
        ticket(org, title="一時停止"),
        ticket(org, title="達成"),
    ]
    Ticket.objects.filter(pk=made[0].pk).update(
        major=True, review_status="pending", sla_state="running", sla_due_at=NOW + dt.timedelta(hours=2)
    )
    Ticket.objects.filter(pk=made[3].pk).update(sla_state="running", sla_due_at=NOW - dt.timedelta(minutes=5))
    Ticket.objects.filter(pk=made[4].pk).update(sla_state="paused", sla_due_at=None)
    Ticket.objects.filter(pk=made[5].pk).update(sla_state="met", sla_due_at=NOW)
    return made


@pytest.mark.parametrize("language", ["ja", "en"])
def test_rows_read_like_the_ticket_filters(language):
    agent = user_with_role(Role.AGENT, None)
    made = _varied_tickets(agent)
    qs = Ticket.objects.filter(pk__in=[t.pk for t in made]).order_by("id")
    with translation.override(language), timezone.override("Asia/Tokyo"):
        rows = tables.rows(qs, 50, now=NOW)
        assert [row["id"] for row in rows] == [t.pk for t in made]
        for row, t in zip(rows, qs.select_related(*queries.ROW_RELATED), strict=True):
            local = timezone.template_localtime(t.updated_at)
            assert row["url"] == reverse("tickets:ticket", args=[t.pk])
            assert (row["number"], row["title"]) == (t.number, t.title)
            assert row["badges"] == ticket_badges(t)
            assert row["sla"] == sla_cell(t, NOW)
            assert row["organisation"] == str(t.organisation)
            assert row["requester"] == (str(t.requester) if t.requester else None)
            assert row["team"] == (str(t.team) if t.team else "—")
            assert row["assignee"] == (str(t.assignee) if t.assignee else translation.gettext("unassigned"))
            assert row["updated_iso"] == date_filter(local, "c")
            assert row["updated"] == date_filter(local, "SHORT_DATETIME_FORMAT")
    with translation.override("en"):
        assert "Major" in rows[0]["badges"] or language == "ja"


def test_rows_of_an_empty_page_need_one_query():
    with CaptureQueriesContext(connection) as ctx:
        assert tables.rows(Ticket.objects.none(), 50, now=NOW) == []
        assert tables.rows(Ticket.objects.filter(title="nothing"), 50, now=NOW) == []
    assert len(ctx.captured_queries) == 1


def test_queue_counts_are_one_statement_and_match_each_queue(monkeypatch):
    agent = user_with_role(Role.AGENT, None)
    team = team_with(agent)
    person = person_of(agent)
    org = OrganisationFactory()
    for _ in range(3):
        ticket(org, team=team.pk)
    ticket(org, assignee=person.pk, team=team.pk)
    ticket(org)
    Ticket.objects.filter(pk=ticket(org).pk).update(major=True)
    Ticket.objects.filter(pk=ticket(org).pk).update(review_status="pending")
    expected = {name: str(queries.queue(agent, name).count()) for name in queries.COUNTED}
    agent = type(agent).objects.get(pk=agent.pk)  # a fresh request's user
    with CaptureQueriesContext(connection) as ctx:
        counts = queries.queue_counts(agent)
    assert counts == expected and list(counts) == list(queries.COUNTED)
    ticket_statements = [q for q in ctx.captured_queries if "tickets_ticket" in q["sql"]]
    assert len(ticket_statements) == 1, [q["sql"] for q in ctx.captured_queries]
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    assert queries.queue_counts(agent)["active"] == "2+"
    assert queries.queue_counts(agent)["mine"] == "1"


def test_queue_counts_of_a_login_without_a_person_record():
    from kaizen.accounts.models import Membership
    from kaizen.accounts.tests.factories import UserFactory

    user = UserFactory()
    Membership.objects.create(user=user, organisation=None, role=Role.AGENT)
    ticket()
    counts = queries.queue_counts(user)
    assert counts["mine"] == "0" and counts["teams"] == "0" and counts["active"] == "1"


def test_counts_and_rows_show_only_the_agents_organisations():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    agent = user_with_role(Role.AGENT, mine)
    shown = ticket(mine, title="見える")
    hidden = ticket(theirs, title="見えない")
    assert queries.queue_counts(agent)["active"] == "1"
    html = client_for(agent).get(reverse("tickets:queue"), {"queue": "active"}).content.decode()
    assert shown.number in html and hidden.number not in html


def test_filter_and_bulk_options_are_only_what_the_agent_may_see():
    mine, theirs = OrganisationFactory(name="自社"), OrganisationFactory(name="他社")
    agent = user_with_role(Role.AGENT, mine)
    own_team = team_with(agent, org=mine, name=f"自チーム {HOSTILE}")
    other_team = TeamFactory(organisation=theirs, name="他チーム")
    other_agent = user_with_role(Role.AGENT, theirs)
    other_team.members.set([person_of(other_agent)])
    own_service, other_service = ServiceFactory(organisation=mine), ServiceFactory(organisation=theirs)
    ticket(mine)
    html = client_for(agent).get(reverse("tickets:queue"), {"queue": "active"}).content.decode()
    assert "<script>" not in html
    teams = _options(html, "team", "filter-team")
    assert [v for v, _label in teams] == ["", str(own_team.pk)]
    assert _options(html, "team", "id_team") == teams
    assert str(other_team.pk) not in [v for v, _label in _options(html, "team", "id_team")]
    organisations = [v for v, _label in _options(html, "organisation", "filter-organisation")]
    assert str(mine.pk) in organisations and str(theirs.pk) not in organisations
    services = [v for v, _label in _options(html, "service", "filter-service")]
    assert str(own_service.pk) in services and str(other_service.pk) not in services
    assignees = [v for v, _label in _options(html, "assignee", "filter-assignee")]
    assert str(person_of(agent).pk) in assignees and str(person_of(other_agent).pk) not in assignees


def test_a_chosen_filter_stays_selected_and_a_hidden_one_is_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    agent = user_with_role(Role.AGENT, mine)
    team = team_with(agent, org=mine)
    other = TeamFactory(organisation=theirs)
    ticket(mine, team=team.pk)
    client = client_for(agent)
    html = client.get(reverse("tickets:queue"), {"queue": "active", "team": team.pk}).content.decode()
    assert f'<option value="{team.pk}" selected>' in html
    refused = client.get(reverse("tickets:queue"), {"queue": "active", "team": other.pk})
    assert refused.status_code == 200 and 'class="error"' in refused.content.decode()


def test_the_bulk_team_select_is_the_filter_team_query():
    agent = user_with_role(Role.AGENT, OrganisationFactory())

    class Request:
        user = agent

    filters = TicketFilter({}, queryset=Ticket.objects.none(), request=Request())
    bulk_sql = str(BulkForm(user=agent).fields["team"].queryset.query)
    assert bulk_sql == str(filters.form.fields["team"].queryset.query)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ja", ["番号", "件名", "未割り当て", "チームに割り当て", "キー: j/k"]),
        ("en", ["Number", "Title", "unassigned", "Give to team", "Keys: j/k"]),
    ],
)
def test_queue_page_keeps_its_columns_links_and_keyboard_hooks(language, words):
    agent = user_with_role(Role.AGENT, None)
    agent.language = language
    agent.save()
    made = _varied_tickets(agent)
    html = client_for(agent).get(reverse("tickets:queue"), {"queue": "active"}).content.decode()
    for word in words:
        assert word in html, word
    assert html.count("<tr data-row>") == len(made)
    for t in made:
        assert f'<a href="{reverse("tickets:ticket", args=[t.pk])}" data-row-link>{t.number}</a>' in html
        assert f'<input type="checkbox" name="ids" value="{t.pk}" aria-label="{t.number}">' in html
    state = made[1].state
    assert (state.name_en if language == "en" else state.name) in html
    assert "data-select-all" in html and "data-search" in html


def test_queue_page_query_count_stays_low():
    agent = user_with_role(Role.AGENT, None)
    team_with(agent)
    for i in range(60):
        ticket(title=f"障害 {i}")
    client = client_for(agent)
    client.get(reverse("tickets:queue"), {"queue": "active"})
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("tickets:queue"), {"queue": "active"}).status_code == 200
    assert len(ctx.captured_queries) <= 15, [q["sql"] for q in ctx.captured_queries]


@pytest.mark.parametrize("sort", ["priority", "newest", "oldest", "updated", "due"])
def test_every_order_pages_with_its_cursor(sort):
    agent = user_with_role(Role.AGENT, None)
    org = OrganisationFactory()
    made = [ticket(org, title=f"順番 {i}", urgency=(i % 4) + 1) for i in range(55)]
    for i, t in enumerate(made):
        Ticket.objects.filter(pk=t.pk).update(sla_state="running", sla_due_at=NOW + dt.timedelta(minutes=i))
    client = client_for(agent)
    first = client.get(reverse("tickets:queue"), {"queue": "active", "sort": sort}).content.decode()
    assert first.count("<tr data-row>") == 50 and 'rel="next"' in first
    next_url = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(reverse("tickets:queue") + next_url).content.decode()
    assert second.count("<tr data-row>") == 5
    numbers = set(re.findall(r"data-row-link>([A-Z]+-\d+)<", first + second))
    assert numbers == {t.number for t in made}


def test_a_tag_filter_lists_each_ticket_once():
    agent = user_with_role(Role.AGENT, None)
    tagged = ticket(title="タグ付き", tags=["vpn", "network"])
    ticket(title="タグなし")
    html = client_for(agent).get(reverse("tickets:queue"), {"queue": "all", "tag": "vpn"}).content.decode()
    assert html.count("<tr data-row>") == 1 and tagged.number in html
