"""The generic API suite on /api/v1/webhooks/, plus secrets, deliveries and bad input."""

from __future__ import annotations

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.webhooks.models import WebhookEndpoint

from .factories import DeliveryFactory, EndpointFactory

URL = "/api/v1/webhooks/"


def global_admin_or_nobody(role, org):
    """Webhooks belong to no organisation: the role is granted globally (None: no role at all)."""
    return user_with_role(role, None if role else org)


class TestEndpointApi(ApiPermissionSuite):
    case = ApiCase(
        url=URL,
        make=lambda org: EndpointFactory(),
        create_payload=lambda org: {
            "name": "Teams 連携",
            "url": "https://hooks.example.com/k",
            "topics": ["*"],
        },
        update_payload={"description": "夜間の通知"},
        make_org=OrganisationFactory,
        make_user=global_admin_or_nobody,
        reader_role=Role.ADMIN,
        writer_role=Role.ADMIN,
        deleter_role=Role.ADMIN,
    )

    def test_other_organisations_record_is_invisible(self) -> None:
        """Replaces the generic test: endpoints have no organisation, they carry every organisation's
        events, so an administrator of one organisation (not a global one) sees and changes none."""
        org = OrganisationFactory()
        hidden = EndpointFactory()
        for role in (Role.ADMIN, Role.MANAGER, Role.AUDITOR, Role.AGENT):
            client = client_for(user_with_role(role, org))
            assert client.get(URL).json()["results"] == []
            assert_problem(client.get(f"{URL}{hidden.pk}/"), 404)
            assert_problem(
                client.patch(f"{URL}{hidden.pk}/", {"name": "x", "version": 1}, format="json"), 404
            )
            assert_problem(client.delete(f"{URL}{hidden.pk}/"), 404)
            assert_problem(client.get(f"{URL}{hidden.pk}/deliveries/"), 404)
            created = client.post(
                URL, {"name": "x", "url": "https://a.example.com/", "topics": ["*"]}, format="json"
            )
            assert_problem(created, 403)
        assert WebhookEndpoint.objects.get(pk=hidden.pk).version == 1


@pytest.fixture
def admin_client(db):
    return client_for(user_with_role(Role.ADMIN, None))


@pytest.mark.django_db
def test_secret_is_generated_and_only_returned_on_create_and_detail(admin_client):
    created = admin_client.post(
        URL, {"name": "chat", "url": "https://chat.example.com/in", "topics": ["ticket.*"]}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert len(secret) >= 40 and body["secret_fingerprint"]
    detail = admin_client.get(f"{URL}{body['id']}/").json()
    assert detail["secret"] == secret
    assert "secret" not in admin_client.get(URL).json()["results"][0]
    updated = admin_client.patch(f"{URL}{body['id']}/", {"secret": "", "version": 1}, format="json")
    assert updated.status_code == 200 and "secret" not in updated.json()
    rotated = admin_client.get(f"{URL}{body['id']}/").json()
    assert rotated["secret"] != secret and rotated["secret_fingerprint"] != body["secret_fingerprint"]
    for entry in AuditEntry.objects.filter(record_id=str(body["id"])):
        assert secret not in str(entry.changes) and rotated["secret"] not in str(entry.changes)
        assert "secret" not in entry.changes


@pytest.mark.django_db
def test_deliveries_are_listed_read_only_and_filtered(admin_client):
    endpoint = EndpointFactory()
    other = EndpointFactory()
    mine = [DeliveryFactory(endpoint=endpoint, state=s) for s in ("delivered", "failed", "refused")]
    DeliveryFactory(endpoint=other)
    url = f"{URL}{endpoint.pk}/deliveries/"
    listing = admin_client.get(url)
    assert listing.status_code == 200
    assert {row["id"] for row in listing.json()["results"]} == {d.pk for d in mine}
    failed = admin_client.get(url, {"state": "failed"}).json()["results"]
    assert [row["id"] for row in failed] == [mine[1].pk]
    assert_problem(admin_client.get(url, {"state": "exploded"}), 400)
    assert admin_client.post(url, {}, format="json").status_code == 405
    requester = client_for(user_with_role(Role.REQUESTER, OrganisationFactory()))
    assert_problem(requester.get(url), 404)


BAD_BODIES = [
    ({"url": "ftp://files.example.com/in"}, "url"),
    ({"url": "https://user:secret@example.com/in"}, "url"),
    ({"url": "https://example.com/" + "a" * 10_000}, "url"),
    ({"url": "http://127.0.0.1:8080/"}, "url"),
    ({"url": "http://169.254.169.254/latest/meta-data/"}, "url"),
    ({"url": "http://[::1]/"}, "url"),
    ({"url": "http://localhost/"}, "url"),
    ({"url": ["https://example.com/"]}, "url"),
    ({"url": None}, "url"),
    ({"topics": "ticket.*"}, "topics"),
    ({"topics": {"ticket": "*"}}, "topics"),
    ({"topics": [1, 2]}, "topics"),
    ({"topics": []}, "topics"),
    ({"topics": ["NOT A TOPIC"]}, "topics"),
    ({"topics": None}, "topics"),
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "bell\x07"}, "name"),
    ({"name": ["list"]}, "name"),
    ({"is_active": "maybe"}, "is_active"),
    ({"allow_private": "perhaps"}, "allow_private"),
    ({"secret": "short"}, "secret"),
    ({"secret": 12}, "secret"),
    ({"secret_fingerprint": "abc"}, "secret_fingerprint"),
    ({"unknown": 1}, "unknown"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), BAD_BODIES)
def test_bad_input_is_400_problem_and_nothing_is_stored(admin_client, change, field):
    body = {"name": "chat", "url": "https://chat.example.com/in", "topics": ["*"], **change}
    problem = assert_problem(admin_client.post(URL, body, format="json"), 400)
    assert field in problem["errors"], problem
    assert not WebhookEndpoint.objects.exists()
    endpoint = EndpointFactory()
    problem = assert_problem(
        admin_client.patch(f"{URL}{endpoint.pk}/", {**change, "version": 1}, format="json"), 400
    )
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).version == 1


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [[1, 2], "text", 42, None])
def test_non_object_bodies_are_400(admin_client, payload):
    assert_problem(admin_client.post(URL, payload, format="json"), 400)


@pytest.mark.django_db
def test_hostile_name_is_stored_verbatim(admin_client):
    hostile = '<script>alert("x")</script>'
    created = admin_client.post(
        URL, {"name": hostile, "url": "https://chat.example.com/in", "topics": ["*"]}, format="json"
    )
    assert created.status_code == 201
    assert WebhookEndpoint.objects.get().name == hostile


@pytest.mark.django_db
def test_allow_private_target_is_accepted_from_an_administrator(admin_client):
    created = admin_client.post(
        URL,
        {"name": "bridge", "url": "http://10.1.2.3:8080/hook", "topics": ["ticket.*"], "allow_private": True},
        format="json",
    )
    assert created.status_code == 201, created.content
