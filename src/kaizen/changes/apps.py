"""Application config of change enablement."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """Change enablement and releases: RFCs, CAB approvals, schedule, reviews."""

    name = "kaizen.changes"
    label = "changes"
    verbose_name = _("Change enablement")

    def ready(self) -> None:
        from kaizen.changes import control, defaults, demo, navigation, receivers, services, views, workflow  # noqa: F401
        from kaizen.cmdb import control as cmdb_control

        cmdb_control.register(authorise=control.authorise, record=control.record)
