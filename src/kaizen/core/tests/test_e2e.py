"""End-to-end checks of the platform pages in real Chromium (run with ``pytest -m e2e``)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_under_the_content_security_policy(page, live_server):
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".opblock-summary-path").count() > 5
    violations = [e for e in page.console_errors if "Content Security Policy" in e]
    assert violations == []
