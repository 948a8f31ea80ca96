"""A real HTTP server on 127.0.0.1 for the delivery tests: checks signatures, records requests."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the server answers (a queue of statuses, then 200) and what it received."""

    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    redirect_to: str = ""
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    scheme: str = "http"

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        shown = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{shown}:{self.port}{path}"


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            timestamp = self.headers.get("X-Kaizen-Timestamp", "")
            expected = (
                "sha256="
                + hmac.new(
                    receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
            )
            signature_ok = hmac.compare_digest(expected, self.headers.get("X-Kaizen-Signature", ""))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body, signature_ok))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", receiver.redirect_to or "http://127.0.0.1:1/elsewhere")
            answer = b"x" * 5000 if status >= 500 else b'{"ok": true}'
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(
    secret: str = "", *, host: str = "127.0.0.1", tls: tuple[str, str] | None = None
) -> Iterator[Receiver]:
    """Run a receiver in a thread for the duration of the block (``tls``: cert and key files)."""
    receiver = Receiver(secret=secret)

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    server = Server((host, 0), _handler(receiver))
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        receiver.scheme = "https"
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
