"""A new ticket is stored once, in its final state: rules, round robin and the automatic "assign"
run before its insert, and the history, audit trail and events still tell each step."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kaizen.core.models import AuditEntry, OutboxMessage
from kaizen.tickets import services
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import BusinessRule, Comment, StateLog, TeamAssignment, Ticket, WorkflowTransition

from .factories import OrganisationFactory, Role, desk, person_of, team_with, ticket, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk():
    desk()


def _routed_team():
    a, b = user_with_role(Role.AGENT, None), user_with_role(Role.AGENT, None)
    team = team_with(a, b, name="一次対応")
    TeamAssignment.objects.create(team=team, mode="round_robin")
    BusinessRule.objects.create(
        name="メールは一次対応へ",
        conditions=[{"field": "title", "op": "contains", "value": "メール"}],
        actions=[{"action": "set_team", "value": team.pk}, {"action": "add_tags", "value": ["mail"]}],
    )
    return team, [person_of(a), person_of(b)]


def _ticket_writes(queries):
    table = 'tickets_ticket"'
    inserts = [q for q in queries if q["sql"].startswith(f'INSERT INTO "{table}')]
    updates = [q for q in queries if q["sql"].startswith(f'UPDATE "{table}')]
    return inserts, updates


def test_routed_and_assigned_ticket_is_inserted_once_in_its_final_state():
    team, members = _routed_team()
    with CaptureQueriesContext(connection) as ctx:
        t = ticket(title="メールが送れない", urgency=3)
    inserts, updates = _ticket_writes(ctx.captured_queries)
    assert len(inserts) == 1 and updates == []

    stored = Ticket.objects.get(pk=t.pk)
    assert stored.team == team and stored.assignee == members[0]
    assert stored.state.code == "assigned" and stored.version == 2 == t.version
    assert set(stored.tags.values_list("name", flat=True)) == {"mail"}

    # The history tells the ticket as filed, then as automation left it.
    logs = list(StateLog.objects.filter(ticket=stored).order_by("pk"))
    assert [(log.state.code, log.team_id, log.assignee_id) for log in logs] == [
        ("new", None, None),
        ("assigned", team.pk, members[0].pk),
    ]

    # The audit trail: the create as filed (version 1, with the ticket's id), then each step.
    rows = list(AuditEntry.objects.filter(record_type="tickets.ticket", record_id=str(t.pk)).order_by("seq"))
    assert [r.action for r in rows] == ["create", "rule", "auto_assign", "transition"]
    create, rule, assigned, moved = rows
    assert create.meta["version"] == 1 and create.changes["id"] == [None, t.pk]
    assert "team" not in create.changes and create.changes["number"] == [None, t.number]
    assert rule.meta == {"rule": "メールは一次対応へ", "rule_id": rule.meta["rule_id"], "version": 2}
    assert rule.changes == {"team": [None, team.pk], "tags": [[], ["mail"]]}
    assert assigned.changes == {"assignee": [None, members[0].pk]}
    assert moved.meta["from"] == "new" and moved.meta["to"] == "assigned"
    assert "id" not in moved.changes and "state" in moved.changes

    topics = list(OutboxMessage.objects.order_by("pk").values_list("topic", "payload__ticket_id"))
    assert ("ticket.created", t.pk) in topics and ("ticket.assigned", t.pk) in topics


def test_a_ticket_no_rule_touches_is_inserted_once_with_one_history_row():
    with CaptureQueriesContext(connection) as ctx:
        t = ticket(title="プリンタの紙詰まり")
    inserts, updates = _ticket_writes(ctx.captured_queries)
    assert len(inserts) == 1 and updates == []
    assert t.version == 1 and t.state.code == "new"
    assert StateLog.objects.filter(ticket_id=t.pk).count() == 1
    actions = AuditEntry.objects.filter(record_type="tickets.ticket", record_id=str(t.pk)).values_list(
        "action", flat=True
    )
    assert list(actions) == ["create"]


def test_rule_notes_and_events_on_create_name_the_stored_ticket():
    team, _members = _routed_team()
    BusinessRule.objects.create(
        name="全面停止は重大インシデント",
        kind=Kind.INCIDENT,
        conditions=[{"field": "title", "op": "contains", "value": "全面停止"}],
        actions=[
            {"action": "declare_major", "value": None},
            {"action": "escalate", "value": {"team": team.pk, "note": "至急"}},
            {"action": "notify", "value": {"emails": ["lead@example.jp"], "message": "<b>確認</b>"}},
        ],
        order=10,
    )
    t = ticket(title="基幹システム全面停止", urgency=1)
    stored = Ticket.objects.get(pk=t.pk)
    assert stored.major and stored.team == team
    notes = list(Comment.objects.filter(ticket=stored).order_by("pk").values_list("body", "is_timeline"))
    assert len(notes) == 2 and notes[0][1] is True and "至急" in notes[1][0]
    payloads = dict(OutboxMessage.objects.values_list("topic", "payload"))
    assert payloads["ticket.major_declared"]["ticket_id"] == t.pk
    notified = OutboxMessage.objects.get(
        topic="ticket.rule_notification", payload__emails__0="lead@example.jp"
    )
    assert notified.payload["ticket_id"] == t.pk and notified.payload["message"] == "<b>確認</b>"
    comment_rows = AuditEntry.objects.filter(record_type="tickets.comment", action="create")
    assert {r.changes["ticket"][1] for r in comment_rows} == {t.pk}


def test_an_assign_guard_that_reads_stored_rows_runs_after_the_insert():
    _team, members = _routed_team()
    assign = WorkflowTransition.objects.get(kind=Kind.INCIDENT, code="assign")
    assign.guards = [*assign.guards, "tasks_done"]
    assign.save()
    with CaptureQueriesContext(connection) as ctx:
        t = ticket(title="メールが届かない")
    inserts, updates = _ticket_writes(ctx.captured_queries)
    assert len(inserts) == 1 and len(updates) == 1  # the transition is saved once the row exists
    stored = Ticket.objects.get(pk=t.pk)
    assert stored.state.code == "assigned" and stored.assignee == members[0] and stored.version == 3
    actions = AuditEntry.objects.filter(record_type="tickets.ticket", record_id=str(t.pk)).order_by("seq")
    assert list(actions.values_list("action", flat=True)) == ["create", "rule", "auto_assign", "transition"]


def _batch(actor, org, n, **extra):
    from kaizen.core import context

    data = [{"title": f"メール {i}", "organisation": org, **extra} for i in range(n)]
    items = [services.BatchItem(data=d, extras={}) for d in data]
    with CaptureQueriesContext(connection) as ctx, context.acting(user=actor):
        done = services.create_batch(
            actor=actor,
            kind=Kind.INCIDENT,
            items=items,
            create=lambda item: services.file_ticket(actor=actor, kind=Kind.INCIDENT, data=item.data),
        )
    return done, ctx.captured_queries


def test_batch_tickets_are_inserted_together_without_a_savepoint_each():
    from .factories import admin

    team, members = _routed_team()
    org = OrganisationFactory()
    actor = admin()
    _batch(actor, org, 1)  # the first write of a test makes the counters and the audit chain head
    _done, two = _batch(actor, org, 2)
    done, six = _batch(actor, org, 6)
    inserts, updates = _ticket_writes(six)
    # One statement for the six (COPY on PostgreSQL, which the query log does not show).
    assert len(inserts) == (0 if connection.vendor == "postgresql" else 1) and updates == []
    savepoints = [sum(q["sql"].startswith("SAVEPOINT") for q in qs) for qs in (two, six)]
    assert savepoints[0] == savepoints[1]
    stored = [Ticket.objects.get(pk=d.ticket.pk) for d in done]
    assert [t.number for t in stored] == sorted(t.number for t in stored)
    assert [t.pk for t in stored] == sorted(t.pk for t in stored)
    assert all(t.state.code == "assigned" and t.team == team and t.version == 2 for t in stored)
    # The round robin goes on across the batch, as it would one ticket at a time.
    assert [t.assignee for t in stored] == [members[(i + 3) % 2] for i in range(6)]
    for t in stored:
        actions = AuditEntry.objects.filter(record_type="tickets.ticket", record_id=str(t.pk))
        assert sorted(actions.values_list("action", flat=True)) == sorted(
            ["create", "rule", "auto_assign", "transition"]
        )
        assert StateLog.objects.filter(ticket=t).count() == 2
        assert set(t.tags.values_list("name", flat=True)) == {"mail"}
    ids = [t.pk for t in stored]
    assert OutboxMessage.objects.filter(topic="ticket.created", payload__ticket_id__in=ids).count() == 6


def test_least_loaded_assignment_counts_the_batch_tickets_not_yet_stored():
    from .factories import admin

    team, members = _routed_team()
    TeamAssignment.objects.filter(team=team).update(mode="least_loaded")
    done, _queries = _batch(admin(), OrganisationFactory(), 4)
    got = sorted(Ticket.objects.get(pk=d.ticket.pk).assignee_id for d in done)
    assert got == sorted([members[0].pk, members[0].pk, members[1].pk, members[1].pk])
