"""Reactions to release events, run after commit by the outbox: mail when a release goes live or is
rolled back."""

from __future__ import annotations

from typing import Any

from kaizen.core import events

from . import notify
from .choices import ReleaseState


@events.handler("release.state_changed")
def tell_about_go_live(payload: dict[str, Any]) -> None:
    """Mail the owner, the watchers, the assignees of the bundled changes and the service's team."""
    if payload.get("to_state") not in (ReleaseState.LIVE, ReleaseState.ROLLED_BACK):
        return
    notify.announce(int(payload["release_id"]), str(payload["to_state"]))
