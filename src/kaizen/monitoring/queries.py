"""Reads of monitoring used by the views and the API (always from ``visible_to``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import Alert, Delivery, Event, Integration


def alerts(user: Any) -> QuerySet[Alert]:
    """Return the alerts ``user`` may see, with what the console shows."""
    return Alert.objects.visible_to(user).select_related("integration", "ci", "incident", "service")


def alert_events(alert: Alert, *, limit: int = 200) -> list[Event]:
    """Return the newest events of an alert."""
    return list(Event.objects.filter(alert=alert).order_by("-id")[:limit])


def integrations(user: Any) -> QuerySet[Integration]:
    """Return the integrations ``user`` may see, with their open alert counts."""
    return (
        Integration.objects.visible_to(user)
        .select_related("organisation", "default_service")
        .annotate(open_alerts=Count("alerts", filter=Q(alerts__is_open=True)))
    )


def recent_deliveries(integration: Integration, *, limit: int = 20) -> list[Delivery]:
    """Return the integration's last deliveries, newest first (the body is shown cut)."""
    return list(Delivery.objects.filter(integration=integration).order_by("-id")[:limit])


def counts(user: Any) -> dict[str, int]:
    """Return open alert counts by severity for the console header."""
    rows = Alert.objects.visible_to(user).filter(is_open=True).values("severity").annotate(n=Count("id"))
    return {r["severity"]: r["n"] for r in rows}


def incident_by_number(user: Any, number: str) -> Any:
    """Return the incident numbered ``number`` (``INC-000123``) that ``user`` may change, or None."""
    from kaizen.tickets.choices import Kind
    from kaizen.tickets.models import Ticket

    text = (number or "").strip().upper()[:20]
    if not text:
        return None
    return Ticket.objects.visible_to(user, "change").filter(number=text, kind=Kind.INCIDENT).first()


def changeable_alerts(user: Any, ids: Any) -> set[int]:
    """Return which of the alert ids ``user`` may act on (acknowledge, silence, link)."""
    return set(Alert.objects.visible_to(user, "change").filter(pk__in=list(ids)).values_list("pk", flat=True))
