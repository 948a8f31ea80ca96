"""OAuth 2.0 access tokens for IMAP sign-in (XOAUTH2): Microsoft 365 app-only access and Gmail.

A mailbox with a refresh token uses the refresh-token grant (Gmail: the mailbox owner consented
once); without one, client credentials (Microsoft 365: the application itself has IMAP access).
The token request goes through the outbound checks of webhooks (no credentials in the URL, no
private addresses unless an administrator allowed them, every resolved address vetted and the
connection pinned to it, no proxies, no redirects), is bounded in time and size, and no error
message ever holds the client secret, the refresh token or the access token.

Tokens are kept in this process until shortly before they expire, per mailbox and per settings
(another token URL, client, scope, secret or IMAP account is another token).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from kaizen.core.lib import text
from kaizen.webhooks import transport

from . import policies, services
from .models import Mailbox

TIMEOUT = 20.0
"""Seconds the token server may take to connect, and for each read."""
MAX_ANSWER = 64 * 1024
"""Bytes of a token answer read at most (real answers are a few kilobytes)."""
MARGIN = 60.0
"""Seconds before its expiry a cached token is no longer used."""
DEFAULT_LIFETIME = 300.0
"""Seconds a token without ``expires_in`` is kept."""
MAX_DETAIL = 200
USER_AGENT = "Kaizen-Intake/1"


class OAuthError(Exception):
    """No access token: the message is for the mailbox page and holds no secret."""


@dataclass(frozen=True)
class Token:
    """An access token and when (``time.monotonic()``) it stops being used."""

    value: str
    expires_at: float


_cache: dict[int, tuple[str, Token]] = {}
_lock = threading.Lock()


def _fingerprint(mailbox: Mailbox) -> str:
    """Return what a cached token depends on, hashed (the secret is never kept as such)."""
    parts = (
        mailbox.oauth_token_url,
        mailbox.oauth_client_id,
        mailbox.oauth_client_secret,
        mailbox.oauth_scope,
        "refresh" if mailbox.oauth_refresh_token else "client",
        mailbox.imap_host,
        mailbox.imap_username,
    )
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def access_token(mailbox: Mailbox) -> str:
    """Return a current access token for the mailbox, from the cache or the token server.

    Raises:
        OAuthError: the token server could not be reached, refused, or answered nonsense.
    """
    key = _fingerprint(mailbox)
    with _lock:
        cached = _cache.get(mailbox.pk)
    if cached is not None and cached[0] == key and cached[1].expires_at > time.monotonic():
        return cached[1].value
    token = fetch(mailbox)
    with _lock:
        _cache[mailbox.pk] = (_fingerprint(mailbox), token)
    return token.value


def forget(mailbox_id: int) -> None:
    """Drop the mailbox's cached token (the IMAP server refused it, or its settings changed)."""
    with _lock:
        _cache.pop(mailbox_id, None)


def _form(mailbox: Mailbox) -> dict[str, str]:
    form = {"client_id": mailbox.oauth_client_id, "client_secret": mailbox.oauth_client_secret}
    if mailbox.oauth_refresh_token:
        form.update(grant_type="refresh_token", refresh_token=mailbox.oauth_refresh_token)
    else:
        form["grant_type"] = "client_credentials"
    if mailbox.oauth_scope:
        form["scope"] = mailbox.oauth_scope
    return form


def fetch(mailbox: Mailbox) -> Token:
    """Request a new access token; store a refresh token the server rotated.

    Raises:
        OAuthError: see :func:`access_token`.
    """
    if not (mailbox.oauth_token_url and mailbox.oauth_client_id and mailbox.oauth_client_secret):
        raise OAuthError(_("Enter the token URL, client ID and client secret of the mailbox."))
    status, raw = _post(mailbox, urlencode(_form(mailbox)).encode("ascii"))
    secrets = (mailbox.oauth_client_secret, mailbox.oauth_refresh_token)
    answer = _json(raw, status, secrets)
    if status != 200:
        raise OAuthError(_refusal(status, answer, secrets))
    value = answer.get("access_token")
    if not isinstance(value, str) or not value or not value.isprintable() or not value.isascii():
        raise OAuthError(_("The token server's answer holds no access token."))
    kind = answer.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise OAuthError(
            _("The token server issued a %(t)s token, not a bearer token.")
            % {"t": _clean(str(kind), secrets)}
        )
    lifetime = answer.get("expires_in", DEFAULT_LIFETIME)
    try:
        seconds = float(lifetime)
    except (TypeError, ValueError):
        seconds = DEFAULT_LIFETIME
    seconds = min(max(seconds, 0.0), 86400.0)
    renewed = answer.get("refresh_token")
    if (
        mailbox.oauth_refresh_token
        and isinstance(renewed, str)
        and renewed
        and renewed != mailbox.oauth_refresh_token
        and len(renewed) <= Mailbox._meta.get_field("oauth_refresh_token").max_length  # type: ignore[operator]
        and renewed.isprintable()
    ):
        services.store_refresh_token(mailbox.pk, token=renewed)
        mailbox.oauth_refresh_token = renewed
    return Token(value=value, expires_at=time.monotonic() + seconds - MARGIN)


