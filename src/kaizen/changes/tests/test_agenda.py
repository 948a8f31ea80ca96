"""The CAB agenda read as plain values: the same content as the change records, warnings per change,
conflicts with other organisations' changes redacted everywhere (agenda, API, page), and a number of
queries that does not grow with the number of changes; the calendar's changes with their CIs, and
its days filled in one pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from kaizen.accounts.tests.factories import PersonFactory
from kaizen.approvals import services as approvals
from kaizen.approvals.models import Approval
from kaizen.changes import schedule, services, views
from kaizen.changes.choices import BoardKind, WindowKind
from kaizen.changes.models import Change
from kaizen.cmdb.tests.factories import CIFactory, RelationshipFactory
from kaizen.core.access import Role
from kaizen.core.testing import api, ui
from kaizen.portfolio.tests.factories import ServiceFactory, depends
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, admin, user_with_role

from .factories import act, board, change, setup_changes, window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> Iterator[None]:
    setup_changes()
    with translation.override("en"):
        yield


def _foreign_conflict() -> dict[str, Any]:
    """A change of ours waiting for the CAB, on a CI that another organisation's live change depends on."""
    mine, theirs = OrganisationFactory(name="経理部"), OrganisationFactory(name="営業部")
    manager = user_with_role(Role.MANAGER, mine)
    board(BoardKind.CAB, manager)
    board(BoardKind.ECAB, manager)
    db, far = CIFactory(organisation=mine), CIFactory(organisation=theirs)
    RelationshipFactory(source=far, target=db)  # their server depends on our database
    foreign = change(theirs, cis=[far.pk], when=window(24, 3), title="営業システム秘密の更新")
    ours = change(mine, cis=[db.pk], when=window(25, 2), title="DB 更新")
    act(ours, "submit", override_reason="営業部と調整済み")
    return {"mine": mine, "theirs": theirs, "manager": manager, "db": db, "foreign": foreign, "ours": ours}


def test_agenda_redacts_conflicts_with_changes_the_user_may_not_see():
    found = _foreign_conflict()
    foreign, ours = found["foreign"], found["ours"]
    item = schedule.agenda(found["manager"], timezone.localdate())["decide"][0]
    assert item.ticket_id == ours.pk
    conflict = next(w for w in item.warnings if w.kind == "conflict")
    assert conflict.ticket_id is None and conflict.ref == "—"
    assert "may not see" in conflict.message
    assert foreign.number not in str(asdict(item)) and foreign.title not in str(asdict(item))
    seen = schedule.agenda(admin(), timezone.localdate())["decide"][0]
    named = next(w for w in seen.warnings if w.kind == "conflict")
    assert named.ticket_id == foreign.pk and named.ref == foreign.number and foreign.number in named.message


def test_agenda_api_and_page_never_name_a_foreign_conflict():
    found = _foreign_conflict()
    foreign, ours = found["foreign"], found["ours"]
    response = api.client_for(found["manager"]).get("/api/v1/cab-agenda/")
    assert response.status_code == 200
    body = response.json()
    [item] = body["decide"]
    assert item["id"] == ours.pk
    assert next(w for w in item["warnings"] if w["kind"] == "conflict")["ref"] == "—"
    assert all("ticket" not in w for w in item["warnings"])
    assert foreign.number not in response.content.decode()
    assert foreign.title not in response.content.decode()
    page = ui.client_for(found["manager"]).get(reverse("changes:cab")).content.decode()
    assert f'data-agenda="{ours.pk}"' in page
    assert foreign.number not in page and foreign.title not in page
    assert reverse("tickets:ticket", args=[foreign.pk]) not in page
    for_admin = ui.client_for(admin()).get(reverse("changes:cab")).content.decode()
    assert reverse("tickets:ticket", args=[foreign.pk]) in for_admin


def test_upcoming_changes_show_their_recorded_warnings_redacted():
    found = _foreign_conflict()
    foreign, manager = found["foreign"], found["manager"]
    urgent = change(
        found["mine"],
        change_type="emergency",
        cis=[found["db"].pk],
        when=window(24.5, 1),
        plans={"reason": "脆弱性", "implementation_plan": "パッチ"},
        title="緊急パッチ",
    )
    act(urgent, "submit", override_reason="緊急")
    approvals.decide(Approval.objects.get(ticket=urgent, state="waiting").pk, actor=manager, approve=True)
    stored = Change.objects.get(pk=urgent.pk).schedule_warnings
    assert any(row.get("ticket") == foreign.pk for row in stored)  # recorded as the system saw it
    [item] = schedule.agenda(manager, timezone.localdate())["upcoming"]
    assert item.ticket_id == urgent.pk and item.state == "scheduled"
    assert item.warnings and all(w.ticket_id != foreign.pk for w in item.warnings)
    assert foreign.number not in str(asdict(item))
    [seen] = schedule.agenda(admin(), timezone.localdate())["upcoming"]
    assert any(w.ticket_id == foreign.pk for w in seen.warnings)


