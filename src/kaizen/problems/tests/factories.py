"""Helpers for problem management tests: problems and incidents through the services, known errors."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from kaizen.accounts.models import Organisation, User
from kaizen.core import context
from kaizen.problems import policies, services
from kaizen.problems.choices import KnownErrorState
from kaizen.problems.models import KnownError
from kaizen.tickets.models import Ticket, WorkflowState
from kaizen.tickets.tests.factories import OrganisationFactory, admin, ticket

_numbers = itertools.count(1)


def incident(org: Organisation, **data: Any) -> Ticket:
    """Create an incident through the desk service (as an administrator unless ``actor``)."""
    return ticket(org, kind="incident", **data)


def problem(
    org: Organisation, *, actor: User | None = None, incidents: tuple[Ticket, ...] = (), **data: Any
) -> Ticket:
    """Create a problem through :func:`services.create_problem` (as an administrator unless ``actor``)."""
    actor = actor or admin()
    with context.acting(user=actor, channel=context.Channel.WEB):
        return services.create_problem(
            actor=actor,
            incidents=[i.pk for i in incidents],
            data={"title": data.pop("title", "メール配送の遅延が繰り返す"), "organisation": org, **data},
        )


def known_error(
    org: Organisation | None = None,
    *,
    problem_ticket: Ticket | None = None,
    state: str = KnownErrorState.PUBLISHED,
    services_: tuple[Any, ...] = (),
    cis: tuple[Any, ...] = (),
    **data: Any,
) -> KnownError:
    """Write a known error directly (no audit rows), published unless ``state``."""
    org = org or (problem_ticket.organisation if problem_ticket else OrganisationFactory())
    values = {
        "title": "VPN が数分おきに切断される",
        "symptoms": "在宅勤務中に VPN が切れる。",
        "root_cause": "ファームウェアの DPD 設定。",
        "workaround": "VPN クライアントを再接続する。",
        "keywords": "VPN, 切断",
        **data,
    }
    row = KnownError.objects.create(
        number=f"KE-T{next(_numbers):05d}",
        organisation=org,
        problem=problem_ticket,
        state=state,
        published_at=timezone.now() if state == KnownErrorState.PUBLISHED else None,
        search_text=policies.search_text(
            values["title"],
            values["symptoms"],
            values["root_cause"],
            values["workaround"],
            values["keywords"],
        ),
        **values,
    )
    row.services.set(services_)
    row.cis.set(cis)
    return row


def change_workflow() -> None:
    """Make sure change tickets can be created (the change workflow, or a minimal initial state)."""
    if not WorkflowState.objects.filter(kind="change", is_initial=True).exists():
        WorkflowState.objects.create(
            kind="change", code="new", name="新規", name_en="New", category="new", is_initial=True
        )


def change(org: Organisation, **data: Any) -> Ticket:
    """Create a change ticket through the desk service."""
    change_workflow()
    return ticket(org, kind="change", title=data.pop("title", "メール中継サーバのパッチ適用"), **data)
