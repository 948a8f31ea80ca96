"""The requester portal: own tickets only, public replies only, catalogue forms, approvals, bad input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, TeamFactory, user_with_role
from kaizen.approvals.models import Approval
from kaizen.core.access import Role
from kaizen.core.testing.ui import HOSTILE_VALUES, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.requests import services as requests
from kaizen.tickets import services
from kaizen.tickets.models import Attachment, Comment, ReviewCriterion, Ticket
from kaizen.tickets.tests.factories import desk, requester_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk():
    desk()


def _report(client, **data):
    payload = {"title": "PCが起動しない", "description": "電源ランプが点滅", "urgency": 3, **data}
    return client.post(reverse("portal:new-incident"), payload)


def test_requester_reports_an_incident_with_a_file_and_sees_only_their_tickets():
    org = OrganisationFactory()
    me, colleague = requester_of(org), requester_of(org)
    client = client_for(me)
    png = SimpleUploadedFile("画面.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)
    created = _report(client, file=png)
    assert created.status_code == 302, created.content.decode()[:2000]
    mine = Ticket.objects.get(requester__user=me)
    assert mine.channel == "portal" and Attachment.objects.filter(ticket=mine).count() == 1
    theirs = services.create_ticket(actor=colleague, kind="incident", data={"title": "別件"})
    home = client.get(reverse("portal:home")).content.decode()
    assert mine.number in home and theirs.number not in home
    assert client.get(reverse("portal:ticket", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:reply", args=[theirs.pk]), {"body": "x"}).status_code == 404
    attachment = Attachment.objects.get(ticket=mine)
    assert client.get(reverse("portal:download", args=[attachment.pk])).status_code == 200
    assert client_for(colleague).get(reverse("portal:download", args=[attachment.pk])).status_code == 404


def test_internal_notes_never_reach_the_portal():
    org = OrganisationFactory()
    me = requester_of(org)
    ticket = services.create_ticket(actor=me, kind="incident", data={"title": "x"})
    agent = user_with_role(Role.AGENT, None)
    services.add_comment(ticket.pk, actor=agent, body="社内メモ: 担当者不在", visibility="internal")
    services.add_comment(ticket.pk, actor=agent, body="確認します", visibility="public")
    page = client_for(me).get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "確認します" in page and "社内メモ" not in page


def test_reply_confirm_reopen_and_cancel():
    org = OrganisationFactory()
    me = requester_of(org)
    client = client_for(me)
    ReviewCriterion.objects.all().delete()
    ticket = services.create_ticket(actor=me, kind="incident", data={"title": "x", "urgency": 4})
    assert client.post(reverse("portal:reply", args=[ticket.pk]), {"body": ""}).status_code == 400
    assert client.post(reverse("portal:reply", args=[ticket.pk]), {"body": "追加情報です"}).status_code == 302
    assert Comment.objects.filter(ticket=ticket, visibility="public").count() == 1
    agent = user_with_role(Role.AGENT, None)
    services.apply_action(
        ticket.pk,
        "resolve",
        actor=agent,
        version=Ticket.objects.get(pk=ticket.pk).version,
        params={"resolution": "設定変更", "cause_class": "configuration"},
    )
    page = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert reverse("portal:confirm", args=[ticket.pk]) in page
    assert client.post(reverse("portal:act", args=[ticket.pk, "reopen"]), {"comment": ""}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).state.code == "resolved"
    client.post(reverse("portal:act", args=[ticket.pk, "reopen"]), {"comment": "まだ直りません"})
    assert Ticket.objects.get(pk=ticket.pk).state.code == "in_progress"
    client.post(reverse("portal:act", args=[ticket.pk, "cancel"]), {"comment": "自己解決しました"})
    assert Ticket.objects.get(pk=ticket.pk).state.code == "cancelled"
    assert client.post(reverse("portal:act", args=[ticket.pk, "close"]), {"comment": "x"}).status_code == 404


def test_confirming_closes_a_low_priority_ticket():
    org = OrganisationFactory()
    me = requester_of(org)
    ReviewCriterion.objects.all().delete()
    ticket = services.create_ticket(actor=me, kind="incident", data={"title": "x", "urgency": 4})
    services.apply_action(
        ticket.pk,
        "resolve",
        actor=user_with_role(Role.AGENT, None),
        version=ticket.version,
        params={"resolution": "済", "cause_class": "unknown"},
    )
    assert client_for(me).post(reverse("portal:confirm", args=[ticket.pk])).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).state.code == "closed"


def test_catalogue_request_with_its_form_and_an_approval():
    org = OrganisationFactory()
    me, boss = requester_of(org), requester_of(org)
    provider = OrganisationFactory()
    service = ServiceFactory(organisation=provider, lifecycle="live")
    service.customers.add(org)
    item = requests.create_item(
        actor=user_with_role(Role.MANAGER, None),
        data={
            "service": service,
            "name": "ノートPC貸出",
            "approval_mode": "sequence",
            "form_schema": [{"name": "from_date", "label": "貸出開始日", "type": "date", "required": True}],
        },
        approvers=[boss],
        tasks=[("PC準備", TeamFactory(organisation=provider))],
    )
    client = client_for(me)
    assert "ノートPC貸出" in client.get(reverse("portal:catalogue")).content.decode()
    form = client.get(reverse("portal:request-item", args=[item.pk])).content.decode()
    assert 'name="field_from_date"' in form
    bad = client.post(
        reverse("portal:request-item", args=[item.pk]), {"field_from_date": "来週", "urgency": 3}
    )
    assert bad.status_code == 400 and 'class="error"' in bad.content.decode()
    ok = client.post(
        reverse("portal:request-item", args=[item.pk]), {"field_from_date": "2026-12-20", "urgency": 3}
    )
    assert ok.status_code == 302
    request = Ticket.objects.get(kind="request")
    assert request.state.code == "waiting_for_approval"
    approver = client_for(boss)
    page = approver.get(reverse("portal:approvals")).content.decode()
    assert request.number in page
    approval = Approval.objects.get(ticket=request)
    assert (
        approver.post(
            reverse("portal:approvals"), {"approval": approval.pk, "decision": "reject"}
        ).status_code
        == 302
    )
    assert (
        Ticket.objects.get(pk=request.pk).state.code == "waiting_for_approval"
    )  # a rejection needs a reason
    assert (
        client.post(reverse("portal:approvals"), {"approval": approval.pk, "decision": "approve"}).status_code
        == 302
    )
    assert Approval.objects.get(pk=approval.pk).state == "waiting"  # not the requester's decision
    approver.post(
        reverse("portal:approvals"), {"approval": approval.pk, "decision": "approve", "comment": "OK"}
    )
    assert Ticket.objects.get(pk=request.pk).state.code == "approved"
    other_org_user = requester_of(OrganisationFactory())
    assert client_for(other_org_user).get(reverse("portal:request-item", args=[item.pk])).status_code == 404


def test_bad_and_hostile_input():
    org = OrganisationFactory()
    me = requester_of(org)
    client = client_for(me)
    for data in (
        {"title": ""},
        {"title": "x" * 201},
        {"urgency": "9"},
        {"service": "abc"},
        {"title": "nul\x00"},
    ):
        response = _report(client, **data)
        assert response.status_code == 400, data
    disguised = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script>")
    assert _report(client, file=disguised).status_code == 400
    assert Ticket.objects.count() == 0
    for value in HOSTILE_VALUES:
        assert _report(client, title=value, description=value).status_code == 302
    ticket = Ticket.objects.first()
    html = client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    csrf = client_for(me, csrf=True)
    assert csrf.post(reverse("portal:new-incident"), {"title": "x", "urgency": 3}).status_code == 403
