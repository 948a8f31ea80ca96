"""The generic UI suite applied to every accounts page, plus page specifics."""

from __future__ import annotations

import itertools

import pytest
from django.urls import reverse

from kaizen.accounts.models import Membership, Organisation, Team, User
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for

from .factories import OrganisationFactory, PersonFactory, TeamFactory, UserFactory, user_with_role

_n = itertools.count()


def _org_edit(obj: Organisation) -> dict:
    return {
        "name": f"{obj.name} 改",
        "code": obj.code,
        "kind": obj.kind,
        "parent": obj.parent_id or "",
        "description": "更新しました",
        "is_active": "on",
    }


class TestOrganisationPages(UiPermissionSuite):
    case = UiCase(
        prefix="accounts:organisations",
        make=lambda org: OrganisationFactory(parent=org),
        form_data=lambda org: {
            "name": f"子会社 {next(_n)}",
            "code": f"child-{next(_n)}",
            "kind": "customer",
            "parent": org.pk,
            "is_active": "on",
        },
        edit_data=_org_edit,
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.REQUESTER,
        writer_role=Role.ADMIN,
        deleter_role=Role.ADMIN,
        relation_field="parent",
    )


class TestPersonPages(UiPermissionSuite):
    case = UiCase(
        prefix="accounts:people",
        make=lambda org: PersonFactory(organisation=org),
        form_data=lambda org: {"name": "山田 太郎", "email": "yamada@example.jp", "organisation": org.pk},
        edit_data=lambda obj: {
            "name": obj.name,
            "organisation": obj.organisation_id,
            "phone": "03-1234-5678",
            "is_active": "on",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.ADMIN,
    )


class TestTeamPages(UiPermissionSuite):
    case = UiCase(
        prefix="accounts:teams",
        make=lambda org: TeamFactory(organisation=org),
        form_data=lambda org: {"name": f"基盤運用 {next(_n)}", "organisation": org.pk},
        edit_data=lambda obj: {
            "name": obj.name,
            "organisation": obj.organisation_id,
            "description": "夜間対応あり",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.REQUESTER,
        writer_role=Role.MANAGER,
        deleter_role=Role.ADMIN,
    )


def _membership(org: Organisation) -> Membership:
    user = UserFactory()
    PersonFactory(user=user, organisation=org)
    return Membership.objects.create(user=user, organisation=org, role=Role.AGENT)


def _membership_form(org: Organisation) -> dict:
    user = UserFactory()
    PersonFactory(user=user, organisation=org)
    return {"user": user.pk, "organisation": org.pk, "role": "agent"}


class TestMembershipPages(UiPermissionSuite):
    case = UiCase(
        prefix="accounts:memberships",
        make=_membership,
        form_data=_membership_form,
        edit_data=lambda obj: {"user": obj.user_id, "organisation": obj.organisation_id, "role": "manager"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.ADMIN,
        deleter_role=Role.ADMIN,
        text_field=None,
    )


@pytest.mark.django_db
def test_login_page_signs_in_and_lands_on_the_dashboard():
    user = user_with_role(Role.AGENT, OrganisationFactory())
    client = client_for(None)
    page = client.get(reverse("login"))
    assert page.status_code == 200
    wrong = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert wrong.status_code == 200
    assert 'class="alert alert-error"' in wrong.content.decode()
    response = client.post(reverse("login"), {"username": user.username, "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert reverse("accounts:teams-list") in dashboard.content.decode()


@pytest.mark.django_db
def test_logout_needs_a_post():
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_requester_gets_no_staff_navigation_and_no_other_organisation():
    mine, theirs = OrganisationFactory(name="自社"), OrganisationFactory(name="他社")
    TeamFactory(organisation=theirs, name="他社チーム")
    client = client_for(user_with_role(Role.REQUESTER, mine))
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("accounts:people-list") not in html
    assert reverse("audit-trail") not in html
    teams = client.get(reverse("accounts:teams-list")).content.decode()
    assert "他社チーム" not in teams
    orgs = client.get(reverse("accounts:organisations-list")).content.decode()
    assert "他社" not in orgs


@pytest.mark.django_db
def test_language_switch_is_saved_for_a_logged_in_user():
    user = user_with_role(Role.AGENT, OrganisationFactory())
    client = client_for(user)
    response = client.post(reverse("set-language"), {"language": "en", "next": "/teams/"})
    assert response.status_code == 302
    assert response["Location"] == "/teams/"
    user.refresh_from_db()
    assert user.language == "en"
    assert AuditEntry.objects.filter(record_type="accounts.user", action="preferences").exists()
    html = client.get(reverse("accounts:teams-list")).content.decode()
    assert '<html lang="en">' in html
    client.post(reverse("set-language"), {"language": "ja", "next": "/teams/"})
    assert '<html lang="ja">' in client.get(reverse("accounts:teams-list")).content.decode()


@pytest.mark.django_db
def test_language_switch_rejects_unknown_languages_and_foreign_redirects():
    client = client_for(None)
    response = client.post(reverse("set-language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert "django_language" not in response.cookies
    anon = client.post(reverse("set-language"), {"language": "en", "next": "//evil.example/x"})
    assert anon["Location"] == "/"
    assert anon.cookies["django_language"].value == "en"
    assert client.get(reverse("set-language")).status_code == 405


@pytest.mark.django_db
def test_preferences_save_time_zone_and_reject_unknown_values():
    user = user_with_role(Role.AGENT, OrganisationFactory())
    client = client_for(user)
    assert client.get(reverse("accounts:preferences")).status_code == 200
    ok = client.post(reverse("accounts:preferences"), {"language": "en", "time_zone": "Europe/London"})
    assert ok.status_code == 302
    user.refresh_from_db()
    assert (user.language, user.time_zone) == ("en", "Europe/London")
    for bad in ({"time_zone": "Mars/Olympus"}, {"language": "<script>"}, {"time_zone": "x" * 5000}):
        response = client.post(reverse("accounts:preferences"), bad)
        assert response.status_code == 400
        assert 'class="error"' in response.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "Europe/London"


@pytest.mark.django_db
def test_team_members_are_saved_and_shown_in_history():
    org = OrganisationFactory()
    a, b = (
        PersonFactory(organisation=org, name="佐藤 花子"),
        PersonFactory(organisation=org, name="鈴木 一郎"),
    )
    client = client_for(user_with_role(Role.MANAGER, org))
    response = client.post(
        reverse("accounts:teams-create"),
        {"name": "サービスデスク", "organisation": org.pk, "members": [a.pk, b.pk]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="サービスデスク")
    assert set(team.members.values_list("pk", flat=True)) == {a.pk, b.pk}
    detail = client.get(reverse("accounts:teams-detail", args=[team.pk])).content.decode()
    assert "佐藤 花子" in detail and "action-members" in detail


@pytest.mark.django_db
def test_team_form_refuses_members_of_invisible_organisations():
    org, other = OrganisationFactory(), OrganisationFactory()
    stranger = PersonFactory(organisation=other)
    client = client_for(user_with_role(Role.MANAGER, org))
    response = client.post(
        reverse("accounts:teams-create"), {"name": "X", "organisation": org.pk, "members": [stranger.pk]}
    )
    assert response.status_code == 400
    assert not Team.objects.filter(name="X").exists()


@pytest.mark.django_db
def test_creating_in_an_organisation_without_rights_is_a_form_error():
    mine, other = OrganisationFactory(), OrganisationFactory()
    user = user_with_role(Role.MANAGER, mine)
    Membership.objects.create(user=user, organisation=other, role=Role.AGENT)  # can see, not add
    client = client_for(user)
    response = client.post(reverse("accounts:teams-create"), {"name": "越権", "organisation": other.pk})
    assert response.status_code == 400
    assert not Team.objects.filter(name="越権").exists()


@pytest.mark.django_db
def test_deleting_a_referenced_organisation_is_refused_with_a_message():
    org = OrganisationFactory()
    PersonFactory(organisation=org, name="在籍者")
    client = client_for(user_with_role(Role.ADMIN, None))
    response = client.post(reverse("accounts:organisations-delete", args=[org.pk]), {"version": 1})
    assert response.status_code == 409
    assert "在籍者" in response.content.decode()
    assert Organisation.objects.filter(pk=org.pk).exists()


@pytest.mark.django_db
def test_give_a_person_a_login():
    org = OrganisationFactory()
    person = PersonFactory(organisation=org, email="new@example.jp")
    client = client_for(user_with_role(Role.ADMIN, org))
    url = reverse("accounts:people-login", args=[person.pk])
    assert client.get(url).status_code == 200
    weak = client.post(url, {"username": "newbie", "password": "1", "version": 1})
    assert weak.status_code == 400
    bad = client.post(url, {"username": "<bad name>", "password": "", "version": 1})
    assert bad.status_code == 400
    response = client.post(url, {"username": "newbie", "password": "Correct-Horse-42", "version": 1})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.user.username == "newbie"
    assert person.user.check_password("Correct-Horse-42")
    again = client.post(url, {"username": "other", "password": "", "version": 2})
    assert again.status_code == 400


@pytest.mark.django_db
def test_manager_cannot_give_logins():
    org = OrganisationFactory()
    person = PersonFactory(organisation=org)
    client = client_for(user_with_role(Role.MANAGER, org))
    response = client.post(
        reverse("accounts:people-login", args=[person.pk]), {"username": "x1", "password": "", "version": 1}
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="x1").exists()


@pytest.mark.django_db
def test_audit_trail_page_is_scoped_and_filterable():
    org, other = OrganisationFactory(), OrganisationFactory()
    admin = user_with_role(Role.ADMIN, None)
    admin_client = client_for(admin)
    admin_client.post(reverse("accounts:teams-create"), {"name": "見えるチーム", "organisation": org.pk})
    admin_client.post(reverse("accounts:teams-create"), {"name": "見えないチーム", "organisation": other.pk})
    auditor = user_with_role(Role.AUDITOR, org)
    page = client_for(auditor).get(reverse("audit-trail")).content.decode()
    assert "見えるチーム" in page and "見えないチーム" not in page
    filtered = client_for(admin).get(
        reverse("audit-trail"), {"record_type": "accounts.team", "action": "create"}
    )
    assert "見えないチーム" in filtered.content.decode()
    for params in ({"since": "yesterday"}, {"actor": "abc"}, {"actor": "9" * 40}, {"page": "x"}):
        assert client_for(admin).get(reverse("audit-trail"), params).status_code == 200
    agent = client_for(user_with_role(Role.AGENT, org)).get(reverse("audit-trail")).content.decode()
    assert "見えるチーム" not in agent


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy_and_no_inline_code():
    client = client_for(user_with_role(Role.ADMIN, None))
    team = TeamFactory()
    for url in (
        reverse("dashboard"),
        reverse("accounts:teams-list"),
        reverse("accounts:teams-detail", args=[team.pk]),
        reverse("accounts:teams-edit", args=[team.pk]),
        reverse("accounts:preferences"),
        reverse("audit-trail"),
    ):
        response = client.get(url)
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        html = response.content.decode()
        assert "<script>" not in html and " style=" not in html and "<style" not in html
        assert " onclick=" not in html and " onload=" not in html


@pytest.mark.django_db
def test_demo_person_detail_lists_teams_and_history():
    org = OrganisationFactory()
    person = PersonFactory(organisation=org, name="高橋 健")
    team = TeamFactory(organisation=org)
    team.members.add(person)
    html = client_for(user_with_role(Role.AGENT, org)).get(
        reverse("accounts:people-detail", args=[person.pk])
    )
    assert html.status_code == 200
    assert team.name in html.content.decode()


@pytest.mark.django_db
def test_unknown_pages_are_a_friendly_404():
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]
