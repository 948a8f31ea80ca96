"""Pure decisions of approvals: who waits first, and when a round is decided."""

from __future__ import annotations

from collections.abc import Sequence

from .choices import ApprovalMode, ApprovalState, RoundOutcome


def initial_states(mode: str, count: int) -> list[str]:
    """Return the starting state of each of ``count`` approvers (in order) under ``mode``."""
    waiting, pending = str(ApprovalState.WAITING), str(ApprovalState.PENDING)
    if mode == ApprovalMode.SEQUENCE:
        return [waiting] + [pending] * (count - 1) if count else []
    return [waiting] * count


def required(mode: str, count: int, quorum: int | None) -> int:
    """Return how many approvals a round of ``count`` approvers needs."""
    if mode == ApprovalMode.ANY:
        return 1
    if mode == ApprovalMode.QUORUM:
        return max(1, min(int(quorum or 1), count))
    return count


def outcome(mode: str, quorum: int | None, states: Sequence[str]) -> str:
    """Return the round's outcome from its approvers' states (delegated and skipped rows do not count).

    - any: the first decision decides;
    - sequence and all: one rejection rejects, every approval approves;
    - quorum: ``quorum`` approvals approve; the round is rejected as soon as the approvals still
      possible cannot reach the quorum.
    """
    counted = [s for s in states if s not in (ApprovalState.DELEGATED, ApprovalState.SKIPPED)]
    approved = sum(1 for s in counted if s == ApprovalState.APPROVED)
    rejected = sum(1 for s in counted if s == ApprovalState.REJECTED)
    open_ = sum(1 for s in counted if s in (ApprovalState.WAITING, ApprovalState.PENDING))
    need = required(mode, len(counted), quorum)
    if mode == ApprovalMode.ANY:
        if approved:
            return RoundOutcome.APPROVED
        return RoundOutcome.REJECTED if rejected else RoundOutcome.OPEN
    if mode == ApprovalMode.QUORUM:
        if approved >= need:
            return RoundOutcome.APPROVED
        return RoundOutcome.REJECTED if approved + open_ < need else RoundOutcome.OPEN
    if rejected:
        return RoundOutcome.REJECTED
    return RoundOutcome.APPROVED if counted and approved == len(counted) else RoundOutcome.OPEN
