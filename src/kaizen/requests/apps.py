"""Application config of service requests."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    """The request catalogue and fulfilment tasks (approvals through kaizen.approvals)."""

    name = "kaizen.requests"
    label = "requests"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from kaizen.requests import demo, guards, navigation  # noqa: F401