def _clean(value: str, secrets: tuple[str, ...]) -> str:
    """Return a short, one-line excerpt of a server's text, with any secret blanked."""
    for secret in secrets:
        if secret:
            value = value.replace(secret, "***")
    cleaned = "".join(" " if text.has_control_characters(c) or c in "\r\n\t" else c for c in value)
    return " ".join(cleaned.split())[:MAX_DETAIL]


def _json(raw: bytes, status: int, secrets: tuple[str, ...]) -> dict[str, Any]:
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthError(
            _("The token server's answer (HTTP %(s)s) is not JSON: %(e)s")
            % {"s": status, "e": _clean(raw[:MAX_DETAIL].decode("utf-8", "replace"), secrets) or "-"}
        ) from exc
    if not isinstance(answer, dict):
        raise OAuthError(_("The token server's answer (HTTP %(s)s) is not a JSON object.") % {"s": status})
    return answer


def _refusal(status: int, answer: dict[str, Any], secrets: tuple[str, ...]) -> str:
    code = _clean(str(answer.get("error", "")), secrets) or "-"
    description = _clean(str(answer.get("error_description", "")), secrets)
    return _("The token server refused the request (HTTP %(s)s, %(c)s): %(d)s") % {
        "s": status,
        "c": code,
        "d": description or _("no description"),
    }


def _post(mailbox: Mailbox, body: bytes) -> tuple[int, bytes]:
    """POST the form to the token URL; return the status and the (bounded) body."""
    url, allow_private = mailbox.oauth_token_url, bool(mailbox.oauth_allow_private)
    problems = policies.token_url_problems(url, allow_private=allow_private)
    if problems:
        raise OAuthError(" ".join(problems))
    try:
        target = transport.check(url, allow_private=allow_private)
    except (transport.Refused, transport.TransportError) as exc:
        raise OAuthError(str(exc)) from exc
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    errors: list[str] = []
    for family, sockaddr in target.addresses:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=TIMEOUT)
        try:
            try:
                conn.sock = _open(family, sockaddr, target)
            except ssl.SSLError as exc:
                raise OAuthError(_("TLS to the token server failed: %(e)s") % {"e": exc}) from exc
            except OSError as exc:
                errors.append(f"{sockaddr[0]}: {exc}")
                continue
            try:
                conn.request("POST", target.path, body=body, headers=headers)
                response = conn.getresponse()
                raw = response.read(MAX_ANSWER + 1)
            except TimeoutError as exc:
                raise OAuthError(
                    _("The token server gave no answer within %(n)s seconds.") % {"n": int(TIMEOUT)}
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise OAuthError(
                    _("The connection to the token server failed: %(e)s") % {"e": type(exc).__name__}
                ) from exc
            if len(raw) > MAX_ANSWER:
                raise OAuthError(
                    _("The token server's answer is larger than %(n)s bytes.") % {"n": MAX_ANSWER}
                )
            return response.status, raw
        finally:
            conn.close()
    raise OAuthError(_("Cannot connect to the token server: %(e)s") % {"e": "; ".join(errors)[:MAX_DETAIL]})


def _open(family: int, sockaddr: Any, target: transport.Target) -> socket.socket:
    """Connect to one vetted address (TLS verified against the URL's host name for https)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(TIMEOUT)
        sock.connect(sockaddr)
        if target.scheme == "https":
            return ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
    except BaseException:
        sock.close()
        raise
    return sock
