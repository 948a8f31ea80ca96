"""CIs under strict change control change only under a change being implemented that lists them.

Every way in is tried: the service, the REST API (update, delete, relationships), the forms, the
delete page, the import; each refusal leaves the CI as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from kaizen.approvals import services as approvals
from kaizen.approvals.models import Approval
from kaizen.changes.choices import BoardKind
from kaizen.cmdb import imports
from kaizen.cmdb import services as cmdb
from kaizen.cmdb.choices import CIStatus, ControlLevel
from kaizen.cmdb.models import ConfigurationItem, Relationship
from kaizen.cmdb.tests.factories import CIFactory, CITypeFactory, RelationshipTypeFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.api import assert_problem
from kaizen.core.testing.api import client_for as api_client
from kaizen.core.testing.ui import client_for
from kaizen.tickets.models import Comment, Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, admin, user_with_role

from .factories import act, board, change, setup_changes, window

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> Iterator[None]:
    setup_changes()
    with translation.override("en"):  # the assertions read the English messages
        yield


def _implementing(org: object, cis: list[ConfigurationItem]) -> Ticket:
    """An emergency change on ``cis``, approved by the ECAB and in implementation."""
    board(BoardKind.ECAB, user_with_role(Role.MANAGER, org))
    t = change(
        org,
        change_type="emergency",
        cis=[c.pk for c in cis],
        plans={"reason": "r", "implementation_plan": "p"},
    )
    act(t, "submit")
    row = Approval.objects.get(ticket=t)
    approvals.decide(row.pk, actor=row.approver, approve=True)
    act(t, "implement")
    return Ticket.objects.select_related("state").get(pk=t.pk)


def _notes(t: Ticket) -> list[str]:
    return list(Comment.objects.filter(ticket=t).order_by("pk").values_list("body", flat=True))


def _error(caught: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(caught.value.message_dict["change"])


def test_strict_ci_changes_only_under_its_change_in_implementation():
    org = OrganisationFactory()
    ci = CIFactory(organisation=org, control_level=ControlLevel.STRICT, location="A")
    other = CIFactory(organisation=org, control_level=ControlLevel.STRICT)
    plain = CIFactory(organisation=org)
    user = admin()
    cmdb.update_ci(plain.pk, actor=user, changes={"location": "X"}, version=None)  # no change needed
    with pytest.raises(ValidationError) as caught:
        cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=None)
    assert ci.number in _error(caught) and "CHG" in _error(caught)
    with pytest.raises(ValidationError, match="No change CHG-999999"):
        cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=None, change="CHG-999999")
    for bad in ("x" * 31, ["CHG-1"], True, {"a": 1}):
        with pytest.raises(ValidationError, match="change number"):
            cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=None, change=bad)

    scheduled = change(org, cis=[ci.pk], when=window(24 * 30))
    with pytest.raises(ValidationError) as caught:
        cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=None, change=scheduled.number)
    assert "not being implemented" in _error(caught)

    t = _implementing(org, [other])
    with pytest.raises(ValidationError) as caught:
        cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=None, change=t.number)
    assert f"does not list {ci.number}" in _error(caught)
    ci.refresh_from_db()
    assert ci.location == "A" and ci.version == 1

    t = _implementing(org, [ci])
    cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=1, change=t.number.lower())
    ci.refresh_from_db()
    assert ci.location == "B" and ci.version == 2
    entry = AuditEntry.objects.get(
        record_id=str(ci.pk), record_type="cmdb.configurationitem", action="update"
    )
    assert entry.meta == {"change": t.number, "change_id": t.pk}
    assert any(ci.number in n and "updated under this change" in n and "location" in n for n in _notes(t))
    cmdb.update_ci(ci.pk, actor=user, changes={"name": "fw-new"}, version=2, change=str(t.pk))  # by id
    act(t, "complete")
    with pytest.raises(ValidationError, match="not being implemented"):
        cmdb.update_ci(ci.pk, actor=user, changes={"location": "C"}, version=None, change=t.number)


def test_change_of_another_organisation_or_invisible_change_is_refused():
    org, elsewhere = OrganisationFactory(), OrganisationFactory()
    ci = CIFactory(organisation=org, control_level=ControlLevel.STRICT)
    foreign_ci = CIFactory(organisation=elsewhere, control_level=ControlLevel.STRICT)
    t = _implementing(elsewhere, [foreign_ci])
    with pytest.raises(ValidationError, match="another organisation"):
        cmdb.update_ci(ci.pk, actor=admin(), changes={"location": "B"}, version=None, change=t.number)
    agent = user_with_role(Role.AGENT, org)  # sees only its organisation: the change does not exist for it
    with pytest.raises(ValidationError, match="No change"):
        cmdb.update_ci(ci.pk, actor=agent, changes={"location": "B"}, version=None, change=t.number)


def test_strict_relationships_and_deletion_need_the_change():
    org = OrganisationFactory()
    fw = CIFactory(organisation=org, control_level=ControlLevel.STRICT)
    app = CIFactory(organisation=org)
    kind = RelationshipTypeFactory()
    user = admin()
    with pytest.raises(ValidationError, match=fw.number):
        cmdb.relate(actor=user, data={"source": app, "target": fw, "relationship_type": kind})
    assert not Relationship.objects.exists()
    t = _implementing(org, [fw])
    rel = cmdb.relate(
        actor=user, data={"source": app, "target": fw, "relationship_type": kind}, change=t.number
    )
    with pytest.raises(ValidationError):
        cmdb.end_relationship(rel.pk, actor=user)
    cmdb.end_relationship(rel.pk, actor=user, change=t.number)
    notes = _notes(t)
    assert any(f"{fw.number}" in n and "related to another CI under this change" in n for n in notes)
    assert any("a relationship of" in n and "ended under this change" in n for n in notes)
    loose = CIFactory(organisation=org, control_level=ControlLevel.STRICT)
    with pytest.raises(ValidationError):
        cmdb.delete_ci(loose.pk, actor=user, change=t.number)  # not listed on the change
    assert ConfigurationItem.objects.filter(pk=loose.pk).exists()


def test_api_update_delete_and_relationship_of_strict_cis():
    org = OrganisationFactory()
    ci = CIFactory(organisation=org, control_level=ControlLevel.STRICT, location="A")
    app = CIFactory(organisation=org)
    kind = RelationshipTypeFactory()
    client = api_client(admin())
    url = f"/api/v1/cis/{ci.pk}/"
    body = assert_problem(client.patch(url, {"location": "B", "version": 1}, format="json"), 400)
    assert "change" in str(body)
    assert_problem(client.patch(url, {"location": "B", "version": 1, "change": ["x"]}, format="json"), 400)
    assert_problem(client.patch(url, {"location": "B", "version": 1, "change": "C" * 31}, format="json"), 400)
    assert_problem(
        client.patch(url, {"location": "B", "version": 1, "change": "<script>CHG</script>"}, format="json"),
        400,
    )
    rel = {"source": app.pk, "target": ci.pk, "relationship_type": kind.pk}
    assert_problem(client.post("/api/v1/relationships/", rel, format="json"), 400)
    t = _implementing(org, [ci])
    ok = client.patch(url, {"location": "B", "version": 1, "change": t.number}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["location"] == "B" and "change" not in ok.json()
    created = client.post("/api/v1/relationships/", {**rel, "change": t.number}, format="json")
    assert created.status_code == 201, created.content
    rel_url = f"/api/v1/relationships/{created.json()['id']}/"
    assert_problem(client.delete(rel_url), 400)
    assert client.delete(f"{rel_url}?change={t.number}").status_code == 204
    assert_problem(client.delete(url, HTTP_IF_MATCH='"2"'), 400)
    assert client.delete(f"{url}?change={t.number}", HTTP_IF_MATCH='"2"').status_code in (204, 409)
    # The CI had a relationship (now ended), so it is kept for history and the delete is refused.
    assert ConfigurationItem.objects.filter(pk=ci.pk).exists()


def test_forms_and_delete_page_ask_for_the_change():
    org = OrganisationFactory()
    ci = CIFactory(organisation=org, control_level=ControlLevel.STRICT, location="A")
    client = client_for(admin())
    page = client.get(reverse("cmdb:cis-edit", args=[ci.pk])).content.decode()
    assert 'name="change"' in page and 'name="reason"' not in page
    data = {
        "name": ci.name,
        "ci_type": ci.ci_type_id,
        "status": ci.status,
        "organisation": org.pk,
        "location": "B",
        "control_level": ci.control_level,
        "version": 1,
    }
    refused = client.post(reverse("cmdb:cis-edit", args=[ci.pk]), data)
    assert refused.status_code == 400
    wrong = client.post(reverse("cmdb:cis-edit", args=[ci.pk]), {**data, "change": "CHG-424242"})
    assert wrong.status_code == 400 and "CHG-424242" in wrong.content.decode()  # the page is in Japanese
    t = _implementing(org, [ci])
    ok = client.post(reverse("cmdb:cis-edit", args=[ci.pk]), {**data, "change": t.number})
    assert ok.status_code == 302
    ci.refresh_from_db()
    assert ci.location == "B"
    confirm = client.get(reverse("cmdb:cis-delete", args=[ci.pk])).content.decode()
    assert 'name="change"' in confirm
    refused = client.post(reverse("cmdb:cis-delete", args=[ci.pk]), {"version": 2})
    assert refused.status_code == 400 and ConfigurationItem.objects.filter(pk=ci.pk).exists()
    done = client.post(reverse("cmdb:cis-delete", args=[ci.pk]), {"version": 2, "change": t.number})
    assert done.status_code == 302
    assert not ConfigurationItem.objects.filter(pk=ci.pk).exists()
    deleted = AuditEntry.objects.get(
        record_id=str(ci.pk), record_type="cmdb.configurationitem", action="delete"
    )
    assert deleted.meta["change"] == t.number
    assert any(
        ci.number in n and ("deleted under this change" in n or "削除しました" in n) for n in _notes(t)
    )


def test_import_changes_strict_cis_only_under_the_change():
    org = OrganisationFactory(code="sakura")
    fw_type = CITypeFactory(code="fw")
    ci = CIFactory(
        organisation=org, ci_type=fw_type, external_id="fw-1", control_level=ControlLevel.STRICT, name="old"
    )
    CIFactory(
        organisation=org, ci_type=fw_type, external_id="fw-2", control_level=ControlLevel.STRICT, name="o2"
    )
    user = admin()
    rows = "external_id,name,type,organisation,control_level\nfw-1,new,fw,sakura,strict\n"
    report = imports.run_import(rows, kind="csv", actor=user)
    assert [(e.field, e.row) for e in report.errors] == [("change", 2)] and not report.applied
    t = _implementing(org, [ci])
    report = imports.run_import(rows, kind="csv", actor=user, change=t.number, dry_run=True)
    assert not report.errors and report.updated == 1
    ci.refresh_from_db()
    assert ci.name == "old" and not any("import" in n for n in _notes(t))  # a dry run notes nothing
    both = rows + "fw-2,n2,fw,sakura,strict\n"
    report = imports.run_import(both, kind="csv", actor=user, change=t.number)
    assert [e.field for e in report.errors] == ["change"] and "does not list" in report.errors[0].reason
    ci.refresh_from_db()
    assert ci.name == "old"  # one wrong row applies nothing
    report = imports.run_import(rows, kind="csv", actor=user, change=t.number)
    assert report.applied and report.updated == 1
    ci.refresh_from_db()
    assert ci.name == "new"
    entry = AuditEntry.objects.get(
        record_id=str(ci.pk), record_type="cmdb.configurationitem", action="update"
    )
    assert entry.meta == {"change": t.number, "change_id": t.pk, "import": True}
    assert sum("updated by an import" in n for n in _notes(t)) == 1


def test_a_planned_strict_ci_is_built_freely_until_it_is_in_use():
    org = OrganisationFactory()
    ci = CIFactory(organisation=org, control_level=ControlLevel.STRICT, status=CIStatus.PLANNED)
    app = CIFactory(organisation=org)
    user = admin()
    cmdb.update_ci(ci.pk, actor=user, changes={"location": "B"}, version=None)
    cmdb.relate(
        actor=user, data={"source": app, "target": ci, "relationship_type": RelationshipTypeFactory()}
    )
    cmdb.update_ci(ci.pk, actor=user, changes={"status": CIStatus.IN_USE}, version=None)  # its last free edit
    with pytest.raises(ValidationError, match=ci.number):
        cmdb.update_ci(ci.pk, actor=user, changes={"status": CIStatus.PLANNED}, version=None)
    ci.refresh_from_db()
    assert ci.status == CIStatus.IN_USE and ci.location == "B"
