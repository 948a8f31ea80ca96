"""Template filters of the platform UI."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

from kaizen.core.context import Channel

register = template.Library()

ACTIONS = {
    "create": pgettext_lazy("audit action", "created"),
    "update": pgettext_lazy("audit action", "changed"),
    "delete": pgettext_lazy("audit action", "deleted"),
    "members": pgettext_lazy("audit action", "members changed"),
    "preferences": pgettext_lazy("audit action", "preferences changed"),
    "revoke": pgettext_lazy("audit action", "revoked"),
}
"""Labels of the audit actions used by the platform; domains may add theirs with :func:`add_action`."""


def add_action(code: str, label: object) -> None:
    """Register the translated label of a domain's audit action (``resolve``, ``approve``, ...)."""
    ACTIONS[code] = label  # type: ignore[assignment]


@register.filter
def action_label(code: str) -> str:
    """Return the translated label of an audit action (the code itself when unknown)."""
    return str(ACTIONS.get(code, code))


@register.filter
def channel_label(code: str) -> str:
    """Return the translated label of an audit channel."""
    try:
        return str(Channel(code).label)
    except ValueError:
        return code


@register.filter
def markdown(text: str | None) -> str:
    """Render Markdown as sanitised HTML (raw HTML in the text stays visible text)."""
    from kaizen.core.lib.markup import render

    return render(text)


def badge_labels() -> dict[str, str]:
    """Return the translated flag labels of :func:`badges_html` (look them up once per page)."""
    from django.utils.translation import gettext

    return {"major": gettext("Major"), "review": gettext("Needs review")}


def badges_html(
    *,
    priority: object,
    priority_label: object,
    category: object,
    state: object,
    major: bool,
    review_pending: bool,
    labels: dict[str, str],
) -> str:
    """Render a work item's priority, state and flags as badges from plain values (queue rows)."""
    from django.utils.html import format_html
    from django.utils.safestring import mark_safe

    html = format_html(
        '<span class="prio prio-{}" title="{}">P{}</span> <span class="state state-{}">{}</span>',
        priority,
        priority_label,
        priority,
        category,
        state,
    )
    if major:
        html += format_html(' <span class="badge {}">{}</span>', "badge-major", labels["major"])
    if review_pending:
        html += format_html(' <span class="badge {}">{}</span>', "badge-warn", labels["review"])
    return mark_safe(html)  # noqa: S308 - every part is escaped by format_html


@register.filter
def ticket_badges(ticket: object) -> str:
    """Render a work item's priority, state and flags as badges."""
    display = getattr(ticket, "get_priority_display", lambda: "")
    return badges_html(
        priority=getattr(ticket, "priority", 0),
        priority_label=display(),
        category=getattr(ticket, "state_category", ""),
        state=getattr(ticket, "state", ""),
        major=bool(getattr(ticket, "major", False)),
        review_pending=getattr(ticket, "review_status", "") == "pending",
        labels=badge_labels(),
    )


@register.filter
def duration_short(value: object) -> str:
    """Render a timedelta as hours and minutes ("2 h 05 min"; negative values with a minus sign)."""
    import datetime as dt

    from django.utils.translation import gettext

    if not isinstance(value, dt.timedelta):
        return ""
    total = int(value.total_seconds() // 60)
    sign = "-" if total < 0 else ""
    hours, minutes = divmod(abs(total), 60)
    if hours and minutes:
        return sign + gettext("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    if hours:
        return sign + gettext("%(h)d h") % {"h": hours}
    return sign + gettext("%(m)d min") % {"m": minutes}


def clock_labels() -> dict[str, str]:
    """Return the translated clock states of :func:`sla_html` (look them up once per page)."""
    from django.utils.translation import pgettext

    return {
        "running": pgettext("clock", "Running"),
        "paused": pgettext("clock", "Paused"),
        "met": pgettext("clock", "Met"),
        "breached": pgettext("clock", "Breached"),
        "cancelled": pgettext("clock", "Cancelled"),
    }


def sla_html(state: str, due: object, now: object, labels: dict[str, str]) -> str:
    """Render a service level projection (due time and what is left) from plain values."""
    import datetime as dt

    from django.utils import timezone
    from django.utils.html import format_html
    from django.utils.translation import gettext

    if not state:
        return "—"
    if not isinstance(due, dt.datetime) or not isinstance(now, dt.datetime):
        return format_html('<span class="badge clock-{}">{}</span>', state, labels.get(state, state))
    left = due - now
    if left.total_seconds() < 0:
        text = gettext("overdue by %(time)s") % {"time": duration_short(-left)}
        state = "breached"
    else:
        text = gettext("%(time)s left") % {"time": duration_short(left)}
    local = timezone.localtime(due)
    return format_html(
        '<span class="badge clock-{}">{}</span> <time datetime="{}">{}</time>',
        state,
        text,
        due.isoformat(),
        local.strftime("%m/%d %H:%M"),
    )


@register.filter
def sla_cell(ticket: object, now: object) -> str:
    """Render a work item's service level projection (due time and what is left)."""
    return sla_html(
        getattr(ticket, "sla_state", ""), getattr(ticket, "sla_due_at", None), now, clock_labels()
    )
