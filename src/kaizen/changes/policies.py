"""Pure decisions of change enablement: the risk questionnaire, risk levels, overlapping windows.

No ORM here: everything is tested exhaustively in ``tests/test_policies.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .choices import RiskLevel


@dataclass(frozen=True)
class Question:
    """One question of the risk questionnaire with its answers and their scores."""

    code: str
    text: str | Promise
    answers: tuple[tuple[str, str | Promise, int], ...]


QUESTIONS: tuple[Question, ...] = (
    Question(
        "downtime",
        gettext_lazy("Does the change interrupt the service?"),
        (
            ("none", gettext_lazy("No interruption"), 0),
            ("degraded", gettext_lazy("Degraded service during the change"), 2),
            ("outage", gettext_lazy("Planned outage"), 4),
        ),
    ),
    Question(
        "tested",
        gettext_lazy("Was the change tested in an environment like production?"),
        (
            ("yes", gettext_lazy("Yes, the same steps were rehearsed"), 0),
            ("partly", gettext_lazy("Partly"), 2),
            ("no", gettext_lazy("No"), 4),
        ),
    ),
    Question(
        "backout",
        gettext_lazy("How easily can the change be backed out?"),
        (
            ("easy", gettext_lazy("Easily, within minutes"), 0),
            ("hard", gettext_lazy("With effort (restore, hours)"), 2),
            ("impossible", gettext_lazy("Not at all (data migration, one way)"), 5),
        ),
    ),
    Question(
        "experience",
        gettext_lazy("Has the team made this kind of change before?"),
        (
            ("often", gettext_lazy("Often"), 0),
            ("once", gettext_lazy("Once or twice"), 1),
            ("never", gettext_lazy("Never"), 3),
        ),
    ),
    Question(
        "security",
        gettext_lazy("Does the change touch security controls or personal data?"),
        (
            ("no", gettext_lazy("No"), 0),
            ("yes", gettext_lazy("Yes"), 3),
        ),
    ),
)
BY_CODE = {q.code: q for q in QUESTIONS}
MAX_SCORE = sum(max(score for _c, _l, score in q.answers) for q in QUESTIONS)


def check_answers(answers: object) -> dict[str, str]:
    """Return the problems of a questionnaire (question code -> message); empty when complete."""
    if not isinstance(answers, Mapping):
        return {"risk_answers": _("The answers must be an object of question codes to answer codes.")}
    errors: dict[str, str] = {}
    for key in answers:
        if key not in BY_CODE:
            errors[str(key)[:50]] = _("Unknown question.")
    for question in QUESTIONS:
        value = answers.get(question.code)
        if value is None or value == "":
            errors[question.code] = _("Answer this question.")
        elif not isinstance(value, str) or value not in {c for c, _l, _s in question.answers}:
            errors[question.code] = _("Unknown answer.")
    return errors


def score(answers: Mapping[str, str]) -> int:
    """Return the questionnaire's score (answers checked by :func:`check_answers`)."""
    total = 0
    for question in QUESTIONS:
        total += next(s for c, _l, s in question.answers if c == answers[question.code])
    return total


def level(points: int, impact: int) -> str:
    """Return the risk level from the score and the ticket's impact (1 extensive .. 4 minor).

    The score gives the likelihood of trouble; an extensive impact raises the level by one step,
    a minor one lowers it (never below low).
    """
    base = 0 if points <= 4 else 1 if points <= 9 else 2
    if impact == 1:
        base += 1
    elif impact == 4:
        base -= 1
    return (RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH)[max(0, min(2, base))]


def overlaps(start: dt.datetime, end: dt.datetime, other_start: dt.datetime, other_end: dt.datetime) -> bool:
    """Tell whether two half-open windows [start, end) and [other_start, other_end) overlap."""
    return start < other_end and other_start < end


def check_window(start: dt.datetime | None, end: dt.datetime | None) -> dict[str, str]:
    """Return the problems of a planned window (field -> message)."""
    if start is None and end is None:
        return {}
    if start is None or end is None:
        return {"planned_end" if start else "planned_start": _("Give both the start and the end.")}
    if end <= start:
        return {"planned_end": _("The end must be after the start.")}
    if end - start > dt.timedelta(days=31):
        return {"planned_end": _("A change window is at most 31 days long.")}
    return {}
