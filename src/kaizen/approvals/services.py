"""Every write of approvals: start a round, decide, delegate, withdraw.

A round belongs to one ticket; the domain that owns the ticket's kind registers what happens
when a round is decided (:func:`register_outcome`: a request is approved or rejected, a change
is scheduled or rejected). Decisions lock the ticket first, so two approvers deciding at the
same moment are serialised and the round has exactly one outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kaizen.core import audit, events
from kaizen.core.services import create_record
from kaizen.tickets.choices import FINAL_CATEGORIES
from kaizen.tickets.models import Ticket

from . import policies
from .choices import OPEN_STATES, ApprovalMode, ApprovalState, RoundOutcome
from .events import ApprovalRequested, RoundDecided
from .models import MAX_COMMENT, Approval, ApprovalRound

MAX_APPROVERS = 20

Outcome = Callable[[Ticket, ApprovalRound, bool, Any], None]
OUTCOMES: dict[str, Outcome] = {}
"""ticket kind -> fn(locked ticket, round, approved, actor) run when a round is decided."""


def register_outcome(kind: str, fn: Outcome) -> Outcome:
    """Register what a decided round does to tickets of ``kind`` (inside the deciding transaction)."""
    OUTCOMES[kind] = fn
    return fn


def _user_id(actor: Any) -> int | None:
    return getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None


def _requester_user_id(ticket: Ticket) -> int | None:
    if ticket.requester_id is None:
        return None
    requester = ticket.requester
    return getattr(requester, "user_id", None) if requester is not None else None


def _clean_comment(comment: Any) -> str:
    text = str(comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationError({"comment": _("At most %(n)s characters.") % {"n": MAX_COMMENT}})
    return text


def _approvers(values: Iterable[Any]) -> list[Any]:
    users = list(dict.fromkeys(values))
    if not users:
        raise ValidationError({"approvers": _("Name at least one approver.")})
    if len(users) > MAX_APPROVERS:
        raise ValidationError({"approvers": _("At most %(n)s approvers.") % {"n": MAX_APPROVERS}})
    inactive = [str(u) for u in users if not getattr(u, "is_active", False)]
    if inactive:
        raise ValidationError(
            {"approvers": _("These logins are disabled: %(names)s.") % {"names": ", ".join(inactive)}}
        )
    return users


def open_round(ticket: Ticket | int) -> ApprovalRound | None:
    """Return the ticket's round still waiting for decisions, if any."""
    pk = ticket.pk if isinstance(ticket, Ticket) else int(ticket)
    return ApprovalRound.objects.filter(ticket_id=pk, outcome=RoundOutcome.OPEN).order_by("-id").first()


def start(
    ticket: Ticket,
    *,
    approvers: Sequence[Any],
    mode: str,
    quorum: int | None = None,
    purpose: str = "",
    actor: Any = None,
    allow_self: bool = False,
) -> ApprovalRound:
    """Open a round of approvals on a (locked) ticket and ask the first approvers.

    Raises:
        ValidationError: no or too many approvers, a disabled login, an unknown mode, a quorum
            outside 1..approvers, or the ticket already has an open round.
    """
    if mode not in ApprovalMode.values or mode == ApprovalMode.NONE:
        raise ValidationError({"mode": _("Unknown approval mode.")})
    users = _approvers(approvers)
    if mode == ApprovalMode.QUORUM:
        if not isinstance(quorum, int) or isinstance(quorum, bool) or not 1 <= quorum <= len(users):
            raise ValidationError(
                {"quorum": _("The quorum is 1 to %(n)s (the number of approvers).") % {"n": len(users)}}
            )
    else:
        quorum = None
    if not allow_self:
        own = _requester_user_id(ticket)
        if own is not None and len([u for u in users if u.pk != own]) == 0:
            raise ValidationError(
                {"approvers": _("The person who raised the ticket cannot be its only approver.")}
            )
    with transaction.atomic():
        if open_round(ticket) is not None:
            raise ValidationError(_("This ticket already waits for approvals."))
        round_ = create_record(
            ApprovalRound,
            actor=actor,
            check=False,
            data={
                "ticket": ticket,
                "purpose": str(purpose or "")[:100],
                "mode": mode,
                "quorum": quorum,
                "allow_self": allow_self,
            },
        )
        for position, (user, state) in enumerate(
            zip(users, policies.initial_states(mode, len(users)), strict=True)
        ):
            approval = create_record(
                Approval,
                actor=actor,
                check=False,
                data={"round": round_, "ticket": ticket, "approver": user, "order": position, "state": state},
            )
            if state == ApprovalState.WAITING:
                events.emit(ApprovalRequested(ticket_id=ticket.pk, approval_id=approval.pk))
    return round_


