"""When a round of approvals is decided, for every mode (pure, exhaustive over small rounds)."""

from __future__ import annotations

import itertools

import pytest

from kaizen.approvals import policies
from kaizen.approvals.choices import ApprovalMode, ApprovalState, RoundOutcome

A, R, W, P, D, S = (
    ApprovalState.APPROVED,
    ApprovalState.REJECTED,
    ApprovalState.WAITING,
    ApprovalState.PENDING,
    ApprovalState.DELEGATED,
    ApprovalState.SKIPPED,
)


def test_initial_states():
    assert policies.initial_states(ApprovalMode.SEQUENCE, 3) == [W, P, P]
    assert policies.initial_states(ApprovalMode.ANY, 3) == [W, W, W]
    assert policies.initial_states(ApprovalMode.ALL, 2) == [W, W]
    assert policies.initial_states(ApprovalMode.QUORUM, 0) == []


@pytest.mark.parametrize(
    ("mode", "quorum", "states", "expected"),
    [
        (ApprovalMode.ANY, None, [W, W], RoundOutcome.OPEN),
        (ApprovalMode.ANY, None, [A, W], RoundOutcome.APPROVED),
        (ApprovalMode.ANY, None, [R, W], RoundOutcome.REJECTED),
        (ApprovalMode.SEQUENCE, None, [A, W], RoundOutcome.OPEN),
        (ApprovalMode.SEQUENCE, None, [A, A], RoundOutcome.APPROVED),
        (ApprovalMode.SEQUENCE, None, [A, R], RoundOutcome.REJECTED),
        (ApprovalMode.ALL, None, [W, A], RoundOutcome.OPEN),
        (ApprovalMode.ALL, None, [R, W], RoundOutcome.REJECTED),
        (ApprovalMode.ALL, None, [D, A, A], RoundOutcome.APPROVED),  # the delegate's row counts instead
        (ApprovalMode.QUORUM, 2, [A, W, W], RoundOutcome.OPEN),
        (ApprovalMode.QUORUM, 2, [A, A, W], RoundOutcome.APPROVED),
        (ApprovalMode.QUORUM, 2, [R, W, W], RoundOutcome.OPEN),
        (ApprovalMode.QUORUM, 2, [R, R, W], RoundOutcome.REJECTED),
        (ApprovalMode.QUORUM, 3, [A, A, R], RoundOutcome.REJECTED),
        (ApprovalMode.QUORUM, 9, [A, A], RoundOutcome.APPROVED),  # a quorum above the size needs all
    ],
)
def test_outcome(mode, quorum, states, expected):
    assert policies.outcome(mode, quorum, states) == expected


def test_any_one_first_decision_decides():
    for size in range(1, 5):
        for i in range(size):
            for decision, result in ((A, RoundOutcome.APPROVED), (R, RoundOutcome.REJECTED)):
                states = [W] * size
                states[i] = decision
                assert policies.outcome(ApprovalMode.ANY, None, states) == result


# With "any one" the round closes at its first decision (the service skips the others), so only
# the modes that wait for several decisions are checked for stability.
@pytest.mark.parametrize("mode", [ApprovalMode.SEQUENCE, ApprovalMode.ALL, ApprovalMode.QUORUM])
def test_a_decided_round_never_reopens_and_every_complete_round_is_decided(mode):
    for size in range(1, 5):
        for quorum in range(1, size + 1):
            for states in itertools.product([A, R, W, S], repeat=size):
                result = policies.outcome(mode, quorum, list(states))
                counted = [s for s in states if s != S]
                if counted and W not in counted:
                    assert result != RoundOutcome.OPEN, (mode, quorum, states)
                if result != RoundOutcome.OPEN:
                    # deciding one more waiting approver cannot change a decided outcome
                    for i, s in enumerate(states):
                        if s == W:
                            for d in (A, R):
                                later = [*states[:i], d, *states[i + 1 :]]
                                assert policies.outcome(mode, quorum, later) == result, (mode, quorum, states)
