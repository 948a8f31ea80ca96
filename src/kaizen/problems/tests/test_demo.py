"""The demo problems: owners, root causes, workarounds, known errors and a debt list, loaded once."""

from __future__ import annotations

import pytest

from kaizen.accounts.models import User
from kaizen.core import defaults, demo
from kaizen.problems import queries
from kaizen.problems.choices import KnownErrorState
from kaizen.problems.models import KnownError, ProblemRecord
from kaizen.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_demo_problems_are_believable_and_loaded_once() -> None:
    defaults.load_all()
    demo.load_all(password="kaizen-demo")

    published = KnownError.objects.filter(state=KnownErrorState.PUBLISHED)
    assert published.count() >= 3
    assert KnownError.objects.filter(state=KnownErrorState.DRAFT).exists()
    assert KnownError.objects.filter(state=KnownErrorState.RETIRED).exists()
    e2041 = published.get(keywords__contains="E-2041")
    assert e2041.problem is not None and e2041.problem.state.code == "known_error"
    states = set(Ticket.objects.filter(kind="problem").values_list("state__code", flat=True))
    assert {"new", "investigating", "known_error", "resolved", "closed", "cancelled"} <= states
    records = ProblemRecord.objects.exclude(root_cause="")
    assert records.filter(owner__isnull=False).count() >= 5
    assert records.filter(shared_with_development=True).exclude(development_ref="").count() >= 3

    manager = User.objects.get(username="manager")
    debt = list(queries.debt_list(manager))
    ranks = [getattr(t, "problem_record", None) and t.problem_record.rank for t in debt]
    assert ranks[:4] == [1, 2, 3, 4]
    assert any("メモリリーク" in t.title for t in queries.not_moved(manager, days=14))
    incident = Ticket.objects.filter(kind="incident", title__contains="E-2041").first()
    assert incident is not None
    assert e2041 in [s.known_error for s in queries.suggestions(manager, incident)]

    counts = (KnownError.objects.count(), ProblemRecord.objects.count(), Ticket.objects.count())
    demo.load_all(password="kaizen-demo", only=("problems",))
    assert (KnownError.objects.count(), ProblemRecord.objects.count(), Ticket.objects.count()) == counts
