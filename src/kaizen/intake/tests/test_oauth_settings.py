"""OAuth settings of mailboxes through the API and the pages: validation, write-only secrets, opt-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kaizen.core.models import AuditEntry
from kaizen.core.testing import ui
from kaizen.core.testing.api import assert_problem, client_for
from kaizen.intake.models import Mailbox

from .conftest import Office

pytestmark = pytest.mark.django_db

SECRET, REFRESH = "m365-client-secret-Q~9xYz", "1//0g-refresh-token-abc"
TOKEN_URL = "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"


def _payload(office: Office, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Microsoft 365",
        "address": "m365@desk.test",
        "organisation": office.org.pk,
        "imap_host": "outlook.office365.com",
        "imap_username": "m365@desk.test",
        "imap_auth": "oauth2",
        "oauth_token_url": TOKEN_URL,
        "oauth_client_id": "00000000-aaaa-bbbb-cccc-000000000001",
        "oauth_client_secret": SECRET,
        "oauth_scope": "https://outlook.office365.com/.default",
        **extra,
    }


def _no_secret_in_audit() -> None:
    audited = " ".join(str(e.changes) for e in AuditEntry.objects.all())
    assert SECRET not in audited and REFRESH not in audited


def test_oauth_secrets_are_accepted_never_returned_nor_audited(office: Office) -> None:
    manager = client_for(office.manager)
    created = manager.post("/api/v1/mailboxes/", _payload(office, oauth_refresh_token=REFRESH), format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert SECRET not in created.content.decode() and REFRESH not in created.content.decode()
    assert body["has_client_secret"] is True and body["has_refresh_token"] is True
    assert body["imap_auth"] == "oauth2" and body["oauth_token_url"] == TOKEN_URL
    stored = Mailbox.objects.get(pk=body["id"])
    assert (stored.oauth_client_secret, stored.oauth_refresh_token) == (SECRET, REFRESH)
    url = f"/api/v1/mailboxes/{body['id']}/"
    changed = manager.patch(url, {"description": "x", "version": body["version"]}, format="json")
    assert changed.status_code == 200, changed.content
    assert SECRET not in manager.get(url).content.decode()
    assert SECRET not in manager.get("/api/v1/mailboxes/").content.decode()
    assert Mailbox.objects.get(pk=body["id"]).oauth_client_secret == SECRET
    _no_secret_in_audit()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"oauth_client_id": ""}, "oauth_client_id"),
        ({"oauth_client_secret": ""}, "oauth_client_secret"),
        ({"oauth_token_url": ""}, "oauth_token_url"),
        ({"oauth_token_url": "http://login.microsoftonline.com/t/oauth2/v2.0/token"}, "oauth_token_url"),
        ({"oauth_token_url": "https://127.0.0.1/token"}, "oauth_token_url"),
        ({"oauth_token_url": "https://169.254.169.254/latest"}, "oauth_token_url"),
        ({"oauth_token_url": "https://u:p@login.example.com/token"}, "oauth_token_url"),
        ({"oauth_token_url": "javascript:alert(1)"}, "oauth_token_url"),
        ({"oauth_token_url": "https://login.example.com/" + "a" * 600}, "oauth_token_url"),
        ({"oauth_client_id": "a b"}, "oauth_client_id"),
        ({"oauth_client_id": "x" * 300}, "oauth_client_id"),
        ({"oauth_client_id": ["list"]}, "oauth_client_id"),
        ({"oauth_client_secret": "x" * 2001}, "oauth_client_secret"),
        ({"oauth_client_secret": "line\r\nbreak"}, "oauth_client_secret"),
        ({"oauth_client_secret": {"a": 1}}, "oauth_client_secret"),
        ({"oauth_refresh_token": "r" * 4001}, "oauth_refresh_token"),
        ({"oauth_scope": "scope\nInjected: yes"}, "oauth_scope"),
        ({"imap_auth": "kerberos"}, "imap_auth"),
        ({"imap_username": "user\x01auth=Bearer x"}, "imap_username"),
        ({"oauth_allow_private": "maybe"}, "oauth_allow_private"),
    ],
)
def test_bad_oauth_settings_get_a_problem_naming_the_field(
    office: Office, bad: dict[str, Any], field: str
) -> None:
    response = client_for(office.manager).post("/api/v1/mailboxes/", _payload(office, **bad), format="json")
    body = assert_problem(response, 400)
    assert field in str(body), body
    assert SECRET not in response.content.decode()
    assert Mailbox.objects.count() == 1


def test_only_administrators_may_allow_a_private_token_server(office: Office) -> None:
    local = _payload(office, oauth_token_url="http://127.0.0.1:8080/token", oauth_allow_private=True)
    assert_problem(client_for(office.manager).post("/api/v1/mailboxes/", local, format="json"), 403)
    assert Mailbox.objects.count() == 1
    # plain http is for this machine only, even with the opt-in
    remote = {**local, "oauth_token_url": "http://10.0.0.5/token"}
    assert_problem(client_for(office.admin).post("/api/v1/mailboxes/", remote, format="json"), 400)
    created = client_for(office.admin).post("/api/v1/mailboxes/", local, format="json")
    assert created.status_code == 201, created.content
    other = Mailbox.objects.get(pk=office.mailbox.pk)
    response = client_for(office.manager).patch(
        f"/api/v1/mailboxes/{other.pk}/",
        {"oauth_allow_private": True, "version": other.version},
        format="json",
    )
    assert_problem(response, 403)
    assert not Mailbox.objects.get(pk=other.pk).oauth_allow_private


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"oauth_client_id": "00000000-aaaa-bbbb-cccc-000000000002"}, "oauth_client_secret"),
        ({"oauth_token_url": "https://login.example.com/token"}, "oauth_client_secret"),
        ({"imap_host": "imap.evil.example"}, "oauth_client_secret"),
        ({"imap_username": "someone-else@desk.test"}, "oauth_client_secret"),
    ],
)
def test_the_secret_must_be_entered_again_when_it_would_go_elsewhere(
    office: Office, change: dict[str, Any], field: str
) -> None:
    manager = client_for(office.manager)
    body = manager.post("/api/v1/mailboxes/", _payload(office), format="json").json()
    before = Mailbox.objects.values().get(pk=body["id"])
    url = f"/api/v1/mailboxes/{body['id']}/"
    problem = assert_problem(manager.patch(url, {**change, "version": body["version"]}, format="json"), 400)
    assert field in str(problem)
    assert Mailbox.objects.values().get(pk=body["id"]) == before
    again = manager.patch(
        url, {**change, "oauth_client_secret": "new-secret", "version": body["version"]}, format="json"
    )
    assert again.status_code == 200, again.content
    assert Mailbox.objects.get(pk=body["id"]).oauth_client_secret == "new-secret"


def test_a_stored_refresh_token_must_be_entered_again_for_another_client(office: Office) -> None:
    manager = client_for(office.manager)
    body = manager.post(
        "/api/v1/mailboxes/", _payload(office, oauth_refresh_token=REFRESH), format="json"
    ).json()
    url = f"/api/v1/mailboxes/{body['id']}/"
    change = {"oauth_client_id": "other-client", "oauth_client_secret": "s", "version": body["version"]}
    assert "oauth_refresh_token" in str(assert_problem(manager.patch(url, change, format="json"), 400))
    assert Mailbox.objects.get(pk=body["id"]).oauth_refresh_token == REFRESH


def _form(office: Office, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Gmail",
        "address": "gmail@desk.test",
        "organisation": office.org.pk,
        "is_enabled": "on",
        "kind": "incident",
        "unknown_senders": "create",
        "imap_host": "imap.gmail.com",
        "imap_security": "ssl",
        "imap_username": "gmail@desk.test",
        "imap_auth": "oauth2",
        "oauth_token_url": "https://oauth2.googleapis.com/token",
        "oauth_client_id": "1234.apps.googleusercontent.com",
        "oauth_client_secret": SECRET,
        "oauth_scope": "https://mail.google.com/",
        "oauth_refresh_token": REFRESH,
        "imap_folder": "INBOX",
        **extra,
    }


def test_the_form_creates_an_oauth_mailbox_and_never_renders_its_secrets(office: Office) -> None:
    client = ui.client_for(office.manager)
    response = client.post(reverse("intake:mailboxes-create"), _form(office))
    assert response.status_code == 302, response.content.decode()[:3000]
    mailbox = Mailbox.objects.get(name="Gmail")
    assert mailbox.uses_oauth and mailbox.oauth_refresh_token == REFRESH
    for name in ("intake:mailboxes-edit", "intake:mailboxes-detail"):
        page = client.get(reverse(name, args=[mailbox.pk])).content.decode()
        assert SECRET not in page and REFRESH not in page
    detail = client.get(reverse("intake:mailboxes-detail", args=[mailbox.pk])).content.decode()
    assert "https://oauth2.googleapis.com/token" in detail
    _no_secret_in_audit()


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"oauth_client_secret": ""}, "oauth_client_secret"),
        ({"oauth_client_id": ""}, "oauth_client_id"),
        ({"oauth_token_url": "http://oauth2.googleapis.com/token"}, "oauth_token_url"),
        ({"oauth_token_url": '"><script>alert(1)</script>'}, "oauth_token_url"),
        ({"oauth_client_secret": "x" * 5000}, "oauth_client_secret"),
        ({"oauth_refresh_token": "a\x00b"}, "oauth_refresh_token"),
        ({"oauth_allow_private": "on", "oauth_token_url": "https://10.0.0.5/token"}, None),
    ],
)
def test_bad_oauth_form_input_shows_errors_and_stores_nothing(
    office: Office, bad: dict[str, Any], field: str | None
) -> None:
    response = ui.client_for(office.manager).post(reverse("intake:mailboxes-create"), _form(office, **bad))
    assert response.status_code in (200, 400, 403), response.status_code
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page and SECRET not in page
    if field is not None:  # the generic pages answer an invalid form with 400 and the form again
        assert response.status_code == 400
        assert field in response.context["form"].errors, response.context["form"].errors
    assert Mailbox.objects.count() == 1
