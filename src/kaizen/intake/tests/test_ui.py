"""Mail intake pages: the generic UI suite on mailboxes, the message page, the ticket panel, bad input."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for
from kaizen.intake.models import InboundMail, Mailbox

from .conftest import Office, message

pytestmark = pytest.mark.django_db

_n = itertools.count(1)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _mailbox(org: Any, **data: Any) -> Mailbox:
    n = next(_n)
    return Mailbox.objects.create(name=f"窓口 {n}", address=f"desk{n}@desk.test", organisation=org, **data)


def _form(org: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "ヘルプデスク窓口",
        "address": f"help{next(_n)}@desk.test",
        "organisation": org.pk,
        "description": "社内問い合わせ",
        "is_enabled": "on",
        "kind": "incident",
        "unknown_senders": "create",
        "trusted_domains": "customer.test",
        "imap_host": "",
        "imap_security": "ssl",
        "imap_folder": "INBOX",
        **extra,
    }


def _edit(obj: Mailbox) -> dict[str, Any]:
    data = _form(obj.organisation, name=obj.name, address=obj.address, description="編集後")
    del data["organisation"]
    return data


class TestMailboxPages(UiPermissionSuite):
    case = UiCase(
        prefix="intake:mailboxes",
        make=_mailbox,
        form_data=_form,
        edit_data=_edit,
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        relation_field="default_team",
    )


def test_the_password_is_never_rendered_and_an_empty_one_keeps_the_stored(office: Office) -> None:
    Mailbox.objects.filter(pk=office.mailbox.pk).update(
        imap_host="imap.desk.test", imap_username="help", imap_password="s3cret-pass"
    )
    client = client_for(office.manager)
    page = client.get(reverse("intake:mailboxes-edit", args=[office.mailbox.pk])).content.decode()
    assert "s3cret-pass" not in page
    detail = client.get(reverse("intake:mailboxes-detail", args=[office.mailbox.pk])).content.decode()
    assert "s3cret-pass" not in detail
    data = {**_edit(office.mailbox), "imap_host": "imap.desk.test", "imap_username": "help", "version": 1}
    response = client.post(reverse("intake:mailboxes-edit", args=[office.mailbox.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Mailbox.objects.get(pk=office.mailbox.pk).imap_password == "s3cret-pass"


@pytest.mark.parametrize(
    "bad",
    [
        {"address": "no-at-sign"},
        {"trusted_domains": "customer.test\n<script>"},
        {"imap_host": "imap.desk.test", "imap_username": ""},
        {"imap_folder": "受信トレイ"},
        {"imap_port": "port"},
        {"imap_port": "99999"},
        {"kind": "change"},
        {"name": "x" * 300},
        {"description": HOSTILE * 200},
    ],
)
def test_bad_mailbox_forms_answer_with_errors_and_store_nothing(office: Office, bad: dict[str, Any]) -> None:
    response = client_for(office.manager).post(reverse("intake:mailboxes-create"), _form(office.org, **bad))
    assert response.status_code == 400
    assert Mailbox.objects.count() == 1


def test_the_message_page_shows_hostile_mail_escaped_and_the_original_as_a_download(
    office: Office, deliver: Any
) -> None:
    got = deliver(message(subject=HOSTILE, body=f"本文 {HOSTILE}\n\n> 引用された履歴"))
    client = client_for(office.agent)
    page = client.get(reverse("intake:message", args=[got.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert got.ticket.number in html
    original = client.get(reverse("intake:message-original", args=[got.pk]))
    assert original["Content-Disposition"].startswith("attachment")
    assert (
        original["Content-Type"] == "application/octet-stream"
        and original["X-Content-Type-Options"] == "nosniff"
    )
    ticket_page = client.get(reverse("tickets:ticket", args=[got.ticket_id])).content.decode()
    assert reverse("intake:message", args=[got.pk]) in ticket_page


def test_other_organisations_and_requesters_cannot_open_a_message(office: Office, deliver: Any) -> None:
    got = deliver(message())
    outsider = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    requester = client_for(office.requester_user)
    for client in (outsider, requester):
        assert client.get(reverse("intake:message", args=[got.pk])).status_code == 404
        assert client.get(reverse("intake:message-original", args=[got.pk])).status_code == 404
    assert client_for(office.agent).get(reverse("intake:message", args=[999_999])).status_code == 404


def test_the_mailbox_page_lists_its_mail_in_japanese(office: Office, deliver: Any) -> None:
    deliver(message(subject="メールが届きません"))
    html = (
        client_for(office.manager)
        .get(reverse("intake:mailboxes-detail", args=[office.mailbox.pk]))
        .content.decode()
    )
    assert "メールが届きません" in html and "最新のメッセージ" in html
    assert InboundMail.objects.count() == 1


def test_poll_now_on_an_smtp_mailbox_says_there_is_nothing_to_poll(office: Office) -> None:
    client = client_for(office.manager)
    response = client.post(reverse("intake:mailboxes-poll", args=[office.mailbox.pk]), follow=True)
    assert response.status_code == 200
    assert (
        client_for(office.agent).post(reverse("intake:mailboxes-poll", args=[office.mailbox.pk])).status_code
        == 302
    )
    assert (
        client_for(office.agent).get(reverse("intake:mailboxes-poll", args=[office.mailbox.pk])).status_code
        == 405
    )


def test_managers_find_mailboxes_in_the_navigation_and_the_poll_is_scheduled(office: Office) -> None:
    from huey.contrib.djhuey import HUEY

    url = reverse("intake:mailboxes-list")
    assert url in client_for(office.manager).get(reverse("dashboard")).content.decode()
    assert url not in client_for(office.agent).get(reverse("dashboard")).content.decode()
    assert "poll_mailboxes" in {t.__name__ for t in HUEY._registry._periodic_tasks}
