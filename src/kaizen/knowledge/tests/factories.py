"""Helpers for knowledge tests: articles through the services, published ones, providers and customers."""

from __future__ import annotations

from typing import Any

from kaizen.accounts.models import Organisation, User
from kaizen.core import context
from kaizen.knowledge import services
from kaizen.knowledge.choices import Audience
from kaizen.knowledge.models import Article
from kaizen.portfolio.models import Service
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets.tests.factories import OrganisationFactory, admin, person_of, requester_of, user_with_role

__all__ = [
    "OrganisationFactory",
    "admin",
    "article",
    "customer_of",
    "fresh",
    "person_of",
    "published",
    "requester_of",
    "user_with_role",
]

BODY = "## 手順\n\n1. VPN クライアントを開く\n2. 社員番号でサインインする\n"


def article(org: Organisation, *, actor: User | None = None, reviewers: Any = None, **data: Any) -> Article:
    """Write a draft through the service (as an administrator unless ``actor``)."""
    actor = actor or admin()
    values = {"organisation": org, "title": "VPN 接続手順", "body": BODY, **data}
    with context.acting(user=actor, channel=context.Channel.WEB):
        return services.create_article(actor=actor, data=values, reviewers=reviewers)


def fresh(obj: Article) -> Article:
    return Article.objects.get(pk=obj.pk)


def published(org: Organisation, *, audience: str = Audience.REQUESTERS, **data: Any) -> Article:
    """Write, submit and publish an article (as an administrator)."""
    draft = article(org, audience=audience, **data)
    with context.acting(user=admin(), channel=context.Channel.WEB):
        services.transition(draft.pk, "submit", actor=admin(), version=draft.version)
        return services.transition(draft.pk, "publish", actor=admin(), version=fresh(draft).version)


def customer_of(provider: Organisation, **data: Any) -> tuple[Organisation, Service]:
    """Return a customer organisation of a live service the provider runs."""
    customer = OrganisationFactory()
    service = ServiceFactory(organisation=provider, **data)
    service.customers.add(customer)
    return customer, service
