"""Amazon SNS signature verification: AWS's documented algorithm, hostile input, no network.

The string to sign is rebuilt here from AWS's documentation (not from ``sns.string_to_sign``), so
these tests check the module against the specification rather than against itself.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen.monitoring import sns

SAMPLE = json.loads(
    (Path(__file__).parent / "payloads" / "cloudwatch-alarm-sns-notification.json").read_text("utf-8")
)
SENT = dt.datetime(2019, 2, 15, 23, 53, 45, 134000, tzinfo=dt.UTC)  # the sample's Timestamp
NOW = SENT + dt.timedelta(minutes=1)
CERT_URL = SAMPLE["SigningCertURL"]
TOPIC = "arn:aws:sns:eu-west-1:1234567890:alerta-test"
SUBSCRIBE_URL = (
    "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
    f"&TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e241d164b0533302ec696efc8f113cd2252ce8a925"
)

# AWS's documented keys and order (Subject only when present).
DOC_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
DOC_KEYS["UnsubscribeConfirmation"] = DOC_KEYS["SubscriptionConfirmation"]


def _key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _certificate(
    key: rsa.RSAPrivateKey,
    *,
    not_before: dt.datetime = dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    not_after: dt.datetime = dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return _key()


@pytest.fixture(scope="module")
def pem(key: rsa.RSAPrivateKey) -> bytes:
    return _certificate(key)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    sns.clear_certificate_cache()
    yield
    sns.clear_certificate_cache()


class Fetcher:
    """A certificate fetcher that records the URLs asked for."""

    def __init__(self, pem: bytes | Any) -> None:
        self.pem = pem
        self.urls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.urls.append(url)
        return self.pem  # type: ignore[no-any-return]


@pytest.fixture
def fetch(pem: bytes) -> Fetcher:
    return Fetcher(pem)


def doc_string_to_sign(message: dict[str, Any]) -> bytes:
    keys = DOC_KEYS[message["Type"]]
    return "".join(f"{k}\n{message[k]}\n" for k in keys if k in message).encode("utf-8")


def sign(message: dict[str, Any], key: rsa.RSAPrivateKey, version: str = "1") -> dict[str, Any]:
    """Return ``message`` signed as SNS does, with ``SignatureVersion`` ``version``."""
    signed = dict(message, SignatureVersion=version)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(doc_string_to_sign(signed), padding.PKCS1v15(), algorithm)
    signed["Signature"] = base64.b64encode(signature).decode("ascii")
    return signed


def confirmation(kind: str = "SubscriptionConfirmation", **changes: Any) -> dict[str, Any]:
    message = {
        "Type": kind,
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d164b0533302ec696efc8f113cd2252ce8a925",
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, "
        "visit the SubscribeURL included in this message.",
        "SubscribeURL": SUBSCRIBE_URL,
        "Timestamp": "2019-02-15T23:53:45.134Z",
        "SigningCertURL": CERT_URL,
    }
    message.update(changes)
    return message


def check(message: Any, fetch: Callable[[str], bytes], **kwargs: Any) -> None:
    sns.verify(message, now=kwargs.pop("now", NOW), fetch=fetch, **kwargs)


# --- authentic messages ---------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_sample_notification_resigned_verifies(version: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    check(sign(SAMPLE, key, version), fetch)
    assert fetch.urls == [CERT_URL]


def test_sample_has_the_documented_shape() -> None:
    assert SAMPLE["Type"] == "Notification"
    assert set(DOC_KEYS["Notification"]) <= set(SAMPLE)
    assert sns.signing_cert_url_allowed(SAMPLE["SigningCertURL"])


def test_module_string_to_sign_matches_the_documentation() -> None:
    assert sns.string_to_sign(SAMPLE) == doc_string_to_sign(SAMPLE)
    for kind in ("SubscriptionConfirmation", "UnsubscribeConfirmation"):
        assert sns.string_to_sign(confirmation(kind)) == doc_string_to_sign(confirmation(kind))


def test_notification_without_subject_verifies(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = {k: v for k, v in SAMPLE.items() if k != "Subject"}
    check(sign(message, key, "2"), fetch)


def test_null_subject_is_left_out_like_an_absent_one(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = sign({k: v for k, v in SAMPLE.items() if k != "Subject"}, key)
    check(dict(message, Subject=None), fetch)


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
@pytest.mark.parametrize("version", ["1", "2"])
def test_confirmation_messages_verify(
    kind: str, version: str, key: rsa.RSAPrivateKey, fetch: Fetcher
) -> None:
    check(sign(confirmation(kind), key, version), fetch)


def test_message_with_escaped_control_characters_verifies(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = dict(
        SAMPLE, Message='line one\nline "two"\t\u65e5\u672c\u8a9e \U0001f525', Subject="S\u00fcbject"
    )
    check(sign(message, key), fetch)


def test_extra_unsigned_keys_are_ignored(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    check(dict(sign(SAMPLE, key), MessageAttributes={"a": {"Type": "String", "Value": "b"}}), fetch)


def test_module_level_fetch_hook_is_used_by_default(
    key: rsa.RSAPrivateKey, fetch: Fetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sns, "fetch_certificate", fetch)
    sns.verify(sign(SAMPLE, key), now=NOW)
    assert fetch.urls == [CERT_URL]


# --- forged and damaged messages ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Message", '{"AlarmName":"bucketbytesAlarm","NewStateValue":"OK"}'),
        ("Subject", 'OK: "bucketbytesAlarm" in EU (Ireland)'),
        ("MessageId", "00000000-0000-0000-0000-000000000000"),
        ("TopicArn", "arn:aws:sns:eu-west-1:1234567890:other-topic"),
        ("Timestamp", "2019-02-15T23:53:46.134Z"),
        ("Message", SAMPLE["Message"] + " "),
    ],
)
def test_tampered_field_is_refused(field: str, value: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = dict(sign(SAMPLE, key), **{field: value})
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(message, fetch)


@pytest.mark.parametrize(
    ("signed", "claimed"),
    [
        ("SubscriptionConfirmation", "UnsubscribeConfirmation"),
        ("UnsubscribeConfirmation", "SubscriptionConfirmation"),
    ],
)
def test_tampered_type_is_refused(signed: str, claimed: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = dict(sign(confirmation(signed), key), Type=claimed)
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(message, fetch)


def test_notification_relabelled_as_confirmation_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = dict(sign(SAMPLE, key), Type="SubscriptionConfirmation")
    with pytest.raises(sns.SignatureError):
        check(message, fetch)


def test_removed_subject_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = {k: v for k, v in sign(SAMPLE, key).items() if k != "Subject"}
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(message, fetch)


def test_tampered_subscribe_url_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = dict(sign(confirmation(), key), SubscribeURL=SUBSCRIBE_URL + "0")
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(message, fetch)


def test_signature_by_another_key_is_refused(other_key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(sign(SAMPLE, other_key), fetch)


def test_version_1_signature_labelled_version_2_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(dict(sign(SAMPLE, key, "1"), SignatureVersion="2"), fetch)


def test_signature_of_another_message_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    other = sign(dict(SAMPLE, Message="{}"), key)
    with pytest.raises(sns.SignatureError, match="does not match"):
        check(dict(sign(SAMPLE, key), Signature=other["Signature"]), fetch)


@pytest.mark.parametrize(
    "field", ["Message", "MessageId", "Timestamp", "TopicArn", "Type", "Signature", "SigningCertURL"]
)
def test_missing_notification_field_is_refused(field: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = {k: v for k, v in sign(SAMPLE, key).items() if k != field}
    with pytest.raises(sns.SignatureError):
        check(message, fetch)
    assert fetch.urls == []


@pytest.mark.parametrize("field", ["SubscribeURL", "Token"])
def test_missing_confirmation_field_is_refused(field: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = {k: v for k, v in sign(confirmation(), key).items() if k != field}
    with pytest.raises(sns.SignatureError, match=f"no {field}"):
        check(message, fetch)


def test_missing_signature_version_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = {k: v for k, v in sign(SAMPLE, key).items() if k != "SignatureVersion"}
    with pytest.raises(sns.SignatureError, match="SignatureVersion"):
        check(message, fetch)


@pytest.mark.parametrize("version", ["3", "0", "", "1 ", "SHA256", None, 1, 2, 1.0, True, ["1"]])
def test_unknown_signature_version_is_refused(version: Any, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="SignatureVersion"):
        check(dict(sign(SAMPLE, key), SignatureVersion=version), fetch)
    assert fetch.urls == []


@pytest.mark.parametrize("kind", ["Notice", "", "notification", None, 1, ["Notification"]])
def test_unknown_type_is_refused(kind: Any, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="Type"):
        check(dict(sign(SAMPLE, key), Type=kind), fetch)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Message", 42),
        ("Message", {"AlarmName": "x"}),
        ("MessageId", 12345),
        ("Subject", ["ALARM"]),
        ("Timestamp", 1550274825),
        ("TopicArn", None),
        ("Signature", 0),
        ("Signature", b"bytes"),
        ("SigningCertURL", {"url": CERT_URL}),
        ("Message", True),
    ],
)
def test_wrong_type_is_refused(field: str, value: Any, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError):
        check(dict(sign(SAMPLE, key), **{field: value}), fetch)
    assert fetch.urls == []


@pytest.mark.parametrize("message", [None, [], ["Type", "Notification"], "Notification", 42, b"{}"])
def test_message_that_is_not_an_object_is_refused(message: Any, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="JSON object"):
        check(message, fetch)


@pytest.mark.parametrize(
    "signature",
    ["", "not base64!", "abc", "YWJj\n ZGVm", "\u65e5\u672c", "=" * 8, "AAAA" * 400],
)
def test_malformed_signature_is_refused(signature: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="Signature"):
        check(dict(sign(SAMPLE, key), Signature=signature), fetch)
    assert fetch.urls == []


def test_short_but_valid_base64_signature_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="length"):
        check(dict(sign(SAMPLE, key), Signature=base64.b64encode(b"x" * 16).decode()), fetch)


def test_lone_surrogate_is_refused(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = dict(sign(SAMPLE, key), Message="bad \ud800 text")
    with pytest.raises(sns.SignatureError, match="Unicode"):
        check(message, fetch)


# --- certificate URL: refused before any request --------------------------------------------


BAD_CERT_URLS = [
    "http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://evil.com/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com.evil.com/SimpleNotificationService-abc.pem",
    "https://evilsns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com./SimpleNotificationService-abc.pem",
    "https://s3.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.eu_west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://54.239.28.85/SimpleNotificationService-abc.pem",
    "https://[::1]/SimpleNotificationService-abc.pem",
    "https://127.0.0.1:443/SimpleNotificationService-abc.pem",
    "https://user@sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://user:pw@sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com@evil.com/SimpleNotificationService-abc.pem",
    "https://evil.com#@sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com\\@evil.com/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com:80/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com:/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com:99999/SimpleNotificationService-abc.pem",
    "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem?x=1",
    "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem#frag",
    "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.txt",
    "https://sns.eu-west-1.amazonaws.com/",
    "https://sns.eu-west-1.amazonaws.com/../../etc/passwd.pem",
    "https://sns.eu-west-1.amazonaws.com/a/b.pem",
    "https://sns.eu-west-1.amazonaws.com/%2e%2e.pem",
    "https://sns.eu-west-1.amazonaws.com/ a.pem",
    "https://sns.eu-west-1.amazonaws.com/a.pem\n",
    "https://sns.eu-west-1.amaz\u043enaws.com/a.pem",
    "https://sns.eu-west-1.amazonaws.com\u3002/a.pem",
    "file:///etc/ssl/cert.pem",
    "ftp://sns.eu-west-1.amazonaws.com/a.pem",
    "//sns.eu-west-1.amazonaws.com/a.pem",
    "https:sns.eu-west-1.amazonaws.com/a.pem",
    "https://sns.eu-west-1.amazonaws.com/" + "a" * 5000 + ".pem",
    "",
]


@pytest.mark.parametrize("url", BAD_CERT_URLS)
def test_bad_signing_cert_url_is_refused_without_fetching(
    url: str, key: rsa.RSAPrivateKey, fetch: Fetcher
) -> None:
    assert not sns.signing_cert_url_allowed(url)
    with pytest.raises(sns.SignatureError, match="SigningCertURL"):
        check(sign(dict(SAMPLE, SigningCertURL=url), key), fetch)
    assert fetch.urls == []


@pytest.mark.parametrize("url", BAD_CERT_URLS[:6])
def test_default_fetcher_refuses_bad_url_itself(url: str) -> None:
    with pytest.raises(sns.SignatureError, match="SigningCertURL"):
        sns.fetch_certificate(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-01d088a6f77103d0fe307c0069e40ed6.pem",
        "https://sns.ap-northeast-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://SNS.EU-WEST-1.AMAZONAWS.COM/SimpleNotificationService-abc.pem",
        "https://sns.eu-west-1.amazonaws.com:443/SimpleNotificationService-abc.pem",
    ],
)
def test_sns_certificate_urls_are_allowed(url: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    assert sns.signing_cert_url_allowed(url)
    check(sign(dict(SAMPLE, SigningCertURL=url), key), fetch)
    assert fetch.urls == [url]


# --- time -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now",
    [SENT + dt.timedelta(hours=1, seconds=1), SENT + dt.timedelta(days=400), SENT - dt.timedelta(minutes=11)],
)
def test_stale_or_future_timestamp_is_refused(
    now: dt.datetime, key: rsa.RSAPrivateKey, fetch: Fetcher
) -> None:
    with pytest.raises(sns.SignatureError, match=r"too old|future"):
        check(sign(SAMPLE, key), fetch, now=now)
    assert fetch.urls == []


@pytest.mark.parametrize("now", [SENT + dt.timedelta(minutes=59), SENT - dt.timedelta(minutes=9), SENT])
def test_timestamp_within_the_window_is_accepted(
    now: dt.datetime, key: rsa.RSAPrivateKey, fetch: Fetcher
) -> None:
    check(sign(SAMPLE, key), fetch, now=now)


def test_window_is_configurable(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = sign(SAMPLE, key)
    later = SENT + dt.timedelta(hours=5)
    check(message, fetch, now=later, max_age=dt.timedelta(hours=6))
    with pytest.raises(sns.SignatureError, match="too old"):
        check(message, fetch, now=SENT + dt.timedelta(minutes=2), max_age=dt.timedelta(minutes=1))
    with pytest.raises(sns.SignatureError, match="future"):
        check(message, fetch, now=SENT - dt.timedelta(seconds=2), max_future=dt.timedelta(seconds=1))


def test_naive_now_is_taken_as_utc(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    check(sign(SAMPLE, key), fetch, now=NOW.replace(tzinfo=None))


def test_now_in_another_time_zone_is_compared_as_an_instant(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    check(sign(SAMPLE, key), fetch, now=NOW.astimezone(tokyo))


@pytest.mark.parametrize(
    "timestamp",
    [
        "yesterday",
        "",
        "2019-02-15 23:53:45Z",
        "2019-02-15T23:53:45.134+09:00",
        "2019-02-15T23:53:45.134",
        "2019-02-30T23:53:45.134Z",
        "2019-02-15T25:53:45.134Z",
        "\uff12\uff10\uff11\uff19-02-15T23:53:45Z",
        "2019-02-15T23:53:45.1234567890Z",
    ],
)
def test_malformed_timestamp_is_refused(timestamp: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="Timestamp"):
        check(sign(dict(SAMPLE, Timestamp=timestamp), key), fetch)


def test_default_now_refuses_the_2019_sample(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError, match="too old"):
        sns.verify(sign(SAMPLE, key), fetch=fetch)


# --- size limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Message", "x" * (256 * 1024 + 1)),
        ("Message", "\u65e5" * 90_000),  # 90,000 characters, 270,000 bytes
        ("Message", "x" * 10_000_000),
        ("Subject", "s" * 5000),
        ("MessageId", "m" * 100_000),
        ("TopicArn", "t" * 5000),
        ("Signature", "A" * 100_000),
        ("SigningCertURL", CERT_URL[:-4] + "a" * 10_000 + ".pem"),
        ("Timestamp", "2019-02-15T23:53:45." + "1" * 10_000 + "Z"),
    ],
)
def test_huge_field_is_refused(field: str, value: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(sns.SignatureError):
        check(dict(sign(SAMPLE, key), **{field: value}), fetch)
    assert fetch.urls == []


def test_message_of_exactly_256_kb_verifies(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    check(sign(dict(SAMPLE, Message="x" * (256 * 1024)), key), fetch)


# --- the certificate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "text"],
)
def test_unusable_certificate_is_refused(body: Any, key: rsa.RSAPrivateKey) -> None:
    with pytest.raises(sns.SignatureError, match="certificate"):
        check(sign(SAMPLE, key), Fetcher(body))


def test_oversized_certificate_is_refused(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    with pytest.raises(sns.SignatureError, match="64 KB"):
        check(sign(SAMPLE, key), Fetcher(pem + b"\n" * (64 * 1024)))


@pytest.mark.parametrize("error", [OSError("connection refused"), TimeoutError(), RuntimeError("boom")])
def test_fetch_failure_is_a_signature_error(error: Exception, key: rsa.RSAPrivateKey) -> None:
    def failing(url: str) -> bytes:
        raise error

    with pytest.raises(sns.SignatureError, match="could not download"):
        check(sign(SAMPLE, key), failing)


def test_expired_certificate_is_refused(key: rsa.RSAPrivateKey) -> None:
    expired = _certificate(
        key, not_before=SENT - dt.timedelta(days=10), not_after=SENT - dt.timedelta(days=1)
    )
    with pytest.raises(sns.SignatureError, match="expired"):
        check(sign(SAMPLE, key), Fetcher(expired))


def test_small_rsa_key_is_refused() -> None:
    small = _key(1024)
    with pytest.raises(sns.SignatureError, match="2048"):
        check(sign(SAMPLE, small), Fetcher(_certificate(small)))


def test_certificate_is_fetched_once_per_url(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    check(sign(SAMPLE, key), fetch)
    check(sign(dict(SAMPLE, MessageId="another"), key, "2"), fetch)
    assert fetch.urls == [CERT_URL]


def test_cache_is_bounded(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    urls = [f"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-{i}.pem" for i in range(40)]
    for url in urls:
        check(sign(dict(SAMPLE, SigningCertURL=url), key), fetch)
    assert len(sns._cache) == sns.CACHE_SIZE
    check(sign(dict(SAMPLE, SigningCertURL=urls[0]), key), fetch)
    assert fetch.urls == [*urls, urls[0]]


def test_failed_fetch_is_not_cached(key: rsa.RSAPrivateKey, pem: bytes) -> None:
    with pytest.raises(sns.SignatureError):
        check(sign(SAMPLE, key), Fetcher(b"garbage"))
    check(sign(SAMPLE, key), Fetcher(pem))


# --- hostile input in general ---------------------------------------------------------------

JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
FIELDS = st.sampled_from(
    [*DOC_KEYS["SubscriptionConfirmation"], "Subject", "Signature", "SignatureVersion", "SigningCertURL"]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(FIELDS, JUNK, min_size=1, max_size=4))
def test_any_damage_raises_only_signature_error(
    changes: dict[str, Any], key: rsa.RSAPrivateKey, fetch: Fetcher
) -> None:
    message = copy.deepcopy(sign(SAMPLE, key))
    message.update(changes)
    try:
        check(message, fetch)
    except sns.SignatureError:
        return
    # The only changes that keep a notification authentic: equal values, or unsigned keys.
    assert all(SAMPLE.get(k) == v or k in {"SubscribeURL", "Token"} for k, v in changes.items())


# --- subscription URLs and confirmation -----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        SUBSCRIBE_URL,
        "https://sns.cn-north-1.amazonaws.com.cn/?Action=ConfirmSubscription&TopicArn=arn:aws-cn:sns:cn-north-1:1:t&Token=abc",
        "https://sns.us-east-1.amazonaws.com?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:1:t&Token=abc",
    ],
)
def test_subscribe_url_allowed(url: str) -> None:
    assert sns.subscribe_url_allowed(url)


@pytest.mark.parametrize(
    "url",
    [
        SUBSCRIBE_URL.replace("https://", "http://"),
        SUBSCRIBE_URL.replace("sns.eu-west-1.amazonaws.com", "evil.com"),
        SUBSCRIBE_URL.replace("amazonaws.com", "amazonaws.com.evil.com"),
        SUBSCRIBE_URL.replace("sns.eu-west-1.amazonaws.com", "169.254.169.254"),
        SUBSCRIBE_URL.replace("sns.eu-west-1.amazonaws.com", "user@sns.eu-west-1.amazonaws.com"),
        SUBSCRIBE_URL.replace("amazonaws.com/", "amazonaws.com:8080/"),
        SUBSCRIBE_URL.replace("Action=ConfirmSubscription", "Action=Unsubscribe"),
        SUBSCRIBE_URL.replace("Action=ConfirmSubscription", "Action=Publish"),
        SUBSCRIBE_URL.replace("amazonaws.com/", "amazonaws.com/admin"),
        SUBSCRIBE_URL + "&Action=Publish",
        SUBSCRIBE_URL + "#x",
        SUBSCRIBE_URL.split("&Token")[0],
        "https://sns.eu-west-1.amazonaws.com/",
        "",
        None,
        42,
    ],
)
def test_subscribe_url_refused(url: Any) -> None:
    assert not sns.subscribe_url_allowed(url)


class Getter:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.urls: list[str] = []

    def __call__(self, url: str) -> int:
        self.urls.append(url)
        return self.status


def test_confirm_subscription_visits_the_subscribe_url(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    get = Getter()
    sns.confirm_subscription(
        sign(confirmation(), key, "2"), get=get, topic_arns={TOPIC}, now=NOW, fetch=fetch
    )
    assert get.urls == [SUBSCRIBE_URL]


def test_confirm_subscription_refuses_a_forged_message(other_key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    get = Getter()
    with pytest.raises(sns.SignatureError):
        sns.confirm_subscription(sign(confirmation(), other_key), get=get, now=NOW, fetch=fetch)
    assert get.urls == []


@pytest.mark.parametrize("kind", ["Notification", "UnsubscribeConfirmation"])
def test_confirm_subscription_refuses_other_types(kind: str, key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    message = sign(SAMPLE if kind == "Notification" else confirmation(kind), key)
    get = Getter()
    with pytest.raises(sns.SignatureError, match="not a SubscriptionConfirmation"):
        sns.confirm_subscription(message, get=get, now=NOW, fetch=fetch)
    assert get.urls == []


def test_confirm_subscription_refuses_a_topic_not_allowed(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    get = Getter()
    with pytest.raises(ValueError, match="not allowed"):
        sns.confirm_subscription(
            sign(confirmation(), key), get=get, topic_arns={TOPIC + "-other"}, now=NOW, fetch=fetch
        )
    assert get.urls == []


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC + "&Token=x",
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:other&Token=x",
    ],
)
def test_confirm_subscription_refuses_a_signed_but_foreign_subscribe_url(
    url: str, key: rsa.RSAPrivateKey, fetch: Fetcher
) -> None:
    get = Getter()
    with pytest.raises(sns.SignatureError, match="SubscribeURL"):
        sns.confirm_subscription(sign(confirmation(SubscribeURL=url), key), get=get, now=NOW, fetch=fetch)
    assert get.urls == []


def test_confirm_subscription_reports_a_failed_confirmation(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    with pytest.raises(ValueError, match="403"):
        sns.confirm_subscription(sign(confirmation(), key), get=Getter(403), now=NOW, fetch=fetch)


def test_confirm_subscription_reports_an_unreachable_sns(key: rsa.RSAPrivateKey, fetch: Fetcher) -> None:
    def unreachable(url: str) -> int:
        raise OSError("network is unreachable")

    with pytest.raises(ValueError, match="could not reach"):
        sns.confirm_subscription(sign(confirmation(), key), get=unreachable, now=NOW, fetch=fetch)


@pytest.mark.parametrize("message", [None, [], "SubscriptionConfirmation"])
def test_confirm_subscription_refuses_non_objects(message: Any) -> None:
    with pytest.raises(sns.SignatureError):
        sns.confirm_subscription(message, get=Getter(), now=NOW, fetch=Fetcher(b""))
