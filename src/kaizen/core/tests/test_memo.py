"""Lookups remembered for one batch of writes, and counter values taken for a batch."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kaizen.accounts.models import Organisation
from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import memo, sequences
from kaizen.core.access import Role


def test_outside_a_batch_every_call_computes_and_inside_once_until_it_ends():
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert memo.remembered("k", compute) == 1 and memo.remembered("k", compute) == 2
    assert not memo.active()
    with memo.batch():
        assert memo.active()
        assert memo.remembered("k", compute) == 3
        with memo.batch():  # a nested batch joins the outer one
            assert memo.remembered("k", compute) == 3
        assert memo.remembered("other", compute) == 4
        assert memo.remembered("k", compute) == 3
    assert not memo.active()
    assert memo.remembered("k", compute) == 5


def test_a_batch_ends_even_when_it_raises():
    with pytest.raises(RuntimeError), memo.batch():
        raise RuntimeError
    assert not memo.active()


@pytest.mark.django_db
def test_visible_rows_are_looked_up_once_for_the_batch_and_only_if_visible():
    mine, other = OrganisationFactory(), OrganisationFactory()
    agent = user_with_role(Role.AGENT, mine)
    assert memo.visible(Organisation, agent, mine.pk) == mine
    assert memo.visible(Organisation, agent, other.pk) is None
    with memo.batch():
        memo.prefetch_visible(Organisation, agent, [mine.pk, other.pk, 10**9])
        with CaptureQueriesContext(connection) as queries:
            assert memo.visible(Organisation, agent, mine.pk) == mine
            assert memo.visible(Organisation, agent, other.pk) is None
            assert memo.visible(Organisation, agent, 10**9) is None
        assert len(queries) == 0
        admin = user_with_role(Role.ADMIN, None)
        assert memo.visible(Organisation, admin, other.pk) == other  # remembered per actor


@pytest.mark.django_db(transaction=True)
def test_counter_values_taken_for_a_batch_come_first_and_stay_unique():
    name = "tests.memo-counter"
    first = sequences.next_free_value(name)
    with memo.batch():
        sequences.reserve_free(name, 3)
        taken = [sequences.next_free_value(name) for _ in range(4)]  # the fourth asks the database
    assert taken == sorted(taken) and len(set(taken)) == 4 and taken[0] > first
    assert sequences.next_free_value(name) > taken[-1]
    sequences.reserve_free(name, 5)  # outside a batch: nothing taken
    assert sequences.next_free_value(name) == sequences.next_free_value(name) - 1
