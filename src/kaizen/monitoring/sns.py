"""Verify Amazon SNS message signatures and confirm HTTPS subscriptions (pure: no ORM).

CloudWatch alarms reach Kaizen through an SNS topic with an HTTPS subscription. Anyone can POST
an SNS-shaped body, so before a message is trusted its signature is checked as AWS documents it
(https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html): build the string
to sign from fixed keys in a fixed order, fetch the signing certificate from ``SigningCertURL``
(only over HTTPS from ``sns.<region>.amazonaws.com``, refused before any request otherwise) and
check the RSA PKCS#1 v1.5 signature, SHA1 for ``SignatureVersion`` "1", SHA256 for "2".

Every problem with a message raises :class:`SignatureError` with a plain-English reason meant
for administrators' logs; no other exception escapes :func:`verify` for any input.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
SIGNED_KEYS: Mapping[str, tuple[str, ...]] = {
    NOTIFICATION: _NOTIFICATION_KEYS,
    SUBSCRIPTION_CONFIRMATION: _CONFIRMATION_KEYS,
    UNSUBSCRIBE_CONFIRMATION: _CONFIRMATION_KEYS,
}
"""The keys of the string to sign per message ``Type``, in AWS's order (``Subject`` only if present)."""

_HASHES: Mapping[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}

MAX_AGE = dt.timedelta(hours=1)
"""A message whose ``Timestamp`` is older than this is refused (replay protection)."""
MAX_FUTURE = dt.timedelta(minutes=10)
"""A message whose ``Timestamp`` is further ahead than this is refused (clock skew allowance)."""

MAX_MESSAGE_BYTES = 256 * 1024  # SNS's own limit for a message
MAX_FIELD_CHARS = 4096  # every other string field (the longest real ones are URLs with a token)
MAX_SIGNATURE_BYTES = 1024  # an 8192-bit RSA signature; AWS uses 2048-bit keys
MIN_KEY_BITS = 2048
MAX_CERTIFICATE_BYTES = 64 * 1024
FETCH_TIMEOUT = 5.0
CACHE_SIZE = 32

_SNS_HOST = re.compile(r"sns\.[a-z0-9]+(?:-[a-z0-9]+)+\.amazonaws\.com(?:\.cn)?")
_CERT_PATH = re.compile(r"/[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.pem")
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_BAD_CERT_URL = "SigningCertURL is not an https://sns.<region>.amazonaws.com/<name>.pem URL"
_BAD_SUBSCRIBE_URL = (
    "SubscribeURL is not an https://sns.<region>.amazonaws.com/?Action=ConfirmSubscription..."
)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z")


