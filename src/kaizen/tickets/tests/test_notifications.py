"""Mail from the desk: who gets what, in which language, and never internal notes to requesters."""

from __future__ import annotations

import pytest
from django.core import mail

from kaizen.accounts.models import User
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.tickets import services
from kaizen.tickets.models import BusinessRule, Ticket

from .factories import desk, person_of, requester_of, team_with

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk():
    desk()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run the outbox deliveries queued by a block (mail is sent by the handlers)."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def _to(address):
    return [m for m in mail.outbox if address in m.to]


def test_requester_gets_an_acknowledgement_in_their_language(deliver):
    org = OrganisationFactory()
    user = requester_of(org, email="yamada@example.test")
    User.objects.filter(pk=user.pk).update(language="en")
    user.refresh_from_db()
    person = person_of(user)
    person.email = "yamada@example.test"
    person.save()
    ticket = deliver(services.create_ticket, actor=user, kind="incident", data={"title": "印刷できない"})
    [message] = _to("yamada@example.test")
    assert ticket.number in message.subject and "received" in message.subject
    assert "/portal/tickets/" in message.body and "/desk/" not in message.body
    assert message.extra_headers["X-Kaizen-Ticket"] == ticket.number


def test_assignee_is_told_and_japanese_is_the_default(deliver):
    agent = user_with_role(Role.AGENT, None, email="sato@example.test")
    ticket = deliver(
        services.create_ticket,
        actor=agent,
        kind="incident",
        data={"title": "VPN不通", "organisation": OrganisationFactory(), "assignee": person_of(agent)},
    )
    [message] = _to("sato@example.test")
    assert ticket.number in message.subject and "割り当て" in message.subject
    assert "/desk/tickets/" in message.body


def test_public_replies_reach_the_requester_but_work_notes_do_not(deliver):
    org = OrganisationFactory()
    user = requester_of(org, email="req@example.test")
    agent = user_with_role(Role.AGENT, None, email="agent@example.test")
    ticket = services.create_ticket(actor=user, kind="incident", data={"title": "x"})
    mail.outbox.clear()
    deliver(
        services.add_comment, ticket.pk, actor=agent, body="社内: ベンダーに確認中", visibility="internal"
    )
    assert _to("req@example.test") == []
    deliver(services.add_comment, ticket.pk, actor=agent, body="再起動をお試しください", visibility="public")
    [reply] = _to("req@example.test")
    assert "再起動をお試しください" in reply.body and "ベンダー" not in reply.body


def test_requester_reply_reaches_the_team_when_nobody_is_assigned(deliver):
    org = OrganisationFactory()
    user = requester_of(org)
    team = team_with(user_with_role(Role.AGENT, None))
    team.email = "desk@example.test"
    team.save()
    ticket = services.create_ticket(actor=user, kind="incident", data={"title": "x"})
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    mail.outbox.clear()
    deliver(services.add_comment, ticket.pk, actor=user, body="追加情報です")
    assert len(_to("desk@example.test")) == 1


def test_resolution_asks_the_requester_to_confirm(deliver):
    org = OrganisationFactory()
    user = requester_of(org, email="r2@example.test")
    ticket = services.create_ticket(actor=user, kind="incident", data={"title": "x"})
    mail.outbox.clear()
    deliver(
        services.apply_action,
        ticket.pk,
        "resolve",
        actor=user_with_role(Role.AGENT, None),
        version=ticket.version,
        params={"resolution": "キャッシュを削除しました", "cause_class": "configuration"},
    )
    [message] = _to("r2@example.test")
    assert "キャッシュを削除しました" in message.body


def test_rule_notifications_and_hostile_titles_stay_plain_text(deliver):
    BusinessRule.objects.create(
        name="NOC へ通知",
        conditions=[{"field": "title", "op": "contains", "value": "停止"}],
        actions=[
            {"action": "notify", "value": {"emails": ["noc@example.test"], "message": "確認してください"}}
        ],
    )
    title = '全社メール停止 <script>alert("x")</script> & more'
    deliver(
        services.create_ticket,
        actor=user_with_role(Role.AGENT, None),
        kind="incident",
        data={"title": title, "organisation": OrganisationFactory()},
    )
    [message] = _to("noc@example.test")
    assert "NOC へ通知" in message.body and "確認してください" in message.body
    assert title in message.subject and "&amp;" not in message.subject
