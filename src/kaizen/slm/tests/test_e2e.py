"""End-to-end in real Chromium: a manager sets the service hours and an agent sees the ticket's clocks."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from kaizen.accounts.models import User
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.slm import defaults
from kaizen.slm.models import Agreement, BusinessCalendar, ServiceTier
from kaizen.tickets.tests.factories import desk, ticket

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


def test_manager_edits_hours_and_agent_sees_clocks(page: Any, live_server: Any) -> None:
    desk()
    with context.acting(channel=context.Channel.SYSTEM):
        defaults.load()
    org = OrganisationFactory()
    service = ServiceFactory(organisation=org, name="会計Aシステム")
    calendar = BusinessCalendar.objects.get(is_default=True)
    Agreement.objects.create(
        name="会計A SLA",
        calendar=calendar,
        tier=ServiceTier.objects.get(name_en="Gold"),
        service=service,
        ticket_kinds=["incident"],
    )
    base = live_server.url
    manager = _user(user_with_role(Role.MANAGER, org))
    _login(page, base, manager)
    page.goto(f"{base}/service-levels/calendars/{calendar.pk}/edit/")
    page.fill("#id_hours_5", "10:00-15:00")
    page.click("form.record-form button.primary")
    page.wait_for_url(f"{base}/service-levels/calendars/{calendar.pk}/")
    calendar.refresh_from_db()
    assert calendar.definition["hours"][5] == [["10:00", "15:00"]]
    assert calendar.revisions.count() == 2
    expect(page.locator("table.month")).to_contain_text("10:00–15:00")
    assert page.console_errors == []

    target = ticket(org, title="会計Aにログインできない", service=service, urgency=1, impact=1)
    agent = _user(user_with_role(Role.AGENT, org))
    page.context.clear_cookies()
    _login(page, base, agent)
    page.goto(f"{base}/desk/tickets/{target.pk}/")
    panel = page.locator("section[aria-labelledby=clocks-title]")
    expect(panel).to_contain_text("会計A SLA")
    expect(panel.locator(".badge").first).to_be_visible()
    page.goto(f"{base}/desk/?queue=active&sort=due")
    expect(page.locator("table.queue")).to_contain_text(target.number)
    assert page.console_errors == []
