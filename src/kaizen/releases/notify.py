"""Mail about releases, rendered per recipient in their language (Japanese or English)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from kaizen.tickets.notify import Recipient, mail_each, of_person, of_team

from .models import Release


def recipients(release: Release) -> list[Recipient]:
    """Return who hears about the release: owner, watchers, change assignees, the service's team."""
    out = of_person(release.owner, staff=True)
    for person in release.watchers.all():
        out += of_person(person, staff=True)
    for ticket in release.change_tickets.select_related("assignee"):
        out += of_person(ticket.assignee, staff=True)
    if release.service is not None:
        out += of_team(release.service.owner_team)
    return out


def announce(release_id: int, state: str) -> int:
    """Mail each recipient once that the release went live (or was rolled back); return how many."""
    release = (
        Release.objects.select_related("owner__user", "service__owner_team", "went_live_by", "organisation")
        .filter(pk=release_id)
        .first()
    )
    if release is None or release.state != state:
        return 0
    url = settings.PUBLIC_URL + reverse("releases:releases-detail", args=[release.pk])
    changes = list(release.change_tickets.select_related("state").order_by("number"))
    return mail_each(
        recipients(release),
        f"releases/mail/{state}.txt",
        {"release": release, "changes": changes, "url": url},
        headers={"X-Kaizen-Release": release.number},
    )
