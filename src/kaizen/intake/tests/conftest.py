"""Fixtures of the mail intake tests: an organisation with a desk, people and a mailbox."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import pytest

from kaizen.accounts.models import Organisation, Person, User
from kaizen.accounts.tests.factories import OrganisationFactory, PersonFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.intake import services
from kaizen.intake.choices import Transport
from kaizen.intake.models import InboundMail, Mailbox
from kaizen.tickets.tests.factories import admin, desk, person_of, requester_of


def message(
    *,
    sender: str = "yamada@customer.test",
    name: str = "山田 太郎",
    to: str = "help@desk.test",
    subject: str = "プリンタで印刷できません",
    body: str = "3階のプリンタで印刷できません。\n至急お願いします。",
    cc: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """Return the bytes of a message as a mail client would send it (UTF-8)."""
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="customer.test")
    for key, value in (headers or {}).items():
        del msg[key]
        msg[key] = value
    msg.set_content(body)
    for filename, ctype, data in attachments:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


class Office:
    """A customer organisation with a requester, a colleague, an agent and a mailbox."""

    def __init__(self) -> None:
        desk()
        self.org: Organisation = OrganisationFactory(name="顧客株式会社")
        self.manager: User = user_with_role(Role.MANAGER, self.org)
        self.agent: User = user_with_role(Role.AGENT, self.org, email="agent@desk.test")
        agent = person_of(self.agent)
        agent.email = "agent@desk.test"
        agent.save()
        self.requester_user: User = requester_of(self.org, email="yamada@customer.test")
        self.requester: Person = person_of(self.requester_user)
        self.requester.email = "yamada@customer.test"
        self.requester.save()
        self.colleague: Person = PersonFactory(
            organisation=self.org, email="suzuki@customer.test", name="鈴木"
        )
        self.admin: User = admin()
        self.mailbox: Mailbox = self.create_mailbox()

    def create_mailbox(self, actor: User | None = None, **data: Any) -> Mailbox:
        actor = actor or self.manager
        with context.acting(user=actor, channel=context.Channel.WEB):
            return services.create_mailbox(
                actor=actor,
                data={
                    "name": data.pop("name", f"help {Mailbox.objects.count() + 1}"),
                    "address": data.pop("address", "help@desk.test"),
                    "organisation": self.org,
                    **data,
                },
            )


@pytest.fixture
def office(db: Any) -> Office:
    return Office()


@pytest.fixture
def deliver(office: Office, django_capture_on_commit_callbacks: Any) -> Callable[..., InboundMail]:
    """Store raw bytes for a mailbox and process them (with what follows each commit); return the row."""

    def run(raw: bytes, mailbox: Mailbox | None = None, transport: str = Transport.API) -> InboundMail:
        with django_capture_on_commit_callbacks(execute=True):
            received = services.receive(mailbox=mailbox or office.mailbox, raw=raw, transport=transport)
        with django_capture_on_commit_callbacks(execute=True):
            services.drain()
        received.mail.refresh_from_db()
        return received.mail

    return run
