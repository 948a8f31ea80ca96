"""The article state machine, who may make each move, re-review dates and version differences."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kaizen.knowledge import policies
from kaizen.knowledge.choices import ArticleState
from kaizen.knowledge.policies import Actor

NOBODY = Actor(writer=False, manager=False, owner=False, reviewer=False)
AGENT = Actor(writer=True, manager=False, owner=False, reviewer=False)
OWNER = Actor(writer=True, manager=False, owner=True, reviewer=False)
REVIEWER = Actor(writer=True, manager=False, owner=False, reviewer=True)
MANAGER = Actor(writer=True, manager=True, owner=False, reviewer=False)


def test_the_moves_of_each_state():
    assert policies.allowed(ArticleState.DRAFT) == ["submit", "retire"]
    assert policies.allowed(ArticleState.IN_REVIEW) == ["publish", "return", "retire"]
    assert policies.allowed(ArticleState.PUBLISHED) == ["revise", "reconfirm", "retire"]
    assert policies.allowed(ArticleState.RETIRED) == ["revise"]


@pytest.mark.parametrize(
    ("code", "who"),
    [
        ("submit", {"AGENT", "OWNER", "REVIEWER", "MANAGER"}),
        ("publish", {"REVIEWER", "MANAGER"}),
        ("return", {"REVIEWER", "MANAGER"}),
        ("reconfirm", {"REVIEWER", "MANAGER"}),
        ("revise", {"OWNER", "MANAGER"}),
        ("retire", {"OWNER", "MANAGER"}),
        ("unknown", set()),
    ],
)
def test_who_may_make_each_move(code, who):
    actors = {"NOBODY": NOBODY, "AGENT": AGENT, "OWNER": OWNER, "REVIEWER": REVIEWER, "MANAGER": MANAGER}
    assert {name for name, actor in actors.items() if policies.may(code, actor)} == who


def test_an_owner_without_a_writing_role_may_not_retire():
    assert not policies.may("retire", Actor(writer=False, manager=False, owner=True, reviewer=False))


def test_every_combination_of_facts_gives_moves_of_the_state_only():
    for state in ArticleState.values:
        for flags in itertools.product([False, True], repeat=4):
            assert set(policies.moves(state, Actor(*flags))) <= set(policies.allowed(state))


def test_review_date_from_the_interval():
    day = dt.date(2026, 1, 31)
    assert policies.review_due(day, 180) == dt.date(2026, 7, 30)
    assert policies.review_due(day, 0) == day + dt.timedelta(days=policies.REVIEW_DAYS)
    assert policies.is_overdue(ArticleState.PUBLISHED, dt.date(2026, 1, 30), day)
    assert not policies.is_overdue(ArticleState.PUBLISHED, day, day)
    assert not policies.is_overdue(ArticleState.DRAFT, dt.date(2020, 1, 1), day)
    assert not policies.is_overdue(ArticleState.PUBLISHED, None, day)


def test_a_draft_needs_a_title_and_a_body():
    assert set(policies.publish_problems(title=" ", body="\n")) == {"title", "body"}
    assert policies.publish_problems(title="x", body="y") == {}


def test_diff_lines_show_what_changed_with_context():
    old = "\n".join(f"line {i}" for i in range(1, 11))
    new = old.replace("line 2", "line two").replace("line 9\n", "")
    lines = policies.diff_lines(old, new, context=1)
    kinds = [(d.kind, d.text) for d in lines]
    assert ("removed", "line 2") in kinds and ("added", "line two") in kinds
    assert ("removed", "line 9") in kinds
    assert ("gap", "…") in kinds
    assert ("same", "line 5") not in kinds
    assert policies.diff_lines("same", "same") == []
