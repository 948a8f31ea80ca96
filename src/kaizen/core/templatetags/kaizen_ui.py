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


@register.filter
def ticket_badges(ticket: object) -> str:
    """Render a work item's priority, state and flags as badges (one call per queue row)."""
    from django.utils.html import format_html, format_html_join
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext

    priority = getattr(ticket, "priority", 0)
    display = getattr(ticket, "get_priority_display", lambda: "")
    parts = [
        format_html('<span class="prio prio-{}" title="{}">P{}</span> ', priority, display(), priority),
        format_html(
            '<span class="state state-{}">{}</span>',
            getattr(ticket, "state_category", ""),
            getattr(ticket, "state", ""),
        ),
    ]
    flags = []
    if getattr(ticket, "major", False):
        flags.append(("badge-major", gettext("Major")))
    if getattr(ticket, "review_status", "") == "pending":
        flags.append(("badge-warn", gettext("Needs review")))
    parts.append(format_html_join("", ' <span class="badge {}">{}</span>', flags))
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped by format_html


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


@register.filter
def sla_cell(ticket: object, now: object) -> str:
    """Render a work item's service level projection (due time and what is left) for queue rows."""
    import datetime as dt

    from django.utils import timezone
    from django.utils.html import format_html
    from django.utils.translation import gettext, pgettext

    state = getattr(ticket, "sla_state", "")
    due = getattr(ticket, "sla_due_at", None)
    if not state:
        return "—"
    labels = {
        "running": pgettext("clock", "Running"),
        "paused": pgettext("clock", "Paused"),
        "met": pgettext("clock", "Met"),
        "breached": pgettext("clock", "Breached"),
        "cancelled": pgettext("clock", "Cancelled"),
    }
    if due is None or not isinstance(now, dt.datetime):
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
