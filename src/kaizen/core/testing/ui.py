"""Generic UI test suite applied to every model with pages (a :class:`~kaizen.core.ui.registry.ModelUI`).

Subclass :class:`UiPermissionSuite` and describe the pages with a :class:`UiCase`. The suite
checks anonymous access, no permission, permission, versioned edits, that another
organisation's record is invisible, audit rows, CSRF, hostile and malformed form input, bad
list parameters and a query ceiling on the list page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kaizen.core.models import AuditEntry

Org = Any
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_VALUES = [
    HOSTILE,
    "'; DROP TABLE accounts_team; --",
    "🙂🏯👨‍👩‍👧 絵文字",
    "{{ 7*7 }} {% debug %}",
    "全角　スペースと\t タブ",
]


@dataclass(frozen=True)
class UiCase:
    """How to exercise the pages of one model.

    Attributes:
        prefix: URL name prefix, e.g. ``accounts:teams`` (``-list``, ``-detail``, ... are added).
        make: create a record that belongs to the given organisation.
        form_data: POST data of a valid create form in the given organisation.
        edit_data: POST data of a valid edit form for the given record (without ``version``).
        text_field: a free-text field used for hostile and oversized input.
        relation_field: a foreign-key field used for wrong-type input.
        list_ceiling: maximum queries for a list page of 25 records.
    """

    prefix: str
    make: Callable[[Org], Any]
    form_data: Callable[[Org], dict[str, Any]]
    edit_data: Callable[[Any], dict[str, Any]]
    make_org: Callable[[], Org]
    make_user: Callable[[str | None, Org], Any]
    reader_role: str
    writer_role: str
    deleter_role: str
    text_field: str | None = "name"
    relation_field: str = "organisation"
    list_ceiling: int = 20


def client_for(user: Any | None, *, csrf: bool = False) -> Client:
    """Return a browser-like client logged in as ``user`` (anonymous for None)."""
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
class UiPermissionSuite:
    """Inherit and set ``case``; every test here runs for those pages."""

    case: UiCase

    def url(self, action: str, obj: Model | None = None) -> str:
        args = [obj.pk] if obj is not None else []
        return reverse(f"{self.case.prefix}-{action}", args=args)

    def test_anonymous_is_sent_to_login(self) -> None:
        obj = self.case.make(self.case.make_org())
        client = client_for(None)
        for action, target in (
            ("list", None),
            ("create", None),
            ("detail", obj),
            ("edit", obj),
            ("delete", obj),
        ):
            response = client.get(self.url(action, target))
            assert response.status_code == 302, action
            assert response["Location"].startswith(reverse("login"))
        assert client.post(self.url("delete", obj), {"version": 1}).status_code == 302
        assert type(obj)._default_manager.filter(pk=obj.pk).exists()

    def test_user_without_role_sees_nothing_and_cannot_write(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(None, self.case.make_org()))
        before = AuditEntry.objects.count()
        listing = client.get(self.url("list"))
        assert listing.status_code == 200
        assert self.url("detail", obj) not in listing.content.decode()
        assert client.get(self.url("detail", obj)).status_code == 404
        assert client.get(self.url("create")).status_code == 403
        assert client.post(self.url("create"), self.case.form_data(org)).status_code == 403
        assert (
            client.post(self.url("edit", obj), {**self.case.edit_data(obj), "version": 1}).status_code == 404
        )
        assert client.post(self.url("delete", obj), {"version": 1}).status_code == 404
        assert AuditEntry.objects.count() == before

    def test_reader_lists_and_opens_but_cannot_edit(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.reader_role, org))
        listing = client.get(self.url("list"))
        assert listing.status_code == 200
        assert self.url("detail", obj) in listing.content.decode()
        detail = client.get(self.url("detail", obj))
        assert detail.status_code == 200
        assert 'id="history-title"' in detail.content.decode()
        if self.case.reader_role != self.case.writer_role:
            assert client.get(self.url("edit", obj)).status_code == 403
            response = client.post(self.url("edit", obj), {**self.case.edit_data(obj), "version": 1})
            assert response.status_code == 403
            assert type(obj)._default_manager.get(pk=obj.pk).version == 1

    def test_writer_creates_and_edits_and_both_are_audited(self) -> None:
        org = self.case.make_org()
        client = client_for(self.case.make_user(self.case.writer_role, org))
        assert client.get(self.url("create")).status_code == 200
        created = client.post(self.url("create"), self.case.form_data(org))
        assert created.status_code == 302, created.content.decode()[:3000]
        pk = int(created["Location"].rstrip("/").split("/")[-1])
        obj = self.model()._default_manager.get(pk=pk)
        assert AuditEntry.objects.filter(record_id=str(pk), action="create").exists()
        page = client.get(self.url("edit", obj))
        assert page.status_code == 200
        assert 'name="version" value="1"' in page.content.decode()
        edited = client.post(self.url("edit", obj), {**self.case.edit_data(obj), "version": 1})
        assert edited.status_code == 302, edited.content.decode()[:3000]
        assert self.model()._default_manager.get(pk=pk).version == 2
        assert AuditEntry.objects.filter(record_id=str(pk), action="update").exists()
        detail = client.get(self.url("detail", obj)).content.decode()
        assert "action-update" in detail

    def model(self) -> type[Any]:
        return type(self.case.make(self.case.make_org()))

    def test_stale_version_is_a_form_error_and_changes_nothing(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        first = client.post(self.url("edit", obj), {**self.case.edit_data(obj), "version": 1})
        assert first.status_code == 302, first.content.decode()[:3000]
        stored = model_to_dict(type(obj)._default_manager.get(pk=obj.pk))
        data = {**self.case.edit_data(obj), "version": 1}
        if self.case.text_field:
            data[self.case.text_field] = "stale edit"
        stale = client.post(self.url("edit", obj), data)
        assert stale.status_code == 400
        assert 'class="alert alert-error"' in stale.content.decode()
        assert model_to_dict(type(obj)._default_manager.get(pk=obj.pk)) == stored

    def test_edit_without_version_is_refused(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        response = client.post(self.url("edit", obj), self.case.edit_data(obj))
        assert response.status_code == 400
        assert type(obj)._default_manager.get(pk=obj.pk).version == 1

    def test_deleter_confirms_and_deletes_and_is_audited(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.deleter_role, org))
        assert client.get(self.url("delete", obj)).status_code == 200
        assert client.post(self.url("delete", obj), {"version": "abc"}).status_code == 400
        assert client.post(self.url("delete", obj), {"version": 7}).status_code == 409
        assert type(obj)._default_manager.filter(pk=obj.pk).exists()
        response = client.post(self.url("delete", obj), {"version": 1})
        assert response.status_code == 302
        assert not type(obj)._default_manager.filter(pk=obj.pk).exists()
        assert AuditEntry.objects.filter(record_id=str(obj.pk), action="delete").exists()

    def test_other_organisations_record_is_invisible(self) -> None:
        mine, theirs = self.case.make_org(), self.case.make_org()
        hidden = self.case.make(theirs)
        for role in {self.case.reader_role, self.case.writer_role, self.case.deleter_role}:
            client = client_for(self.case.make_user(role, mine))
            listing = client.get(self.url("list"))
            assert self.url("detail", hidden) not in listing.content.decode()
            assert client.get(self.url("detail", hidden)).status_code == 404
            assert client.get(self.url("edit", hidden)).status_code == 404
            edit = client.post(self.url("edit", hidden), {**self.case.edit_data(hidden), "version": 1})
            assert edit.status_code == 404
            assert client.post(self.url("delete", hidden), {"version": 1}).status_code == 404
        assert type(hidden)._default_manager.filter(pk=hidden.pk, version=1).exists()

    def test_post_without_csrf_token_is_refused(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org), csrf=True)
        before = AuditEntry.objects.count()
        assert client.post(self.url("create"), self.case.form_data(org)).status_code == 403
        assert (
            client.post(self.url("edit", obj), {**self.case.edit_data(obj), "version": 1}).status_code == 403
        )
        assert AuditEntry.objects.count() == before

    def test_hostile_text_is_stored_verbatim_and_shown_escaped(self) -> None:
        if not self.case.text_field:
            pytest.skip("no free-text field")
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        for i, value in enumerate(HOSTILE_VALUES):
            data = {**self.case.edit_data(obj), self.case.text_field: value, "version": i + 1}
            response = client.post(self.url("edit", obj), data)
            assert response.status_code == 302, (value, response.content.decode()[:3000])
            assert getattr(type(obj)._default_manager.get(pk=obj.pk), self.case.text_field) == value
            for page in (client.get(self.url("detail", obj)), client.get(self.url("list"))):
                html = page.content.decode()
                assert "<script>alert" not in html
                assert "<img src=x" not in html
                assert "&lt;script&gt;" in html or "<script" not in value

    def test_malformed_oversized_and_wrong_type_input_are_form_errors(self) -> None:
        org = self.case.make_org()
        obj = self.case.make(org)
        client = client_for(self.case.make_user(self.case.writer_role, org))
        model = type(obj)
        bad_values: dict[str, list[str]] = {
            self.case.relation_field: ["abc", "-1", "99999999", "1 OR 1=1", "9" * 30],
        }
        if self.case.text_field:
            max_length = getattr(model._meta.get_field(self.case.text_field), "max_length", None) or 10_000
            bad_values[self.case.text_field] = [
                "x" * (max_length + 1),
                "長" * (max_length + 1),
                "bad\x00null",
                "bell\x07",
                "",
            ]
        for field_name, values in bad_values.items():
            for value in values:
                data = {**self.case.edit_data(obj), field_name: value, "version": 1}
                response = client.post(self.url("edit", obj), data)
                assert response.status_code == 400, (field_name, value, response.status_code)
                assert 'class="error"' in response.content.decode()
                created = client.post(self.url("create"), {**self.case.form_data(org), field_name: value})
                assert created.status_code == 400, (field_name, value, created.status_code)
        assert model._default_manager.get(pk=obj.pk).version == 1

    def test_bad_list_parameters_never_fail(self) -> None:
        org = self.case.make_org()
        self.case.make(org)
        client = client_for(self.case.make_user(self.case.reader_role, org))
        for params in (
            {"page": "abc"},
            {"page": "-5"},
            {"page": "99999999999999999999"},
            {"sort": "password"},
            {"sort": "-__str__"},
            {"q": "x" * 5000},
            {"q": "\x00"},
            {"organisation": "abc"},
            {"organisation": "99999999999999999999"},
            {"organisation": "-1"},
            {"is_active": "maybe"},
        ):
            response = client.get(self.url("list"), params)
            assert response.status_code == 200, (params, response.status_code)
        for bad in ("/0/", "/99999999/"):
            assert client.get(self.url("list") + bad.lstrip("/")).status_code == 404

    def test_list_query_count_has_a_ceiling(self) -> None:
        org = self.case.make_org()
        for _ in range(25):
            self.case.make(org)
        client = client_for(self.case.make_user(self.case.reader_role, org))
        client.get(self.url("list"))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(self.url("list"))
        assert response.status_code == 200
        assert len(ctx.captured_queries) <= self.case.list_ceiling, [q["sql"] for q in ctx.captured_queries]
