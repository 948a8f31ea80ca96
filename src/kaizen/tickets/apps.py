"""Application config of the ticket core (the service desk)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    """One ticket core for incidents, service requests and problems: workflows, rules, queues."""

    name = "kaizen.tickets"
    label = "tickets"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from kaizen.tickets import defaults, demo, navigation, receivers, tasks  # noqa: F401
