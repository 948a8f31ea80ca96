"""The production intake path (``kaizen.wsgi``): stores good deliveries itself, hands the rest to Django.

Every request here goes through :func:`kaizen.monitoring.intake.fast_path` wrapped around Django's
own WSGI handler, the way ``kaizen.wsgi.application`` is built, and is compared with the answer the
Django view gives through the test client.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, close_old_connections
from django.test import Client

from kaizen.monitoring import intake, services, tasks
from kaizen.monitoring.choices import DeliveryState
from kaizen.monitoring.models import Alert, Delivery

from .conftest import Shop, payload

pytestmark = pytest.mark.django_db
SAMPLE = "alertmanager-webhook-v4.json"
SECURITY = (
    "Content-Type",
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


class Server:
    """``fast_path`` around Django's WSGI handler; counts the requests Django had to answer."""

    def __init__(self) -> None:
        django = WSGIHandler()
        self.to_django = 0

        def inner(environ: dict[str, Any], start_response: Any) -> Any:
            self.to_django += 1
            return django(environ, start_response)

        self.app = intake.fast_path(inner)

    def post(
        self,
        source: str,
        body: bytes,
        *,
        token: str | None = None,
        query: str = "",
        method: str = "POST",
        length: str | None = None,
        **extra: str,
    ) -> tuple[int, dict[str, str], bytes]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": f"/api/v1/events/{source}/",
            "QUERY_STRING": query,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)) if length is None else length,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **extra,
        }
        if token is not None:
            environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

        chunks = self.app(environ, start_response)
        content = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return answer["status"], answer["headers"], content


