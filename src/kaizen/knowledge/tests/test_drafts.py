"""Drafts from a resolved incident and from a problem (its details and known error)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaizen.core import context
from kaizen.core.access import Role
from kaizen.knowledge import services
from kaizen.knowledge.choices import ArticleState, Audience
from kaizen.problems import services as problems
from kaizen.problems.tests.factories import known_error, problem
from kaizen.tickets import services as tickets
from kaizen.tickets.models import Ticket
from kaizen.tickets.tests.factories import OrganisationFactory, desk, person_of, ticket, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _desk() -> None:
    desk()


def resolved_incident(org, agent):
    incident = ticket(org, title="VPN に接続できない", description="在宅から接続すると認証エラーになる。")
    with context.acting(user=agent, channel=context.Channel.WEB):
        tickets.apply_action(
            incident.pk,
            "resolve",
            actor=agent,
            version=Ticket.objects.get(pk=incident.pk).version,
            params={"resolution": "ワンタイムパスワードの時刻ずれを直した。", "cause_class": "configuration"},
        )
    return Ticket.objects.get(pk=incident.pk)


def test_a_draft_from_a_resolved_incident_has_its_symptom_cause_and_resolution():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    incident = resolved_incident(org, agent)
    draft = services.draft_from_ticket(incident.pk, actor=agent)
    assert draft.state == ArticleState.DRAFT and draft.audience == Audience.AGENTS
    assert draft.source_ticket == incident and draft.owner == person_of(agent)
    assert draft.title == "VPN に接続できない" and draft.organisation == org
    for text in (
        "認証エラー",
        "ワンタイムパスワードの時刻ずれ",
        str(incident.get_cause_class_display()),
        incident.number,
    ):
        assert text in draft.body
    assert draft.versions.count() == 1


def test_an_open_incident_or_a_change_gives_no_draft():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    with pytest.raises(ValidationError) as caught:
        services.draft_from_ticket(ticket(org).pk, actor=agent)
    assert "ticket" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.draft_from_ticket(10**6, actor=agent)
    with pytest.raises(ValidationError):
        services.draft_from_ticket("abc", actor=agent)


def test_another_organisations_ticket_and_readers_give_no_draft():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    incident = resolved_incident(org, agent)
    with pytest.raises(ValidationError):
        services.draft_from_ticket(incident.pk, actor=user_with_role(Role.AGENT, OrganisationFactory()))
    with pytest.raises(PermissionDenied):
        services.draft_from_ticket(incident.pk, actor=user_with_role(Role.AUDITOR, org))


def test_a_draft_from_a_problem_has_its_symptom_cause_workaround_and_fix():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    found = problem(org, title="VPN が数分おきに切断される", description="在宅勤務者から多数の報告。")
    with context.acting(user=agent, channel=context.Channel.WEB):
        problems.update_details(
            found.pk,
            actor=agent,
            changes={
                "root_cause": "ゲートウェイの DPD 設定が短すぎる。",
                "workaround": "クライアントを再接続する。",
            },
            version=None,
        )
    known_error(org, problem_ticket=found, symptoms="数分おきに VPN が切れ、再接続を求められる。")
    draft = services.draft_from_ticket(found.pk, actor=agent)
    for text in ("数分おきに VPN が切れ", "DPD 設定が短すぎる", "クライアントを再接続する", found.number):
        assert text in draft.body
    assert draft.source_ticket_id == found.pk


def test_a_problem_without_details_still_gives_a_draft_from_its_ticket():
    org = OrganisationFactory()
    agent = user_with_role(Role.AGENT, org)
    found = problem(
        org, title="バックアップが時々失敗する", description="週に一度ほど夜間バックアップが失敗。"
    )
    draft = services.draft_from_ticket(found.pk, actor=agent)
    assert "週に一度ほど" in draft.body and draft.title == "バックアップが時々失敗する"