def test_upcoming_changes_skip_recorded_warnings_they_cannot_read():
    found = _foreign_conflict()
    urgent = change(
        found["mine"],
        change_type="emergency",
        when=window(30, 1),
        plans={"reason": "r", "implementation_plan": "p"},
    )
    act(urgent, "submit")
    approvals.decide(
        Approval.objects.get(ticket=urgent, state="waiting").pk, actor=found["manager"], approve=True
    )
    good = {"kind": "freeze", "message": "m", "ref": "r", "starts_at": "2026-01-01T00:00:00+00:00"}
    Change.objects.filter(pk=urgent.pk).update(
        schedule_warnings=[
            {**good, "ends_at": "2026-01-01T01:00:00+00:00"},
            good,  # no end
            {**good, "ends_at": "tomorrow"},
            "an old free-text warning",
        ]
    )
    [item] = schedule.agenda(found["manager"], timezone.localdate())["upcoming"]
    assert [(w.kind, w.ref) for w in item.warnings] == [("freeze", "r")]


def test_each_change_to_decide_has_its_own_warnings():
    org = OrganisationFactory()
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    svc = ServiceFactory(organisation=org)
    db, app, other = (CIFactory(organisation=org) for _ in range(3))
    RelationshipFactory(source=app, target=db)
    depends(svc, on_ci=app)
    when = window(24, 2)
    services.create_window(
        actor=admin(),
        data={
            "name": "月末締め",
            "kind": WindowKind.FREEZE,
            "starts_at": when["planned_start"],
            "ends_at": when["planned_end"],
        },
        services=[svc],
    )
    first = change(org, cis=[db.pk], when=when, title="DB")
    act(first, "submit", override_reason="締めの前に")
    second = change(org, cis=[app.pk], when=window(25, 2), title="AP")
    act(second, "submit", override_reason="順に実施")
    alone = change(org, cis=[other.pk], when=window(72, 1), title="別件")
    act(alone, "submit")
    items = {i.ticket_id: i for i in schedule.agenda(admin(), timezone.localdate())["decide"]}
    assert [(w.kind, w.ticket_id) for w in items[first.pk].warnings] == [
        ("conflict", second.pk),
        (WindowKind.FREEZE, None),
    ]
    assert [(w.kind, w.ticket_id) for w in items[second.pk].warnings] == [
        ("conflict", first.pk),
        (WindowKind.FREEZE, None),
    ]
    assert items[alone.pk].warnings == []
    for item in items.values():  # checked now: the same as the conflict check of each change alone
        assert item.warnings == schedule.warnings_for(Change.objects.get(pk=item.ticket_id))


def _approvals_as_models(ticket_id: int) -> list[tuple[Any, ...]]:
    rows = Approval.objects.filter(ticket_id=ticket_id, round__outcome="open").order_by("order", "id")
    return [
        (
            a.pk,
            a.approver_id,
            a.approver.get_full_name() or a.approver.get_username(),
            str(a.on_behalf_of) if a.on_behalf_of else None,
            a.state,
            a.get_state_display(),
            a.decided_at,
            a.comment,
        )
        for a in rows
    ]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_agenda_items_say_what_the_change_records_say(language: str):
    org = OrganisationFactory(name="情報システム部")
    manager = user_with_role(Role.MANAGER, org, first_name="花子", last_name="山田")
    deputy = user_with_role(Role.MANAGER, org, username="deputy")
    board(BoardKind.CAB, manager, deputy)
    board(BoardKind.ECAB, manager)
    requested = change(org, title="依頼あり", requester=PersonFactory(organisation=org, name="依頼 太郎"))
    act(requested, "submit")
    plain = change(org, when=window(30, 1), title="依頼なし")
    act(plain, "submit")
    mine = Approval.objects.get(ticket=requested, approver=manager)
    approvals.delegate(mine.pk, actor=manager, to=user_with_role(Role.MANAGER, org), comment="代理で")
    approvals.decide(Approval.objects.get(ticket=plain, approver=deputy).pk, actor=deputy, approve=True)
    soon = change(
        org, change_type="emergency", when=window(40, 1), plans={"reason": "r", "implementation_plan": "p"}
    )
    act(soon, "submit")
    approvals.decide(Approval.objects.get(ticket=soon, state="waiting").pk, actor=manager, approve=True)
    with translation.override(language):
        found = schedule.agenda(manager, timezone.localdate())
        assert [i.ticket_id for i in found["decide"]] == [requested.pk, plain.pk]
        assert [i.ticket_id for i in found["upcoming"]] == [soon.pk]
        for item in found["decide"] + found["upcoming"]:
            record = Change.objects.select_related(
                "ticket__state", "ticket__organisation", "ticket__requester"
            ).get(pk=item.ticket_id)
            t = record.ticket
            assert (
                item.number,
                item.title,
                item.state,
                item.state_label,
                item.state_category,
                item.organisation,
                item.requester,
                item.impact,
                item.get_impact_display(),
            ) == (
                t.number,
                t.title,
                t.state.code,
                str(t.state),
                t.state_category,
                str(t.organisation),
                str(t.requester) if t.requester else "",
                t.impact,
                t.get_impact_display(),
            )
            assert (
                item.change_type,
                item.get_change_type_display(),
                item.risk_level,
                item.get_risk_level_display(),
                item.risk_score,
                item.planned_start,
                item.planned_end,
                item.reason,
                item.override_reason,
            ) == (
                record.change_type,
                record.get_change_type_display(),
                record.risk_level,
                record.get_risk_level_display(),
                record.risk_score,
                record.planned_start,
                record.planned_end,
                record.reason,
                record.override_reason,
            )
        for item in found["decide"]:
            shown = [
                (
                    a.pk,
                    a.approver_id,
                    a.approver.get_full_name() or a.approver.get_username(),
                    str(a.on_behalf_of) if a.on_behalf_of else None,
                    a.state,
                    a.get_state_display(),
                    a.decided_at,
                    a.comment,
                )
                for a in item.approvals
            ]
            assert shown == _approvals_as_models(item.ticket_id)
    page = ui.client_for(manager).get(reverse("changes:cab")).content.decode()
    assert "依頼 太郎" in page and "花子 山田" in page and f"{manager.username}" in page


