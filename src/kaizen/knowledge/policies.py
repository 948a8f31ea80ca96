"""Pure decisions of knowledge management: the article state machine and who may make each move,
the periodic re-review date, and the difference between two versions.

No ORM here: callers pass plain facts (:class:`Actor`).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .choices import ArticleState

S = ArticleState
REVIEW_DAYS = 180
"""Default interval of the periodic re-review of a published article (days)."""
MAX_REVIEW_DAYS = 1095
EDITABLE_STATES = frozenset({S.DRAFT})
"""Title, body and audience change only in draft: what a reviewer approved is what is published."""


@dataclass(frozen=True)
class Actor:
    """What the decisions need to know about the person acting on one article."""

    writer: bool
    """Holds a writing role (agent, manager, administrator) in the article's organisation."""
    manager: bool
    """Holds a managing role (manager, administrator) in the article's organisation."""
    owner: bool
    """Is the article's owner."""
    reviewer: bool
    """Is one of the article's reviewers (and may read the article)."""


@dataclass(frozen=True)
class Transition:
    """One move of the article state machine."""

    code: str
    sources: frozenset[str]
    target: str


TRANSITIONS: dict[str, Transition] = {
    t.code: t
    for t in (
        Transition("submit", frozenset({S.DRAFT}), S.IN_REVIEW),
        Transition("publish", frozenset({S.IN_REVIEW}), S.PUBLISHED),
        Transition("return", frozenset({S.IN_REVIEW}), S.DRAFT),
        Transition("revise", frozenset({S.PUBLISHED, S.RETIRED}), S.DRAFT),
        Transition("reconfirm", frozenset({S.PUBLISHED}), S.PUBLISHED),
        Transition("retire", frozenset({S.DRAFT, S.IN_REVIEW, S.PUBLISHED}), S.RETIRED),
    )
}
"""Agents write and submit drafts; a reviewer or a manager publishes, returns or confirms a review;
the owner or a manager starts a new revision or retires the article."""


def allowed(state: str) -> list[str]:
    """Return the moves that apply in ``state`` (before rights are considered)."""
    return [code for code, t in TRANSITIONS.items() if state in t.sources]


def may(code: str, actor: Actor) -> bool:
    """Tell whether ``actor`` may make the move ``code`` (whatever the article's state)."""
    if code == "submit":
        return actor.writer
    if code in ("publish", "return", "reconfirm"):
        return actor.manager or actor.reviewer
    if code in ("revise", "retire"):
        return actor.manager or (actor.owner and actor.writer)
    return False


def moves(state: str, actor: Actor) -> list[str]:
    """Return the moves ``actor`` may make on an article in ``state``."""
    return [code for code in allowed(state) if may(code, actor)]


def review_due(published: dt.date, interval_days: int) -> dt.date:
    """Return the next periodic re-review of an article published or confirmed on ``published``."""
    days = interval_days if 0 < interval_days <= MAX_REVIEW_DAYS else REVIEW_DAYS
    return published + dt.timedelta(days=days)


def is_overdue(state: str, due: dt.date | None, today: dt.date) -> bool:
    """Tell whether a published article is past its re-review date."""
    return state == S.PUBLISHED and due is not None and due < today


def publish_problems(*, title: str, body: str) -> dict[str, list[str]]:
    """Return what keeps a draft from review or publication: it needs a title and a body."""
    out: dict[str, list[str]] = {}
    if not title.strip():
        out["title"] = [_("Give the article a title.")]
    if not body.strip():
        out["body"] = [_("Write the article's text before it is reviewed.")]
    return out


@dataclass(frozen=True)
class DiffLine:
    """One line of a version difference: ``kind`` is ``same``, ``added``, ``removed`` or ``gap``."""

    kind: str
    old_no: int | None
    new_no: int | None
    text: str


def diff_lines(old: str, new: str, *, context: int = 3) -> list[DiffLine]:
    """Return the lines that differ between two texts, with ``context`` unchanged lines around them.

    Plain values: the page escapes them like any text, so a body can never inject markup.
    """
    a, b = old.splitlines(), new.splitlines()
    out: list[DiffLine] = []
    groups: Sequence[list[tuple[str, int, int, int, int]]] = list(
        difflib.SequenceMatcher(None, a, b, autojunk=False).get_grouped_opcodes(context)
    )
    for n, group in enumerate(groups):
        if n:
            out.append(DiffLine("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine("same", i + 1, j1 + k + 1, a[i]) for k, i in enumerate(range(i1, i2)))
                continue
            if tag in ("replace", "delete"):
                out.extend(DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                out.extend(DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2))
    return out
