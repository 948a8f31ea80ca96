"""Fixtures of the monitoring tests: a desk, an organisation with CIs and services, integrations."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from kaizen.accounts.models import Organisation, User
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.models import ConfigurationItem
from kaizen.cmdb.tests.factories import CIFactory, CITypeFactory, RelationshipFactory, RelationshipTypeFactory
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.monitoring import services
from kaizen.monitoring.models import Integration
from kaizen.portfolio.tests.factories import ServiceFactory, depends
from kaizen.tickets.tests.factories import desk

PAYLOADS = Path(__file__).parent / "payloads"


def payload(name: str) -> Any:
    """Return a sample payload (decoded JSON)."""
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


class Shop:
    """An organisation running a web service on two servers behind one switch."""

    def __init__(self) -> None:
        desk()
        self.org: Organisation = OrganisationFactory(name="監視テスト株式会社")
        self.manager: User = user_with_role(Role.MANAGER, self.org)
        self.agent: User = user_with_role(Role.AGENT, self.org)
        server = CITypeFactory(code="server-t", name="サーバ")
        self.switch: ConfigurationItem = CIFactory(name="switch-01", organisation=self.org, ci_type=server)
        self.web1: ConfigurationItem = CIFactory(
            name="web-01", organisation=self.org, ci_type=server, attributes={"ip_address": "10.0.0.11"}
        )
        self.web2: ConfigurationItem = CIFactory(name="web-02", organisation=self.org, ci_type=server)
        self.db: ConfigurationItem = CIFactory(name="db-01", organisation=self.org, ci_type=server)
        runs_on = RelationshipTypeFactory(code="connected-t")
        for ci in (self.web1, self.web2, self.db):
            RelationshipFactory(source=ci, target=self.switch, relationship_type=runs_on)
        self.service = ServiceFactory(organisation=self.org, name="Webショップ")
        for ci in (self.web1, self.web2):
            depends(self.service, on_ci=ci)

    def integration(self, source: str = "alertmanager", **data: Any) -> tuple[Integration, str]:
        """Create an integration of ``source`` as the manager; return it and its token."""
        with context.acting(user=self.manager, channel=context.Channel.WEB):
            return services.create_integration(
                actor=self.manager,
                data={
                    "name": f"{source} {Integration.objects.count() + 1}",
                    "source": source,
                    "organisation": self.org,
                    **data,
                },
            )


@pytest.fixture
def shop(db: Any) -> Shop:
    return Shop()


@pytest.fixture
def post(client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a body to an intake endpoint with a token (header by default); run what follows the commit."""

    def send(
        source: str, body: Any, token: str, *, in_url: bool = False, raw: bytes | None = None, **headers: Any
    ) -> Any:
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        url = f"/api/v1/events/{source}/" + (f"?token={token}" if in_url else "")
        extra = {} if in_url else {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=data, content_type="application/json", **extra, **headers)

    return send
