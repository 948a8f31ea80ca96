"""The in-process graph index: same answers as the tables, caught up exactly after every change."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb import services as cmdb_services
from kaizen.cmdb.choices import Propagation
from kaizen.cmdb.models import ConfigurationItem, GraphChange, Relationship, RelationshipType
from kaizen.cmdb.tests.factories import CIFactory, RelationshipFactory, RelationshipTypeFactory
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.portfolio import impact, impact_index
from kaizen.portfolio.tests.factories import ServiceFactory, depends

pytestmark = pytest.mark.django_db


def _shape(result: impact.ImpactResult) -> dict:
    return {node: (reach.depth, sorted(reach.parents)) for node, reach in result.reached.items()}


def _same_as_tables(start, direction="up", depth=10):
    """Walk from ``start`` in the index and in the tables (as of a moment after every write)."""
    later = timezone.now() + dt.timedelta(seconds=1)
    fast = impact.traverse(start, direction=direction, max_depth=depth)
    slow = impact.traverse(start, direction=direction, max_depth=depth, as_of=later)
    assert _shape(fast) == _shape(slow)
    assert fast.truncated == slow.truncated
    return fast


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 7), st.integers(0, 3), st.integers(0, 7)), min_size=0, max_size=25
    ),
    ended=st.sets(st.integers(0, 24), max_size=6),
    service_needs=st.lists(st.integers(0, 7), max_size=4),
    depth=st.integers(1, 6),
)
def test_index_walks_like_the_tables_on_random_graphs(edges, ended, service_needs, depth):
    with transaction.atomic():
        org = OrganisationFactory()
        kinds = [RelationshipTypeFactory(propagation=p) for p in Propagation.values]
        cis = [CIFactory(organisation=org) for _ in range(8)]
        impact.traverse(("ci", cis[0].pk))  # the index exists before the edges: they arrive as changes
        rels = []
        for source, kind, target in edges:
            if source == target:
                continue
            rel, _ = Relationship.objects.get_or_create(
                source=cis[source],
                target=cis[target],
                relationship_type=kinds[kind],
                ended_at=None,
                defaults={"organisation": org, "started_at": timezone.now() - dt.timedelta(seconds=5)},
            )
            rels.append(rel)
        for position in ended:
            if position < len(rels) and rels[position].ended_at is None:
                rels[position].ended_at = timezone.now()
                rels[position].save()
        service, base = ServiceFactory(organisation=org), ServiceFactory(organisation=org)
        depends(service, on_service=base, at=timezone.now() - dt.timedelta(seconds=5))
        for ci in set(service_needs):
            depends(base, on_ci=cis[ci], at=timezone.now() - dt.timedelta(seconds=5))
        for ci in cis:
            _same_as_tables(("ci", ci.pk), depth=depth)
        _same_as_tables(("service", service.pk), direction="down", depth=depth)
        transaction.set_rollback(True)


def test_changes_after_loading_are_applied_without_reloading():
    org = OrganisationFactory()
    a, b, c = (CIFactory(organisation=org) for _ in range(3))
    kind = RelationshipTypeFactory()
    RelationshipFactory(source=b, target=a, relationship_type=kind)
    assert ("ci", b.pk) in impact.traverse(("ci", a.pk)).reached
    with impact_index.current() as index:
        arrays = index.up
    admin = user_with_role(Role.ADMIN, None)
    with context.acting(user=admin, channel=context.Channel.CLI):
        rel = cmdb_services.relate(actor=admin, data={"source": c, "relationship_type": kind, "target": b})
        assert ("ci", c.pk) in _same_as_tables(("ci", a.pk)).reached
        cmdb_services.end_relationship(rel.pk, actor=admin, version=rel.version)
    assert ("ci", c.pk) not in _same_as_tables(("ci", a.pk)).reached
    with impact_index.current() as index:
        assert index.up is arrays  # caught up from the change log, not reloaded
        assert index.overlay_size() == 1


def test_a_rolled_back_change_is_forgotten():
    org = OrganisationFactory()
    a, b, c = (CIFactory(organisation=org) for _ in range(3))
    kind = RelationshipTypeFactory()
    RelationshipFactory(source=b, target=a, relationship_type=kind)
    impact.traverse(("ci", a.pk))
    with pytest.raises(RuntimeError), transaction.atomic():
        RelationshipFactory(source=c, target=a, relationship_type=kind)
        assert ("ci", c.pk) in impact.traverse(("ci", a.pk)).reached  # seen inside the transaction
        raise RuntimeError("roll back")
    assert ("ci", c.pk) not in _same_as_tables(("ci", a.pk)).reached
    # Another change now takes the rolled-back change's number: the copy notices the new token.
    d = CIFactory(organisation=org)
    RelationshipFactory(source=d, target=b, relationship_type=kind)
    reached = _same_as_tables(("ci", a.pk)).reached
    assert ("ci", d.pk) in reached and ("ci", c.pk) not in reached


def test_changing_propagation_reloads_the_graph():
    org = OrganisationFactory()
    a, b = CIFactory(organisation=org), CIFactory(organisation=org)
    kind = RelationshipTypeFactory(propagation=Propagation.SOURCE_DEPENDS)
    RelationshipFactory(source=b, target=a, relationship_type=kind)
    assert ("ci", b.pk) in impact.traverse(("ci", a.pk)).reached
    kind.propagation = Propagation.NONE
    kind.save()
    assert ("ci", b.pk) not in _same_as_tables(("ci", a.pk)).reached
    assert GraphChange.objects.filter(full=True).exists()


def test_deleting_an_edge_row_reloads_the_graph():
    org = OrganisationFactory()
    a, b = CIFactory(organisation=org), CIFactory(organisation=org)
    service = ServiceFactory(organisation=org)
    dependency = depends(service, on_ci=b)
    RelationshipFactory(source=b, target=a)
    assert ("service", service.pk) in impact.traverse(("ci", a.pk)).reached
    dependency.delete()
    assert ("service", service.pk) not in _same_as_tables(("ci", a.pk)).reached


@pytest.mark.django_db(transaction=True)
def test_edges_are_recorded_only_inside_a_transaction():
    with pytest.raises(RuntimeError):
        GraphChange.record()


def test_an_empty_graph_and_an_unknown_start():
    assert set(impact.traverse(("ci", 999_999)).reached) == {("ci", 999_999)}
    assert (
        impact.describe(impact.traverse(("service", 999_999)), user_with_role(Role.ADMIN, None))["services"]
        == []
    )


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_connection_is_seen_in_commit_order():
    """A writer holding the change counter blocks the next writer; readers see both in order."""
    org = OrganisationFactory()
    a, b, c = (CIFactory(organisation=org) for _ in range(3))
    kind = RelationshipTypeFactory()
    impact_index.reset()
    assert set(impact.traverse(("ci", a.pk)).reached) == {("ci", a.pk)}
    first_open, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer(source: ConfigurationItem, hold: bool) -> None:
        try:
            with transaction.atomic():
                Relationship.objects.create(
                    source=source,
                    target=a,
                    relationship_type=kind,
                    organisation=org,
                    started_at=timezone.now(),
                )
                if hold:
                    first_open.set()
                    release.wait(10)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connection.close()

    slow = threading.Thread(target=writer, args=(b, True))
    slow.start()
    assert first_open.wait(10)
    fast = threading.Thread(target=writer, args=(c, False))
    fast.start()
    fast.join(0.5)
    # Uncommitted: not visible; on SQLite the second writer waits for the lock as on PostgreSQL.
    assert set(impact.traverse(("ci", a.pk)).reached) == {("ci", a.pk)}
    release.set()
    slow.join(10)
    fast.join(10)
    assert not errors
    reached = set(impact.traverse(("ci", a.pk)).reached)
    assert reached == {("ci", a.pk), ("ci", b.pk), ("ci", c.pk)}
    seqs = list(Relationship.objects.order_by("graph_seq").values_list("source_id", flat=True))
    assert seqs == [b.pk, c.pk]
    assert RelationshipType.objects.exists()
