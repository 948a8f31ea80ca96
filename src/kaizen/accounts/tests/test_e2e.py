"""End-to-end: a newcomer logs in, switches to Japanese, creates a team and sees it in the history."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from kaizen.accounts.models import Team, User
from kaizen.core import demo
from kaizen.core.access import Role

from .factories import OrganisationFactory, PersonFactory, user_with_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, username: str, password: str = "pw") -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button.primary")
    page.wait_for_url(f"{base}/")


def test_demo_admin_logs_in_switches_to_japanese_creates_a_team_and_sees_its_history(
    page, live_server, screenshot_dir
):
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio"))
    base = live_server.url

    _login(page, base, "admin", "kaizen-demo")  # the browser speaks English (en-GB)
    assert page.locator("h1").inner_text() == "Dashboard"

    page.click('button[name="language"][value="ja"]')
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "ダッシュボード"

    # keyboard: g t goes to the team list, n opens the new-team form
    page.keyboard.press("g")
    page.keyboard.press("t")
    page.wait_for_url(f"{base}/teams/")
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/teams/new/")

    page.fill("#id_name", "基盤運用チーム")
    page.select_option("#id_organisation", label="さくら商事株式会社")
    page.select_option("#id_members", label="山田 花子")
    page.fill("#id_description", "夜間・休日の一次対応")
    page.click("button.primary")
    page.wait_for_url(f"{base}/teams/*/")
    assert page.locator("h1").inner_text() == "基盤運用チーム"
    history = page.locator("section.history")
    assert history.locator(".action-create").count() == 1
    assert "夜間・休日の一次対応" in history.inner_text()

    team = Team.objects.get(name="基盤運用チーム")
    assert team.version == 1
    assert User.objects.get(username="admin").language == "ja"

    # edit with e, then the history shows the change
    page.keyboard.press("e")
    page.wait_for_url(f"{base}/teams/{team.pk}/edit/")
    page.fill("#id_email", "infra@example.jp")
    page.click("button.primary")
    page.wait_for_url(f"{base}/teams/{team.pk}/")
    assert page.locator("section.history .action-update").count() == 1
    assert "infra@example.jp" in page.locator("section.history").inner_text()

    # ? opens the shortcut help, Esc closes it
    page.keyboard.press("?")
    assert page.locator("dialog#shortcuts").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("dialog#shortcuts").is_visible()

    page.screenshot(path=os.path.join(screenshot_dir, "team-detail-ja.png"), full_page=True)
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []
    assert page.console_errors == []


def test_list_filters_update_the_results_in_place(page, live_server):
    org = OrganisationFactory(name="みなと銀行")
    for name in ("ネットワーク", "データベース", "ネットワーク監視"):
        PersonFactory(organisation=org, name=f"{name} 担当")
    user = user_with_role(Role.AGENT, org, language="ja")
    _login(page, live_server.url, user.username)
    page.goto(f"{live_server.url}/people/")
    page.keyboard.press("/")
    page.keyboard.type("ネットワーク")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert "q=" in page.url
    assert page.console_errors == []


def test_stale_edit_in_a_second_tab_is_refused_with_a_message(page, live_server):
    org = OrganisationFactory()
    team = Team.objects.create(name="アプリ保守", organisation=org)
    user = user_with_role(Role.MANAGER, org, language="en")
    _login(page, live_server.url, user.username)
    edit = f"{live_server.url}/teams/{team.pk}/edit/"
    other = page.context.new_page()
    page.goto(edit)
    other.goto(edit)
    other.fill("#id_description", "first writer")
    other.click("button.primary")
    other.wait_for_url(f"{live_server.url}/teams/{team.pk}/")
    page.fill("#id_description", "second writer")
    page.click("button.primary")
    page.wait_for_selector(".alert-error")
    assert "changed by someone else" in page.locator(".alert-error").inner_text()
    team.refresh_from_db()
    assert (team.description, team.version) == ("first writer", 2)
