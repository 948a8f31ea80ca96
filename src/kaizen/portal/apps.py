"""Application config of the requester portal."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The requester-facing portal: report incidents, request catalogue items, follow own tickets."""

    name = "kaizen.portal"
    label = "portal"
    verbose_name = _("Portal")
