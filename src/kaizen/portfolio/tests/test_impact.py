"""Impact analysis: propagation rules, paths, depth limit, cycles, hidden records, "as of"."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.utils import timezone

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb import services as cmdb_services
from kaizen.cmdb.choices import Propagation
from kaizen.cmdb.tests.factories import CIFactory, RelationshipFactory, RelationshipTypeFactory
from kaizen.core.access import Role
from kaizen.core.testing.api import assert_problem, client_for
from kaizen.portfolio import impact, services
from kaizen.portfolio.tests.factories import ServiceFactory, depends

pytestmark = pytest.mark.django_db


def _chain(org, n, propagation=Propagation.SOURCE_DEPENDS):
    """Return CIs c0..c(n-1) where c(i+1) depends on c(i) (c0 is the bottom)."""
    kind = RelationshipTypeFactory(propagation=propagation)
    cis = [CIFactory(organisation=org, name=f"c{i}") for i in range(n)]
    for lower, upper in itertools.pairwise(cis):
        RelationshipFactory(source=upper, target=lower, relationship_type=kind)
    return cis, kind


def test_failure_travels_up_to_services_and_customers_with_paths():
    org = OrganisationFactory()
    customer = OrganisationFactory(name="さくら商事")
    cis, _ = _chain(org, 3)
    service = ServiceFactory(organisation=org)
    service.customers.add(customer)
    depends(service, on_ci=cis[2])
    user = user_with_role(Role.AGENT, org)
    result = impact.describe(impact.traverse(("ci", cis[0].pk)), user)
    assert [s["id"] for s in result["services"]] == [service.pk]
    row = result["services"][0]
    assert row["depth"] == 3
    assert [step["id"] for step in row["paths"][0]] == [cis[0].pk, cis[1].pk, cis[2].pk, service.pk]
    assert [c["name"] for c in result["customers"]] == ["さくら商事"]
    assert [c["id"] for c in result["cis"]] == [cis[1].pk, cis[2].pk]


def test_down_lists_what_a_service_needs():
    org = OrganisationFactory()
    cis, _ = _chain(org, 3)
    service = ServiceFactory(organisation=org)
    base = ServiceFactory(organisation=org)
    depends(service, on_ci=cis[2])
    depends(service, on_service=base)
    result = impact.describe(
        impact.traverse(("service", service.pk), direction="down"), user_with_role(Role.AGENT, org)
    )
    assert {c["id"] for c in result["cis"]} == {c.pk for c in cis}
    assert [s["id"] for s in result["services"]] == [base.pk]


@pytest.mark.parametrize(
    ("propagation", "up_from_target_reaches_source", "up_from_source_reaches_target"),
    [
        (Propagation.SOURCE_DEPENDS, True, False),
        (Propagation.TARGET_DEPENDS, False, True),
        (Propagation.BOTH, True, True),
        (Propagation.NONE, False, False),
    ],
)
def test_propagation_follows_the_relationship_type(
    propagation, up_from_target_reaches_source, up_from_source_reaches_target
):
    org = OrganisationFactory()
    rel = RelationshipFactory(
        source=CIFactory(organisation=org), relationship_type=RelationshipTypeFactory(propagation=propagation)
    )
    from_target = impact.traverse(("ci", rel.target_id))
    from_source = impact.traverse(("ci", rel.source_id))
    assert (("ci", rel.source_id) in from_target.reached) is up_from_target_reaches_source
    assert (("ci", rel.target_id) in from_source.reached) is up_from_source_reaches_target


def test_cycles_terminate_and_every_node_appears_once():
    org = OrganisationFactory()
    cis, kind = _chain(org, 4)
    RelationshipFactory(source=cis[0], target=cis[3], relationship_type=kind)  # closes the loop
    result = impact.traverse(("ci", cis[0].pk), max_depth=50)
    assert set(result.reached) == {("ci", c.pk) for c in cis}
    assert result.truncated is False


def test_depth_limit_is_reported():
    org = OrganisationFactory()
    cis, _ = _chain(org, 6)
    result = impact.traverse(("ci", cis[0].pk), max_depth=2)
    assert max(r.depth for r in result.reached.values()) == 2
    assert result.truncated is True
    assert impact.traverse(("ci", cis[0].pk), max_depth=10).truncated is False


def test_several_shortest_paths_are_kept():
    org = OrganisationFactory()
    kind = RelationshipTypeFactory()
    bottom, left, right, top = (CIFactory(organisation=org) for _ in range(4))
    for middle in (left, right):
        RelationshipFactory(source=middle, target=bottom, relationship_type=kind)
        RelationshipFactory(source=top, target=middle, relationship_type=kind)
    result = impact.traverse(("ci", bottom.pk))
    assert len(result.paths(("ci", top.pk))) == 2


def test_records_of_other_organisations_are_hidden_but_the_dependency_is_shown():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    hidden_host = CIFactory(organisation=theirs)
    app = CIFactory(organisation=mine)
    RelationshipFactory(source=app, target=hidden_host, organisation=mine)
    bottom = CIFactory(organisation=theirs)
    RelationshipFactory(source=hidden_host, target=bottom, organisation=theirs)
    service = ServiceFactory(organisation=mine)
    depends(service, on_ci=app)
    user = user_with_role(Role.AGENT, mine)
    result = impact.describe(impact.traverse(("ci", bottom.pk)), user)
    assert result["start"]["visible"] is False
    assert [s["id"] for s in result["services"]] == [service.pk]
    assert hidden_host.pk not in [c["id"] for c in result["cis"]]
    assert result["hidden_nodes"] == 2
    path = result["services"][0]["paths"][0]
    assert [step["visible"] for step in path] == [False, False, True, True]
    assert all(step["label"] == "" for step in path if not step["visible"])


def test_as_of_replays_ended_relationships_and_past_customers():
    org = OrganisationFactory()
    admin = user_with_role(Role.ADMIN, None)
    old_customer, new_customer = OrganisationFactory(name="旧顧客"), OrganisationFactory(name="新顧客")
    start = timezone.now() - dt.timedelta(days=30)
    with time_machine.travel(start, tick=False):
        host = CIFactory(organisation=org)
        app = CIFactory(organisation=org)
        kind = RelationshipTypeFactory()
        rel = cmdb_services.relate(
            actor=admin, data={"source": app, "relationship_type": kind, "target": host}
        )
        service = services.create_service(
            actor=admin,
            data={"code": "acct", "name": "会計", "organisation": org, "lifecycle": "live"},
            customers=[old_customer],
        )
        services.add_dependency(actor=admin, data={"service": service, "depends_on_ci": app})
    with time_machine.travel(start + dt.timedelta(days=10), tick=False):
        cmdb_services.end_relationship(rel.pk, actor=admin, version=1)
        services.update_service(service.pk, actor=admin, changes={}, version=1, customers=[new_customer])
    now = impact.describe(impact.traverse(("ci", host.pk)), admin)
    assert now["services"] == []
    past = impact.describe(impact.traverse(("ci", host.pk), as_of=start + dt.timedelta(days=5)), admin)
    assert [s["id"] for s in past["services"]] == [service.pk]
    assert [c["name"] for c in past["customers"]] == ["旧顧客"]
    before = impact.describe(impact.traverse(("ci", host.pk), as_of=start - dt.timedelta(days=1)), admin)
    assert before["services"] == [] and before["cis"] == []


def test_impact_api_endpoints_and_parameters():
    org = OrganisationFactory()
    cis, _ = _chain(org, 2)
    service = ServiceFactory(organisation=org)
    depends(service, on_ci=cis[1])
    client = client_for(user_with_role(Role.AGENT, org))
    body = client.get(f"/api/v1/cis/{cis[0].pk}/impact/").json()
    assert [s["id"] for s in body["services"]] == [service.pk]
    down = client.get(f"/api/v1/services/{service.pk}/impact/", {"direction": "down", "depth": 1}).json()
    assert [c["id"] for c in down["cis"]] == [cis[1].pk] and down["truncated"] is True
    for params in (
        {"direction": "sideways"},
        {"depth": 0},
        {"depth": 99},
        {"depth": "x"},
        {"as_of": "yesterday"},
    ):
        assert_problem(client.get(f"/api/v1/cis/{cis[0].pk}/impact/", params), 400)
    other = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert_problem(other.get(f"/api/v1/cis/{cis[0].pk}/impact/"), 404)
    assert_problem(other.get(f"/api/v1/services/{service.pk}/impact/"), 404)
    assert_problem(client_for(None).get(f"/api/v1/cis/{cis[0].pk}/impact/"), 401)


def test_impact_page_draws_the_graph_and_lists():
    from django.urls import reverse

    from kaizen.core.testing.ui import client_for as ui_client

    org = OrganisationFactory()
    cis, _ = _chain(org, 2)
    service = ServiceFactory(organisation=org, name="会計Aシステム")
    depends(service, on_ci=cis[1])
    client = ui_client(user_with_role(Role.AGENT, org))
    page = client.get(reverse("portfolio:ci-impact", args=[cis[0].pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        "<svg" in html
        and "会計Aシステム" in html
        and reverse("portfolio:services-detail", args=[service.pk]) in html
    )
    bad = client.get(reverse("portfolio:ci-impact", args=[cis[0].pk]), {"depth": "-3", "as_of": "nope"})
    assert bad.status_code == 400
    assert (
        client.get(reverse("portfolio:service-impact", args=[service.pk]), {"direction": "down"}).status_code
        == 200
    )
    outsider = ui_client(user_with_role(Role.AGENT, OrganisationFactory()))
    assert outsider.get(reverse("portfolio:ci-impact", args=[cis[0].pk])).status_code == 404
