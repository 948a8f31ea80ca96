"""Deterministic factories of the CMDB (direct writes, no audit rows)."""

from __future__ import annotations

import factory
from django.utils import timezone

from kaizen.accounts.tests.factories import OrganisationFactory
from kaizen.cmdb.choices import Propagation
from kaizen.cmdb.models import CIType, ConfigurationItem, Relationship, RelationshipType

SERVER_SCHEMA = [
    {"name": "hostname", "label": "ホスト名", "label_en": "Host name", "type": "hostname", "required": True},
    {"name": "ip_address", "label": "IPアドレス", "type": "ip", "required": False},
    {"name": "memory_gb", "label": "メモリ", "type": "integer", "required": False},
    {
        "name": "environment",
        "label": "環境",
        "type": "enum",
        "required": False,
        "choices": ["production", "test"],
    },
]


class CITypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CIType

    code = factory.Sequence(lambda n: f"type-{n}")
    name = factory.Sequence(lambda n: f"種別 {n}")
    attribute_schema: list = []


class CIFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConfigurationItem

    number = factory.Sequence(lambda n: f"CI-T{n:06d}")
    name = factory.Sequence(lambda n: f"ci-{n}")
    ci_type = factory.SubFactory(CITypeFactory)
    organisation = factory.SubFactory(OrganisationFactory)


class RelationshipTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelationshipType

    code = factory.Sequence(lambda n: f"rel-{n}")
    name = factory.Sequence(lambda n: f"依存 {n}")
    reverse_name = factory.Sequence(lambda n: f"被依存 {n}")
    propagation = Propagation.SOURCE_DEPENDS


class RelationshipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Relationship

    source = factory.SubFactory(CIFactory)
    target = factory.SubFactory(CIFactory, organisation=factory.SelfAttribute("..source.organisation"))
    relationship_type = factory.SubFactory(RelationshipTypeFactory)
    organisation = factory.SelfAttribute("source.organisation")
    started_at = factory.LazyFunction(timezone.now)
