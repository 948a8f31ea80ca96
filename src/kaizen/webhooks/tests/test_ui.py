"""The generic UI suite on the webhook pages, plus the test event, redelivery and form input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for
from kaizen.webhooks.choices import DeliveryState
from kaizen.webhooks.models import WebhookDelivery, WebhookEndpoint

from .factories import DeliveryFactory, EndpointFactory


def global_admin_or_nobody(role, org):
    """Webhooks belong to no organisation: the role is granted globally (None: no role at all)."""
    return user_with_role(role, None if role else org)


def _form(org):
    return {
        "name": "Teams 連携",
        "url": "https://hooks.example.com/kaizen",
        "topics": "ticket.*",
        "is_active": "on",
    }


def _edit(obj):
    return {"name": obj.name, "url": obj.url, "topics": "\n".join(obj.topics), "description": "夜間"}


class TestEndpointPages(UiPermissionSuite):
    case = UiCase(
        prefix="webhooks:webhooks",
        make=lambda org: EndpointFactory(),
        form_data=_form,
        edit_data=_edit,
        make_org=OrganisationFactory,
        make_user=global_admin_or_nobody,
        reader_role=Role.ADMIN,
        writer_role=Role.ADMIN,
        deleter_role=Role.ADMIN,
        relation_field="url",
    )

    def test_other_organisations_record_is_invisible(self) -> None:
        """Replaces the generic test: an administrator of one organisation (not a global one)
        sees no endpoint, since endpoints carry the events of every organisation."""
        org = OrganisationFactory()
        hidden = EndpointFactory()
        for role in (Role.ADMIN, Role.MANAGER, Role.AUDITOR):
            client = client_for(user_with_role(role, org))
            assert self.url("detail", hidden) not in client.get(self.url("list")).content.decode()
            assert client.get(self.url("detail", hidden)).status_code == 404
            assert client.get(self.url("edit", hidden)).status_code == 404
            assert client.post(self.url("delete", hidden), {"version": 1}).status_code == 404
            assert client.post(reverse("webhooks:webhooks-test", args=[hidden.pk])).status_code == 404
            created = client.post(self.url("create"), _form(org))
            assert created.status_code in (400, 403)
        assert not WebhookDelivery.objects.exists()
        assert WebhookEndpoint.objects.count() == 1


@pytest.fixture
def admin_client(db):
    return client_for(user_with_role(Role.ADMIN, None))


@pytest.mark.django_db
def test_page_lives_under_admin_and_shows_the_secret_and_the_test_button(admin_client):
    endpoint = EndpointFactory(topics=["ticket.*", "accounts.membership_granted"])
    url = reverse("webhooks:webhooks-detail", args=[endpoint.pk])
    assert url == f"/admin/webhooks/{endpoint.pk}/"
    assert reverse("webhooks:webhooks-list") == "/admin/webhooks/"
    html = admin_client.get(url).content.decode()
    assert endpoint.secret in html
    assert reverse("webhooks:webhooks-test", args=[endpoint.pk]) in html
    assert "accounts.membership_granted" in html


@pytest.mark.django_db
def test_navigation_entry_is_for_global_administrators_only(admin_client):
    assert 'href="/admin/webhooks/"' in admin_client.get(reverse("dashboard")).content.decode()
    local_admin = client_for(user_with_role(Role.ADMIN, OrganisationFactory()))
    assert 'href="/admin/webhooks/"' not in local_admin.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_send_test_event_queues_a_ping_to_this_endpoint_only(
    admin_client, django_capture_on_commit_callbacks
):
    endpoint = EndpointFactory(url="https://hooks.example.com/in")
    other = EndpointFactory()
    url = reverse("webhooks:webhooks-test", args=[endpoint.pk])
    assert admin_client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(url)
    assert response.status_code == 302
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint and delivery.topic == "webhook.ping"
    assert not WebhookDelivery.objects.filter(endpoint=other).exists()
    assert AuditEntry.objects.filter(record_id=str(endpoint.pk), action="webhook_test").exists()


@pytest.mark.django_db
def test_test_event_and_redeliver_need_csrf_tokens(db):
    admin = user_with_role(Role.ADMIN, None)
    client = client_for(admin, csrf=True)
    endpoint = EndpointFactory()
    delivery = DeliveryFactory(endpoint=endpoint, state=DeliveryState.FAILED)
    assert client.post(reverse("webhooks:webhooks-test", args=[endpoint.pk])).status_code == 403
    assert client.post(reverse("webhooks:webhooks-redeliver", args=[delivery.pk])).status_code == 403
    assert WebhookDelivery.objects.count() == 1
    assert WebhookDelivery.objects.get().state == DeliveryState.FAILED


@pytest.mark.django_db
def test_failed_delivery_can_be_redelivered_from_the_endpoint_page(
    admin_client, django_capture_on_commit_callbacks
):
    endpoint = EndpointFactory()
    failed = DeliveryFactory(endpoint=endpoint, state=DeliveryState.FAILED, attempts=6, last_error="HTTP 500")
    done = DeliveryFactory(endpoint=endpoint, state=DeliveryState.DELIVERED, message_id=99)
    page = admin_client.get(reverse("webhooks:webhooks-detail", args=[endpoint.pk])).content.decode()
    assert reverse("webhooks:webhooks-redeliver", args=[failed.pk]) in page
    assert reverse("webhooks:webhooks-redeliver", args=[done.pk]) not in page
    with django_capture_on_commit_callbacks(execute=False):
        response = admin_client.post(reverse("webhooks:webhooks-redeliver", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == DeliveryState.PENDING and failed.attempts == 0
    again = admin_client.post(reverse("webhooks:webhooks-redeliver", args=[done.pk]), follow=True)
    assert again.status_code == 200
    assert WebhookDelivery.objects.get(pk=done.pk).state == DeliveryState.DELIVERED
    assert admin_client.post(reverse("webhooks:webhooks-redeliver", args=[999999])).status_code == 404
    nobody = client_for(user_with_role(None, OrganisationFactory()))
    assert nobody.post(reverse("webhooks:webhooks-redeliver", args=[failed.pk])).status_code == 404


BAD_FORMS = [
    ({"url": "ftp://files.example.com/in"}, "url"),
    ({"url": "https://user:secret@example.com/in"}, "url"),
    ({"url": "https://example.com/" + "a" * 10_000}, "url"),
    ({"url": "http://10.0.0.1/"}, "url"),
    ({"url": "http://169.254.169.254/"}, "url"),
    ({"url": "http://[::1]/"}, "url"),
    ({"url": "javascript:alert(1)"}, "url"),
    ({"topics": ""}, "topics"),
    ({"topics": "NOT A TOPIC"}, "topics"),
    ({"topics": "ticket.created, ticket.created"}, "topics"),
    ({"topics": "x" * 6000}, "topics"),
    ({"name": "x" * 101}, "name"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "field"), BAD_FORMS)
def test_bad_form_input_is_a_form_error(admin_client, change, field):
    response = admin_client.post(reverse("webhooks:webhooks-create"), {**_form(None), **change})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_private_target_is_accepted_when_allowed_and_topics_are_parsed(admin_client):
    data = {**_form(None), "url": "http://10.0.0.5:8080/hook", "allow_private": "on", "topics": "ticket.*\n*"}
    response = admin_client.post(reverse("webhooks:webhooks-create"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.allow_private and endpoint.topics == ["ticket.*", "*"] and len(endpoint.secret) >= 40


@pytest.mark.django_db
def test_new_secret_checkbox_rotates_the_secret(admin_client):
    endpoint = EndpointFactory()
    old = endpoint.secret
    data = {**_edit(endpoint), "new_secret": "on", "version": 1}
    assert admin_client.post(reverse("webhooks:webhooks-edit", args=[endpoint.pk]), data).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.version == 2
