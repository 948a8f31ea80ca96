"""The generic API suite on the portfolio endpoints, the catalogue rule and bad input."""

from __future__ import annotations

import itertools

import pytest

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for
from kaizen.portfolio.choices import Lifecycle
from kaizen.portfolio.models import PackageMember, ServiceDependency

from .factories import ServiceFactory

_n = itertools.count()


class TestServiceApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/services/",
        make=lambda org: ServiceFactory(organisation=org),
        create_payload=lambda org: {"code": f"svc-new-{next(_n)}", "name": "メール", "organisation": org.pk},
        update_payload={"service_hours": "24時間365日"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.ADMIN,
    )


@pytest.mark.django_db
def test_requesters_see_the_live_services_of_their_organisations_only():
    provider, mine, other = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    live = ServiceFactory(organisation=provider, lifecycle=Lifecycle.LIVE)
    live.customers.add(mine)
    pipeline = ServiceFactory(organisation=provider, lifecycle=Lifecycle.PIPELINE)
    pipeline.customers.add(mine)
    not_mine = ServiceFactory(organisation=provider, lifecycle=Lifecycle.LIVE)
    not_mine.customers.add(other)
    client = client_for(user_with_role(Role.REQUESTER, mine))
    ids = [row["id"] for row in client.get("/api/v1/services/").json()["results"]]
    assert ids == [live.pk]
    assert_problem(
        client.patch(f"/api/v1/services/{live.pk}/", {"name": "x", "version": 1}, format="json"), 403
    )
    assert_problem(client.get(f"/api/v1/services/{not_mine.pk}/"), 404)


@pytest.mark.django_db
def test_lifecycle_dates_and_supplier_rules():
    org, supplier = OrganisationFactory(), OrganisationFactory()
    client = client_for(user_with_role(Role.MANAGER, None))  # sees the supplier organisation too
    created = client.post(
        "/api/v1/services/",
        {"code": "vpn", "name": "VPN", "organisation": org.pk, "lifecycle": "live"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["live_since"]
    external = {"code": "saas", "name": "SaaS", "organisation": org.pk, "provider_kind": "external"}
    assert "supplier" in str(assert_problem(client.post("/api/v1/services/", external, format="json"), 400))
    ok = client.post("/api/v1/services/", {**external, "supplier": supplier.pk}, format="json")
    assert ok.status_code == 201, ok.content
    retired = client.patch(
        f"/api/v1/services/{ok.json()['id']}/", {"lifecycle": "retired", "version": 1}, format="json"
    )
    assert retired.status_code == 200 and retired.json()["retired_on"]


@pytest.mark.django_db
def test_packages_group_core_enabling_and_enhancing_services():
    org = OrganisationFactory()
    a, b, c = (ServiceFactory(organisation=org) for _ in range(3))
    client = client_for(user_with_role(Role.MANAGER, org))
    response = client.post(
        "/api/v1/service-packages/",
        {
            "code": "pkg",
            "name": "会計業務",
            "organisation": org.pk,
            "core": [a.pk],
            "enabling": [b.pk],
            "enhancing": [c.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["core"] == [a.pk]
    assert PackageMember.objects.count() == 3
    twice = client.post(
        "/api/v1/service-packages/",
        {"code": "pkg2", "name": "x", "organisation": org.pk, "core": [a.pk], "enabling": [a.pk]},
        format="json",
    )
    assert_problem(twice, 400)
    hidden = ServiceFactory(organisation=OrganisationFactory())
    assert_problem(
        client.post(
            "/api/v1/service-packages/",
            {"code": "pkg3", "name": "x", "organisation": org.pk, "core": [hidden.pk]},
            format="json",
        ),
        400,
    )


@pytest.mark.django_db
def test_dependencies_need_exactly_one_visible_target_and_end_instead_of_delete():
    org = OrganisationFactory()
    service, other = ServiceFactory(organisation=org), ServiceFactory(organisation=org)
    ci = CIFactory(organisation=org)
    client = client_for(user_with_role(Role.MANAGER, org))
    url = "/api/v1/service-dependencies/"
    assert_problem(client.post(url, {"service": service.pk}, format="json"), 400)
    assert_problem(
        client.post(
            url,
            {"service": service.pk, "depends_on_ci": ci.pk, "depends_on_service": other.pk},
            format="json",
        ),
        400,
    )
    assert_problem(
        client.post(url, {"service": service.pk, "depends_on_service": service.pk}, format="json"), 400
    )
    hidden_ci = CIFactory(organisation=OrganisationFactory())
    assert_problem(
        client.post(url, {"service": service.pk, "depends_on_ci": hidden_ci.pk}, format="json"), 400
    )
    ok = client.post(url, {"service": service.pk, "depends_on_ci": ci.pk}, format="json")
    assert ok.status_code == 201, ok.content
    assert_problem(client.post(url, {"service": service.pk, "depends_on_ci": ci.pk}, format="json"), 400)
    dep_id = ok.json()["id"]
    assert client.delete(f"{url}{dep_id}/").status_code == 204
    assert ServiceDependency.objects.get(pk=dep_id).ended_at is not None
