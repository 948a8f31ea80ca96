"""Application config of outbound webhooks."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Endpoints, deliveries, the wildcard outbox handler and the delivery jobs."""

    name = "kaizen.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from kaizen.webhooks import navigation, receivers, tasks  # noqa: F401
