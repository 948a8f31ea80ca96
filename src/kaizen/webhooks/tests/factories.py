"""Deterministic factories of the webhooks domain (direct writes, no audit rows, no validation)."""

from __future__ import annotations

import factory

from kaizen.webhooks.models import WebhookDelivery, WebhookEndpoint


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    name = factory.Sequence(lambda n: f"通知先 {n}")
    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/kaizen")
    secret = factory.Sequence(lambda n: f"test-secret-{n:04d}-0123456789abcdef")
    topics: list = ["*"]


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(EndpointFactory)
    topic = "ticket.created"
    payload: dict = {"ticket_id": 1}
