"""Deterministic factories of the service portfolio (direct writes, no audit rows)."""

from __future__ import annotations

import factory
from django.utils import timezone

from kaizen.accounts.tests.factories import OrganisationFactory
from kaizen.portfolio.choices import Lifecycle
from kaizen.portfolio.models import Service, ServiceDependency


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"svc-{n}")
    name = factory.Sequence(lambda n: f"サービス {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    lifecycle = Lifecycle.LIVE


def depends(service: Service, *, on_service: Service | None = None, on_ci=None, at=None) -> ServiceDependency:
    """Record a dependency directly (valid from ``at`` or now)."""
    return ServiceDependency.objects.create(
        service=service,
        depends_on_service=on_service,
        depends_on_ci=on_ci,
        organisation=service.organisation,
        started_at=at or timezone.now(),
    )