def _lock(approval_id: int) -> tuple[Approval, Ticket]:
    """Lock the ticket of an approval, then the approval (the ticket first, as every ticket write)."""
    ticket_id = Approval.objects.filter(pk=approval_id).values_list("ticket_id", flat=True).first()
    if ticket_id is None:
        raise PermissionDenied(_("Only the named approver decides."))
    # No joins in the locking queries: PostgreSQL rechecks a row updated meanwhile against the
    # joined rows it read before waiting, so a ticket whose state changed would vanish.
    ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
    approval = Approval.objects.select_for_update().get(pk=approval_id)
    return approval, ticket


def _check_turn(approval: Approval, actor: Any) -> None:
    if approval.approver_id != _user_id(actor):
        raise PermissionDenied(_("Only the named approver decides."))
    if approval.round.outcome != RoundOutcome.OPEN:
        raise ValidationError(
            _("This round of approvals is already decided: %(outcome)s.")
            % {"outcome": approval.round.get_outcome_display()}
        )
    if approval.state == ApprovalState.PENDING:
        raise ValidationError(_("An earlier approver has not decided yet."))
    if approval.state == ApprovalState.DELEGATED:
        raise ValidationError(_("You delegated this approval."))
    if approval.state != ApprovalState.WAITING:
        raise ValidationError(_("This approval has already been decided."))


def _check_not_own(ticket: Ticket, round_: ApprovalRound, user_id: int | None) -> None:
    if not round_.allow_self and user_id is not None and user_id == _requester_user_id(ticket):
        raise PermissionDenied(_("You raised this ticket: someone else must approve it."))


def decide(approval_id: int, *, actor: Any, approve: bool, comment: str = "") -> Approval:
    """Record an approver's decision; the round is decided when its mode says so.

    Raises:
        PermissionDenied: the actor is not this approver, or raised the ticket (unless allowed).
        ValidationError: not the approver's turn yet, already decided or delegated, the round is
            decided, the ticket is closed; a rejection needs a comment.
    """
    text = _clean_comment(comment)
    with transaction.atomic():
        approval, ticket = _lock(approval_id)
        _check_turn(approval, actor)
        round_ = approval.round
        _check_not_own(ticket, round_, _user_id(actor))
        if ticket.state_category in FINAL_CATEGORIES:
            raise ValidationError(_("This ticket is closed; it needs no more decisions."))
        if not approve and not text:
            raise ValidationError({"comment": _("Say why you reject it.")})
        before = approval.state
        approval.state = ApprovalState.APPROVED if approve else ApprovalState.REJECTED
        approval.decided_at = timezone.now()
        approval.comment = text
        approval.version += 1
        approval.save(update_fields=["state", "decided_at", "comment", "version", "updated_at"])
        audit.record(
            approval,
            action="approve" if approve else "reject",
            changes={"state": [before, approval.state], **({"comment": ["", text]} if text else {})},
        )
        rows = list(Approval.objects.filter(round=round_).order_by("order", "id"))
        result = policies.outcome(round_.mode, round_.quorum, [r.state for r in rows])
        if result == RoundOutcome.OPEN:
            if approve and round_.mode == ApprovalMode.SEQUENCE:
                following = next((r for r in rows if r.state == ApprovalState.PENDING), None)
                if following is not None:
                    Approval.objects.filter(pk=following.pk).update(state=ApprovalState.WAITING)
                    events.emit(ApprovalRequested(ticket_id=ticket.pk, approval_id=following.pk))
        else:
            _close(round_, ticket, result, actor, rows)
    return approval


def _close(round_: ApprovalRound, ticket: Ticket, result: str, actor: Any, rows: list[Approval]) -> None:
    open_ids = [r.pk for r in rows if r.state in OPEN_STATES]
    if open_ids:
        Approval.objects.filter(pk__in=open_ids).update(state=ApprovalState.SKIPPED)
    before = round_.outcome
    round_.outcome = result
    round_.decided_at = timezone.now()
    round_.version += 1
    round_.save(update_fields=["outcome", "decided_at", "version", "updated_at"])
    audit.record(
        round_,
        action="decided",
        changes={"outcome": [before, result]},
        meta={"skipped": open_ids} if open_ids else None,
    )
    events.emit(RoundDecided(ticket_id=ticket.pk, round_id=round_.pk, outcome=result))
    handler = OUTCOMES.get(ticket.kind)
    if handler is not None and result in (RoundOutcome.APPROVED, RoundOutcome.REJECTED):
        handler(ticket, round_, result == RoundOutcome.APPROVED, actor)


