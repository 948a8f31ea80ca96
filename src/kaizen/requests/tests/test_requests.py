"""Service requests: typed catalogue forms, approvals in order or any-of, tasks completing the request."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, TeamFactory, user_with_role
from kaizen.approvals import services as approval_service
from kaizen.approvals.models import Approval
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.core.testing.ui import client_for as ui_client
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.requests import services
from kaizen.requests.models import CatalogItem, FulfilmentTask
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import desk, requester_of

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"name": "start_date", "label": "利用開始日", "label_en": "Start date", "type": "date", "required": True},
    {"name": "size", "label": "容量", "type": "enum", "choices": ["10GB", "50GB"], "required": False},
    {"name": "count", "label": "台数", "type": "integer", "required": False},
]


@pytest.fixture(autouse=True)
def _desk():
    desk()


def item_for(customer, *, mode="none", approvers=(), tasks=None, **kwargs):
    provider = OrganisationFactory()
    service = ServiceFactory(organisation=provider, lifecycle="live")
    service.customers.add(customer)
    manager = user_with_role(Role.MANAGER, None)
    team = TeamFactory(organisation=provider)
    return services.create_item(
        actor=manager,
        data={
            "service": service,
            "name": "共有フォルダ作成",
            "form_schema": SCHEMA,
            "approval_mode": mode,
            **kwargs,
        },
        approvers=list(approvers),
        tasks=tasks if tasks is not None else [("フォルダ作成", team), ("権限設定", team)],
    )


def test_form_values_are_validated_against_the_item_fields():
    org = OrganisationFactory()
    user = requester_of(org)
    item = item_for(org)
    with pytest.raises(ValidationError) as exc:
        services.request_item(actor=user, item=item, values={"size": "1TB", "color": "red", "count": "many"})
    errors = exc.value.message_dict
    assert {"form_values.start_date", "form_values.size", "form_values.color", "form_values.count"} <= set(
        errors
    )
    ticket = services.request_item(
        actor=user, item=item, values={"start_date": "2026-12-10", "size": "10GB", "count": "3"}
    )
    assert ticket.number.startswith("REQ-") and ticket.form_values == {
        "start_date": "2026-12-10",
        "size": "10GB",
        "count": 3,
    }
    assert ticket.requester.user == user


def test_without_approval_tasks_start_and_the_request_completes_with_them():
    org = OrganisationFactory()
    item = item_for(org)
    ticket = services.request_item(actor=requester_of(org), item=item, values={"start_date": "2026-12-10"})
    tasks = list(FulfilmentTask.objects.filter(ticket=ticket).order_by("order"))
    assert [t.title for t in tasks] == ["フォルダ作成", "権限設定"]
    agent = user_with_role(Role.AGENT, None)
    services.update_task(tasks[0].pk, actor=agent, changes={"state": "done"}, version=tasks[0].version)
    assert Ticket.objects.get(pk=ticket.pk).state_category != "resolved"
    services.update_task(
        tasks[1].pk, actor=agent, changes={"state": "cancelled", "note": "不要"}, version=tasks[1].version
    )
    done = Ticket.objects.get(pk=ticket.pk)
    assert done.state.code == "resolved" and "フォルダ作成" in done.resolution


def test_approvals_in_sequence(django_capture_on_commit_callbacks):
    org = OrganisationFactory()
    first, second = user_with_role(Role.MANAGER, None), user_with_role(Role.REQUESTER, org)
    item = item_for(org, mode="sequence", approvers=[first, second])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.request_item(
            actor=requester_of(org), item=item, values={"start_date": "2026-12-10"}
        )
    assert ticket.state.code == "waiting_for_approval"
    assert any(first.email in m.to for m in mail.outbox)
    approvals = list(Approval.objects.filter(ticket=ticket).order_by("order"))
    assert [a.state for a in approvals] == ["waiting", "pending"]
    with pytest.raises(ValidationError):
        approval_service.decide(approvals[1].pk, actor=second, approve=True)
    with pytest.raises(PermissionDenied):
        approval_service.decide(approvals[0].pk, actor=second, approve=True)
    approval_service.decide(approvals[0].pk, actor=first, approve=True)
    assert not FulfilmentTask.objects.filter(ticket=ticket).exists()
    approval_service.decide(approvals[1].pk, actor=second, approve=True)
    assert Ticket.objects.get(pk=ticket.pk).state.code == "approved"
    assert FulfilmentTask.objects.filter(ticket=ticket).count() == 2
    with pytest.raises(ValidationError):
        approval_service.decide(approvals[1].pk, actor=second, approve=False, comment="x")


def test_any_of_approvers_and_rejection_needs_a_reason():
    org = OrganisationFactory()
    a, b = user_with_role(Role.MANAGER, None), user_with_role(Role.MANAGER, None)
    item = item_for(org, mode="any", approvers=[a, b])
    ticket = services.request_item(actor=requester_of(org), item=item, values={"start_date": "2026-12-10"})
    approval = Approval.objects.get(ticket=ticket, approver=b)
    with pytest.raises(ValidationError):
        approval_service.decide(approval.pk, actor=b, approve=False)
    approval_service.decide(approval.pk, actor=b, approve=False, comment="予算外")
    rejected = Ticket.objects.get(pk=ticket.pk)
    assert rejected.state.code == "rejected"
    assert Approval.objects.get(ticket=ticket, approver=a).state == "skipped"


def test_an_item_with_approval_needs_approvers():
    with pytest.raises(ValidationError):
        item_for(OrganisationFactory(), mode="sequence", approvers=[])


def test_requesters_see_only_their_organisations_catalogue():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    item = item_for(theirs)
    user = requester_of(mine)
    assert not CatalogItem.objects.visible_to(user).filter(pk=item.pk).exists()
    with pytest.raises(ValidationError):
        services.request_item(actor=user, item=item, values={"start_date": "2026-12-10"})


class TestCatalogItemApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/catalog-items/",
        make=lambda org: CatalogItem.objects.create(service=ServiceFactory(organisation=org), name="PC貸出"),
        create_payload=lambda org: {
            "service": ServiceFactory(organisation=org).pk,
            "name": "ソフト導入",
            "form_schema": SCHEMA,
        },
        update_payload={"description": "申請から3営業日"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        list_ceiling=10,
    )


def test_request_api_and_bad_input():
    org = OrganisationFactory()
    user = requester_of(org)
    item = item_for(org)
    client = client_for(user)
    url = f"/api/v1/catalog-items/{item.pk}/request/"
    body = assert_problem(client.post(url, {"form_values": {"start_date": "明日"}}, format="json"), 400)
    assert "form_values.start_date" in body["errors"]
    assert_problem(client.post(url, {"form_values": "x"}, format="json"), 400)
    assert_problem(client.post(url, {"nonsense": 1}, format="json"), 400)
    created = client.post(url, {"form_values": {"start_date": "2026-12-24"}}, format="json")
    assert created.status_code == 201, created.content
    via_requests = client.post(
        "/api/v1/requests/",
        {"catalog_item": item.pk, "form_values": {"start_date": "2026-12-25"}},
        format="json",
    )
    assert via_requests.status_code == 201, via_requests.content
    assert via_requests.json()["catalog_item"] == item.pk
    assert_problem(
        client.post("/api/v1/requests/", {"catalog_item": item.pk, "form_values": {}}, format="json"), 400
    )
    tasks = client_for(user_with_role(Role.AGENT, None)).get("/api/v1/tasks/").json()["results"]
    assert len(tasks) == 4


def test_catalogue_pages_for_managers():
    manager = ui_client(user_with_role(Role.MANAGER, None))
    provider = OrganisationFactory()
    service = ServiceFactory(organisation=provider)
    team = TeamFactory(organisation=provider, name="基盤運用")
    data = {
        "service": service.pk,
        "name": "VPNアカウント",
        "form_schema": "[]",
        "approval_mode": "none",
        "task_lines": "アカウント発行 | 基盤運用",
        "is_active": "on",
    }
    assert (
        manager.post(
            reverse("requests:catalog-items-create"), {**data, "task_lines": "x | 無いチーム"}
        ).status_code
        == 400
    )
    assert (
        manager.post(
            reverse("requests:catalog-items-create"), {**data, "approver_names": "nobody"}
        ).status_code
        == 400
    )
    assert (
        manager.post(reverse("requests:catalog-items-create"), {**data, "form_schema": "{bad"}).status_code
        == 400
    )
    created = manager.post(reverse("requests:catalog-items-create"), data)
    assert created.status_code == 302, created.content.decode()[:2000]
    item = CatalogItem.objects.get(name="VPNアカウント")
    assert [(t.title, t.team_id) for t in item.task_templates.all()] == [("アカウント発行", team.pk)]
    agent = ui_client(user_with_role(Role.AGENT, None))
    assert agent.get(reverse("requests:catalog-items-create")).status_code == 403


def test_a_team_with_automatic_assignment_gets_the_request_only_once_approved():
    from kaizen.tickets.models import Comment, TeamAssignment

    org = OrganisationFactory()
    boss = user_with_role(Role.MANAGER, None)
    worker = user_with_role(Role.AGENT, None)
    item = item_for(org, mode="sequence", approvers=[boss])
    team = item.task_templates.first().team
    team.members.set([worker.person])
    TeamAssignment.objects.create(team=team, mode="round_robin")
    services.update_item(item.pk, actor=boss, changes={"team": team}, version=item.version)
    ticket = services.request_item(actor=requester_of(org), item=item, values={"start_date": "2026-12-10"})
    assert ticket.state.code == "waiting_for_approval" and ticket.team_id is None
    approval = Approval.objects.get(ticket=ticket)
    approval_service.decide(approval.pk, actor=boss, approve=True, comment="承認します")
    approved = Ticket.objects.get(pk=ticket.pk)
    assert approved.state.code == "approved" and approved.team == team and approved.assignee == worker.person
    rejected_item = item_for(org, mode="any", approvers=[boss])
    rejected = services.request_item(
        actor=requester_of(org), item=rejected_item, values={"start_date": "2026-12-10"}
    )
    approval_service.decide(
        Approval.objects.get(ticket=rejected).pk, actor=boss, approve=False, comment="予算超過"
    )
    note = Comment.objects.get(ticket=rejected, body="予算超過")
    assert note.author == boss.person and note.visibility == "public"


def test_cancelling_a_request_withdraws_its_open_approvals():
    from kaizen.tickets import services as tickets

    org = OrganisationFactory()
    requester = requester_of(org)
    boss = user_with_role(Role.MANAGER, None)
    item = item_for(org, mode="sequence", approvers=[boss, user_with_role(Role.MANAGER, None)])
    ticket = services.request_item(actor=requester, item=item, values={"start_date": "2026-12-10"})
    tickets.apply_action(
        ticket.pk, "cancel", actor=requester, version=ticket.version, params={"comment": "不要になりました"}
    )
    assert set(Approval.objects.filter(ticket=ticket).values_list("state", flat=True)) == {"skipped"}


def test_catalogue_requests_come_in_a_batch_too():
    org = OrganisationFactory()
    item = item_for(org)
    client = client_for(requester_of(org))
    body = {"catalog_item": item.pk, "form_values": {"start_date": "2026-12-25"}}
    response = client.post("/api/v1/requests/batch/", {"items": [body, body]}, format="json")
    assert response.status_code == 201, response.content
    made = Ticket.objects.filter(pk__in=[i["id"] for i in response.json()["items"]])
    assert [t.catalog_item_id for t in made] == [item.pk, item.pk]
    bad = {"catalog_item": item.pk, "form_values": {}}
    errors = assert_problem(
        client.post("/api/v1/requests/batch/", {"items": [body, bad]}, format="json"), 400
    )
    assert all(key.startswith("items[1]") for key in errors["errors"])
    assert Ticket.objects.filter(catalog_item=item).count() == 2
