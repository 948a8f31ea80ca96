"""Generic API test suite applied to every exposed Record model.

Subclass :class:`ApiPermissionSuite` in a domain's tests and describe the endpoint with an
:class:`ApiCase`; the suite checks anonymous access, no permission, permission, versioned
updates, that another organisation's record is invisible, audit rows, and a query ceiling on
the list endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kaizen.core.api.auth import issue_token
from kaizen.core.models import AuditEntry

Org = Any


@dataclass(frozen=True)
class ApiCase:
    """How to exercise one endpoint.

    Attributes:
        url: collection URL, e.g. ``/api/v1/teams/``.
        make: create a record that belongs to the given organisation (no audit needed).
        create_payload: JSON body creating a record in the given organisation.
        update_payload: JSON body for PATCH (without version).
        make_user: create a user holding ``role`` in the organisation (``None``: no role).
        reader_role / writer_role / deleter_role: the least roles that may view / add+change / delete.
        list_ceiling: maximum queries for one list page of 25 records.
    """

    url: str
    make: Callable[[Org], Model]
    create_payload: Callable[[Org], dict[str, Any]]
    update_payload: dict[str, Any]
    make_org: Callable[[], Org]
    make_user: Callable[[str | None, Org], Any]
    reader_role: str
    writer_role: str
    deleter_role: str
    list_ceiling: int = 12
    extra_invisible_checks: tuple[str, ...] = field(default=())


def client_for(user: Any | None) -> APIClient:
    """Return an API client authenticated by a fresh Bearer token (anonymous for None)."""
    client = APIClient()
    if user is not None:
        _, raw = issue_token(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem response with ``status`` and a detail; return its body."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.django_db
class ApiPermissionSuite:
    """Inherit and set ``case``; every test here runs for that endpoint."""

    case: ApiCase

    def _detail(self, obj: Model) -> str:
        return f"{self.case.url}{obj.pk}/"

    def test_anonymous_gets_401_problem(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(None)
        assert_problem(client.get(self.case.url), 401)
        assert_problem(client.get(self._detail(obj)), 401)
        assert_problem(client.post(self.case.url, self.case.create_payload(org), format="json"), 401)
        assert_problem(client.delete(self._detail(obj)), 401)

    def test_user_without_role_sees_nothing_and_cannot_write(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(None, self.case.make_org()))
        before = AuditEntry.objects.count()
        listing = client.get(self.case.url)
        assert listing.status_code == 200
        assert obj.pk not in [row["id"] for row in listing.json()["results"]]
        assert_problem(client.get(self._detail(obj)), 404)
        assert client.post(self.case.url, self.case.create_payload(org), format="json").status_code in (
            400,
            403,
        )
        assert_problem(
            client.patch(self._detail(obj), {**self.case.update_payload, "version": 1}, format="json"), 404
        )
        assert_problem(client.delete(self._detail(obj)), 404)
        assert AuditEntry.objects.count() == before

    def test_reader_lists_and_gets_but_cannot_write(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.reader_role, org))
        listing = client.get(self.case.url)
        assert obj.pk in [row["id"] for row in listing.json()["results"]]
        detail = client.get(self._detail(obj))
        assert detail.status_code == 200
        assert detail["ETag"] == f'"{detail.json()["version"]}"'
        if self.case.reader_role != self.case.writer_role:
            response = client.patch(
                self._detail(obj), {**self.case.update_payload, "version": 1}, format="json"
            )
            assert_problem(response, 403)

    def test_writer_creates_updates_and_is_audited(self) -> None:
        org = self.case.make_org()
        client = client_for(self.case.make_user(self.case.writer_role, org))
        created = client.post(self.case.url, self.case.create_payload(org), format="json")
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["version"] == 1
        record_id = str(body["id"])
        assert AuditEntry.objects.filter(record_id=record_id, action="create").exists()
        url = f"{self.case.url}{record_id}/"
        updated = client.patch(url, {**self.case.update_payload, "version": 1}, format="json")
        assert updated.status_code == 200, updated.content
        assert updated.json()["version"] == 2
        assert AuditEntry.objects.filter(record_id=record_id, action="update").exists()

    def test_update_without_version_is_428(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        assert_problem(client.patch(self._detail(obj), self.case.update_payload, format="json"), 428)

    def test_stale_version_is_409_and_changes_nothing(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        first = client.patch(self._detail(obj), {**self.case.update_payload, "version": 1}, format="json")
        assert first.status_code == 200, first.content
        snapshot = client.get(self._detail(obj)).json()
        stale = client.patch(self._detail(obj), {**self.case.update_payload, "version": 1}, format="json")
        body = assert_problem(stale, 409)
        assert body["current_version"] == 2
        assert client.get(self._detail(obj)).json() == snapshot

    def test_if_match_header_is_accepted(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        ok = client.patch(self._detail(obj), self.case.update_payload, format="json", HTTP_IF_MATCH='"1"')
        assert ok.status_code == 200, ok.content
        assert_problem(
            client.patch(self._detail(obj), self.case.update_payload, format="json", HTTP_IF_MATCH='"1"'), 409
        )

    def test_deleter_deletes_and_is_audited(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.deleter_role, org))
        assert client.delete(self._detail(obj)).status_code == 204
        assert not type(obj)._default_manager.filter(pk=obj.pk).exists()
        assert AuditEntry.objects.filter(record_id=str(obj.pk), action="delete").exists()

    def test_other_organisations_record_is_invisible(self) -> None:
        mine, theirs = self.case.make_org(), self.case.make_org()
        hidden = self.case.make(theirs)
        for role in {self.case.reader_role, self.case.writer_role, self.case.deleter_role}:
            client = client_for(self.case.make_user(role, mine))
            listing = client.get(self.case.url, {"page_size": 200})
            assert hidden.pk not in [row["id"] for row in listing.json()["results"]]
            assert_problem(client.get(self._detail(hidden)), 404)
            patch = client.patch(
                self._detail(hidden), {**self.case.update_payload, "version": 1}, format="json"
            )
            assert_problem(patch, 404)
            assert_problem(client.delete(self._detail(hidden)), 404)
        assert type(hidden)._default_manager.filter(pk=hidden.pk, version=1).exists()

    def test_list_query_count_has_a_ceiling(self) -> None:
        org = self.case.make_org()
        for _ in range(25):
            self.case.make(org)
        client = client_for(self.case.make_user(self.case.reader_role, org))
        client.get(self.case.url)  # warm caches (content types, etc.)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(self.case.url, {"page_size": 25})
        assert response.status_code == 200
        assert len(response.json()["results"]) == 25
        assert len(ctx.captured_queries) <= self.case.list_ceiling, [q["sql"] for q in ctx.captured_queries]
