"""The generic UI suite on the CMDB pages, plus attribute forms and strict control in the UI."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.choices import ControlLevel
from kaizen.cmdb.models import ConfigurationItem, Relationship
from kaizen.core.access import Role
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for

from .factories import SERVER_SCHEMA, CIFactory, CITypeFactory, RelationshipTypeFactory


def _ci_edit(obj):
    return {
        "name": obj.name,
        "ci_type": obj.ci_type_id,
        "status": obj.status,
        "organisation": obj.organisation_id,
        "control_level": obj.control_level,
        "location": "東京DC",
    }


class TestCIPages(UiPermissionSuite):
    case = UiCase(
        prefix="cmdb:cis",
        make=lambda org: CIFactory(organisation=org),
        form_data=lambda org: {
            "name": "app01",
            "ci_type": CITypeFactory().pk,
            "status": "in_use",
            "organisation": org.pk,
            "control_level": "reference",
        },
        edit_data=_ci_edit,
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
    )


@pytest.mark.django_db
def test_ci_form_shows_the_attributes_of_the_chosen_type_and_validates_them():
    org = OrganisationFactory()
    server = CITypeFactory(attribute_schema=SERVER_SCHEMA)
    client = client_for(user_with_role(Role.AGENT, org))
    form = client.get(reverse("cmdb:cis-create"), {"ci_type": server.pk}).content.decode()
    assert 'name="attr_hostname"' in form and 'name="attr_environment"' in form
    base = {
        "name": "ap01",
        "ci_type": server.pk,
        "status": "in_use",
        "organisation": org.pk,
        "control_level": "reference",
    }
    bad = client.post(reverse("cmdb:cis-create"), {**base, "attr_memory_gb": "lots"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert html.count('class="error"') >= 2  # hostname required, memory not a number
    ok = client.post(
        reverse("cmdb:cis-create"), {**base, "attr_hostname": "AP01.example.jp", "attr_memory_gb": "8"}
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    ci = ConfigurationItem.objects.get(name="ap01")
    assert ci.attributes == {"hostname": "ap01.example.jp", "memory_gb": 8}
    detail = client.get(reverse("cmdb:cis-detail", args=[ci.pk])).content.decode()
    assert "ap01.example.jp" in detail and "ホスト名" in detail


@pytest.mark.django_db
def test_strict_ci_edit_asks_for_the_change_in_the_form():
    """The form and the delete page ask for the change; without one nothing changes (the whole
    story, with a change in implementation, is in kaizen/changes/tests/test_control.py)."""
    org = OrganisationFactory()
    ci = CIFactory(organisation=org, control_level=ControlLevel.STRICT, location="A")
    client = client_for(user_with_role(Role.AGENT, org))
    page = client.get(reverse("cmdb:cis-edit", args=[ci.pk])).content.decode()
    assert 'name="change"' in page
    data = {**_ci_edit(ci), "version": 1, "location": "B"}
    assert client.post(reverse("cmdb:cis-edit", args=[ci.pk]), data).status_code == 400
    assert client.post(reverse("cmdb:cis-edit", args=[ci.pk]), {**data, "change": "CHG-1"}).status_code == 400
    ci.refresh_from_db()
    assert ci.location == "A" and ci.version == 1
    manager = client_for(user_with_role(Role.MANAGER, org))
    confirm = manager.get(reverse("cmdb:cis-delete", args=[ci.pk]))
    assert 'name="change"' in confirm.content.decode()
    assert manager.post(reverse("cmdb:cis-delete", args=[ci.pk]), {"version": 1}).status_code == 400
    assert ConfigurationItem.objects.filter(pk=ci.pk).exists()


@pytest.mark.django_db
def test_relating_cis_from_the_detail_page():
    org = OrganisationFactory()
    app, host = CIFactory(organisation=org, name="会計AP"), CIFactory(organisation=org, name="サーバ1")
    kind = RelationshipTypeFactory(name="上で稼働する")
    client = client_for(user_with_role(Role.AGENT, org))
    detail = client.get(reverse("cmdb:cis-detail", args=[app.pk])).content.decode()
    assert reverse("cmdb:relationships-create") + f"?source={app.pk}" in detail
    response = client.post(
        reverse("cmdb:relationships-create"),
        {"source": app.pk, "relationship_type": kind.pk, "target": host.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "サーバ1" in client.get(reverse("cmdb:cis-detail", args=[app.pk])).content.decode()
    self_rel = client.post(
        reverse("cmdb:relationships-create"),
        {"source": app.pk, "relationship_type": kind.pk, "target": app.pk},
    )
    assert self_rel.status_code == 400
    rel = Relationship.objects.get()
    ended = client.post(reverse("cmdb:relationships-delete", args=[rel.pk]), {"version": 1})
    assert ended.status_code == 302
    rel.refresh_from_db()
    assert rel.ended_at is not None


@pytest.mark.django_db
def test_import_page_uploads_a_file_and_shows_the_report(django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org = OrganisationFactory(code="sakura")
    CITypeFactory(code="server", attribute_schema=SERVER_SCHEMA)
    client = client_for(user_with_role(Role.AGENT, org))
    listing = client.get(reverse("cmdb:cis-list")).content.decode()
    assert reverse("cmdb:import") in listing and "/api/v1/cis/export/?as=csv" in listing
    csv_text = "external_id,name,type,organisation,attr.hostname\nx1,会計AP,server,sakura,ap.example.jp\n"
    upload = SimpleUploadedFile("cis.csv", csv_text.encode("cp932"), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cmdb:import"), {"file": upload})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert ConfigurationItem.objects.filter(external_id="x1").exists()
    assert "hx-trigger" not in page  # finished: no more polling
    assert client.post(reverse("cmdb:import"), {}).status_code == 400
    requester = client_for(user_with_role(Role.REQUESTER, org))
    assert requester.get(reverse("cmdb:import")).status_code == 403
