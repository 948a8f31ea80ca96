"""A real OAuth 2.0 token server on 127.0.0.1 for the tests: token endpoint and token introspection.

``POST /token`` answers the client-credentials and refresh-token grants (form-encoded) for the
clients it knows; ``POST /introspect`` (what Dovecot's ``oauth2`` passdb calls with
``introspection_mode = post``) says whether a token it issued is active and whose it is. A test can
make the next answers fail (``fail``) and revoke issued tokens.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

CLIENT_ID, CLIENT_SECRET = "kaizen-client", "client-secret-8f3a1c"
REFRESH_TOKEN = "refresh-token-0001"


@dataclass
class TokenServer:
    """What the server knows, issued and received (requests are parsed forms)."""

    username: str = "intake@kaizen.test"
    clients: dict[str, str] = field(default_factory=lambda: {CLIENT_ID: CLIENT_SECRET})
    refresh_tokens: set[str] = field(default_factory=lambda: {REFRESH_TOKEN})
    rotate: bool = False
    expires_in: Any = 3600
    issued: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, str]] = field(default_factory=list)
    introspected: list[str] = field(default_factory=list)
    fail: str = ""
    """"" (answer), "notjson", "oversized", "slow", "echo" (a 400 echoing the form) or "array"."""
    port: int = 0

    def url(self, path: str = "/token") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def token_requests(self) -> list[dict[str, str]]:
        return list(self.requests)

    def revoke_all(self) -> None:
        self.issued.clear()

    def answer_token(self, form: dict[str, str]) -> tuple[int, bytes]:
        self.requests.append(form)
        if self.fail == "notjson":
            return 200, b"<html>Service unavailable</html>"
        if self.fail == "oversized":
            return 200, b'{"access_token": "' + b"x" * 200_000 + b'"}'
        if self.fail == "slow":
            time.sleep(3)
        if self.fail == "array":
            return 200, b"[1, 2]"
        if self.fail == "echo":
            return 400, _json({"error": "invalid_request", "error_description": f"bad form {form}"})
        if self.clients.get(form.get("client_id", "")) != form.get("client_secret"):
            return 401, _json(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
            )
        answer: dict[str, Any] = {"token_type": "Bearer", "expires_in": self.expires_in}
        grant = form.get("grant_type")
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return 400, _json(
                    {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
                )
            if self.rotate:
                renewed = f"refresh-token-{secrets.token_hex(4)}"
                self.refresh_tokens = {renewed}
                answer["refresh_token"] = renewed
        elif grant != "client_credentials":
            return 400, _json({"error": "unsupported_grant_type"})
        token = "at-" + secrets.token_urlsafe(24)
        self.issued[token] = self.username
        answer["access_token"] = token
        return 200, _json(answer)

    def answer_introspection(self, form: dict[str, str]) -> tuple[int, bytes]:
        token = form.get("token", "")
        self.introspected.append(token)
        user = self.issued.get(token)
        if user is None:
            return 200, _json({"active": False})
        return 200, _json({"active": True, "username": user})


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _handler(state: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            if self.headers.get("Content-Type", "").split(";")[0] != "application/x-www-form-urlencoded":
                status, answer = 415, _json({"error": "invalid_request"})
            else:
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                if self.path == "/token":
                    status, answer = state.answer_token(form)
                elif self.path == "/introspect":
                    status, answer = state.answer_introspection(form)
                else:
                    status, answer = 404, _json({"error": "not_found"})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (timeout tests)
                self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def tokens() -> Iterator[TokenServer]:
    """A running token server on a free port of 127.0.0.1, stopped after the test."""
    state = TokenServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
