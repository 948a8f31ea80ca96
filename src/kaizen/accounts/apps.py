"""Application config of the accounts domain."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Organisations, people, teams, users and role memberships."""

    name = "kaizen.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from kaizen.accounts import demo, navigation, receivers  # noqa: F401
