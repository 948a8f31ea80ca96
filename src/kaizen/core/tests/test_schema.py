"""The OpenAPI schema is valid and documents every endpoint."""

from __future__ import annotations

import pytest
from django.core.management import call_command


def test_schema_generates_without_warnings(tmp_path):
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    text = path.read_text(encoding="utf-8")
    for endpoint in (
        "/api/v1/organisations/",
        "/api/v1/people/",
        "/api/v1/teams/",
        "/api/v1/memberships/",
        "/api/v1/audit/",
        "/api/v1/me/",
        "/api/v1/me/tokens/",
    ):
        assert f"{endpoint}:" in text
    assert "bearerAuth" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served(client):
    assert client.get("/api/v1/schema/?format=json").json()["info"]["title"] == "Kaizen ITSM API"
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"<script>" not in docs.content.replace(b"<script src", b"")
