"""End-to-end: the impact graph and the CI form in real Chromium, on the demo estate."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import demo

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "kaizen-demo")
    page.click("button.primary")
    page.wait_for_url(f"{base}/")


def test_impact_graph_links_to_the_affected_services(page, live_server):
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio"))
    switch = ConfigurationItem.objects.get(name="コアスイッチ 1")
    base = live_server.url
    _login(page, base, "admin")
    page.goto(f"{base}/cis/{switch.pk}/")
    page.click("text=Impact analysis")
    page.wait_for_url(f"{base}/cis/{switch.pk}/impact/")
    expect(page.locator("svg.impact-graph a.node-service").first).to_be_visible()
    services = page.locator("section.panel table.records").first.locator("tbody tr")
    assert services.count() >= 5
    page.locator("svg.impact-graph a.node-service").first.click()
    page.wait_for_url(f"{base}/services/*/")
    assert page.console_errors == []


def test_choosing_a_ci_type_brings_its_attribute_fields(page, live_server):
    demo.load_all(password="kaizen-demo", only=("accounts", "portfolio"))
    base = live_server.url
    _login(page, base, "ops")
    page.goto(f"{base}/cis/new/")
    page.fill("#id_name", "新規サーバ")
    page.select_option(
        "#id_ci_type", label="サーバ" if page.locator("html").get_attribute("lang") == "ja" else "Server"
    )
    expect(page.locator("#id_attr_hostname")).to_be_visible()
    assert page.locator("#id_name").input_value() == "新規サーバ"
    page.fill("#id_attr_hostname", "new01.example.jp")
    page.select_option("#id_organisation", label="改善システムズ 情報システム部")
    page.click("button.primary")
    page.wait_for_url(f"{base}/cis/*/")
    assert "new01.example.jp" in page.content()
    assert page.console_errors == []
