"""Application config of email intake."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """Email intake: mailboxes, the raw inbox of messages, threading into tickets."""

    name = "kaizen.intake"
    label = "intake"
    verbose_name = _("Email intake")

    def ready(self) -> None:
        from . import demo, navigation, tasks, threads  # noqa: F401 (registrations)

        threads.install()
