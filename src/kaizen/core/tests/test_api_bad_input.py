"""Hostile and broken input to the API: clear 4xx problem+json, nothing stored wrongly."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from kaizen.accounts.models import Team
from kaizen.accounts.tests.factories import OrganisationFactory, TeamFactory, UserFactory, user_with_role
from kaizen.core.access import Role
from kaizen.core.api.auth import issue_token, revoke_token
from kaizen.core.models import ApiToken
from kaizen.core.testing.api import assert_problem, client_for

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE accounts_team; --",
    "Robert'); DELETE FROM core_auditentry;--",
    "🙂🏯👨‍👩‍👧 絵文字チーム",
    "{{ 7*7 }} {% debug %}",
]


@pytest.fixture
def setup():
    org = OrganisationFactory()
    user = user_with_role(Role.MANAGER, org)
    return org, client_for(user)


@pytest.mark.django_db
def test_malformed_json_is_400(setup):
    _org, client = setup
    response = client.generic("POST", "/api/v1/teams/", '{"name": "x", ', content_type="application/json")
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("payload", ["[]", '"a string"', "42", "null", "[1, 2]"])
def test_non_object_body_is_400(setup, payload):
    _, client = setup
    assert_problem(client.generic("POST", "/api/v1/teams/", payload, content_type="application/json"), 400)


@pytest.mark.django_db
def test_wrong_media_type_is_415(setup):
    org, client = setup
    response = client.generic(
        "POST",
        "/api/v1/teams/",
        f"name=x&organisation={org.pk}",
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 415)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "patch",
    [
        {"organisation": "abc"},
        {"organisation": 1.5},
        {"organisation": [1]},
        {"organisation": {"id": 1}},
        {"name": ["list"]},
        {"name": {"ja": "x"}},
        {"members": "1,2"},
        {"members": [{"id": 1}]},
        {"name": None},
        {"name": ""},
    ],
)
def test_wrong_types_are_400_with_field_errors(setup, patch):
    org, client = setup
    payload = {"name": "チーム", "organisation": org.pk, **patch}
    body = assert_problem(client.post("/api/v1/teams/", payload, format="json"), 400)
    assert set(patch) & set(body["errors"])
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_unknown_and_read_only_fields_are_refused(setup):
    org, client = setup
    body = assert_problem(
        client.post(
            "/api/v1/teams/",
            {"name": "T", "organisation": org.pk, "colour": "red", "created_at": "x"},
            format="json",
        ),
        400,
    )
    assert body["errors"]["colour"] and body["errors"]["created_at"]
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_wrong_version_types_are_refused(setup):
    org, client = setup
    team = TeamFactory(organisation=org)
    for bad in ("one", -1, 0, [1]):
        response = client.patch(f"/api/v1/teams/{team.pk}/", {"name": "x", "version": bad}, format="json")
        assert response.status_code in (400, 428), response.content
    assert_problem(
        client.patch(f"/api/v1/teams/{team.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH="abc"), 428
    )
    team.refresh_from_db()
    assert team.version == 1 and team.name != "x"


@pytest.mark.django_db
def test_oversized_body_is_413_before_parsing(setup):
    org, client = setup
    with override_settings(MAX_REQUEST_BYTES=2048):
        from django.test import Client

        big = json.dumps({"name": "x", "organisation": org.pk, "description": "あ" * 5000})
        # A fresh middleware stack picks up the overridden limit.
        response = Client(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"]).generic(
            "POST", "/api/v1/teams/", big, content_type="application/json"
        )
    body = assert_problem(response, 413)
    assert "2048" in body["detail"]
    assert not Team.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_stored_exactly_and_returned_as_json(setup, value):
    org, client = setup
    response = client.post(
        "/api/v1/teams/", {"name": value, "organisation": org.pk, "description": value}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    team = Team.objects.get(pk=response.json()["id"])
    assert team.name == value and team.description == value
    assert client.get(f"/api/v1/teams/{team.pk}/").json()["name"] == value
    assert Team.objects.count() == 1  # the SQL fragment did nothing


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc\x00def", "bell\x07", "esc\x1b[31m", "del\x7f"])
def test_control_characters_are_refused(setup, value):
    org, client = setup
    body = assert_problem(
        client.post("/api/v1/teams/", {"name": value, "organisation": org.pk}, format="json"), 400
    )
    assert "name" in body["errors"]
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_tabs_and_newlines_are_kept(setup):
    org, client = setup
    text = "一行目\n二行目\r\n\tインデント"
    response = client.post(
        "/api/v1/teams/", {"name": "T", "organisation": org.pk, "description": text}, format="json"
    )
    assert response.status_code == 201
    assert Team.objects.get().description == text


@pytest.mark.django_db
def test_very_long_japanese_text_is_refused_with_the_limit(setup):
    org, client = setup
    body = assert_problem(
        client.post("/api/v1/teams/", {"name": "長" * 201, "organisation": org.pk}, format="json"), 400
    )
    assert "200" in body["errors"]["name"][0]
    ok = client.post(
        "/api/v1/teams/",
        {"name": "長" * 200, "organisation": org.pk, "description": "説" * 10_000},
        format="json",
    )
    assert ok.status_code == 201
    assert len(Team.objects.get().name) == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer not-a-kaizen-token",
        "Bearer kzn_00000000_wrong",
        "Bearer kzn_" + "a" * 500,
        "Bearer a b",
        "Token kzn_x",
        "Bearer kzn_ä",
    ],
)
def test_invalid_tokens_are_401(header):
    response = client_for(None).get("/api/v1/organisations/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401, (header, response.content)
    assert response["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db
def test_revoked_expired_and_inactive_tokens_are_refused():
    user = UserFactory()
    token, raw = issue_token(user=user, name="t")
    client = client_for(None)
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    revoke_token(token.pk, user=user)
    assert_problem(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}"), 401)
    token2, raw2 = issue_token(user=user, name="t2", expires_in_days=1)
    ApiToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    body = assert_problem(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw2}"), 401)
    assert "expired" in body["detail"] or "期限" in body["detail"]
    _, raw3 = issue_token(user=user, name="t3")
    user.is_active = False
    user.save()
    assert_problem(client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw3}"), 401)


@pytest.mark.django_db
def test_tokens_are_stored_hashed_and_shown_once():
    user = UserFactory()
    client = client_for(user)
    created = client.post("/api/v1/me/tokens/", {"name": "ci", "expires_in_days": 30}, format="json")
    assert created.status_code == 201
    raw = created.json()["token"]
    stored = ApiToken.objects.get(pk=created.json()["id"])
    assert raw not in (stored.digest, stored.prefix) and stored.digest != raw
    listed = client.get("/api/v1/me/tokens/").json()["results"]
    assert all("token" not in row for row in listed)
    assert client.delete(f"/api/v1/me/tokens/{stored.pk}/").status_code == 204
    assert_problem(client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}"), 401)
    bad = client.post("/api/v1/me/tokens/", {"name": "x", "expires_in_days": 0, "admin": True}, format="json")
    assert_problem(bad, 400)


@pytest.mark.django_db
def test_session_api_post_without_csrf_is_refused():
    from django.test import Client

    org = OrganisationFactory()
    user = user_with_role(Role.MANAGER, org)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(
        "/api/v1/teams/", {"name": "T", "organisation": org.pk}, content_type="application/json"
    )
    body = assert_problem(response, 403)
    assert "CSRF" in body["detail"]
    assert not Team.objects.exists()


@pytest.mark.django_db
def test_unknown_api_path_is_problem_404(setup):
    _, client = setup
    assert_problem(client.get("/api/v1/no-such-thing/"), 404)


@pytest.mark.django_db
def test_bad_filter_values_are_400_not_500(setup):
    _, client = setup
    for params in (
        {"organisation": "abc"},
        {"is_active": "maybe"},
        {"cursor": "garbage"},
        {"page_size": "x"},
        {"q": "x" * 500},
    ):
        response = client.get("/api/v1/teams/" if "is_active" not in params else "/api/v1/people/", params)
        assert response.status_code in (200, 400, 404), (params, response.status_code)
        assert response.status_code != 500


@pytest.mark.django_db
def test_me_preferences_validate_input(setup):
    _, client = setup
    assert (
        client.patch("/api/v1/me/", {"language": "en", "time_zone": "Europe/Paris"}, format="json").json()[
            "time_zone"
        ]
        == "Europe/Paris"
    )
    assert (
        "time_zone"
        in assert_problem(client.patch("/api/v1/me/", {"time_zone": "Mars/Base"}, format="json"), 400)[
            "errors"
        ]
    )
    assert (
        "language"
        in assert_problem(client.patch("/api/v1/me/", {"language": "xx"}, format="json"), 400)["errors"]
    )
    assert (
        "username"
        in assert_problem(client.patch("/api/v1/me/", {"username": "root"}, format="json"), 400)["errors"]
    )
    assert_problem(client.patch("/api/v1/me/", {"language": 5}, format="json"), 400)


@pytest.mark.django_db
def test_text_over_a_textfields_limit_is_refused_by_the_model_too(setup):
    """Django checks a TextField's max_length only in forms; writes through services check it too."""
    from django.core.exceptions import ValidationError

    from kaizen.core.services import create_record

    org, _client = setup
    admin = UserFactory(is_superuser=True)
    with pytest.raises(ValidationError) as caught:
        create_record(
            Team, actor=admin, data={"name": "T", "organisation": org, "description": "説" * 10_001}
        )
    assert "10000" in " ".join(caught.value.message_dict["description"]).replace(",", "")
    assert not Team.objects.exists()
    create_record(Team, actor=admin, data={"name": "T", "organisation": org, "description": "説" * 10_000})
    assert Team.objects.count() == 1
