"""The ``kaizen`` command."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kaizen.accounts.models import Membership, Organisation, Person, Team, User
from kaizen.cli import build_parser, main
from kaizen.core import audit
from kaizen.core.access import Role
from kaizen.core.testing.api import client_for


@pytest.mark.django_db
def test_init_creates_the_first_admin_once(capsys):
    assert main(["init", "--admin", "root", "--email", "root@example.jp"]) == 0
    out = capsys.readouterr().out
    assert "Created administrator 'root'" in out and "password:" in out
    password = out.split("password:")[1].split()[0]
    user = User.objects.get(username="root")
    assert user.is_superuser and user.check_password(password)
    assert Membership.objects.filter(user=user, role=Role.ADMIN, organisation__isnull=True).exists()
    assert main(["init"]) == 0
    assert "already exists" in capsys.readouterr().out
    assert User.objects.count() == 1
    assert audit.verify().ok


@pytest.mark.django_db
def test_token_create_prints_a_working_token(capsys):
    user = User.objects.create_user("hanako", password="x")
    assert main(["token", "create", "hanako", "--name", "script"]) == 0
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("kzn_")
    response = client_for(None).get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.json()["username"] == user.username


@pytest.mark.django_db
def test_token_create_for_unknown_user_fails(capsys):
    assert main(["token", "create", "nobody"]) == 2
    assert "No user" in capsys.readouterr().err


@pytest.mark.django_db
def test_demo_data_is_complete_and_idempotent(capsys):
    assert main(["demo"]) == 0
    counts = (
        Organisation.objects.count(),
        Person.objects.count(),
        Team.objects.count(),
        Membership.objects.count(),
    )
    assert main(["demo"]) == 0
    assert counts == (
        Organisation.objects.count(),
        Person.objects.count(),
        Team.objects.count(),
        Membership.objects.count(),
    )
    assert {"サービスデスク", "基盤運用", "アプリ保守"} <= set(Team.objects.values_list("name", flat=True))
    assert Organisation.objects.filter(kind="customer", parent__isnull=True).count() == 3
    assert Organisation.objects.filter(kind="supplier").exists()
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    assert User.objects.get(username="agent").check_password("kaizen-demo")
    out = capsys.readouterr().out
    assert "kaizen-demo" in out and "sakura" in out
    assert audit.verify().ok


@pytest.mark.django_db
def test_demo_requester_sees_only_their_company():
    main(["demo"])
    client = client_for(User.objects.get(username="sakura"))
    names = {o["name"] for o in client.get("/api/v1/organisations/").json()["results"]}
    assert names == {"さくら商事株式会社", "さくら商事 大阪支店"}  # its branch is nested under it


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["init"],
        ["demo"],
        ["up"],
        ["serve"],
        ["worker"],
        ["audit"],
        ["audit", "verify"],
        ["token"],
        ["token", "create"],
    ],
)
def test_every_subcommand_has_help(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args([*argv, "--help"])
    assert exc.value.code == 0
    assert len(capsys.readouterr().out) > 50


def test_console_script_help_runs():
    result = subprocess.run(
        [sys.executable, "-m", "kaizen.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    for command in ("init", "demo", "up", "serve", "worker", "audit", "token", "manage"):
        assert command in result.stdout


def test_web_server_runs_sync_workers_by_default_and_threads_on_request():
    import os

    from kaizen.cli import _gunicorn_argv

    argv = _gunicorn_argv("127.0.0.1:8000", 0, 1)
    assert argv[argv.index("--worker-class") + 1] == "sync"
    assert argv[argv.index("--workers") + 1] == str(2 * (os.cpu_count() or 1) + 1)
    threaded = _gunicorn_argv("127.0.0.1:8000", 3, 4)
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"
    assert threaded[threaded.index("--workers") + 1] == "3"
    assert threaded[threaded.index("--threads") + 1] == "4"


def test_a_web_worker_loads_every_url_module_and_freezes_its_heap_when_it_starts():
    code = (
        "import gc, sys\n"
        "assert gc.get_freeze_count() == 0\n"
        "import kaizen.wsgi\n"
        "assert 'kaizen.api_urls' in sys.modules and 'kaizen.tickets.views' in sys.modules\n"
        "assert gc.get_freeze_count() > 10000, gc.get_freeze_count()\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "kaizen.core.testing.settings"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
