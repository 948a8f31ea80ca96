"""End-to-end in real Chromium: an agent works the queue with the keyboard; a requester uses the portal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kaizen.accounts.models import User
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.tickets.models import Comment, Ticket

from .factories import desk, requester_of, ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "e2e-password-1"


def _user(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(page, base: str, user: User, lands_on: str = "/") -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.record-form button.primary")
    page.wait_for_url(f"{base}{lands_on}")


def test_agent_opens_comments_and_resolves_from_the_keyboard(page, live_server):
    desk()
    agent = _user(user_with_role(Role.AGENT, None))
    org = OrganisationFactory()
    target = ticket(org, title="会計システムが遅い", urgency=1)
    ticket(org, title="別件", urgency=4)
    base = live_server.url
    _login(page, base, agent)
    page.goto(f"{base}/desk/?queue=active")
    page.keyboard.press("j")
    expect(page.locator("tr.is-current")).to_contain_text(target.number)
    page.keyboard.press("o")
    page.wait_for_url(f"{base}/desk/tickets/{target.pk}/")
    page.keyboard.press("c")
    page.keyboard.type("ログを確認中です")
    page.locator(".comment-form select[name=visibility]").select_option("public")
    page.click(".comment-form button.primary")
    page.wait_for_url(f"{base}/desk/tickets/{target.pk}/#comment-*")
    assert Comment.objects.filter(ticket=target, body="ログを確認中です", visibility="public").exists()
    page.keyboard.press("r")
    page.wait_for_url(f"{base}/desk/tickets/{target.pk}/actions/resolve/")
    page.fill("#id_resolution", "インデックスを再作成しました")
    page.select_option("#id_cause_class", "middleware")
    page.click("form.record-form button.primary")
    page.wait_for_url(f"{base}/desk/tickets/{target.pk}/")
    assert Ticket.objects.get(pk=target.pk).state.code == "resolved"
    expect(page.locator(".ticket-meta .state")).to_have_class("state state-resolved")
    assert page.console_errors == []


def test_quick_create_from_a_template_and_the_queue(page, live_server):
    from kaizen.tickets.models import TicketTemplate

    desk()
    agent = _user(user_with_role(Role.AGENT, None))
    org = OrganisationFactory(name="さくら商事テスト")
    TicketTemplate.objects.create(
        name="パスワード再設定", kind="incident", title="パスワードを忘れた", urgency=2
    )
    base = live_server.url
    _login(page, base, agent)
    page.goto(f"{base}/desk/")
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/desk/new/")
    page.select_option("#id_template", label="パスワード再設定")
    expect(page.locator("#id_title")).to_have_value("パスワードを忘れた")  # the form reloads in place
    page.select_option("#id_organisation", label="さくら商事テスト")
    page.click("form.record-form button.primary")
    page.wait_for_url(f"{base}/desk/tickets/*/")
    created = Ticket.objects.get(title="パスワードを忘れた")
    assert created.urgency == 2 and created.organisation == org
    assert page.console_errors == []


def test_requester_reports_replies_and_confirms_in_the_portal(page, live_server):
    from kaizen.tickets import services
    from kaizen.tickets.models import ReviewCriterion

    desk()
    ReviewCriterion.objects.all().delete()
    org = OrganisationFactory()
    requester = _user(requester_of(org))
    base = live_server.url
    _login(page, base, requester, lands_on="/portal/")
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/portal/new/")
    page.fill("#id_title", "プリンタで印刷できない")
    page.fill("#id_description", "3階の複合機です")
    page.select_option("#id_urgency", "4")
    page.click("form.record-form button.primary")
    page.wait_for_url(f"{base}/portal/tickets/*/")
    created = Ticket.objects.get(title="プリンタで印刷できない")
    agent = user_with_role(Role.AGENT, None)
    services.add_comment(created.pk, actor=agent, body="社内メモ", visibility="internal")
    services.apply_action(
        created.pk,
        "resolve",
        actor=agent,
        version=created.version,
        params={"resolution": "ドライバを更新しました", "cause_class": "configuration"},
    )
    page.reload()
    expect(page.locator("main")).not_to_contain_text("社内メモ")
    expect(page.locator("main")).to_contain_text("ドライバを更新しました")
    page.click("form[action$='/confirm/'] button")
    page.wait_for_url(f"{base}/portal/tickets/{created.pk}/")
    assert Ticket.objects.get(pk=created.pk).state.code == "closed"
    assert page.console_errors == []
