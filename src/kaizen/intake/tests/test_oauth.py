"""OAuth 2.0 access tokens (``intake.oauth``) against a real token server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation

from kaizen.core.models import AuditEntry
from kaizen.intake import oauth
from kaizen.intake.choices import ImapAuth
from kaizen.intake.models import Mailbox

from .conftest import Office
from .tokens import CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TokenServer, tokens

__all__ = ["tokens"]  # the fixture

pytestmark = pytest.mark.django_db

SCOPE = "https://outlook.office365.com/.default"


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    oauth._cache.clear()
    with translation.override("en"):  # the messages checked below are the English ones
        yield
    oauth._cache.clear()


def _mailbox(office: Office, server: TokenServer, **extra: Any) -> Mailbox:
    return office.create_mailbox(
        actor=office.admin,  # only administrators may allow a token server on 127.0.0.1
        name=extra.pop("name", "OAuth"),
        address=extra.pop("address", "oauth@desk.test"),
        imap_host="imap.desk.test",
        imap_username="intake@kaizen.test",
        imap_auth=ImapAuth.OAUTH2,
        oauth_token_url=server.url(),
        oauth_allow_private=True,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        **{"oauth_scope": SCOPE, **extra},
    )


def test_client_credentials_grant_sends_the_form_and_returns_the_token(
    office: Office, tokens: TokenServer
) -> None:
    token = oauth.access_token(_mailbox(office, tokens))
    assert token in tokens.issued
    assert tokens.requests == [
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
        }
    ]


def test_a_token_is_cached_until_shortly_before_it_expires(office: Office, tokens: TokenServer) -> None:
    mailbox = _mailbox(office, tokens)
    first = oauth.access_token(mailbox)
    assert oauth.access_token(mailbox) == first and len(tokens.requests) == 1
    tokens.expires_in = int(oauth.MARGIN)  # expires within the margin: never reused
    oauth.forget(mailbox.pk)
    second = oauth.access_token(mailbox)
    third = oauth.access_token(mailbox)
    assert len({first, second, third}) == 3 and len(tokens.requests) == 3


def test_changed_settings_get_a_new_token(office: Office, tokens: TokenServer) -> None:
    mailbox = _mailbox(office, tokens)
    first = oauth.access_token(mailbox)
    mailbox.oauth_scope = "https://mail.google.com/"
    assert oauth.access_token(mailbox) != first and tokens.requests[-1]["scope"] == "https://mail.google.com/"


def test_a_token_without_expiry_or_with_nonsense_expiry_is_still_used(
    office: Office, tokens: TokenServer
) -> None:
    tokens.expires_in = "soon"
    mailbox = _mailbox(office, tokens)
    assert oauth.access_token(mailbox) == oauth.access_token(mailbox)
    assert len(tokens.requests) == 1


def test_refresh_token_grant_stores_a_rotated_refresh_token_without_auditing_it(
    office: Office, tokens: TokenServer
) -> None:
    tokens.rotate = True
    mailbox = _mailbox(
        office, tokens, oauth_refresh_token=REFRESH_TOKEN, oauth_scope="https://mail.google.com/"
    )
    token = oauth.access_token(mailbox)
    assert token in tokens.issued
    assert tokens.requests[0] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH_TOKEN,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "https://mail.google.com/",
    }
    (renewed,) = tokens.refresh_tokens
    assert renewed != REFRESH_TOKEN
    assert Mailbox.objects.get(pk=mailbox.pk).oauth_refresh_token == renewed
    # the next request (a new token) uses the new refresh token, which the server accepts
    oauth.forget(mailbox.pk)
    assert oauth.access_token(Mailbox.objects.get(pk=mailbox.pk)) in tokens.issued
    assert tokens.requests[1]["refresh_token"] == renewed
    audited = " ".join(str(e.changes) for e in AuditEntry.objects.all())
    assert REFRESH_TOKEN not in audited and renewed not in audited and CLIENT_SECRET not in audited


def _error(mailbox: Mailbox) -> str:
    with pytest.raises(oauth.OAuthError) as caught:
        oauth.access_token(mailbox)
    message = str(caught.value)
    assert CLIENT_SECRET not in message and REFRESH_TOKEN not in message
    return message


def test_a_wrong_client_secret_is_a_clear_error_without_the_secret(
    office: Office, tokens: TokenServer
) -> None:
    mailbox = _mailbox(office, tokens)
    tokens.clients[CLIENT_ID] = "another-secret"
    message = _error(mailbox)
    assert "invalid_client" in message and "401" in message and "AADSTS7000215" in message


def test_an_expired_refresh_token_is_a_clear_error(office: Office, tokens: TokenServer) -> None:
    mailbox = _mailbox(office, tokens, oauth_refresh_token="refresh-token-revoked")
    assert "invalid_grant" in _error(mailbox)


def test_an_error_echoing_the_request_does_not_leak_the_secrets(office: Office, tokens: TokenServer) -> None:
    tokens.fail = "echo"
    mailbox = _mailbox(office, tokens, oauth_refresh_token=REFRESH_TOKEN)
    message = _error(mailbox)
    assert "invalid_request" in message and "***" in message


@pytest.mark.parametrize(
    ("fail", "expected"),
    [("notjson", "not JSON"), ("oversized", "larger than"), ("array", "not a JSON object")],
)
def test_unusable_answers_are_clear_errors(
    office: Office, tokens: TokenServer, fail: str, expected: str
) -> None:
    tokens.fail = fail
    assert expected in _error(_mailbox(office, tokens))


def test_a_silent_token_server_times_out(
    office: Office, tokens: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oauth, "TIMEOUT", 0.5)
    tokens.fail = "slow"
    assert "no answer within" in _error(_mailbox(office, tokens))


def test_a_closed_port_is_a_connection_error(office: Office, tokens: TokenServer) -> None:
    from kaizen.core.testing.net import free_port

    mailbox = _mailbox(office, tokens)
    mailbox.oauth_token_url = f"http://127.0.0.1:{free_port()}/token"
    assert "Cannot connect to the token server" in _error(mailbox)


@pytest.mark.parametrize(
    ("url", "allow_private"),
    [
        ("http://login.example.com/token", True),  # secrets never cross a network in clear
        ("http://127.0.0.1:9/token", False),
        ("https://127.0.0.1/token", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://user:pw@login.example.com/token", True),
        ("ftp://127.0.0.1/token", True),
    ],
)
def test_refused_token_urls_are_never_contacted(
    office: Office, tokens: TokenServer, url: str, allow_private: bool
) -> None:
    mailbox = _mailbox(office, tokens)
    mailbox.oauth_token_url, mailbox.oauth_allow_private = url, allow_private
    _error(mailbox)
    assert tokens.requests == []
