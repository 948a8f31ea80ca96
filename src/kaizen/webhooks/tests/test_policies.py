"""Pure rules of the webhooks domain: targets, topics, back-off and signatures."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaizen.webhooks import policies


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a9fe:a9fe",
        "192.0.2.10",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert policies.address_problem(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert policies.address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "example.com/hook",
        "//example.com/hook",
        "https://user:pw@example.com/hook",
        "https://user@example.com/hook",
        "https://@example.com/hook",
        "https://example.com/ho ok",
        "https://example.com/\x00",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://example.com/#frag",
        "https://" + "a" * 3000 + ".com/",
        "http://127.0.0.1/",
        "http://localhost:8080/",
        "http://api.localhost/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "",
        None,
        123,
    ],
)
def test_bad_urls_have_problems(url):
    assert policies.url_problems(url, allow_private=False)


def test_private_literals_are_allowed_with_allow_private_but_schemes_never():
    assert policies.url_problems("http://127.0.0.1:9000/hook", allow_private=True) == []
    assert policies.url_problems("http://localhost/hook", allow_private=True) == []
    assert policies.url_problems("ftp://127.0.0.1/", allow_private=True)
    assert policies.url_problems("http://u:p@127.0.0.1/", allow_private=True)


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/kaizen", "http://hooks.example.com:8080/a?b=c", "https://日本.jp/フック"],
)
def test_good_urls_have_no_problems(url):
    assert policies.url_problems(url, allow_private=False) == []


@pytest.mark.parametrize(
    "topics",
    ["ticket.*", {"a": 1}, None, 5, [], [1], ["Ticket.Created"], ["ticket."], ["*.created"], ["a" * 101],
     ["ticket.created", "ticket.created"], ["<script>"], ["x"] * 51],
)  # fmt: skip
def test_bad_topic_lists_have_problems(topics):
    assert policies.topic_problems(topics)


def test_topic_matching():
    assert policies.topic_matches(["*"], "ticket.created")
    assert policies.topic_matches(["ticket.*"], "ticket.created")
    assert policies.topic_matches(["ticket.*"], "ticket.comment.added")
    assert not policies.topic_matches(["ticket.*"], "tickets.created")
    assert not policies.topic_matches(["ticket.*"], "ticket")
    assert policies.topic_matches(["accounts.membership_granted"], "accounts.membership_granted")
    assert not policies.topic_matches(["ticket.created"], "ticket.created_later")
    assert not policies.topic_matches([], "ticket.created")
    assert policies.topic_problems(["ticket.*", "accounts.membership_granted", "*"]) == []


def test_form_topics_are_split_on_commas_spaces_and_lines():
    assert policies.parse_topics(" ticket.*,accounts.membership_granted\n\n*  ") == [
        "ticket.*",
        "accounts.membership_granted",
        "*",
    ]


def test_back_off_schedule():
    assert [policies.backoff(n) for n in range(1, 8)] == [60, 300, 1800, 7200, 21600, None, None]
    assert policies.backoff(0) is None


@given(st.text(min_size=1, max_size=50), st.integers(min_value=0, max_value=2**40), st.binary(max_size=500))
def test_signature_is_hmac_sha256_of_timestamp_dot_body(secret, timestamp, body):
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert policies.signature(secret, timestamp, body) == f"sha256={expected}"


def test_secret_rules():
    assert policies.secret_problems("") == []
    assert policies.secret_problems("x" * 16) == []
    assert policies.secret_problems("short")
    assert policies.secret_problems("x" * 201)
    assert policies.secret_problems("has space in it here")
    assert policies.secret_problems(12345678901234567)
