"""The generic API suite applied to every accounts endpoint, plus endpoint specifics."""

from __future__ import annotations

import itertools

import pytest

from kaizen.accounts.models import Membership, Organisation, Team
from kaizen.core.access import Role
from kaizen.core.testing.api import ApiCase, ApiPermissionSuite, assert_problem, client_for

from .factories import OrganisationFactory, PersonFactory, TeamFactory, UserFactory, user_with_role

_n = itertools.count()


def _org_case() -> ApiCase:
    return ApiCase(
        url="/api/v1/organisations/",
        make=lambda org: OrganisationFactory(parent=org),
        create_payload=lambda org: {
            "name": f"子会社 {next(_n)}",
            "code": f"child-{next(_n)}",
            "kind": "customer",
            "parent": org.pk,
        },
        update_payload={"description": "更新しました"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.REQUESTER,
        writer_role=Role.ADMIN,
        deleter_role=Role.ADMIN,
    )


class TestOrganisationApi(ApiPermissionSuite):
    case = _org_case()


class TestPersonApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/people/",
        make=lambda org: PersonFactory(organisation=org),
        create_payload=lambda org: {
            "name": "山田 太郎",
            "email": "yamada@example.jp",
            "organisation": org.pk,
        },
        update_payload={"phone": "03-1234-5678"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.ADMIN,
    )


class TestTeamApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/teams/",
        make=lambda org: TeamFactory(organisation=org),
        create_payload=lambda org: {"name": f"基盤運用 {next(_n)}", "organisation": org.pk},
        update_payload={"description": "夜間対応あり"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.REQUESTER,
        writer_role=Role.MANAGER,
        deleter_role=Role.ADMIN,
    )


def _membership(org: Organisation) -> Membership:
    return Membership.objects.create(user=UserFactory(), organisation=org, role=Role.AGENT)


def _membership_payload(org: Organisation) -> dict:
    user = UserFactory()
    PersonFactory(user=user, organisation=org)
    return {"user": user.username, "organisation": org.pk, "role": "agent"}


class TestMembershipApi(ApiPermissionSuite):
    case = ApiCase(
        url="/api/v1/memberships/",
        make=_membership,
        create_payload=_membership_payload,
        update_payload={"role": "manager"},
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.ADMIN,
        deleter_role=Role.ADMIN,
    )


@pytest.mark.django_db
def test_requester_never_sees_other_organisation_people_or_teams():
    a, b = OrganisationFactory(), OrganisationFactory()
    PersonFactory(organisation=b)
    TeamFactory(organisation=b)
    client = client_for(user_with_role(Role.REQUESTER, a))
    for url in (
        "/api/v1/organisations/",
        "/api/v1/people/",
        "/api/v1/teams/",
        "/api/v1/memberships/",
        "/api/v1/audit/",
    ):
        rows = client.get(url, {"page_size": 200}).json()["results"]
        for row in rows:
            assert row.get("organisation", row.get("id") if url.endswith("organisations/") else a.pk) in (
                a.pk,
                None,
            )
    people = client.get("/api/v1/people/").json()["results"]
    assert [p["organisation"] for p in people] == [a.pk]  # only the requester's own person record


@pytest.mark.django_db
def test_role_in_parent_organisation_covers_nested_organisations():
    parent = OrganisationFactory()
    child = OrganisationFactory(parent=parent)
    grandchild = OrganisationFactory(parent=child)
    team = TeamFactory(organisation=grandchild)
    client = client_for(user_with_role(Role.AGENT, parent))
    assert client.get(f"/api/v1/teams/{team.pk}/").status_code == 200


@pytest.mark.django_db
def test_global_membership_covers_every_organisation():
    team = TeamFactory()
    user = UserFactory()
    Membership.objects.create(user=user, organisation=None, role=Role.AUDITOR)
    client = client_for(user)
    assert client.get(f"/api/v1/teams/{team.pk}/").status_code == 200
    assert_problem(client.patch(f"/api/v1/teams/{team.pk}/", {"name": "x", "version": 1}, format="json"), 403)


@pytest.mark.django_db
def test_team_members_must_be_visible_people():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    stranger = PersonFactory(organisation=theirs)
    client = client_for(user_with_role(Role.MANAGER, mine))
    response = client.post(
        "/api/v1/teams/", {"name": "T", "organisation": mine.pk, "members": [stranger.pk]}, format="json"
    )
    body = assert_problem(response, 400)
    assert "members" in body["errors"]
    assert not Team.objects.filter(name="T").exists()


@pytest.mark.django_db
def test_team_member_changes_are_audited_and_bump_version():
    org = OrganisationFactory()
    team = TeamFactory(organisation=org)
    person = PersonFactory(organisation=org)
    client = client_for(user_with_role(Role.MANAGER, org))
    response = client.patch(
        f"/api/v1/teams/{team.pk}/", {"members": [person.pk], "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["members"] == [person.pk]
    assert response.json()["version"] == 2
    from kaizen.core.models import AuditEntry

    entry = AuditEntry.objects.get(record_type="accounts.team", record_id=str(team.pk), action="members")
    assert entry.changes == {"members": [[], [person.pk]]}


@pytest.mark.django_db
def test_cannot_move_record_into_an_organisation_without_rights():
    mine, theirs = OrganisationFactory(), OrganisationFactory()
    team = TeamFactory(organisation=mine)
    client = client_for(user_with_role(Role.MANAGER, mine))
    # The other organisation is invisible, so it is reported like a missing id.
    body = assert_problem(
        client.patch(f"/api/v1/teams/{team.pk}/", {"organisation": theirs.pk, "version": 1}, format="json"),
        400,
    )
    assert "organisation" in body["errors"]
    team.refresh_from_db()
    assert team.organisation_id == mine.pk


@pytest.mark.django_db
def test_deleting_a_referenced_organisation_is_409():
    org = OrganisationFactory()
    TeamFactory(organisation=org)
    admin = UserFactory(is_superuser=True)
    client = client_for(admin)
    body = assert_problem(client.delete(f"/api/v1/organisations/{org.pk}/"), 409)
    assert "参照" in body["detail"]  # default language: Japanese
    english = assert_problem(
        client.delete(f"/api/v1/organisations/{org.pk}/", HTTP_ACCEPT_LANGUAGE="en"), 409
    )
    assert "refer" in english["detail"]
    assert Organisation.objects.filter(pk=org.pk).exists()


@pytest.mark.django_db
def test_organisation_cannot_be_nested_under_itself():
    root = OrganisationFactory()
    child = OrganisationFactory(parent=root)
    admin = UserFactory(is_superuser=True)
    response = client_for(admin).patch(
        f"/api/v1/organisations/{root.pk}/", {"parent": child.pk, "version": 1}, format="json"
    )
    body = assert_problem(response, 400)
    assert "parent" in body["errors"]


@pytest.mark.django_db
def test_requester_global_membership_is_refused():
    admin = UserFactory(is_superuser=True)
    target = UserFactory()
    response = client_for(admin).post(
        "/api/v1/memberships/",
        {"user": target.username, "organisation": None, "role": "requester"},
        format="json",
    )
    body = assert_problem(response, 400)
    assert "organisation" in body["errors"]


@pytest.mark.django_db
def test_duplicate_membership_is_400():
    org = OrganisationFactory()
    admin = UserFactory(is_superuser=True)
    target = UserFactory()
    payload = {"user": target.username, "organisation": org.pk, "role": "agent"}
    client = client_for(admin)
    assert client.post("/api/v1/memberships/", payload, format="json").status_code == 201
    assert_problem(client.post("/api/v1/memberships/", payload, format="json"), 400)
    assert Membership.objects.filter(user=target).count() == 1


@pytest.mark.django_db
def test_granting_a_role_mails_the_user_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    org = OrganisationFactory(name="さくら商事")
    admin = UserFactory(is_superuser=True)
    target = UserFactory(email="hanako@example.jp", language="ja")
    client = client_for(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/api/v1/memberships/",
            {"user": target.username, "organisation": org.pk, "role": "agent"},
            format="json",
        )
    assert response.status_code == 201
    assert mailoutbox == []  # nothing is sent before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["hanako@example.jp"]
    assert "さくら商事" in mailoutbox[0].body


@pytest.mark.django_db
def test_admin_gives_a_person_a_login():
    org = OrganisationFactory()
    person = PersonFactory(organisation=org, email="kenji@example.jp")
    client = client_for(user_with_role(Role.ADMIN, org))
    response = client.post(
        f"/api/v1/people/{person.pk}/login/",
        {"username": "kenji", "password": "long-enough-pass"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["username"] == "kenji"
    from kaizen.accounts.models import User

    assert User.objects.get(username="kenji").check_password("long-enough-pass")
    again = client.post(f"/api/v1/people/{person.pk}/login/", {"username": "kenji2"}, format="json")
    assert "username" in assert_problem(again, 400)["errors"]


@pytest.mark.django_db
def test_login_creation_validates_input_and_rights():
    org = OrganisationFactory()
    person = PersonFactory(organisation=org)
    manager = client_for(user_with_role(Role.MANAGER, org))
    assert_problem(manager.post(f"/api/v1/people/{person.pk}/login/", {"username": "x"}, format="json"), 403)
    admin = client_for(user_with_role(Role.ADMIN, org))
    for bad in (
        {"username": "<script>"},
        {"username": "a b"},
        {"username": "ok", "password": "short"},
        {"username": "ok", "extra": 1},
        {"username": ""},
    ):
        assert_problem(admin.post(f"/api/v1/people/{person.pk}/login/", bad, format="json"), 400)
    person.refresh_from_db()
    assert person.user_id is None
