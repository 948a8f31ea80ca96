"""The queue table of the agent UI: one page of rows as plain values with their cells precomputed.

A queue page shows 50 rows. Loading them as model instances (a ticket and five related rows each)
and letting the template call filters, ``{% url %}`` and translations per row cost more than the
query, and PostgreSQL spent longer *planning* the six-table join of ``select_related`` (6-20 ms on
1M tickets; planning grows steeply with each joined table) than running it (1 ms). So the page is
one values query of the ticket table whose names (state, organisation, requester, team, assignee)
are scalar sub-selects by primary key (planned in well under a millisecond), and each cell's text
is made once per page (labels, the ticket URL pattern) or once per row with plain string work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from kaizen.accounts.models import Organisation, Person, Team
from kaizen.core.lib.dates import formatter
from kaizen.core.templatetags.kaizen_ui import badge_labels, badges_html, clock_labels, sla_html

from .choices import Priority, ReviewStatus
from .models import Ticket, WorkflowState

COLUMNS = (
    "id",
    "number",
    "title",
    "priority",
    "state_category",
    "major",
    "review_status",
    "sla_state",
    "sla_due_at",
    "updated_at",
    "state_id",
    "organisation_id",
    "requester_id",
    "team_id",
    "assignee_id",
)
"""What a row reads (the sort keys of every queue order are among them, for the keyset cursor)."""
NAMES = {
    "state_name": (WorkflowState, "state_id", "name"),
    "state_name_en": (WorkflowState, "state_id", "name_en"),
    "organisation_name": (Organisation, "organisation_id", "name"),
    "requester_name": (Person, "requester_id", "name"),
    "team_name": (Team, "team_id", "name"),
    "assignee_name": (Person, "assignee_id", "name"),
}
"""The names a row shows: the model, the row's key and the field (``name`` is each model's ``__str__``)."""


def _name(model: type[Model], key: str, field: str) -> Subquery:
    """A row's related name as a sub-select by primary key (None when the key is empty)."""
    return Subquery(model._default_manager.filter(pk=OuterRef(key)).order_by().values(field)[:1])


_MARK = 987654321987
"""A ticket id that never occurs in a URL pattern's fixed text (to split the reversed URL)."""


def rows(queryset: QuerySet[Ticket], limit: int, *, now: dt.datetime) -> list[dict[str, Any]]:
    """Return up to ``limit`` rows of ``queryset`` (already filtered and ordered) for the queue page.

    Each row holds the sort keys (``id``, ``priority``, ``updated_at``, ``sla_due_at``) and the
    cells: ``url``, ``number``, ``title``, ``badges`` and ``sla`` (safe HTML), ``organisation``,
    ``requester`` (None without one), ``team``, ``assignee``, ``updated_iso``, ``updated`` and
    ``stale_why``; the same text the ticket model's template filters give.
    """
    english = (translation.get_language() or "ja").startswith("en")
    priorities = {p.value: str(p.label) for p in Priority}
    flags, clocks = badge_labels(), clock_labels()
    unassigned = gettext("unassigned")
    short = formatter(formats.get_format("SHORT_DATETIME_FORMAT"))
    head, _sep, tail = reverse("tickets:ticket", args=[_MARK]).partition(str(_MARK))
    names = {alias: _name(*spec) for alias, spec in NAMES.items()}
    page = list(queryset.annotate(**names).values(*COLUMNS, *names)[:limit])
    for row in page:
        updated = timezone.localtime(row["updated_at"])
        row.update(
            url=f"{head}{row['id']}{tail}",
            badges=badges_html(
                priority=row["priority"],
                priority_label=priorities.get(row["priority"], row["priority"]),
                category=row["state_category"],
                state=(row["state_name_en"] if english else "") or row["state_name"],
                major=row["major"],
                review_pending=row["review_status"] == ReviewStatus.PENDING,
                labels=flags,
            ),
            sla=sla_html(row["sla_state"], row["sla_due_at"], now, clocks),
            organisation=row["organisation_name"],
            requester=row["requester_name"],
            team="—" if row["team_name"] is None else row["team_name"],
            assignee=unassigned if row["assignee_name"] is None else row["assignee_name"],
            updated_iso=updated.isoformat(),
            updated=short(updated),
            stale_why="",
        )
    return page