def delegate(approval_id: int, *, actor: Any, to: Any, comment: str = "") -> Approval:
    """Hand an open approval to another login; returns the delegate's new approval.

    Raises:
        PermissionDenied: the actor is not this approver.
        ValidationError: the approval is decided, the delegate is disabled, already an approver of
            the round, the actor, or the person who raised the ticket.
    """
    text = _clean_comment(comment)
    user_model = get_user_model()
    if not isinstance(to, user_model):
        to = user_model.objects.filter(pk=to).first() if str(to).isdigit() else None
    if to is None or not to.is_active:
        raise ValidationError({"to": _("Choose an active login to delegate to.")})
    with transaction.atomic():
        approval, ticket = _lock(approval_id)
        if approval.approver_id != _user_id(actor):
            raise PermissionDenied(_("Only the named approver decides."))
        if approval.round.outcome != RoundOutcome.OPEN or approval.state not in OPEN_STATES:
            raise ValidationError(_("This approval has already been decided."))
        round_ = approval.round
        if to.pk == approval.approver_id:
            raise ValidationError({"to": _("Choose someone else.")})
        if Approval.objects.filter(round=round_, approver=to, state__in=list(OPEN_STATES)).exists():
            raise ValidationError({"to": _("%(name)s already approves in this round.") % {"name": str(to)}})
        if not round_.allow_self and to.pk == _requester_user_id(ticket):
            raise ValidationError({"to": _("The person who raised the ticket cannot approve it.")})
        before = approval.state
        approval.state = ApprovalState.DELEGATED
        approval.decided_at = timezone.now()
        approval.comment = text
        approval.version += 1
        approval.save(update_fields=["state", "decided_at", "comment", "version", "updated_at"])
        audit.record(
            approval, action="delegate", changes={"state": [before, approval.state]}, meta={"to": to.pk}
        )
        delegate_row = create_record(
            Approval,
            actor=actor,
            check=False,
            data={
                "round": round_,
                "ticket": ticket,
                "approver": to,
                "on_behalf_of_id": approval.on_behalf_of_id or approval.approver_id,
                "order": approval.order,
                "state": before,
            },
        )
        if before == ApprovalState.WAITING:
            events.emit(ApprovalRequested(ticket_id=ticket.pk, approval_id=delegate_row.pk))
    return delegate_row


def withdraw(ticket: Ticket, *, reason: str = "") -> ApprovalRound | None:
    """Withdraw the ticket's open round (the ticket was cancelled, or sent back for rework)."""
    round_ = (
        ApprovalRound.objects.select_for_update().filter(ticket=ticket, outcome=RoundOutcome.OPEN).first()
    )
    if round_ is None:
        return None
    rows = list(Approval.objects.filter(round=round_))
    open_ids = [r.pk for r in rows if r.state in OPEN_STATES]
    Approval.objects.filter(pk__in=open_ids).update(state=ApprovalState.SKIPPED)
    round_.outcome = RoundOutcome.WITHDRAWN
    round_.decided_at = timezone.now()
    round_.version += 1
    round_.save(update_fields=["outcome", "decided_at", "version", "updated_at"])
    audit.record(
        round_,
        action="withdraw",
        changes={"outcome": [RoundOutcome.OPEN, RoundOutcome.WITHDRAWN]},
        meta={"reason": reason[:500]} if reason else None,
    )
    events.emit(RoundDecided(ticket_id=ticket.pk, round_id=round_.pk, outcome=RoundOutcome.WITHDRAWN))
    return round_


def rejection_reason(round_: ApprovalRound) -> str:
    """Return the comment of the latest rejection of a round (what the ticket's requester is told)."""
    found = (
        Approval.objects.filter(round=round_, state=ApprovalState.REJECTED)
        .order_by("-decided_at")
        .values_list("comment", flat=True)
        .first()
    )
    return str(found or "")


def inbox(user: Any) -> QuerySet[Approval]:
    """Return the approvals waiting for ``user``'s decision, oldest first."""
    return (
        Approval.objects.filter(
            approver_id=_user_id(user), state=ApprovalState.WAITING, round__outcome=RoundOutcome.OPEN
        )
        .select_related("ticket", "ticket__state", "round", "on_behalf_of")
        .order_by("created_at", "id")
    )