class SignatureError(ValueError):
    """An SNS message is not authentic, not well formed or too old; the message says why."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the checked host must be the host that answers (no SSRF by redirect)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch_certificate(url: str) -> bytes:
    """Download the PEM certificate at ``url`` (5 s timeout, at most 64 KB, no redirects).

    This is the default fetcher of :func:`verify`; tests replace it (the module attribute or the
    ``fetch`` argument). Callers check the URL with :func:`signing_cert_url_allowed` first.

    Raises:
        SignatureError: the URL is not an SNS certificate URL, the download failed or was too large.
    """
    if not signing_cert_url_allowed(url):
        raise SignatureError(_BAD_CERT_URL)
    try:
        with _OPENER.open(url, timeout=FETCH_TIMEOUT) as response:
            body: bytes = response.read(MAX_CERTIFICATE_BYTES + 1)
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
        raise SignatureError(f"could not download the signing certificate: {exc}") from exc
    if len(body) > MAX_CERTIFICATE_BYTES:
        raise SignatureError("the signing certificate is larger than 64 KB")
    return body


def _host_allowed(parts: urllib.parse.SplitResult, url: str) -> bool:
    """Return whether ``parts`` is plain https to an SNS host: no userinfo, port 443 at most."""
    if parts.scheme != "https" or len(url) > MAX_FIELD_CHARS or not _URL_CHARS.fullmatch(url):
        return False
    netloc = parts.netloc.lower()
    if netloc.endswith(":443"):
        netloc = netloc[: -len(":443")]
    # Rejects "user@host", other ports, IP literals and look-alike suffixes in one comparison.
    return _SNS_HOST.fullmatch(netloc) is not None


def signing_cert_url_allowed(url: Any) -> bool:
    """Return whether ``url`` may be fetched as an SNS signing certificate.

    Only ``https://sns.<region>.amazonaws.com/<name>.pem`` (or ``.amazonaws.com.cn``), without
    user name, port other than 443, query or fragment.
    """
    if not isinstance(url, str):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return (
        _host_allowed(parts, url)
        and not parts.query
        and not parts.fragment
        and "#" not in url
        and "?" not in url
        and _CERT_PATH.fullmatch(parts.path) is not None
    )


def subscribe_url_allowed(url: Any) -> bool:
    """Return whether ``url`` is an SNS ConfirmSubscription address Kaizen may GET.

    Only ``https://sns.<region>.amazonaws.com/?Action=ConfirmSubscription&TopicArn=...&Token=...``
    (or ``.amazonaws.com.cn``): the same host rules as the certificate, path ``/``, no fragment.
    """
    if not isinstance(url, str):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query, strict_parsing=True)
    except ValueError:
        return False
    return (
        _host_allowed(parts, url)
        and parts.path in ("", "/")
        and not parts.fragment
        and "#" not in url
        and query.get("Action") == ["ConfirmSubscription"]
        and len(query.get("TopicArn", [])) == 1
        and len(query.get("Token", [])) == 1
    )


def _optional(message: Mapping[str, Any], key: str) -> str | None:
    """Return ``message[key]`` (None if absent or null), checked to be a string of sane length."""
    value = message.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise SignatureError(f"{key} must be a string, not {type(value).__name__}")
    if key == "Message":
        # A character is at least one byte: the cheap length check first, then the exact one.
        if len(value) > MAX_MESSAGE_BYTES or len(value.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
            raise SignatureError("Message is larger than 256 KB")
    elif len(value) > MAX_FIELD_CHARS:
        raise SignatureError(f"{key} is longer than {MAX_FIELD_CHARS} characters")
    return value


def _required(message: Mapping[str, Any], key: str) -> str:
    """Return ``message[key]`` like :func:`_optional`, refusing a missing or null value."""
    value = _optional(message, key)
    if value is None:
        raise SignatureError(f"the message has no {key}")
    return value


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """Build the UTF-8 string SNS signed: ``"Key\\nValue\\n"`` for each signed key in order.

    ``Subject`` is left out of a notification that has none (absent or null).

    Raises:
        SignatureError: unknown ``Type``, or a signed field missing or not a string.
    """
    kind = message.get("Type")
    if not isinstance(kind, str) or kind not in SIGNED_KEYS:
        raise SignatureError(f"unknown message Type {str(kind)[:40]!r}")
    chunks: list[str] = []
    for key in SIGNED_KEYS[kind]:
        value = _optional(message, key) if key == "Subject" else _required(message, key)
        if value is not None:
            chunks.append(f"{key}\n{value}\n")
    try:
        return "".join(chunks).encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates cannot have been signed by SNS
        raise SignatureError("the message contains characters that are not valid Unicode") from exc


def _check_timestamp(
    message: Mapping[str, Any], *, now: dt.datetime, max_age: dt.timedelta, max_future: dt.timedelta
) -> None:
    """Refuse a ``Timestamp`` that is malformed, older than ``max_age`` or ahead by ``max_future``."""
    raw = _required(message, "Timestamp")
    if not _TIMESTAMP.fullmatch(raw):
        raise SignatureError("Timestamp is not an ISO 8601 UTC time like 2024-01-31T09:00:00.000Z")
    try:
        sent = dt.datetime.fromisoformat(raw)
    except ValueError as exc:
        raise SignatureError("Timestamp is not a valid date and time") from exc
    if sent < now - max_age:
        raise SignatureError(f"the message is too old (sent {raw}, more than {max_age} ago)")
    if sent > now + max_future:
        raise SignatureError(f"the message is from the future (sent {raw})")


def _decode_signature(message: Mapping[str, Any]) -> bytes:
    """Return the raw bytes of the base64 ``Signature``."""
    raw = _required(message, "Signature")
    try:
        signature = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SignatureError("Signature is not valid base64") from exc
    if not signature or len(signature) > MAX_SIGNATURE_BYTES:
        raise SignatureError("Signature has an impossible length")
    return signature


@dataclass(frozen=True)
class _Certificate:
    """The parts of a signing certificate :func:`verify` needs (what the cache holds)."""

    key: rsa.RSAPublicKey
    not_before: dt.datetime
    not_after: dt.datetime


def _load_certificate(pem: bytes) -> _Certificate:
    """Parse a PEM certificate holding an RSA key of at least ``MIN_KEY_BITS`` bits."""
    try:
        certificate = x509.load_pem_x509_certificate(pem)
        key = certificate.public_key()
        not_before, not_after = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except Exception as exc:  # cryptography raises ValueError and others for garbage input
        raise SignatureError("the signing certificate is not a valid PEM X.509 certificate") from exc
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_KEY_BITS:
        raise SignatureError(
            f"the signing certificate does not hold an RSA key of {MIN_KEY_BITS} bits or more"
        )
    return _Certificate(key=key, not_before=not_before, not_after=not_after)


_cache: OrderedDict[str, _Certificate] = OrderedDict()
_cache_lock = threading.Lock()


def clear_certificate_cache() -> None:
    """Forget every cached signing certificate (tests; after AWS rotates a certificate early)."""
    with _cache_lock:
        _cache.clear()


def _certificate(url: str, *, fetch: Callable[[str], bytes]) -> _Certificate:
    """Return the certificate at ``url``, from the cache or fetched (and then cached)."""
    with _cache_lock:
        cached = _cache.get(url)
        if cached is not None:
            _cache.move_to_end(url)
            return cached
    try:
        pem = fetch(url)
    except SignatureError:
        raise
    except Exception as exc:  # a hook may raise anything; the caller sees one error type
        raise SignatureError(f"could not download the signing certificate: {exc}") from exc
    if not isinstance(pem, bytes) or len(pem) > MAX_CERTIFICATE_BYTES:
        raise SignatureError("the signing certificate is missing or larger than 64 KB")
    certificate = _load_certificate(pem)
    with _cache_lock:
        _cache[url] = certificate
        _cache.move_to_end(url)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return certificate


def verify(
    message: Mapping[str, Any],
    *,
    now: dt.datetime | None = None,
    fetch: Callable[[str], bytes] | None = None,
    max_age: dt.timedelta = MAX_AGE,
    max_future: dt.timedelta = MAX_FUTURE,
) -> None:
    """Check that ``message`` (the decoded JSON body SNS posted) was signed by Amazon SNS.

    Every cheap check (types, sizes, ``Type``, ``SignatureVersion``, ``Timestamp``, the
    certificate URL) runs before the certificate is fetched, so a forged body costs no request.

    Args:
        message: the JSON object of the POST body.
        now: the current time (default: now, UTC); naive values are taken as UTC.
        fetch: downloads a certificate URL to PEM bytes (default: :func:`fetch_certificate`).
        max_age: oldest acceptable ``Timestamp``.
        max_future: how far ahead of ``now`` a ``Timestamp`` may be.

    Raises:
        SignatureError: the message is malformed, stale, or its signature does not verify.
    """
    if not isinstance(message, Mapping):
        raise SignatureError("an SNS message must be a JSON object")
    version = message.get("SignatureVersion")
    if not isinstance(version, str) or version not in _HASHES:
        raise SignatureError(f"unsupported SignatureVersion {str(version)[:20]!r} (expected '1' or '2')")
    signed = string_to_sign(message)
    signature = _decode_signature(message)
    current = now or dt.datetime.now(dt.UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=dt.UTC)
    _check_timestamp(message, now=current, max_age=max_age, max_future=max_future)
    cert_url = _required(message, "SigningCertURL")
    if not signing_cert_url_allowed(cert_url):
        raise SignatureError(_BAD_CERT_URL)
    certificate = _certificate(cert_url, fetch=fetch or fetch_certificate)
    if not certificate.not_before <= current <= certificate.not_after:
        raise SignatureError("the signing certificate is expired or not yet valid")
    if len(signature) != (certificate.key.key_size + 7) // 8:
        raise SignatureError("Signature has the wrong length for the signing certificate's key")
    try:
        certificate.key.verify(signature, signed, padding.PKCS1v15(), _HASHES[version]())
    except InvalidSignature as exc:
        raise SignatureError("the signature does not match the message") from exc
    except Exception as exc:  # e.g. a signature longer than the key
        raise SignatureError(f"the signature could not be checked: {exc}") from exc


def _get(url: str) -> int:
    """GET ``url`` (5 s timeout, no redirects) and return the HTTP status code."""
    if not subscribe_url_allowed(url):
        raise SignatureError(_BAD_SUBSCRIBE_URL)
    try:
        with _OPENER.open(url, timeout=FETCH_TIMEOUT) as response:
            response.read(MAX_CERTIFICATE_BYTES)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError) as exc:
        raise ValueError(f"could not reach the SNS SubscribeURL: {exc}") from exc


def confirm_subscription(
    message: Mapping[str, Any],
    *,
    get: Callable[[str], int] | None = None,
    topic_arns: Collection[str] | None = None,
    now: dt.datetime | None = None,
    fetch: Callable[[str], bytes] | None = None,
) -> None:
    """Verify a ``SubscriptionConfirmation`` and confirm it by visiting its ``SubscribeURL``.

    Args:
        message: the decoded JSON body SNS posted.
        get: performs the GET and returns the status code (default: urllib, 5 s, no redirects).
        topic_arns: when given, the topics this integration accepts; any other is refused.
        now: passed to :func:`verify`.
        fetch: passed to :func:`verify`.

    Raises:
        SignatureError: the message is not an authentic subscription confirmation, or its
            ``SubscribeURL`` is not an SNS ConfirmSubscription address for its own topic.
        ValueError: the topic is not allowed, SNS could not be reached or did not answer 200.
    """
    if not isinstance(message, Mapping) or message.get("Type") != SUBSCRIPTION_CONFIRMATION:
        raise SignatureError("the message is not a SubscriptionConfirmation")
    verify(message, now=now, fetch=fetch)
    topic = str(message["TopicArn"])
    url = str(message["SubscribeURL"])
    if not subscribe_url_allowed(url):
        raise SignatureError(_BAD_SUBSCRIBE_URL)
    if urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("TopicArn") != [topic]:
        raise SignatureError("SubscribeURL confirms another topic than the message's TopicArn")
    if topic_arns is not None and topic not in topic_arns:
        raise ValueError(f"topic {topic} is not allowed for this integration")
    try:
        status = (get or _get)(url)
    except ValueError:
        raise
    except Exception as exc:  # an injected getter may raise anything; callers handle ValueError
        raise ValueError(f"could not reach the SNS SubscribeURL: {exc}") from exc
    if status != 200:
        raise ValueError(f"SNS answered {status} to the subscription confirmation")
