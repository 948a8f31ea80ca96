"""The risk questionnaire, risk levels and windows (pure)."""

from __future__ import annotations

import datetime as dt
import itertools

from kaizen.changes import policies

T = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def test_every_complete_answer_set_scores_within_bounds_and_has_a_level():
    choices = [[c for c, _l, _s in q.answers] for q in policies.QUESTIONS]
    for combo in itertools.product(*choices):
        answers = {q.code: a for q, a in zip(policies.QUESTIONS, combo, strict=True)}
        assert policies.check_answers(answers) == {}
        points = policies.score(answers)
        assert 0 <= points <= policies.MAX_SCORE
        for impact in (1, 2, 3, 4):
            assert policies.level(points, impact) in ("low", "medium", "high")


def test_levels_and_impact():
    assert policies.level(0, 3) == "low" and policies.level(0, 1) == "medium"
    assert policies.level(9, 3) == "medium" and policies.level(10, 3) == "high"
    assert policies.level(19, 4) == "medium" and policies.level(2, 4) == "low"


def test_bad_answers():
    assert "risk_answers" in policies.check_answers(["downtime"])
    errors = policies.check_answers({"downtime": "weekly", "tested": 3, "colour": "red"})
    assert errors["downtime"] and errors["tested"] and errors["colour"] and errors["backout"]


def test_windows():
    assert policies.overlaps(T, T + H, T + H / 2, T + 2 * H)
    assert not policies.overlaps(T, T + H, T + H, T + 2 * H)  # touching windows do not overlap
    assert policies.check_window(None, None) == {}
    assert "planned_start" in policies.check_window(None, T)
    assert "planned_end" in policies.check_window(T, T)
    assert "planned_end" in policies.check_window(T, T + dt.timedelta(days=32))
    assert policies.check_window(T, T + H) == {}
