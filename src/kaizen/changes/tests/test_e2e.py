"""End-to-end in real Chromium: an agent raises a normal change through the form, submits it for
approval and finds it on the CAB agenda, where the CAB member approves it."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kaizen.accounts.models import User
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.changes.choices import BoardKind
from kaizen.core.access import Role
from kaizen.tickets.models import Ticket

from .factories import ANSWERS, PLANS, board, setup_changes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "e2e-password-1"


def _user(user: User) -> User:
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.record-form button.primary")
    page.wait_for_url(f"{base}/")


def _logout(page: Any) -> None:
    page.context.clear_cookies()


def test_agent_raises_a_normal_change_submits_it_and_the_cab_approves_it(page, live_server, screenshot_dir):
    setup_changes()
    org = OrganisationFactory(name="さくら商事テスト")
    agent = _user(user_with_role(Role.AGENT, None))
    member = _user(user_with_role(Role.MANAGER, org))
    board(BoardKind.CAB, member)
    base = live_server.url
    _login(page, base, agent)
    page.goto(f"{base}/changes/")
    page.keyboard.press("n")
    page.wait_for_url(f"{base}/changes/new/")
    page.fill("#id_title", "基幹 DB のパッチ適用")
    page.select_option("#id_organisation", label="さくら商事テスト")
    page.check("#id_change_type_1")  # normal
    for field in ("reason", "implementation_plan", "backout_plan", "test_plan", "communication_plan"):
        page.fill(f"#id_{field}", PLANS[field])
    for code, answer in ANSWERS.items():
        page.check(f"input[name=risk_{code}][value={answer}]")
    start = timezone.localtime() + dt.timedelta(days=3)
    page.fill("#id_planned_start", f"{start:%Y-%m-%dT10:00}")
    page.fill("#id_planned_end", f"{start:%Y-%m-%dT12:00}")
    if os.environ.get("KAIZEN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(screenshot_dir, "change-new.png"), full_page=True)
    page.click("button[data-change-submit]")
    page.wait_for_url(f"{base}/desk/tickets/*/")
    created = Ticket.objects.get(kind="change", title="基幹 DB のパッチ適用")
    expect(page.locator("[data-change-panel]")).to_be_visible()
    page.click("button[data-action-code=submit]")
    page.wait_for_url(f"{base}/desk/tickets/{created.pk}/")
    assert Ticket.objects.get(pk=created.pk).state.code == "awaiting_approval"
    page.goto(f"{base}/changes/cab/")
    expect(page.locator(f"[data-agenda='{created.pk}']")).to_contain_text(created.number)
    assert page.console_errors == []

    _logout(page)
    _login(page, base, member)
    page.goto(f"{base}/changes/cab/")
    item = page.locator(f"[data-agenda='{created.pk}']")
    if os.environ.get("KAIZEN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(screenshot_dir, "change-cab.png"), full_page=True)
    item.locator("button[data-decide=approve]").click()
    page.wait_for_url(f"{base}/changes/cab/")
    assert Ticket.objects.get(pk=created.pk).state.code == "scheduled"
    expect(page.locator(f"[data-upcoming='{created.pk}']")).to_contain_text(created.number)
    page.goto(f"{base}/changes/calendar/?date={start:%Y-%m-%d}")
    expect(page.locator(f".cal-block[data-change='{created.pk}']")).to_be_visible()
    if os.environ.get("KAIZEN_SCREENSHOTS"):
        page.screenshot(path=os.path.join(screenshot_dir, "change-calendar.png"), full_page=True)
        page.goto(f"{base}/desk/tickets/{created.pk}/")
        page.screenshot(path=os.path.join(screenshot_dir, "change-ticket.png"), full_page=True)
        page.goto(f"{base}/changes/")
        page.screenshot(path=os.path.join(screenshot_dir, "change-board.png"), full_page=True)
    assert page.console_errors == []