@pytest.fixture
def in_transaction() -> Iterator[None]:
    """Let requests run inside the test's transaction, as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def server(in_transaction: None) -> Server:
    return Server()


def _body(name: str = SAMPLE) -> bytes:
    return json.dumps(payload(name)).encode()


def test_a_good_delivery_is_stored_without_django_with_the_same_answer(
    shop: Shop, server: Server, client: Client
) -> None:
    _integration, token = shop.integration()
    status, headers, content = server.post("alertmanager", _body(), token=token)
    assert (status, server.to_django) == (202, 0)
    answer = json.loads(content)
    assert answer == {"status": "accepted", "delivery": Delivery.objects.get().pk, "duplicate": False}
    assert headers["Content-Length"] == str(len(content))
    other = client.post(
        "/api/v1/events/alertmanager/",
        data=_body("alertmanager-webhook-v4-resolved.json"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert other.status_code == 202
    assert {k: headers.get(k) for k in SECURITY} == {k: other.headers.get(k) for k in SECURITY}
    assert all(headers.get(k) for k in SECURITY)


def test_the_stored_delivery_is_processed_after_commit(
    shop: Shop, server: Server, django_capture_on_commit_callbacks: Any
) -> None:
    _integration, token = shop.integration()
    with django_capture_on_commit_callbacks(execute=True):
        assert server.post("alertmanager", _body(), token=token)[0] == 202
    assert Delivery.objects.get().state == DeliveryState.PROCESSED
    assert Alert.objects.count() == 2


def test_a_redelivery_answers_with_the_stored_delivery(shop: Shop, server: Server) -> None:
    _integration, token = shop.integration()
    first = json.loads(server.post("alertmanager", _body(), token=token)[2])
    status, _headers, content = server.post("alertmanager", _body(), token=token)
    assert status == 202
    assert json.loads(content) == {**first, "duplicate": True}
    assert Delivery.objects.count() == 1


def test_the_token_may_come_in_the_url_or_its_own_header(shop: Shop, server: Server) -> None:
    _integration, token = shop.integration()
    assert server.post("alertmanager", _body(), query=f"a=1&token={token}")[0] == 202
    assert server.post("alertmanager", b'{"alerts": []}', HTTP_X_KAIZEN_TOKEN=token)[0] == 202
    assert (Delivery.objects.count(), server.to_django) == (2, 0)


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("no token", 401),
        ("wrong token", 401),
        ("token of another source", 401),
        ("huge token", 401),
        ("not json", 400),
        ("empty body", 400),
        ("blank body", 400),
        ("deeply nested", 400),
        ("invalid utf-8", 400),
        ("bad content length", 400),
        ("negative content length", 400),
        ("over the integration's limit", 413),
        ("unknown source", 404),
        ("no trailing slash", 404),
        ("wrong method", 405),
        ("disallowed host", 400),
    ],
)
def test_everything_not_in_order_is_answered_by_django_and_nothing_is_stored(
    shop: Shop, server: Server, client: Client, case: str, status: int
) -> None:
    _integration, token = shop.integration(max_body_bytes=1024)
    _other, grafana_token = shop.integration("grafana")
    body, kwargs = b'{"alerts": []}', {"token": token}
    source = "alertmanager"
    if case == "no token":
        kwargs = {}
    elif case == "wrong token":
        kwargs = {"token": "kmon_" + "x" * 43}
    elif case == "token of another source":
        kwargs = {"token": grafana_token}
    elif case == "huge token":
        kwargs = {"token": "kmon_" + "y" * 5000}
    elif case == "not json":
        body = b"{not json"
    elif case == "empty body":
        body = b""
    elif case == "blank body":
        body = b"   "
    elif case == "deeply nested":
        body = b"[" * 100_000
        shop_integration_limit = 200_000
        services.Integration.objects.update(max_body_bytes=shop_integration_limit)
        services.forget_tokens()
    elif case == "invalid utf-8":
        body = b"\xff\xfe\x00"
    elif case == "bad content length":
        kwargs["length"] = "abc"
    elif case == "negative content length":
        kwargs["length"] = "-5"
    elif case == "over the integration's limit":
        body = json.dumps({"alerts": [], "pad": "x" * 2000}).encode()
    elif case == "unknown source":
        source = "splunk"
    elif case == "no trailing slash":
        source = "alertmanager/extra"
    elif case == "wrong method":
        kwargs["method"] = "PUT"
    elif case == "disallowed host":
        kwargs["HTTP_HOST"] = "evil.example"
    got, headers, content = server.post(source, body, **kwargs)  # type: ignore[arg-type]
    assert got == status, content
    assert server.to_django == 1
    if status != 400 or case != "disallowed host":
        assert headers["Content-Type"].startswith("application/problem+json")
        assert json.loads(content)["status"] == status
    assert not Delivery.objects.exists()


def test_a_body_shorter_than_its_length_is_handed_to_django_as_read(shop: Shop, server: Server) -> None:
    _integration, token = shop.integration()
    status, _headers, content = server.post("alertmanager", b'{"alerts": []}', token=token, length="40")
    assert (status, server.to_django) == (202, 1)  # Django's view reads what came and decides
    assert bytes(Delivery.objects.get(pk=json.loads(content)["delivery"]).body) == b'{"alerts": []}'


def test_https_is_required_when_the_site_redirects_to_it(
    shop: Shop, settings: Any, monkeypatch: pytest.MonkeyPatch, in_transaction: None
) -> None:
    settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS = True, 3600
    monkeypatch.setattr(intake, "_headers", {})
    server = Server()  # Django's middleware reads the settings when it is built
    _integration, token = shop.integration()
    status, headers, _content = server.post("alertmanager", _body(), token=token)
    assert (status, server.to_django) == (301, 1)
    assert headers["Location"].startswith("https://")
    status, headers, _content = server.post(
        "alertmanager", _body(), token=token, HTTP_X_FORWARDED_PROTO="https"
    )
    assert (status, server.to_django) == (202, 1)
    assert headers["Strict-Transport-Security"] == "max-age=3600"


def _fail_once(monkeypatch: pytest.MonkeyPatch, name: str, message: str) -> list[int]:
    """Make ``services.<name>`` raise a database error on its first call; return the calls made."""
    real, calls = getattr(services, name), []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError(message)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, name, flaky)
    monkeypatch.setattr(tasks, "wake", lambda: None)
    return calls


@pytest.mark.django_db(transaction=True)
def test_a_lost_database_connection_is_replaced_once(monkeypatch: pytest.MonkeyPatch) -> None:
    shop = Shop()
    _integration, token = shop.integration(create_incidents=False)
    calls = _fail_once(monkeypatch, "receive", "server closed the connection unexpectedly")
    status, _headers, content = Server().post("alertmanager", _body(), token=token)
    assert status == 202, content
    assert len(calls) == 2
    assert Delivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_database_failure_in_the_fast_path_hands_the_request_to_django(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = Shop()
    _integration, token = shop.integration(create_incidents=False)
    calls = _fail_once(monkeypatch, "authenticate", "the database system is shutting down")
    server = Server()
    status, _headers, content = server.post("alertmanager", _body(), token=token)
    assert (status, server.to_django, len(calls)) == (202, 1, 2), content
    assert Delivery.objects.count() == 1


def test_a_process_that_saw_the_flag_skips_the_broker_for_a_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """See ``tasks.wake``: the drain job looks again only after more than that moment."""
    asked: list[bytes] = []

    class Storage:
        def put_if_empty(self, key: str, value: bytes) -> bool:
            asked.append(value)
            return False  # a job is queued or draining

    class Huey:
        immediate = False
        storage = Storage()

    clock = [100.0]
    monkeypatch.setattr(tasks, "HUEY", Huey())
    monkeypatch.setattr(tasks, "_seen", [float("-inf")])
    monkeypatch.setattr(tasks.time, "monotonic", lambda: clock[0])
    tasks.wake()
    tasks.wake()
    clock[0] += tasks.SEEN_FOR / 2
    tasks.wake()
    assert len(asked) == 1
    clock[0] += tasks.SEEN_FOR
    tasks.wake()
    assert len(asked) == 2
    assert tasks.LAST_LOOK_AFTER > tasks.SEEN_FOR
