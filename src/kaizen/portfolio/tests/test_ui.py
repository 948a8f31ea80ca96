"""The generic UI suite on the portfolio pages, plus the catalogue page."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for
from kaizen.portfolio.choices import Lifecycle

from .factories import ServiceFactory

_n = itertools.count()


class TestServicePages(UiPermissionSuite):
    case = UiCase(
        prefix="portfolio:services",
        make=lambda org: ServiceFactory(organisation=org),
        form_data=lambda org: {
            "code": f"svc-ui-{next(_n)}",
            "name": "メール",
            "organisation": org.pk,
            "lifecycle": "pipeline",
            "provider_kind": "internal",
        },
        edit_data=lambda obj: {
            "code": obj.code,
            "name": obj.name,
            "organisation": obj.organisation_id,
            "lifecycle": obj.lifecycle,
            "provider_kind": obj.provider_kind,
            "live_since": "2026-04-01",
            "service_hours": "24x7",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.ADMIN,
    )


@pytest.mark.django_db
def test_catalogue_shows_a_requester_the_live_services_of_their_organisation():
    provider, mine = OrganisationFactory(), OrganisationFactory()
    live = ServiceFactory(organisation=provider, name="経費精算", lifecycle=Lifecycle.LIVE)
    live.customers.add(mine)
    ServiceFactory(organisation=provider, name="計画中", lifecycle=Lifecycle.PIPELINE).customers.add(mine)
    ServiceFactory(organisation=provider, name="他社向け", lifecycle=Lifecycle.LIVE)
    html = (
        client_for(user_with_role(Role.REQUESTER, mine)).get(reverse("portfolio:catalogue")).content.decode()
    )
    assert "経費精算" in html and "計画中" not in html and "他社向け" not in html
