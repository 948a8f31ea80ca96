"""Pure decisions of outbound webhooks: URLs, topic patterns, target addresses, back-off, signatures.

No ORM and no network here, so every rule can be tested on its own. The delivery job applies
:func:`address_problem` to every resolved address before each attempt (the real SSRF guard);
:func:`url_problems` runs at save time and refuses what can be refused without resolving names.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import SplitResult, urlsplit

from django.utils.translation import gettext as _

from kaizen.core.lib import text

MAX_URL = 2000
MAX_TOPICS = 50
MAX_TOPIC = 100
MIN_SECRET = 16
MAX_SECRET = 200
SCHEMES = frozenset({"http", "https"})
TOPIC = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$")
"""A topic (``ticket.created``), a prefix pattern (``ticket.*``); ``*`` alone is every topic."""
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")

BACKOFF_SECONDS: tuple[int, ...] = (60, 300, 1800, 7200, 21600)
"""Waits before the retries after the first, second, ... failed attempt; then the delivery fails."""
MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1

PING_TOPIC = "webhook.ping"
SIGNATURE_PREFIX = "sha256="

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def split_url(url: str) -> SplitResult | None:
    """Return the parts of an absolute http(s) URL, or None when it cannot be parsed."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port outside 0-65535 or not a number
    except ValueError:
        return None
    return parts


def url_problems(url: Any, *, allow_private: bool) -> list[str]:
    """Return why ``url`` may not be a webhook target (empty when it may).

    Refused: anything but http and https, user names or passwords in the URL, fragments, control
    characters and white space, overlong URLs, and (unless ``allow_private``) local names and IP
    literals in private, loopback, link-local or other non-public ranges. Host names are resolved
    only at delivery time.
    """
    if not isinstance(url, str) or not url:
        return [_("Enter the address of the endpoint.")]
    if len(url) > MAX_URL:
        return [_("The address may have at most %(n)s characters.") % {"n": MAX_URL}]
    if text.has_control_characters(url) or any(c.isspace() for c in url):
        return [_("The address may not contain spaces or control characters.")]
    parts = split_url(url)
    if parts is None or parts.scheme.lower() not in SCHEMES or not parts.hostname:
        return [_("Enter an http:// or https:// address with a host name.")]
    problems: list[str] = []
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        problems.append(_("The address may not contain a user name or password; sign with the secret."))
    if parts.fragment or url.endswith("#"):
        problems.append(_("The address may not contain a fragment (#...)."))
    if parts.port == 0:
        problems.append(_("The port must be between 1 and 65535."))
    if not allow_private:
        problem = host_problem(parts.hostname)
        if problem:
            problems.append(problem)
    return problems


def host_problem(host: str) -> str | None:
    """Return why ``host`` is refused without resolving it (local names, non-public IP literals)."""
    name = host.rstrip(".").lower()
    if name in LOCAL_NAMES or name.endswith(".localhost"):
        return _("%(host)s is this machine; allow private targets to use it.") % {"host": host}
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None
    return address_problem(ip)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Return why a webhook may not connect to ``ip`` unless private targets are allowed.

    Refused: loopback, private (RFC 1918, IPv6 unique-local), link-local (169.254.0.0/16 with the
    cloud metadata address, fe80::/10), multicast, reserved, unspecified, IPv6 site-local, shared
    (100.64.0.0/10) and every other range that is not globally reachable, also when embedded in an
    IPv6 address (IPv4-mapped, 6to4, Teredo, NAT64).
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 address itself
            return address_problem(ip.ipv4_mapped)
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            problem = address_problem(embedded)
            if problem:
                return problem
    checks = (
        (ip.is_unspecified, _("%(ip)s is the unspecified address.")),
        (ip.is_loopback, _("%(ip)s is a loopback address.")),
        (ip.is_link_local, _("%(ip)s is a link-local address (cloud metadata lives there).")),
        (ip.is_multicast, _("%(ip)s is a multicast address.")),
        (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local, _("%(ip)s is a site-local address.")),
        (ip.is_private, _("%(ip)s is a private address.")),
        (ip.is_reserved, _("%(ip)s is a reserved address.")),
        (not ip.is_global, _("%(ip)s is not a public address.")),
    )
    for refused, message in checks:
        if refused:
            return message % {"ip": ip}
    return None


def topic_problems(topics: Any) -> list[str]:
    """Return the problems of an endpoint's topic list (empty when valid)."""
    if not isinstance(topics, list):
        return [_('Topics must be a list such as ["ticket.*"] or ["*"].')]
    if not topics:
        return [_('Choose at least one topic ("*" for every event).')]
    if len(topics) > MAX_TOPICS:
        return [_("An endpoint may have at most %(n)s topics.") % {"n": MAX_TOPICS}]
    problems: list[str] = []
    for topic in topics:
        if not isinstance(topic, str):
            problems.append(_("Each topic must be text, not %(type)s.") % {"type": type(topic).__name__})
        elif topic != "*" and (len(topic) > MAX_TOPIC or not TOPIC.match(topic)):
            problems.append(
                _("%(topic)s is not a topic: use ticket.created, ticket.* or *.")
                % {"topic": topic[:MAX_TOPIC]}
            )
    if not problems and len(set(topics)) != len(topics):
        problems.append(_("A topic is listed twice."))
    return problems


def parse_topics(raw: str) -> list[str]:
    """Return the topics typed in a form: separated by commas, spaces or lines."""
    return [t for t in re.split(r"[\s,]+", raw.strip()) if t]


def topic_matches(patterns: Sequence[Any], topic: str) -> bool:
    """Tell whether ``topic`` is one of ``patterns`` (exact, ``prefix.*`` or ``*``)."""
    for pattern in patterns:
        if not isinstance(pattern, str):
            continue
        if pattern == "*" or pattern == topic:
            return True
        if pattern.endswith(".*") and topic.startswith(pattern[:-1]):
            return True
    return False


def secret_problems(secret: Any) -> list[str]:
    """Return the problems of a signing secret set by hand (an empty one is generated)."""
    if not isinstance(secret, str):
        return [_("The secret must be text.")]
    if secret and not (MIN_SECRET <= len(secret) <= MAX_SECRET):
        return [
            _("The secret must have between %(low)s and %(high)s characters.")
            % {"low": MIN_SECRET, "high": MAX_SECRET}
        ]
    if any(c.isspace() for c in secret) or text.has_control_characters(secret):
        return [_("The secret may not contain spaces or control characters.")]
    return []


def backoff(attempts: int) -> int | None:
    """Return the seconds to wait after ``attempts`` failed attempts, or None when it has failed."""
    if 1 <= attempts <= len(BACKOFF_SECONDS):
        return BACKOFF_SECONDS[attempts - 1]
    return None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the ``X-Kaizen-Signature`` value: HMAC-SHA256 of ``"{timestamp}.{body}"``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def fingerprint(secret: str) -> str:
    """Return a short, non-reversible fingerprint of a secret (kept in the audit trail)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12] if secret else ""