def test_agenda_reads_a_fixed_number_of_queries_however_many_changes():
    found = _foreign_conflict()
    manager, day = found["manager"], timezone.localdate()

    def count() -> int:
        schedule.agenda(manager, day)
        with CaptureQueriesContext(connection) as ctx:
            schedule.agenda(manager, day)
        return len(ctx.captured_queries)

    few = count()
    for i in range(4):  # more changes to decide, each with a foreign conflict, and coming up
        t = change(found["mine"], cis=[found["db"].pk], when=window(25 + i * 0.25, 2), title=f"変更 {i}")
        act(t, "submit", override_reason="調整済み")
    assert len(schedule.agenda(manager, day)["decide"]) == 5
    assert count() == few


def test_calendar_lists_each_change_with_its_cis():
    org = OrganisationFactory()
    a, b, c = (CIFactory(organisation=org) for _ in range(3))
    first = change(org, cis=[a.pk, b.pk], when=window(24, 2))
    second = change(org, cis=[c.pk], when=window(26, 1))
    bare = change(org, when=window(28, 1))
    start = timezone.now()
    found = schedule.calendar(admin(), start, start + dt.timedelta(days=2))
    assert [(p.ticket_id, p.cis) for p in found["changes"]] == [
        (first.pk, {a.pk, b.pk}),
        (second.pk, {c.pk}),
        (bare.pk, set()),
    ]
    outsider = user_with_role(Role.MANAGER, OrganisationFactory())
    assert schedule.calendar(outsider, start, start + dt.timedelta(days=2))["changes"] == []


def test_cis_of_takes_ids_or_a_query_of_ids():
    org = OrganisationFactory()
    a, b = CIFactory(organisation=org), CIFactory(organisation=org)
    one, two = change(org, cis=[a.pk, b.pk]), change(org, cis=[b.pk])
    expected = {one.pk: {a.pk, b.pk}, two.pk: {b.pk}}
    assert schedule.cis_of([one.pk, two.pk]) == expected
    assert schedule.cis_of(Ticket.objects.filter(pk__in=[one.pk, two.pk]).values("pk")) == expected
    assert schedule.cis_of([]) == {}


@given(
    st.lists(
        st.tuples(st.integers(-3 * 24 * 60, 12 * 24 * 60), st.integers(1, 5 * 24 * 60)), max_size=30
    ).map(sorted),
    st.integers(1, 10),
)
def test_calendar_days_hold_every_change_that_touches_them(spans: list[tuple[int, int]], days: int):
    first = dt.date(2026, 3, 25)
    with timezone.override("Europe/Berlin"):  # summer time starts on 29 March: a 23-hour day
        bounds = [views._midnight(first + dt.timedelta(days=d)) for d in range(days + 1)]
    changes = [
        schedule.Planned(
            ticket_id=i,
            number=f"CHG-{i}",
            title="",
            start=(bounds[0] + dt.timedelta(minutes=at)).astimezone(dt.UTC),  # as read from the database
            end=(bounds[0] + dt.timedelta(minutes=at + length)).astimezone(dt.UTC),
            service_id=None,
            change_type="normal",
        )
        for i, (at, length) in enumerate(spans)
    ]
    expected = [[c for c in changes if c.start < bounds[d + 1] and c.end > bounds[d]] for d in range(days)]
    assert views._by_day(changes, bounds) == expected
