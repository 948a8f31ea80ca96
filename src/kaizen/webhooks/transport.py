"""One HTTP POST to a webhook target, with the SSRF guard and the vetted address pinned.

The host is resolved once per attempt; every resolved address must pass
:func:`kaizen.webhooks.policies.address_problem` (unless the endpoint allows private targets).
The connection then goes to a vetted address itself, not to the name, so a DNS answer that
changes between the check and the connection (DNS rebinding) cannot redirect the request. The
original host name is sent in ``Host`` and, for HTTPS, used to verify the certificate (SNI).
Redirects are never followed, proxies from the environment are never used, and only a short
excerpt of the response body is read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _

from kaizen.core.lib import text

from . import policies

EXCERPT_BYTES = 512
EXCERPT_CHARS = 200


class Refused(Exception):
    """The target may not be contacted (scheme, credentials or a non-public address): no retry."""


class TransportError(Exception):
    """The attempt failed before an HTTP answer (DNS, connection, TLS, timeout): retried."""


@dataclass(frozen=True)
class Answer:
    """The HTTP answer of one attempt: status and a short, cleaned excerpt of the body."""

    status: int
    excerpt: str


@dataclass(frozen=True)
class Target:
    """A checked target: where to connect and what to send as Host and TLS server name."""

    scheme: str
    host: str
    """ASCII (IDNA) host name or IP literal, without brackets."""
    port: int
    path: str
    host_header: str
    addresses: tuple[tuple[int, Any], ...]
    """(address family, socket address) pairs, each vetted."""


def _ascii_host(hostname: str) -> str:
    try:
        ipaddress.ip_address(hostname.split("%", 1)[0])
    except ValueError:
        try:
            return hostname.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise Refused(_("The host name %(host)s is not valid.") % {"host": hostname[:100]}) from exc
    return hostname


def resolve(host: str, port: int) -> list[tuple[int, Any]]:
    """Return the (family, socket address) pairs ``host`` resolves to (TCP)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise TransportError(
            _("Could not resolve %(host)s: %(error)s") % {"host": host, "error": exc}
        ) from exc
    seen: list[tuple[int, Any]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and (family, sockaddr) not in seen:
            seen.append((family, sockaddr))
    if not seen:
        raise TransportError(_("%(host)s has no IPv4 or IPv6 address.") % {"host": host})
    return seen


def check(url: str, *, allow_private: bool) -> Target:
    """Check ``url`` and resolve its host; raise :class:`Refused` when it may not be contacted.

    Every resolved address is checked: one non-public address refuses the target (unless
    ``allow_private``), so a name cannot mix a public address with an internal one.
    """
    problems = policies.url_problems(url, allow_private=allow_private)
    if problems:
        raise Refused(" ".join(problems))
    parts = policies.split_url(url)
    if parts is None or not parts.hostname:  # pragma: no cover - url_problems checked both
        raise Refused(_("Enter an http:// or https:// address with a host name."))
    scheme = parts.scheme.lower()
    host = _ascii_host(parts.hostname)
    default_port = 443 if scheme == "https" else 80
    port = parts.port or default_port
    addresses = resolve(host, port)
    if not allow_private:
        for _family, sockaddr in addresses:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            problem = policies.address_problem(ip)
            if problem:
                raise Refused(
                    _("%(host)s resolves to a refused address: %(problem)s")
                    % {"host": host, "problem": problem}
                )
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if port == default_port else f"{shown}:{port}"
    path = iri_to_uri(parts.path or "/") + (f"?{iri_to_uri(parts.query)}" if parts.query else "")
    return Target(scheme, host, port, path, host_header, tuple(addresses))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to one vetted socket address, whatever the host name resolves to now."""

    def __init__(self, family: int, sockaddr: Any, port: int, *, timeout: float) -> None:
        super().__init__(str(sockaddr[0]), port, timeout=timeout)
        self._family = family
        self._sockaddr = sockaddr

    def connect(self) -> None:
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    """HTTPS to a vetted address; the certificate is verified against the original host name."""

    default_port = 443

    def __init__(
        self,
        family: int,
        sockaddr: Any,
        port: int,
        *,
        timeout: float,
        server_hostname: str,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(family, sockaddr, port, timeout=timeout)
        self._server_hostname = server_hostname
        self._context = context

    def connect(self) -> None:
        super().connect()
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_hostname)


def _context() -> ssl.SSLContext:
    return ssl.create_default_context()


def _excerpt(raw: bytes) -> str:
    decoded = raw.decode("utf-8", errors="replace")
    cleaned = "".join(" " if text.has_control_characters(c) or c in "\r\n\t" else c for c in decoded)
    return " ".join(cleaned.split())[:EXCERPT_CHARS]


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
    timeout: float,
    context: ssl.SSLContext | None = None,
) -> Answer:
    """POST ``body`` to ``url`` and return the answer; no redirect is followed.

    Raises:
        Refused: the target may not be contacted (no retry).
        TransportError: no HTTP answer (retry).
    """
    target = check(url, allow_private=allow_private)
    errors: list[str] = []
    for family, sockaddr in target.addresses:
        conn: _PinnedHTTPConnection
        if target.scheme == "https":
            conn = _PinnedHTTPSConnection(
                family,
                sockaddr,
                target.port,
                timeout=timeout,
                server_hostname=target.host,
                context=context or _context(),
            )
        else:
            conn = _PinnedHTTPConnection(family, sockaddr, target.port, timeout=timeout)
        try:
            try:
                conn.connect()
            except ssl.SSLError as exc:
                raise TransportError(_("TLS failed: %(error)s") % {"error": exc}) from exc
            except OSError as exc:
                errors.append(f"{sockaddr[0]}: {exc}")
                continue
            try:
                conn.request("POST", target.path, body=body, headers={**headers, "Host": target.host_header})
                response = conn.getresponse()
                excerpt = _excerpt(response.read(EXCERPT_BYTES))
            except TimeoutError as exc:
                raise TransportError(_("No answer within %(n)s seconds.") % {"n": timeout}) from exc
            except (OSError, http.client.HTTPException) as exc:
                raise TransportError(_("The connection failed: %(error)s") % {"error": repr(exc)}) from exc
            return Answer(status=response.status, excerpt=excerpt)
        finally:
            conn.close()
    raise TransportError(_("Could not connect: %(errors)s") % {"errors": "; ".join(errors)})
