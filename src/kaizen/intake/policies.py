"""Pure decisions of email intake: loops, spoofing, who may follow up on a ticket (no ORM)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kaizen.core.lib import text
from kaizen.webhooks import policies as urls

LOOP_LIMIT = 20
"""More messages than this from one sender to one mailbox within ``LOOP_WINDOW`` are a mail loop."""
LOOP_WINDOW = 600
"""Seconds."""

MAX_TOKEN_URL = 500
LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_HOST = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,253}[a-z0-9])?$")
_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.I)


def domains(text: str) -> list[str]:
    """Return the domains of a one-per-line (or comma-separated) list, lower case, once each."""
    out: list[str] = []
    for item in re.split(r"[\s,;]+", text or ""):
        item = item.strip().lower().lstrip("@").rstrip(".")
        if item and item not in out:
            out.append(item)
    return out


def bad_server_name(name: str) -> bool:
    """Tell whether ``name`` cannot be a mail server's authserv-id (a host name, as servers use)."""
    name = name.strip().lower()
    return bool(name) and not (_DOMAIN.match(name) or _HOST.match(name))


def bad_domains(text: str) -> list[str]:
    """Return the entries of a domain list that are not domain names."""
    return [d for d in domains(text) if not _DOMAIN.match(d)]


def domain_of(address: str) -> str:
    """Return the domain of an address, lower case ("" without one)."""
    return address.rpartition("@")[2].strip().lower() if "@" in address else ""


def _covered(domain: str, trusted: Iterable[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in trusted)


def authserv_id(header: str) -> str:
    """Return the name of the server that wrote an ``Authentication-Results`` header (RFC 8601
    ``authserv-id``, lower case, without the optional version)."""
    return header.partition(";")[0].strip().split(" ")[0].strip().lower()


def spoof_reason(
    from_address: str, trusted: Sequence[str], auth_results: Sequence[str], server: str = ""
) -> str:
    """Return why mail claiming ``from_address`` looks spoofed ("" when it does not).

    Only addresses of the organisation's own domains are checked: their mail server adds an
    ``Authentication-Results`` header (RFC 8601); mail claiming such a domain needs a ``pass`` for
    DMARC, DKIM or SPF in it. With ``server`` (the receiving server's authserv-id) only headers
    that server wrote count, so a header the sender forged is never read; without it the topmost
    header is taken as the server's own. Mail of other domains is not judged (we cannot know their
    policy; their own server rejected what it had to).
    """
    domain = domain_of(from_address)
    if not domain or not _covered(domain, trusted):
        return ""
    server = server.strip().lower()
    ours = [h for h in auth_results if authserv_id(h) == server] if server else list(auth_results[:1])
    if not ours:
        return _("Mail from %(d)s without an authentication result from your mail server.") % {"d": domain}
    results = {name.lower(): value.lower() for name, value in _RESULT.findall(ours[0])}
    if "pass" in results.values():
        return ""
    failed = ", ".join(f"{k}={v}" for k, v in sorted(results.items())) or _("no result")
    return _("Mail from %(d)s failed authentication (%(r)s).") % {"d": domain, "r": failed}


def loop_reason(*, from_address: str, own_addresses: Iterable[str], recent_from_sender: int) -> str:
    """Return why a human-looking message is part of a loop ("" when it is not).

    Automatic mail (Auto-Submitted, bounces, lists) is decided by the parser; this catches the
    rest: mail from one of our own addresses, and a sender writing faster than any person does
    (an auto-responder that marks nothing).
    """
    sender = from_address.lower()
    if not sender:
        return _("The message has no sender address.")
    if sender in {a.lower() for a in own_addresses if a}:
        return _("The message comes from Kaizen's own address.")
    if recent_from_sender >= LOOP_LIMIT:
        return _("More than %(n)s messages from this sender within %(m)s minutes (a mail loop?).") % {
            "n": LOOP_LIMIT,
            "m": LOOP_WINDOW // 60,
        }
    return ""


@dataclass(frozen=True)
class Participant:
    """How the sender of a reply stands to the ticket it names."""

    is_staff: bool
    same_organisation: bool
    is_requester: bool
    is_watcher: bool
    in_thread: bool = False
    """The message names the ticket by a Message-ID of its mail (not only by a number in the subject)."""


def may_follow_up(p: Participant) -> bool:
    """Tell whether a reply from this sender is added to the ticket (else it opens a new one).

    Staff who may see the ticket, its requester and its watchers follow up; so do people of its
    organisation answering the ticket's mail (colleagues on copy who answer all: the message names
    the ticket by a Message-ID of its thread). A colleague who only types a ticket number does not:
    that would let anyone in the organisation join anyone's ticket. Nobody reaches another
    organisation's ticket.
    """
    return p.is_staff or p.is_requester or p.is_watcher or (p.same_organisation and p.in_thread)


def token_url_problems(url: str, *, allow_private: bool) -> list[str]:
    """Return why ``url`` may not be an OAuth token endpoint (empty when it may).

    The client secret travels in the request, so the URL must be https and pass the outbound
    (SSRF) checks of webhooks: no credentials, fragment, local names or non-public IP literals.
    ``allow_private`` (an administrator's opt-in) permits private and loopback addresses, and
    plain http to this machine only (127.0.0.1, ::1, localhost), where nothing crosses a network.
    """
    if len(url) > MAX_TOKEN_URL:
        return [_("The address may have at most %(n)s characters.") % {"n": MAX_TOKEN_URL}]
    problems = urls.url_problems(url, allow_private=allow_private)
    if problems:
        return problems
    parts = urls.split_url(url)
    if parts is None:  # pragma: no cover - url_problems refuses what cannot be split
        return [_("Enter an https:// address.")]
    scheme = parts.scheme.lower()
    local = (parts.hostname or "").lower() in LOOPBACK_NAMES
    if scheme != "https" and not (allow_private and local):
        return [_("Enter an https:// address: the client secret is sent to it.")]
    return []


def bad_oauth_value(value: str, *, spaces: bool = False) -> bool:
    """Tell whether a client ID (or, with ``spaces``, a scope list) has characters it cannot have."""
    if text.has_control_characters(value) or any(c in "\r\n\t" for c in value):
        return True
    return not spaces and any(c.isspace() for c in value)
