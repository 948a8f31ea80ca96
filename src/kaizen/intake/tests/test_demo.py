"""The demo mailbox: a morning's mail processed through the real path, loaded once."""

from __future__ import annotations

import pytest

from kaizen.core import defaults, demo
from kaizen.intake.choices import MailState
from kaizen.intake.models import InboundMail, Mailbox
from kaizen.tickets.models import Comment

pytestmark = pytest.mark.django_db


def test_demo_mail_becomes_tickets_of_the_senders_organisations_once():
    defaults.load_all()
    demo.load_all(password="kaizen-demo", only=("accounts", "intake"))
    demo.load_all(password="kaizen-demo", only=("accounts", "intake"))
    assert Mailbox.objects.count() == 1
    states = list(InboundMail.objects.order_by("id").values_list("state", flat=True))
    assert states == [
        MailState.CREATED,
        MailState.THREADED,
        MailState.CREATED,
        MailState.IGNORED,
        MailState.CREATED,
    ]
    first, reply, screenshot, _away, newcomer = InboundMail.objects.order_by("id")
    assert first.ticket.title == "経費精算システムにログインできません"
    assert first.ticket.organisation.code == "sakura" and first.ticket.team.name == "サービスデスク"
    assert "認証に失敗しました" in first.ticket.description
    assert reply.ticket_id == first.ticket_id
    comment = Comment.objects.get(pk=reply.comment_id)
    assert comment.body.startswith("パスワードを再設定したら") and "Original Message" not in comment.body
    assert screenshot.ticket.organisation.code == "minato"
    assert screenshot.ticket.attachments.count() == 1
    assert newcomer.ticket.requester.name == "中村 翼"
