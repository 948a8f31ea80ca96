"""Application config of approvals."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    """Generic approvals of tickets (service requests, changes): rounds, modes, delegation."""

    name = "kaizen.approvals"
    label = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from kaizen.approvals import hooks, navigation, receivers  # noqa: F401
