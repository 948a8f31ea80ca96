"""The mail intake API: mailboxes (permission suite, write-only password), uploads, received mail."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.intake import services
from kaizen.intake.models import InboundMail, Mailbox

from .conftest import Office, message

_n = itertools.count()


def _mailbox(org: Any) -> Mailbox:
    manager = user_with_role(Role.MANAGER, org)
    with context.acting(user=manager):
        n = next(_n)
        return services.create_mailbox(
            actor=manager, data={"name": f"box {n}", "address": f"box{n}@desk.test", "organisation": org}
        )


class TestMailboxApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/mailboxes/",
        make=_mailbox,
        create_payload=lambda org: {
            "name": f"new {next(_n)}",
            "address": f"new{next(_n)}@desk.test",
            "organisation": org.pk,
        },
        update_payload={"description": "ヘルプデスク窓口"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
    )


@pytest.mark.django_db
def test_the_imap_password_is_accepted_but_never_returned(office: Office) -> None:
    manager = client_for(office.manager)
    created = manager.post(
        "/api/v1/mailboxes/",
        {
            "name": "IMAP 窓口",
            "address": "Support@Desk.test",
            "organisation": office.org.pk,
            "imap_host": "imap.desk.test",
            "imap_username": "support",
            "imap_password": "s3cret!",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert "imap_password" not in body and body["has_password"] is True
    assert body["address"] == "support@desk.test"
    assert Mailbox.objects.get(pk=body["id"]).imap_password == "s3cret!"
    changed = manager.patch(
        f"/api/v1/mailboxes/{body['id']}/", {"description": "x", "version": body["version"]}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert Mailbox.objects.get(pk=body["id"]).imap_password == "s3cret!"
    from kaizen.core.models import AuditEntry

    assert not any("s3cret" in str(e.changes) for e in AuditEntry.objects.all())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad",
    [
        {"address": "not an address"},
        {"trusted_domains": "customer.test\nnot a domain!"},
        {"auth_server": "mx.desk.test; spf=pass"},
        {"auth_server": "<script>"},
        {"auth_server": "m" * 300},
        {"imap_host": "imap.desk.test"},  # no user
        {"imap_port": 70000},
        {"imap_security": "ssh"},
        {"unknown_senders": "ignore"},
        {"kind": "change"},
        {"name": "x" * 500},
        {"name": ["list"]},
        {"surprise": 1},
    ],
)
def test_invalid_mailboxes_get_a_problem_with_the_field(office: Office, bad: dict[str, Any]) -> None:
    data = {"name": "窓口", "address": "desk2@desk.test", "organisation": office.org.pk, **bad}
    response = client_for(office.manager).post("/api/v1/mailboxes/", data, format="json")
    assert_problem(response, 400)
    assert Mailbox.objects.count() == 1


@pytest.mark.django_db
def test_an_upload_is_stored_once_and_processed(
    office: Office, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(office.manager)
    raw = message()
    url = f"/api/v1/mailboxes/{office.mailbox.pk}/messages/"
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, raw, content_type="message/rfc822")
    assert first.status_code == 202, first.content
    again = client.post(url, raw, content_type="message/rfc822")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    mail = InboundMail.objects.get()
    assert mail.state == "created" and mail.ticket is not None
    listed = client_for(office.agent).get("/api/v1/mail-messages/").json()["results"]
    assert [m["id"] for m in listed] == [mail.pk] and listed[0]["ticket_number"] == mail.ticket.number
    original = client_for(office.agent).get(f"/api/v1/mail-messages/{mail.pk}/original/")
    assert original.status_code == 200 and original.content == raw
    assert original["Content-Disposition"].startswith("attachment")


@pytest.mark.django_db
def test_bad_uploads_get_clear_answers_and_store_nothing(office: Office) -> None:
    manager = client_for(office.manager)
    url = f"/api/v1/mailboxes/{office.mailbox.pk}/messages/"
    assert_problem(manager.post(url, b"", content_type="message/rfc822"), 400)
    assert_problem(manager.post(url, {"raw": "x"}, format="json"), 415)
    assert_problem(client_for(office.agent).post(url, message(), content_type="message/rfc822"), 403)
    other = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    assert_problem(other.post(url, message(), content_type="message/rfc822"), 404)
    assert not InboundMail.objects.exists()


@pytest.mark.django_db
def test_received_mail_of_another_organisation_is_invisible(office: Office, deliver: Any) -> None:
    deliver(message())
    outsider = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert outsider.get("/api/v1/mail-messages/").json()["results"] == []
    mail = InboundMail.objects.get()
    assert_problem(outsider.get(f"/api/v1/mail-messages/{mail.pk}/"), 404)
    assert_problem(outsider.get(f"/api/v1/mail-messages/{mail.pk}/original/"), 404)
    requester = client_for(office.requester_user)
    assert requester.get("/api/v1/mail-messages/").json()["results"] == []
    for bad in ("?state=nonsense", "?mailbox=abc", "?mailbox=" + "9" * 30):
        assert_problem(client_for(office.agent).get("/api/v1/mail-messages/" + bad), 400)
