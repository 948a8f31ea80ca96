"""Reminders: problems that have not moved remind their owner once per period; moving ones do not."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail

from kaizen.core import context
from kaizen.core.models import AuditEntry
from kaizen.problems import services, tasks
from kaizen.problems.models import ProblemRecord
from kaizen.tickets import services as tickets
from kaizen.tickets.models import Comment
from kaizen.tickets.tests.factories import OrganisationFactory, Role, desk, person_of, ticket, user_with_role

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC)


def at(days: float) -> Any:
    return time_machine.travel(T0 + dt.timedelta(days=days), tick=False)


@pytest.fixture(autouse=True)
def _setup(settings: Any) -> None:
    settings.PROBLEM_REMINDER_DAYS = 14
    desk()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks: Any) -> Any:
    """Run the outbox deliveries queued by a block (movement and mail are handlers)."""

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def people() -> dict[str, Any]:
    org = OrganisationFactory()
    owner = user_with_role(Role.AGENT, org, email="owner@example.test")
    agent = user_with_role(Role.AGENT, org, email="agent@example.test")
    return {"org": org, "owner": owner, "agent": agent}


def _problem(people: dict[str, Any], deliver: Any, **data: Any) -> Any:
    agent = people["agent"]
    with at(0), context.acting(user=agent, channel=context.Channel.WEB):
        return deliver(
            services.create_problem,
            actor=agent,
            data={
                "title": "メール中継のメモリリーク",
                "organisation": people["org"],
                "owner": person_of(people["owner"]),
                **data,
            },
        )


def _reminders(address: str) -> list[Any]:
    """Return the reminder mails to ``address`` (subject in English, or Japanese once translated)."""
    return [
        m
        for m in mail.outbox
        if address in m.to and ("has not moved" in m.subject or "動いていません" in m.subject)
    ]


def _remind(deliver: Any, days: float) -> int:
    with at(days):
        return int(deliver(services.remind_stale))


def test_problem_not_moved_reminds_its_owner_once_with_a_note_and_an_audit_row(
    people: dict[str, Any], deliver: Any
) -> None:
    created = _problem(people, deliver)
    mail.outbox.clear()
    assert _remind(deliver, 13.9) == 0
    assert _remind(deliver, 15) == 1
    messages = [m for m in mail.outbox if "owner@example.test" in m.to]
    assert len(messages) == 1 and _reminders("owner@example.test") == messages
    assert created.number in messages[0].subject and "/desk/tickets/" in messages[0].body
    note = Comment.objects.get(ticket=created, author__isnull=True)
    assert note.visibility == "internal" and "14" in note.body
    row = AuditEntry.objects.get(record_id=str(created.pk), action="problem_reminder")
    assert row.meta["days"] == 14 and row.meta["owner"] == str(person_of(people["owner"]))
    assert ProblemRecord.objects.get(pk=created.pk).reminded_at == T0 + dt.timedelta(days=15)


def test_second_run_within_the_period_does_not_remind_again(people: dict[str, Any], deliver: Any) -> None:
    created = _problem(people, deliver)
    assert _remind(deliver, 15) == 1
    assert _remind(deliver, 15) == 0
    assert _remind(deliver, 28) == 0
    assert _remind(deliver, 29.5) == 1  # still not moved a whole period after the reminder
    assert Comment.objects.filter(ticket=created, author__isnull=True).count() == 2
    assert AuditEntry.objects.filter(record_id=str(created.pk), action="problem_reminder").count() == 2


def test_the_reminder_note_itself_is_not_movement(people: dict[str, Any], deliver: Any) -> None:
    created = _problem(people, deliver)
    _remind(deliver, 15)
    assert ProblemRecord.objects.get(pk=created.pk).last_moved_at == T0


@pytest.mark.parametrize("how", ["work_note", "state", "details", "ticket_field"])
def test_moved_problem_is_not_reminded(people: dict[str, Any], deliver: Any, how: str) -> None:
    created = _problem(people, deliver)
    agent = people["agent"]
    with at(10), context.acting(user=agent, channel=context.Channel.WEB):
        if how == "work_note":
            deliver(
                tickets.add_comment, created.pk, actor=agent, body="ベンダー回答待ち", visibility="internal"
            )
        elif how == "state":
            deliver(tickets.apply_action, created.pk, "start", actor=agent, version=created.version)
        elif how == "details":
            deliver(services.update_details, created.pk, actor=agent, changes={"rank": 2}, version=1)
        else:
            deliver(
                tickets.update_ticket,
                created.pk,
                actor=agent,
                changes={"urgency": 2},
                version=created.version,
            )
    assert ProblemRecord.objects.get(pk=created.pk).last_moved_at == T0 + dt.timedelta(days=10)
    assert _remind(deliver, 15) == 0
    assert _remind(deliver, 24.5) == 1


def test_closed_and_cancelled_problems_are_not_reminded(people: dict[str, Any], deliver: Any) -> None:
    created = _problem(people, deliver)
    with at(1):
        deliver(
            tickets.apply_action,
            created.pk,
            "cancel",
            actor=people["agent"],
            version=created.version,
            params={"comment": "重複"},
        )
    assert _remind(deliver, 40) == 0


def test_problem_without_owner_reminds_the_assignee(people: dict[str, Any], deliver: Any) -> None:
    agent = people["agent"]
    with at(0), context.acting(user=agent, channel=context.Channel.WEB):
        created = deliver(
            services.create_problem,
            actor=agent,
            data={
                "title": "VPN 証明書の期限切れ",
                "organisation": people["org"],
                "assignee": person_of(agent),
            },
        )
    mail.outbox.clear()
    assert _remind(deliver, 15) == 1
    [reminder] = _reminders("agent@example.test")
    assert created.number in reminder.subject


def test_problem_recorded_by_the_desk_gets_reminded_too(people: dict[str, Any], deliver: Any) -> None:
    with at(0):
        raw = ticket(
            people["org"], kind="problem", title="デスクで記録した問題"
        )  # no event delivered: no row yet
    assert not ProblemRecord.objects.filter(pk=raw.pk).exists()
    assert _remind(deliver, 20) == 1
    assert ProblemRecord.objects.get(pk=raw.pk).last_moved_at == T0


def test_reminders_are_off_at_zero_days(people: dict[str, Any], deliver: Any, settings: Any) -> None:
    _problem(people, deliver)
    settings.PROBLEM_REMINDER_DAYS = 0
    assert _remind(deliver, 400) == 0
    assert services.remind_stale(days=-1) == 0


def test_threshold_comes_from_the_setting(people: dict[str, Any], deliver: Any, settings: Any) -> None:
    _problem(people, deliver)
    settings.PROBLEM_REMINDER_DAYS = 3
    assert _remind(deliver, 2) == 0
    assert _remind(deliver, 3.5) == 1


def test_periodic_job_reminds_as_a_job(people: dict[str, Any], deliver: Any) -> None:
    created = _problem(people, deliver)
    with at(15):
        assert deliver(tasks.remind_stale_problems.call_local) == 1
    row = AuditEntry.objects.get(record_id=str(created.pk), action="problem_reminder")
    assert row.channel == context.Channel.JOB
