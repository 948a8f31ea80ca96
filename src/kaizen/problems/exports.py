"""The debt list as a table for CSV and XLSX (what the filters show, in the list's order)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.core.lib.spreadsheet import Table
from kaizen.tickets.models import Ticket

MAX_ROWS = 5000


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return timezone.localtime(moment).replace(tzinfo=None) if moment is not None else None


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def age_days(ticket: Ticket, now: dt.datetime) -> int:
    """Return how many whole days a problem has been open."""
    return max(0, (now - ticket.created_at).days)


def debt_table(rows: QuerySet[Ticket], *, now: dt.datetime | None = None) -> Table:
    """Return the debt list rows as one table (translated headers, raw values, at most 5,000 rows)."""
    now = now or timezone.now()
    table = Table(
        name="debt",
        title=_("Debt list"),
        headers=[
            _("Rank"),
            _("Number"),
            _("Title"),
            _("Organisation"),
            _("Service"),
            _("Problem owner"),
            _("Assignee"),
            _("State"),
            _("Priority"),
            _("Age (days)"),
            _("Last moved"),
            _("Incidents"),
            _("Known error"),
            _("Shared with development"),
            _("Development reference"),
            _("Root cause"),
            _("Workaround"),
        ],
        formats=[
            "int",
            "text",
            "text",
            "text",
            "text",
            "text",
            "text",
            "text",
            "text",
            "int",
            "datetime",
            "int",
            "text",
            "text",
            "text",
            "text",
            "text",
        ],
    )
    for ticket in rows[:MAX_ROWS]:
        record: Any = getattr(ticket, "problem_record", None)
        table.rows.append(
            [
                record.rank if record is not None else None,
                ticket.number,
                ticket.title,
                str(ticket.organisation),
                str(ticket.service) if ticket.service_id else "",
                str(record.owner) if record is not None and record.owner_id else "",
                str(ticket.assignee) if ticket.assignee_id else "",
                str(ticket.state),
                ticket.get_priority_display(),
                age_days(ticket, now),
                _local(getattr(ticket, "moved_at", None)),
                int(getattr(ticket, "incident_count", 0) or 0),
                _yes_no(bool(getattr(ticket, "has_known_error", False))),
                _yes_no(bool(record is not None and record.shared_with_development)),
                record.development_ref if record is not None else "",
                record.root_cause if record is not None else "",
                record.workaround if record is not None else "",
            ]
        )
    return table
