"""The change pages: board, new change form, edit, the ticket page panel, calendar, CAB agenda, KPIs,
settings; permissions, other organisations, bad and hostile input."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.approvals.models import Approval
from kaizen.changes import services
from kaizen.changes.choices import BoardKind, WindowKind
from kaizen.changes.models import Change, ChangeBoard, ChangeTemplate, ChangeWindow
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import admin, requester_of

from .factories import ANSWERS, PLANS, act, board, change, setup_changes, window

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
_names = itertools.count(1)


@pytest.fixture(autouse=True)
def _reference(db: Any) -> None:
    setup_changes()


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _html(response: Any) -> str:
    return response.content.decode()


def _form(org: Any, **extra: Any) -> dict[str, Any]:
    """A valid new change form: a documented normal change in ``org``."""
    data: dict[str, Any] = {
        "title": "DB サーバのパッチ適用",
        "description": "四半期パッチ",
        "organisation": org.pk,
        "change_type": "normal",
        **PLANS,
        **{f"risk_{k}": v for k, v in ANSWERS.items()},
        "planned_start": "2030-01-10T10:00",
        "planned_end": "2030-01-10T12:00",
    }
    data.update(extra)
    return data


def _reload(t: Ticket) -> Ticket:
    return Ticket.objects.select_related("state", "change").get(pk=t.pk)


# -- access ---------------------------------------------------------------------------------------


def test_every_page_renders_for_managers_and_agents():
    org = OrganisationFactory()
    t = change(org)
    for role in (Role.MANAGER, Role.AGENT):
        client = client_for(user_with_role(role, org))
        for url in (
            reverse("changes:board"),
            reverse("changes:board") + "?view=table",
            reverse("changes:create"),
            reverse("changes:calendar"),
            reverse("changes:calendar") + "?view=week",
            reverse("changes:cab"),
            reverse("changes:kpis"),
            reverse("changes:settings"),
            reverse("changes:edit", args=[t.pk]),
            reverse("changes:review", args=[t.pk]),
            reverse("tickets:ticket", args=[t.pk]),
            reverse("changes:change-templates-list"),
            reverse("changes:change-boards-list"),
            reverse("changes:change-windows-list"),
        ):
            response = client.get(url)
            assert response.status_code == 200, (role, url, response.status_code)
        page = _html(client.get(reverse("tickets:ticket", args=[t.pk])))
        assert "data-change-panel" in page and reverse("changes:edit", args=[t.pk]) in page


def test_anonymous_is_sent_to_login_and_requesters_are_refused():
    org = OrganisationFactory()
    t = change(org)
    urls = [
        reverse("changes:board"),
        reverse("changes:create"),
        reverse("changes:calendar"),
        reverse("changes:cab"),
        reverse("changes:kpis"),
        reverse("changes:settings"),
        reverse("changes:edit", args=[t.pk]),
        reverse("changes:review", args=[t.pk]),
        reverse("changes:proceed", args=[t.pk, "submit"]),
    ]
    anonymous = client_for(None)
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    requester = client_for(requester_of(org))
    for url in urls:
        assert requester.get(url).status_code == 403, url
    assert requester.post(reverse("changes:create"), _form(org)).status_code == 403
    assert Ticket.objects.filter(kind="change").count() == 1


def test_cab_members_and_auditors_read_the_pages_and_cab_members_decide():
    org = OrganisationFactory()
    member = user_with_role(Role.CAB_MEMBER, None)
    board(BoardKind.CAB, member)
    t = change(org)
    act(t, "submit")
    approval = Approval.objects.get(ticket=t)
    for user in (member, user_with_role(Role.AUDITOR, None)):
        client = client_for(user)
        for url in ("board", "calendar", "cab", "kpis", "settings"):
            assert client.get(reverse(f"changes:{url}")).status_code == 200, url
        assert client.get(reverse("tickets:ticket", args=[t.pk])).status_code == 200
        assert client.get(reverse("changes:create")).status_code == 403
        assert client.get(reverse("changes:edit", args=[t.pk])).status_code == 403
        assert f'href="{reverse("changes:create")}"' not in _html(client.get(reverse("changes:board")))
    client = client_for(member)
    agenda = _html(client.get(reverse("changes:cab")))
    assert f'action="{reverse("approvals:inbox")}"' in agenda  # every staff role decides in the inbox
    assert f'name="approval" value="{approval.pk}"' in agenda
    client.post(reverse("approvals:inbox"), {"approval": approval.pk, "decision": "approve"})
    assert _reload(t).state.code == "scheduled"


def test_change_managers_work_changes_and_maintain_the_settings():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.CHANGE_MANAGER, None))
    assert client.post(reverse("changes:create"), _form(org)).status_code == 302
    for name in ("change-templates", "change-boards", "change-windows"):
        assert client.get(reverse(f"changes:{name}-create")).status_code == 200, name
    assert f'href="{reverse("changes:settings")}"' in _html(client.get(reverse("dashboard")))


def test_navigation_entries_for_staff_and_managers():
    org = OrganisationFactory()
    agent_home = _html(client_for(user_with_role(Role.AGENT, org)).get(reverse("dashboard")))
    assert f'href="{reverse("changes:board")}"' in agent_home
    assert f'href="{reverse("changes:settings")}"' not in agent_home
    manager_home = _html(client_for(user_with_role(Role.MANAGER, org)).get(reverse("dashboard")))
    assert f'href="{reverse("changes:settings")}"' in manager_home
    requester_home = client_for(requester_of(org)).get(reverse("dashboard"), follow=True)
    assert f'href="{reverse("changes:board")}"' not in _html(requester_home)


def test_another_organisations_changes_are_never_shown():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    manager = user_with_role(Role.MANAGER, mine)
    board(BoardKind.CAB, user_with_role(Role.MANAGER, theirs), manager)
    hidden = change(theirs, title="他社の秘密の変更", when=window(24, 2))
    act(hidden, "submit")
    visible = change(mine, title="自社の変更", when=window(26, 1))
    client = client_for(manager)
    day = timezone.localdate() + dt.timedelta(days=1)
    pages = [
        reverse("changes:board"),
        reverse("changes:board") + "?view=table",
        reverse("changes:calendar") + f"?view=week&date={day:%Y-%m-%d}",
        reverse("changes:calendar") + f"?date={day:%Y-%m-%d}",
        reverse("changes:cab"),
    ]
    for url in pages:
        html = _html(client.get(url))
        assert hidden.number not in html and "他社の秘密の変更" not in html, url
    assert visible.number in _html(client.get(reverse("changes:board")))
    assert visible.number in _html(client.get(pages[2]))
    for url in (
        reverse("tickets:ticket", args=[hidden.pk]),
        reverse("changes:edit", args=[hidden.pk]),
        reverse("changes:review", args=[hidden.pk]),
        reverse("changes:proceed", args=[hidden.pk, "submit"]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("changes:edit", args=[hidden.pk]), {"version": 1}).status_code == 404
    approval = Approval.objects.get(ticket=hidden, approver=manager)
    assert approval.state == "waiting"  # it is theirs to decide, but the page never names the change


def test_a_conflict_with_a_change_the_user_cannot_see_is_not_named():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    shared = CIFactory(organisation=theirs)
    secret = change(theirs, cis=[shared.pk], when=window(24, 2), title="他社の作業")
    mine_change = change(mine, cis=[shared.pk], when=window(25, 2))  # an administrator raised it
    agent = user_with_role(Role.AGENT, mine)
    page = _html(client_for(agent).get(reverse("tickets:ticket", args=[mine_change.pk])))
    assert "warn-conflict" in page
    assert secret.number not in page and reverse("tickets:ticket", args=[secret.pk]) not in page
    admin_page = _html(client_for(admin()).get(reverse("tickets:ticket", args=[mine_change.pk])))
    assert secret.number in admin_page and reverse("tickets:ticket", args=[secret.pk]) in admin_page


def test_the_panel_is_only_on_change_tickets():
    from kaizen.tickets.tests.factories import ticket

    org = OrganisationFactory()
    incident = ticket(org)
    client = client_for(user_with_role(Role.AGENT, org))
    assert "data-change-panel" not in _html(client.get(reverse("tickets:ticket", args=[incident.pk])))
    assert client.get(reverse("changes:edit", args=[incident.pk])).status_code == 404


# -- the new change form --------------------------------------------------------------------------


def test_raise_a_normal_change_through_the_form():
    org = OrganisationFactory()
    first, second = CIFactory(organisation=org), CIFactory(organisation=org)
    svc = ServiceFactory(organisation=org)
    agent = user_with_role(Role.AGENT, org)
    client = client_for(agent)
    response = client.post(
        reverse("changes:create"), _form(org, cis=f"{first.number}, {second.pk}", service=svc.pk)
    )
    assert response.status_code == 302, _html(response)[:3000]
    t = Ticket.objects.get(kind="change")
    assert response["Location"] == reverse("tickets:ticket", args=[t.pk])
    assert t.number.startswith("CHG-") and t.service == svc
    assert set(t.cis.values_list("pk", flat=True)) == {first.pk, second.pk}
    record = Change.objects.get(pk=t.pk)
    assert record.change_type == "normal" and record.risk_level == "low" and record.risk_answers == ANSWERS
    assert record.planned_start == dt.datetime(2030, 1, 10, 10, 0, tzinfo=_zone())
    assert record.planned_end == dt.datetime(2030, 1, 10, 12, 0, tzinfo=_zone())
    assert record.backout_plan == PLANS["backout_plan"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"planned_end": "2030-01-10T09:00"}, "planned_end"),
        ({"planned_end": ""}, "planned_end"),
        ({"planned_start": "tomorrow"}, "planned_start"),
        ({"planned_start": "2030-02-30T10:00"}, "planned_start"),
        ({"planned_end": "2030-03-10T10:00"}, "planned_end"),
        ({"risk_downtime": "maybe"}, "risk_downtime"),
        ({"risk_tested": ""}, "risk_tested"),
        ({"change_type": "urgent"}, "change_type"),
        ({"change_type": "standard"}, "template"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"organisation": "abc"}, "organisation"),
        ({"organisation": "99999999"}, "organisation"),
        ({"cis": "CI-999999"}, "cis"),
        ({"cis": "99999999"}, "cis"),
        ({"template": "99999999"}, "template"),
        ({"reason": "x" * 20_001}, "reason"),
        ({"title": "bad\x00null"}, "title"),
    ],
)
def test_bad_input_is_a_form_error_and_creates_nothing(extra, field):
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    response = client.post(reverse("changes:create"), _form(org, **extra))
    assert response.status_code == 400, (extra, response.status_code)
    html = _html(response)
    assert 'class="error"' in html or "alert-error" in html
    assert f'id="id_{field}' in html
    assert not Ticket.objects.filter(kind="change").exists()


def test_an_invisible_organisation_or_ci_is_refused():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    foreign = CIFactory(organisation=theirs)
    client = client_for(user_with_role(Role.AGENT, mine))
    assert client.post(reverse("changes:create"), _form(theirs)).status_code == 400
    assert client.post(reverse("changes:create"), _form(mine, cis=foreign.number)).status_code == 400
    assert client.post(reverse("changes:create"), _form(mine, cis=str(foreign.pk))).status_code == 400
    assert not Ticket.objects.filter(kind="change").exists()


def test_hostile_title_and_plans_are_stored_verbatim_and_shown_escaped():
    org = OrganisationFactory()
    client = client_for(user_with_role(Role.AGENT, org))
    response = client.post(
        reverse("changes:create"), _form(org, title=HOSTILE, implementation_plan=HOSTILE, reason=HOSTILE)
    )
    assert response.status_code == 302
    t = Ticket.objects.get(kind="change")
    assert t.title == HOSTILE and Change.objects.get(pk=t.pk).implementation_plan == HOSTILE
    for url in (
        reverse("tickets:ticket", args=[t.pk]),
        reverse("changes:board"),
        reverse("changes:board") + "?view=table",
        reverse("changes:calendar") + "?date=2030-01-10",
        reverse("changes:calendar") + "?view=week&date=2030-01-10",
        reverse("changes:edit", args=[t.pk]),
    ):
        html = _html(client.get(url))
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_a_standard_template_prefills_the_form_and_raises_a_standard_change():
    org = OrganisationFactory()
    svc = ServiceFactory(organisation=org)
    template = services.create_template(
        actor=admin(),
        data={
            "name": "証明書の更新",
            "implementation_plan": "手順書どおり更新",
            "backout_plan": "旧証明書に戻す",
            "service": svc,
            "max_duration_minutes": 60,
        },
    )
    withdrawn = services.create_template(
        actor=admin(),
        data={"name": "廃止済み", "implementation_plan": "x", "backout_plan": "y", "is_active": False},
    )
    client = client_for(user_with_role(Role.AGENT, org))
    page = client.get(reverse("changes:create"), {"template": template.pk})
    assert page.status_code == 200
    html = _html(page)
    assert "手順書どおり更新" in html and f'value="{template.pk}" selected' in html
    listing = _html(client.get(reverse("changes:create")))
    assert f"?template={template.pk}" in listing and f"?template={withdrawn.pk}" not in listing
    for bad in ("abc", "99999999", str(withdrawn.pk), "9" * 40):
        assert client.get(reverse("changes:create"), {"template": bad}).status_code == 200
    data = _form(
        org,
        template=template.pk,
        title="",
        change_type="normal",
        implementation_plan="",
        backout_plan="",
        planned_end="2030-01-10T10:30",
    )
    for key in ANSWERS:
        data.pop(f"risk_{key}")
    response = client.post(reverse("changes:create"), data)
    assert response.status_code == 302, _html(response)[:3000]
    t = Ticket.objects.get(kind="change")
    record = Change.objects.get(pk=t.pk)
    assert record.change_type == "standard" and record.template == template
    assert record.implementation_plan == "手順書どおり更新" and t.title == "証明書の更新" and t.service == svc
    withdrawn_post = client.post(reverse("changes:create"), {**data, "template": withdrawn.pk})
    assert withdrawn_post.status_code == 400


# -- edit -----------------------------------------------------------------------------------------


def test_edit_saves_and_a_stale_version_shows_the_conflict():
    org = OrganisationFactory()
    t = change(org)
    client = client_for(user_with_role(Role.AGENT, org))
    url = reverse("changes:edit", args=[t.pk])
    page = _html(client.get(url))
    version = Ticket.objects.get(pk=t.pk).version
    assert f'name="version" value="{version}"' in page
    data = {
        **{k: v for k, v in _form(org).items() if k not in ("title", "description", "organisation")},
        "test_plan": "ステージングで確認",
        "version": version,
    }
    first = client.post(url, data)
    assert first.status_code == 302, _html(first)[:3000]
    assert Change.objects.get(pk=t.pk).test_plan == "ステージングで確認"
    assert Ticket.objects.get(pk=t.pk).version == version + 1
    stale = client.post(url, {**data, "test_plan": "古い画面からの編集"})
    assert stale.status_code == 409
    html = _html(stale)
    assert "alert-error" in html and "<ul><li>" in html
    assert Change.objects.get(pk=t.pk).test_plan == "ステージングで確認"
    assert client.post(url, {**data, "version": "abc"}).status_code == 400
    assert client.post(url, {k: v for k, v in data.items() if k != "version"}).status_code == 400


def test_editing_a_plan_of_a_waiting_change_leaves_its_window_alone():
    org = OrganisationFactory()
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    when = window(24, 2)
    when = {k: v.replace(second=37) for k, v in when.items()}  # the form shows minutes only
    t = change(org, when=when)
    act(t, "submit")
    client = client_for(user_with_role(Role.AGENT, org))
    url = reverse("changes:edit", args=[t.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    for key in ("planned_start", "planned_end"):
        data[key] = timezone.localtime(data[key]).strftime("%Y-%m-%dT%H:%M")
    data["communication_plan"] = "Slack で周知"
    response = client.post(url, data)
    assert response.status_code == 302, _html(response)[:3000]
    stored = Change.objects.get(pk=t.pk)
    assert stored.communication_plan == "Slack で周知" and stored.planned_start == when["planned_start"]
    later = {
        k: timezone.localtime(v + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M") for k, v in when.items()
    }
    moved = client.post(url, {**data, **later, "version": Ticket.objects.get(pk=t.pk).version})
    assert moved.status_code == 400  # the window of a waiting change is locked
    assert "planned_start" in moved.context["form"].errors


# -- approvals, override, review ------------------------------------------------------------------


def test_approve_from_the_cab_agenda():
    org = OrganisationFactory()
    member = user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, member)
    t = change(org)
    act(t, "submit")
    approval = Approval.objects.get(ticket=t)
    client = client_for(member)
    agenda = _html(client.get(reverse("changes:cab")))
    assert f'data-agenda="{t.pk}"' in agenda and f'name="approval" value="{approval.pk}"' in agenda
    onlooker = _html(client_for(user_with_role(Role.AGENT, org)).get(reverse("changes:cab")))
    assert f'data-agenda="{t.pk}"' in onlooker and f'name="approval" value="{approval.pk}"' not in onlooker
    back = reverse("changes:cab") + "?date=2030-01-01"
    response = client.post(
        reverse("approvals:inbox"), {"approval": approval.pk, "decision": "approve", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    assert _reload(t).state.code == "scheduled"
    assert Approval.objects.get(pk=approval.pk).state == "approved"


def test_reject_and_delegate_from_the_ticket_panel():
    org = OrganisationFactory()
    a, b, c = (user_with_role(Role.MANAGER, org) for _ in range(3))
    board(BoardKind.CAB, a, b)
    t = change(org)
    act(t, "submit")
    page = _html(client_for(a).get(reverse("tickets:ticket", args=[t.pk])))
    mine = Approval.objects.get(ticket=t, approver=a)
    theirs = Approval.objects.get(ticket=t, approver=b)
    assert f'name="approval" value="{mine.pk}"' in page and f'name="approval" value="{theirs.pk}"' not in page
    back = reverse("tickets:ticket", args=[t.pk])
    delegated = client_for(b).post(
        reverse("approvals:inbox"),
        {"approval": theirs.pk, "decision": "delegate", "to": c.username, "next": back},
    )
    assert delegated["Location"] == back
    assert Approval.objects.get(ticket=t, approver=c).state == "waiting"
    refused = client_for(a).post(
        reverse("approvals:inbox"), {"approval": mine.pk, "decision": "reject", "next": back}
    )
    assert refused["Location"] == back and _reload(t).state.code == "awaiting_approval"  # no reason
    client_for(a).post(
        reverse("approvals:inbox"),
        {"approval": mine.pk, "decision": "reject", "comment": "月末と重なる", "next": back},
    )
    assert _reload(t).state.code == "rejected"
    assert "月末と重なる" in _html(client_for(c).get(back))


def test_submit_despite_a_freeze_window_needs_a_reason():
    org = OrganisationFactory()
    svc = ServiceFactory(organisation=org)
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    when = window(24, 2)
    services.create_window(
        actor=admin(),
        data={
            "name": "月末締め",
            "kind": WindowKind.FREEZE,
            "starts_at": when["planned_start"] - dt.timedelta(hours=1),
            "ends_at": when["planned_end"] + dt.timedelta(hours=1),
        },
        services=[svc],
    )
    t = change(org, service=svc, when=when)
    client = client_for(user_with_role(Role.AGENT, org))
    page = _html(client.get(reverse("tickets:ticket", args=[t.pk])))
    url = reverse("changes:proceed", args=[t.pk, "submit"])
    assert "warn-freeze" in page and f'action="{url}"' in page
    version = Ticket.objects.get(pk=t.pk).version
    assert client.post(url, {"version": version, "override_reason": ""}).status_code == 400
    assert _reload(t).state.code == "new"
    assert client.get(reverse("changes:proceed", args=[t.pk, "close"])).status_code == 404
    assert client.post(url, {"version": version + 5, "override_reason": "x"}).status_code == 400
    response = client.post(url, {"version": version, "override_reason": "監査対応で必須の作業"})
    assert response.status_code == 302
    t = _reload(t)
    assert t.state.code == "awaiting_approval"
    assert (
        t.change.override_reason == "監査対応で必須の作業"
        and t.change.schedule_warnings[0]["kind"] == "freeze"
    )
    again = client.post(url, {"version": t.version, "override_reason": "二度目"})
    assert again.status_code == 302  # the action no longer applies: a message, no change
    assert _reload(t).change.override_reason == "監査対応で必須の作業"


def test_a_finished_change_shows_the_warnings_recorded_when_it_was_scheduled():
    org = OrganisationFactory()
    svc = ServiceFactory(organisation=org)
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    when = window(24, 2)
    done = change(org, service=svc, when=when)
    act(done, "submit")
    approval = Approval.objects.get(ticket=done)
    from kaizen.approvals import services as approvals

    approvals.decide(approval.pk, actor=approval.approver, approve=True)
    act(done, "implement")
    act(done, "complete")
    services.create_window(  # booked after the change went ahead
        actor=admin(),
        data={
            "name": "後から決まった凍結",
            "kind": WindowKind.FREEZE,
            "starts_at": when["planned_start"] - dt.timedelta(hours=1),
            "ends_at": when["planned_end"] + dt.timedelta(hours=1),
        },
        services=[svc],
    )
    client = client_for(user_with_role(Role.AGENT, org))
    page = _html(client.get(reverse("tickets:ticket", args=[done.pk])))
    assert "data-change-panel" in page and "warn-freeze" not in page
    assert reverse("changes:proceed", args=[done.pk, "submit"]) not in page
    planned = change(org, service=svc, when=when)  # not yet submitted: today's calendar applies
    assert "warn-freeze" in _html(client.get(reverse("tickets:ticket", args=[planned.pk])))


def test_post_implementation_review_from_the_panel():
    org = OrganisationFactory()
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    t = change(org)
    client = client_for(user_with_role(Role.AGENT, org))
    url = reverse("changes:review", args=[t.pk])
    early = client.post(url, {"version": Ticket.objects.get(pk=t.pk).version, "outcome": "success"})
    assert early.status_code == 400 and not Change.objects.get(pk=t.pk).outcome
    act(t, "submit")
    approval = Approval.objects.get(ticket=t)
    from kaizen.approvals import services as approvals

    approvals.decide(approval.pk, actor=approval.approver, approve=True)
    act(t, "implement")
    act(t, "complete")
    page = _html(client.get(reverse("tickets:ticket", args=[t.pk])))
    assert f'action="{url}"' in page and "review_outcome_0" in page
    version = Ticket.objects.get(pk=t.pk).version
    failed = client.post(url, {"version": version, "outcome": "failed", "notes": ""})
    assert failed.status_code == 400 and "notes" in failed.context["form"].errors
    assert client.post(url, {"version": version, "outcome": "splendid"}).status_code == 400
    done = client.post(
        url, {"version": version, "outcome": "partial", "notes": "一部の DB で再起動が必要だった"}
    )
    assert done.status_code == 302
    stored = Change.objects.get(pk=t.pk)
    assert stored.outcome == "partial" and stored.reviewed_at is not None
    stale = client.post(url, {"version": version, "outcome": "success"})
    assert stale.status_code == 409
    act(t, "close")
    assert _reload(t).state.code == "closed"


# -- calendar, agenda, KPIs, board filters --------------------------------------------------------


def test_calendar_shows_changes_and_shaded_windows():
    org = OrganisationFactory()
    start = dt.datetime(2030, 3, 12, 22, 0, tzinfo=_zone())
    t = change(
        org, when={"planned_start": start, "planned_end": start + dt.timedelta(hours=4)}, title="夜間作業"
    )
    services.create_window(
        actor=admin(),
        data={
            "name": "年度末凍結",
            "kind": WindowKind.FREEZE,
            "starts_at": dt.datetime(2030, 3, 25, tzinfo=_zone()),
            "ends_at": dt.datetime(2030, 4, 2, tzinfo=_zone()),
        },
    )
    client = client_for(user_with_role(Role.AGENT, org))
    month = _html(client.get(reverse("changes:calendar"), {"date": "2030-03-05"}))
    assert month.count(f'data-change="{t.pk}"') == 2  # 22:00 on the 12th to 02:00 on the 13th
    assert "shade-freeze" in month and "年度末凍結" in month
    assert "?view=month&amp;date=2030-02-01" in month and "?view=month&amp;date=2030-04-01" in month
    week = _html(client.get(reverse("changes:calendar"), {"view": "week", "date": "2030-03-13"}))
    assert "22:00–24:00" in week and "…00:00–02:00" in week
    assert "?view=week&amp;date=2030-03-04" in week and "?view=week&amp;date=2030-03-18" in week
    other_week = _html(client.get(reverse("changes:calendar"), {"view": "week", "date": "2030-03-20"}))
    assert f'data-change="{t.pk}"' not in other_week


@pytest.mark.parametrize(
    "params",
    [
        {"date": "garbage"},
        {"date": "2030-02-30"},
        {"date": "0001-01-01"},
        {"date": "9999-12-31"},
        {"date": "2030-1-1-1"},
        {"date": "x" * 5000},
        {"date": "\x00"},
        {"view": "week", "date": "1970-01-01"},
    ],
)
def test_calendar_and_agenda_refuse_bad_dates_without_failing(params):
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert client.get(reverse("changes:calendar"), params).status_code == 400
    assert client.get(reverse("changes:cab"), {"date": params["date"]}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"view": "year"},
        {"view": "<script>"},
        {"view": ""},
        {"view": "week", "date": "2199-12-31"},
        {"date": "1971-01-01"},
        {"date": "2199-12-31"},
    ],
)
def test_calendar_corrects_an_unknown_view_and_accepts_edge_dates(params):
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    response = client.get(reverse("changes:calendar"), params)
    assert response.status_code == 200
    assert "<script>" not in _html(response).split("<main", 1)[1]


def test_kpis_per_team_service_and_type():
    org = OrganisationFactory()
    svc = ServiceFactory(organisation=org, name="会計システム")
    board(BoardKind.ECAB, user_with_role(Role.MANAGER, org))
    from kaizen.approvals import services as approvals

    for outcome in ("success", "failed"):
        t = change(
            org, change_type="emergency", service=svc, plans={"reason": "r", "implementation_plan": "p"}
        )
        act(t, "submit")
        row = Approval.objects.get(ticket=t, state="waiting")
        approvals.decide(row.pk, actor=row.approver, approve=True)
        act(t, "implement")
        act(t, "complete")
        services.record_review(t.pk, actor=admin(), outcome=outcome, notes="理由", version=None)
    client = client_for(user_with_role(Role.MANAGER, org))
    response = client.get(reverse("changes:kpis"))
    assert response.status_code == 200
    html = _html(response)
    assert 'data-kpi="service"' in html and "会計システム" in html and "50.0 %" in html
    today = timezone.localdate()
    assert (
        client.get(
            reverse("changes:kpis"), {"start": f"{today:%Y-%m-%d}", "end": f"{today:%Y-%m-%d}"}
        ).status_code
        == 200
    )
    old = _html(client.get(reverse("changes:kpis"), {"start": "2001-01-01", "end": "2001-01-31"}))
    assert "会計システム" not in old
    for params in (
        {"start": "2030-02-01", "end": "2030-01-01"},
        {"start": "abc", "end": "2030-01-01"},
        {"start": "2030-01-01"},
        {"start": "1900-01-01", "end": "2030-01-01"},
        {"start": "0001-01-01", "end": "0001-01-02"},
    ):
        assert client.get(reverse("changes:kpis"), params).status_code == 400, params
    outsider = _html(
        client_for(user_with_role(Role.MANAGER, OrganisationFactory())).get(reverse("changes:kpis"))
    )
    assert "会計システム" not in outsider


def test_board_columns_filters_and_bad_filter_values():
    org = OrganisationFactory()
    svc = ServiceFactory(organisation=org)
    board(BoardKind.CAB, user_with_role(Role.MANAGER, org))
    normal = change(org, service=svc, title="通常の変更")
    risky = change(org, answers={**ANSWERS, "downtime": "outage", "tested": "no", "backout": "impossible"})
    act(risky, "submit")
    emergency = change(
        org, change_type="emergency", plans={"reason": "r", "implementation_plan": "p"}, answers={}
    )
    closed = change(org, title="取り消した変更")
    act(closed, "cancel", comment="不要")
    client = client_for(user_with_role(Role.AGENT, org))
    html = _html(client.get(reverse("changes:board")))
    for t in (normal, risky, emergency):
        assert f'data-change="{t.pk}"' in html
    assert f'data-change="{closed.pk}"' not in html
    column = html.split('id="col-awaiting_approval"', 1)[1].split("</section>", 1)[0]
    assert f'data-change="{risky.pk}"' in column and f'data-change="{normal.pk}"' not in column
    only_emergency = _html(client.get(reverse("changes:board"), {"type": "emergency"}))
    assert (
        f'data-change="{emergency.pk}"' in only_emergency
        and f'data-change="{normal.pk}"' not in only_emergency
    )
    by_service = _html(client.get(reverse("changes:board"), {"service": svc.pk, "view": "table"}))
    assert normal.number in by_service and risky.number not in by_service
    by_risk = _html(
        client.get(reverse("changes:board"), {"risk": Change.objects.get(pk=risky.pk).risk_level})
    )
    assert f'data-change="{risky.pk}"' in by_risk and f'data-change="{normal.pk}"' not in by_risk
    for params in (
        {"type": "weird"},
        {"risk": "extreme"},
        {"service": "abc"},
        {"service": "99999999999999999999"},
        {"team": "-1"},
        {"view": "chart"},
        {"type": "x" * 5000},
    ):
        assert client.get(reverse("changes:board"), params).status_code == 200, params


# -- settings -------------------------------------------------------------------------------------


def shared_staff_or_nobody(role: str | None, org: Any) -> Any:
    """Change configuration is shared: any staff role in any organisation reads it."""
    return user_with_role(role, org)


class SharedConfigurationSuite(UiPermissionSuite):
    def test_other_organisations_record_is_invisible(self) -> None:
        """Replaces the generic test: change configuration belongs to no organisation, so staff of
        every organisation read it, while requesters and logins without a role see nothing."""
        obj = self.case.make(self.case.make_org())
        staff = client_for(user_with_role(Role.AGENT, self.case.make_org()))
        assert staff.get(self.url("detail", obj)).status_code == 200
        assert staff.get(self.url("edit", obj)).status_code == 403
        for user in (requester_of(self.case.make_org()), user_with_role(None, self.case.make_org())):
            client = client_for(user)
            assert self.url("detail", obj) not in _html(client.get(self.url("list")))
            assert client.get(self.url("detail", obj)).status_code == 404
            assert client.post(self.url("delete", obj), {"version": 1}).status_code == 404
        assert type(obj)._default_manager.filter(pk=obj.pk, version=1).exists()


def _template(org: Any) -> ChangeTemplate:
    return ChangeTemplate.objects.create(
        name=f"標準変更 {next(_names)}",
        implementation_plan="手順",
        backout_plan="戻す",
        service=ServiceFactory(organisation=org),
    )


def _template_form(org: Any) -> dict[str, Any]:
    return {
        "name": f"再起動 {next(_names)}",
        "implementation_plan": "サービスを再起動する",
        "backout_plan": "不要",
        "service": ServiceFactory(organisation=org).pk,
        "max_duration_minutes": 30,
        "is_active": "on",
    }


class TestTemplatePages(SharedConfigurationSuite):
    case = UiCase(
        prefix="changes:change-templates",
        make=_template,
        form_data=_template_form,
        edit_data=lambda obj: {
            "name": obj.name,
            "implementation_plan": "改訂した手順",
            "backout_plan": obj.backout_plan,
            "service": obj.service_id,
            "max_duration_minutes": 45,
            "is_active": "on",
        },
        make_org=OrganisationFactory,
        make_user=shared_staff_or_nobody,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        relation_field="service",
    )


def _board(org: Any) -> ChangeBoard:
    return ChangeBoard.objects.create(kind=BoardKind.CAB, name=f"旧 CAB {next(_names)}", is_active=False)


class TestBoardPages(SharedConfigurationSuite):
    case = UiCase(
        prefix="changes:change-boards",
        make=_board,
        form_data=lambda org: {
            "kind": BoardKind.CAB,
            "name": f"新 CAB {next(_names)}",
            "mode": "all",
            "members": [user_with_role(Role.MANAGER, org).pk],
        },
        edit_data=lambda obj: {"kind": obj.kind, "name": obj.name, "mode": "any", "meets_on": "毎週月曜"},
        make_org=OrganisationFactory,
        make_user=shared_staff_or_nobody,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        relation_field="members",
    )

    def test_members_are_chosen_from_active_logins(self) -> None:
        org = OrganisationFactory()
        a, b = user_with_role(Role.MANAGER, org), user_with_role(Role.AGENT, org)
        gone = user_with_role(Role.AGENT, org)
        gone.is_active = False
        gone.save()
        cab = ChangeBoard.objects.get(kind=BoardKind.CAB, is_active=True)
        client = client_for(user_with_role(Role.MANAGER, org))
        url = reverse("changes:change-boards-edit", args=[cab.pk])
        page = _html(client.get(url))
        assert f'value="{a.pk}"' in page and f'value="{gone.pk}"' not in page
        data = {"kind": cab.kind, "name": cab.name, "mode": "quorum", "quorum": 2, "is_active": "on"}
        response = client.post(url, {**data, "members": [a.pk, b.pk], "version": cab.version})
        assert response.status_code == 302, _html(response)[:3000]
        assert set(ChangeBoard.objects.get(pk=cab.pk).members.values_list("pk", flat=True)) == {a.pk, b.pk}
        version = ChangeBoard.objects.get(pk=cab.pk).version
        too_many = client.post(url, {**data, "quorum": 3, "members": [a.pk, b.pk], "version": version})
        assert too_many.status_code == 400  # the quorum is at most the number of members
        inactive = client.post(url, {**data, "members": [gone.pk], "version": version})
        assert inactive.status_code == 400
        second = client.post(
            reverse("changes:change-boards-create"),
            {"kind": BoardKind.CAB, "name": "二つ目", "mode": "all", "is_active": "on"},
        )
        assert second.status_code == 400  # one active board per kind


def _window(org: Any) -> ChangeWindow:
    start = dt.datetime(2030, 3, 25, tzinfo=_zone())
    found = ChangeWindow.objects.create(
        name=f"凍結 {next(_names)}", starts_at=start, ends_at=start + dt.timedelta(days=3)
    )
    found.services.set([ServiceFactory(organisation=org)])
    return found


class TestWindowPages(SharedConfigurationSuite):
    case = UiCase(
        prefix="changes:change-windows",
        make=_window,
        form_data=lambda org: {
            "name": f"月末締め {next(_names)}",
            "kind": WindowKind.FREEZE,
            "starts_at": "2030-03-28T00:00",
            "ends_at": "2030-04-01T00:00",
            "services": [ServiceFactory(organisation=org).pk],
            "reason": "経理の締め処理",
            "is_active": "on",
        },
        edit_data=lambda obj: {
            "name": obj.name,
            "kind": WindowKind.BLACKOUT,
            "starts_at": "2030-03-25T00:00",
            "ends_at": "2030-03-29T00:00",
            "services": list(obj.services.values_list("pk", flat=True)),
            "is_active": "on",
        },
        make_org=OrganisationFactory,
        make_user=shared_staff_or_nobody,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        relation_field="services",
    )

    def test_window_ending_before_it_starts_is_a_form_error(self) -> None:
        org = OrganisationFactory()
        client = client_for(user_with_role(Role.MANAGER, org))
        data = {**self.case.form_data(org), "ends_at": "2030-03-27T00:00"}
        assert client.post(reverse("changes:change-windows-create"), data).status_code == 400
        assert not ChangeWindow.objects.exists()

    def test_services_the_editor_cannot_see_stay_on_the_window(self) -> None:
        mine, theirs = OrganisationFactory(), OrganisationFactory()
        found = _window(theirs)
        hidden = list(found.services.values_list("pk", flat=True))
        own = ServiceFactory(organisation=mine)
        client = client_for(user_with_role(Role.MANAGER, mine))
        data = {**self.case.edit_data(found), "services": [own.pk], "version": 1}
        response = client.post(reverse("changes:change-windows-edit", args=[found.pk]), data)
        assert response.status_code == 302, _html(response)[:3000]
        assert set(found.services.values_list("pk", flat=True)) == {own.pk, *hidden}


N_CHANGES = 12


def test_board_calendar_and_agenda_have_a_query_ceiling():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    org = OrganisationFactory()
    member = user_with_role(Role.MANAGER, org)
    board(BoardKind.CAB, member)
    for i in range(N_CHANGES):
        t = change(org, cis=[CIFactory(organisation=org).pk], when=window(24 + i, 2), title=f"変更 {i}")
        if i % 2:
            act(t, "submit")
    client = client_for(member)
    day = timezone.localdate() + dt.timedelta(days=1)
    for url, ceiling in (
        (reverse("changes:board"), 15),
        (reverse("changes:board") + "?view=table", 15),
        (reverse("changes:calendar") + f"?date={day:%Y-%m-%d}", 15),
        (reverse("changes:cab"), 20),
    ):
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert len(ctx.captured_queries) <= ceiling, (url, len(ctx.captured_queries))
