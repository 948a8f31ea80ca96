"""The integration files Kaizen ships for senders: the Zabbix media type and the Nagios script.

No database and no network beyond 127.0.0.1: the Nagios script runs in a subprocess against a
local HTTP server; the Zabbix script runs under Node.js (when installed) with ``HttpRequest`` and
``Zabbix`` replaced by recording stubs.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[4]
ZABBIX_FILE = ROOT / "docs" / "integrations" / "zabbix" / "kaizen_webhook.yaml"
NAGIOS_SCRIPT = ROOT / "docs" / "integrations" / "nagios" / "kaizen-notify"
TOKEN = "kmon_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None, reason="Node.js is not installed: the Zabbix webhook script is only checked statically"
)


# --- Zabbix media type ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def media_type() -> dict[str, Any]:
    export = yaml.safe_load(ZABBIX_FILE.read_text("utf-8"))
    assert set(export) == {"zabbix_export"}
    assert export["zabbix_export"]["version"] == "6.0"
    (media,) = export["zabbix_export"]["media_types"]
    return media  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def script(media_type: dict[str, Any]) -> str:
    return str(media_type["script"])


def test_media_type_is_a_webhook_named_kaizen(media_type: dict[str, Any]) -> None:
    assert media_type["name"] == "Kaizen ITSM"
    assert media_type["type"] == "WEBHOOK"
    assert media_type["description"].strip()


def test_media_type_declares_every_parameter(media_type: dict[str, Any]) -> None:
    parameters = {p["name"]: p["value"] for p in media_type["parameters"]}
    assert len(parameters) == len(media_type["parameters"])  # no duplicates
    expected = {
        "event_id": "{EVENT.ID}",
        "event_value": "{EVENT.VALUE}",
        "event_update_status": "{EVENT.UPDATE.STATUS}",
        "trigger_id": "{TRIGGER.ID}",
        "title": "{EVENT.NAME}",
        "message": "{ALERT.MESSAGE}",
        "severity": "{EVENT.SEVERITY}",
        "nseverity": "{EVENT.NSEVERITY}",
        "host": "{HOST.HOST}",
        "host_name": "{HOST.NAME}",
        "ip": "{HOST.IP}",
        "tags": "{EVENT.TAGSJSON}",
        "event_date": "{EVENT.DATE}",
        "event_time": "{EVENT.TIME}",
        "event_recovery_date": "{EVENT.RECOVERY.DATE}",
        "event_recovery_time": "{EVENT.RECOVERY.TIME}",
        "url": "{TRIGGER.URL}",
    }
    assert expected.items() <= parameters.items()
    assert parameters["kaizen_url"].startswith("https://") and parameters["kaizen_url"].endswith(
        "/api/v1/events/zabbix/"
    )
    assert "kaizen_token" in parameters
    assert "timezone" in parameters


def test_media_type_has_message_templates_for_each_operation(media_type: dict[str, Any]) -> None:
    modes = {(t["event_source"], t["operation_mode"]) for t in media_type["message_templates"]}
    assert modes == {("TRIGGERS", "PROBLEM"), ("TRIGGERS", "RECOVERY"), ("TRIGGERS", "UPDATE")}


def test_script_is_plain_es5(script: str) -> None:
    assert "Kaizen.buildBody" in script and "HttpRequest" in script and "Zabbix.log" in script
    assert "Authorization: Bearer " in script
    assert "// ---- main" in script
    code = "\n".join(line for line in script.splitlines() if not line.strip().startswith("//"))
    for es6 in ("=>", "let ", "const ", "`", "class ", "...", "Object.assign", "Promise"):
        assert es6 not in code, f"{es6!r} is not ECMAScript 5 (Zabbix runs Duktape)"


NODE_HARNESS = r"""
const vm = require('vm');
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {calls: {headers: [], posts: [], proxy: null, logs: []}};
const calls = out.calls;
function HttpRequest() {
    this.addHeader = function (h) { calls.headers.push(h); };
    this.setProxy = function (p) { calls.proxy = p; };
    this.post = function (url, data) { calls.posts.push({url: url, data: data}); return input.response; };
    this.getStatus = function () { return input.status; };
}
const context = vm.createContext({
    value: JSON.stringify(input.params),
    HttpRequest: HttpRequest,
    Zabbix: {log: function (level, message) { calls.logs.push([level, String(message)]); }},
});
try {
    if (input.mode === 'build') {
        vm.runInContext(input.script.split('// ---- main')[0], context);
        context.params = input.params;
        out.result = JSON.parse(vm.runInContext('JSON.stringify(Kaizen.buildBody(params))', context));
    } else {
        out.result = vm.runInContext('(function (value) {\n' + input.script + '\n})(value)', context);
    }
} catch (error) {
    out.error = String(error);
}
process.stdout.write(JSON.stringify(out));
"""


def run_node(script: str, params: dict[str, str], *, mode: str, status: int = 202) -> dict[str, Any]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", NODE_HARNESS],
        input=json.dumps(
            {"script": script, "params": params, "mode": mode, "status": status, "response": '{"x": 1}'}
        ),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def zabbix_params(**changes: str) -> dict[str, str]:
    """Parameters as Zabbix resolves them for a problem event (unresolved macros stay literal)."""
    params = {
        "event_date": "2024.01.31",
        "event_id": "123456",
        "event_recovery_date": "{EVENT.RECOVERY.DATE}",
        "event_recovery_time": "{EVENT.RECOVERY.TIME}",
        "event_source": "0",
        "event_time": "09:05:07",
        "event_update_date": "{EVENT.UPDATE.DATE}",
        "event_update_status": "0",
        "event_update_time": "{EVENT.UPDATE.TIME}",
        "event_value": "1",
        "host": "db01",
        "host_name": "DB server 01 (東京)",
        "http_proxy": "",
        "ip": "192.0.2.10",
        "kaizen_token": TOKEN,
        "kaizen_url": "http://127.0.0.1:9/api/v1/events/zabbix/",
        "message": "Problem started at 09:05:07 on 2024.01.31\nHost: db01",
        "nseverity": "4",
        "severity": "High",
        "tags": '[{"tag":"service","value":"billing"},{"tag":"scope","value":"availability"}]',
        "timezone": "",
        "title": "MySQL is down",
        "trigger_id": "20001",
        "url": "",
        "zabbix_url": "{$ZABBIX.URL}",
    }
    params.update(changes)
    return params


@needs_node
def test_zabbix_problem_body(script: str) -> None:
    out = run_node(script, zabbix_params(), mode="build")
    assert out["result"] == {
        "event_id": "123456",
        "trigger_id": "20001",
        "status": "PROBLEM",
        "severity": "High",
        "nseverity": 4,
        "title": "MySQL is down",
        "message": "Problem started at 09:05:07 on 2024.01.31\nHost: db01",
        "host": "db01",
        "host_name": "DB server 01 (東京)",
        "ip": "192.0.2.10",
        "tags": [{"tag": "service", "value": "billing"}, {"tag": "scope", "value": "availability"}],
        "event_time": "2024-01-31 09:05:07",
        "url": "",
    }


@needs_node
def test_zabbix_resolved_body_uses_recovery_time_converted_to_utc(script: str) -> None:
    params = zabbix_params(
        event_value="0",
        event_recovery_date="2024.02.01",
        event_recovery_time="08:30:00",
        timezone="+09:00",
    )
    out = run_node(script, params, mode="build")
    assert out["result"]["status"] == "RESOLVED"
    assert out["result"]["event_time"] == "2024-01-31 23:30:00"


@needs_node
def test_zabbix_update_body_uses_update_time(script: str) -> None:
    params = zabbix_params(
        event_update_status="1", event_update_date="2024.01.31", event_update_time="10:00:00"
    )
    out = run_node(script, params, mode="build")
    assert out["result"]["status"] == "UPDATE"
    assert out["result"]["event_time"] == "2024-01-31 10:00:00"


@needs_node
def test_zabbix_unresolved_macros_become_empty(script: str) -> None:
    params = zabbix_params(
        tags="{EVENT.TAGSJSON}", ip="{HOST.IP}", nseverity="{EVENT.NSEVERITY}", event_value="0"
    )
    out = run_node(script, params, mode="build")
    assert out["result"]["tags"] == []
    assert out["result"]["ip"] == ""
    assert out["result"]["nseverity"] is None
    assert out["result"]["event_time"] is None  # recovery macros unresolved


@needs_node
@pytest.mark.parametrize("tags", ["not json", '{"tag": "x"}', "[1, null, {}]", ""])
def test_zabbix_unusable_tags_become_an_empty_list(script: str, tags: str) -> None:
    assert run_node(script, zabbix_params(tags=tags), mode="build")["result"]["tags"] == []


@needs_node
def test_zabbix_url_falls_back_to_the_zabbix_event_page(script: str) -> None:
    params = zabbix_params(zabbix_url="https://zabbix.example.jp/")
    out = run_node(script, params, mode="build")
    assert out["result"]["url"] == "https://zabbix.example.jp/tr_events.php?triggerid=20001&eventid=123456"
    params = zabbix_params(
        url="https://wiki.example.jp/runbook/mysql", zabbix_url="https://zabbix.example.jp"
    )
    assert run_node(script, params, mode="build")["result"]["url"] == "https://wiki.example.jp/runbook/mysql"


@needs_node
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"event_value": "{EVENT.VALUE}"}, "event_value"),
        ({"event_id": "abc"}, "event_id"),
        ({"event_source": "3"}, "trigger events"),
        ({"timezone": "Asia/Tokyo"}, "timezone"),
    ],
)
def test_zabbix_bad_parameters_fail_clearly(script: str, changes: dict[str, str], message: str) -> None:
    out = run_node(script, zabbix_params(**changes), mode="build")
    assert message in out["error"]


@needs_node
def test_zabbix_script_posts_with_bearer_token(script: str) -> None:
    out = run_node(script, zabbix_params(http_proxy="http://proxy.example.jp:3128"), mode="run")
    assert out.get("error") is None
    assert out["result"] == "OK"
    assert f"Authorization: Bearer {TOKEN}" in out["calls"]["headers"]
    assert "Content-Type: application/json" in out["calls"]["headers"]
    assert out["calls"]["proxy"] == "http://proxy.example.jp:3128"
    (post,) = out["calls"]["posts"]
    assert post["url"] == "http://127.0.0.1:9/api/v1/events/zabbix/"
    assert json.loads(post["data"])["event_id"] == "123456"
    assert all(TOKEN not in message for _, message in out["calls"]["logs"])


@needs_node
@pytest.mark.parametrize("status", [200, 400, 401, 413, 500])
def test_zabbix_script_fails_unless_202(script: str, status: int) -> None:
    out = run_node(script, zabbix_params(), mode="run", status=status)
    assert f"HTTP {status}" in out["error"]
    assert "Kaizen webhook notification failed" in out["error"]
    if status == 401:
        assert "kaizen_token" in out["error"]


@needs_node
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kaizen_token": "<PLACE YOUR KAIZEN TOKEN HERE>"}, "kaizen_token"),
        ({"kaizen_token": ""}, "kaizen_token"),
        ({"kaizen_url": "kaizen.example.jp"}, "kaizen_url"),
    ],
)
def test_zabbix_script_refuses_missing_settings(script: str, changes: dict[str, str], message: str) -> None:
    out = run_node(script, zabbix_params(**changes), mode="run")
    assert message in out["error"]
    assert out["calls"]["posts"] == []


# --- Nagios notification script --------------------------------------------------------------


@dataclass
class Receiver:
    """A local HTTP server standing in for Kaizen; answers from ``answers``, then 202."""

    server: http.server.ThreadingHTTPServer
    answers: list[tuple[int, str]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1/events/nagios/"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            recv = state["receiver"]
            recv.requests.append(
                {"path": self.path, "headers": dict(self.headers.items()), "body": self.rfile.read(length)}
            )
            status, text = recv.answers.pop(0) if recv.answers else (202, '{"status": "accepted"}')
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(server=server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_script(
    *args: str, env: dict[str, str] | None = None, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ.get("PATH", ""), "NO_PROXY": "*", "no_proxy": "*", **(env or {})}
    command = [sys.executable, str(NAGIOS_SCRIPT), "--backoff", "0.01"]
    command += ["--config", str(config or Path("/nonexistent/kaizen/nagios.conf")), *args]
    return subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)


SERVICE_ARGS = (
    "--object", "service", "--host", "web01", "--address", "192.0.2.20", "--service", "HTTP",
    "--state", "CRITICAL", "--output", "HTTP CRITICAL - 503 Service Unavailable",
    "--long-output", "line 2\\nline 3", "--type", "PROBLEM", "--problem-id", "4711",
    "--timestamp", "1706659507",
)  # fmt: skip


def sent(receiver: Receiver, index: int = 0) -> dict[str, Any]:
    return json.loads(receiver.requests[index]["body"])  # type: ignore[no-any-return]


def test_nagios_service_notification(receiver: Receiver) -> None:
    done = run_script(*SERVICE_ARGS, "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 0, done.stderr
    (request,) = receiver.requests
    assert request["path"] == "/api/v1/events/nagios/"
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Content-Type"] == "application/json"
    assert sent(receiver) == {
        "object": "service",
        "host": "web01",
        "address": "192.0.2.20",
        "service": "HTTP",
        "state": "CRITICAL",
        "output": "HTTP CRITICAL - 503 Service Unavailable",
        "long_output": "line 2\nline 3",
        "notification_type": "PROBLEM",
        "problem_id": "4711",
        "timestamp": 1706659507,
    }


def test_nagios_host_notification(receiver: Receiver) -> None:
    done = run_script(
        *("--object", "host", "--host", "db01", "--address", "192.0.2.30", "--state", "DOWN"),
        *("--output", "PING CRITICAL - Packet loss = 100%", "--type", "RECOVERY", "--problem-id", "99"),
        *("--url", receiver.url, "--token", TOKEN),
    )
    assert done.returncode == 0, done.stderr
    body = sent(receiver)
    assert body["object"] == "host"
    assert body["service"] == ""
    assert body["state"] == "DOWN"
    assert body["notification_type"] == "RECOVERY"
    assert body["long_output"] == ""
    assert abs(body["timestamp"] - time.time()) < 60  # no --timestamp: now


def test_nagios_environment_macros_for_a_service(receiver: Receiver) -> None:
    env = {
        "NAGIOS_HOSTNAME": "web01",
        "NAGIOS_HOSTADDRESS": "192.0.2.20",
        "NAGIOS_SERVICEDESC": "Disk /var",
        "NAGIOS_SERVICESTATE": "WARNING",
        "NAGIOS_SERVICEOUTPUT": "DISK WARNING - free space: /var 9 %",
        "NAGIOS_LONGSERVICEOUTPUT": "",
        "NAGIOS_NOTIFICATIONTYPE": "PROBLEM",
        "NAGIOS_SERVICEPROBLEMID": "812",
        "NAGIOS_HOSTSTATE": "UP",
        "NAGIOS_TIMET": "1706659000",
        "KAIZEN_URL": receiver.url,
        "KAIZEN_TOKEN": TOKEN,
    }
    done = run_script(env=env)
    assert done.returncode == 0, done.stderr
    assert sent(receiver) == {
        "object": "service",
        "host": "web01",
        "address": "192.0.2.20",
        "service": "Disk /var",
        "state": "WARNING",
        "output": "DISK WARNING - free space: /var 9 %",
        "long_output": "",
        "notification_type": "PROBLEM",
        "problem_id": "812",
        "timestamp": 1706659000,
    }
    assert receiver.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_nagios_environment_macros_for_a_host(receiver: Receiver) -> None:
    env = {
        "NAGIOS_HOSTNAME": "db01",
        "NAGIOS_HOSTADDRESS": "192.0.2.30",
        "NAGIOS_SERVICEDESC": "",
        "NAGIOS_HOSTSTATE": "DOWN",
        "NAGIOS_HOSTOUTPUT": "CRITICAL - Host Unreachable",
        "NAGIOS_NOTIFICATIONTYPE": "PROBLEM",
        "NAGIOS_HOSTPROBLEMID": "77",
        "KAIZEN_URL": receiver.url,
        "KAIZEN_TOKEN": TOKEN,
    }
    done = run_script(env=env)
    assert done.returncode == 0, done.stderr
    body = sent(receiver)
    assert (body["object"], body["state"], body["output"], body["problem_id"]) == (
        "host",
        "DOWN",
        "CRITICAL - Host Unreachable",
        "77",
    )


def test_nagios_recovery_sends_the_id_of_the_problem_that_ended(receiver: Receiver) -> None:
    args = [a if a != "PROBLEM" else "RECOVERY" for a in SERVICE_ARGS]
    args[args.index("4711")] = "0"
    done = run_script(*args, "--last-problem-id", "4711", "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 0, done.stderr
    assert (sent(receiver)["notification_type"], sent(receiver)["problem_id"]) == ("RECOVERY", "4711")


def test_nagios_problem_ignores_the_last_problem_id(receiver: Receiver) -> None:
    done = run_script(*SERVICE_ARGS, "--last-problem-id", "4000", "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 0, done.stderr
    assert sent(receiver)["problem_id"] == "4711"


def test_nagios_environment_recovery_uses_the_last_problem_id(receiver: Receiver) -> None:
    env = {
        "NAGIOS_HOSTNAME": "db01",
        "NAGIOS_HOSTSTATE": "UP",
        "NAGIOS_NOTIFICATIONTYPE": "RECOVERY",
        "NAGIOS_HOSTPROBLEMID": "0",
        "NAGIOS_LASTHOSTPROBLEMID": "77",
        "NAGIOS_LASTSERVICEPROBLEMID": "12",
        "KAIZEN_URL": receiver.url,
        "KAIZEN_TOKEN": TOKEN,
    }
    done = run_script(env=env)
    assert done.returncode == 0, done.stderr
    assert (sent(receiver)["object"], sent(receiver)["problem_id"]) == ("host", "77")


def test_nagios_options_win_over_the_environment(receiver: Receiver) -> None:
    env = {"NAGIOS_HOSTNAME": "from-env", "KAIZEN_URL": "http://127.0.0.1:9/", "KAIZEN_TOKEN": "kmon_env"}
    done = run_script(*SERVICE_ARGS, "--url", receiver.url, "--token", TOKEN, env=env)
    assert done.returncode == 0, done.stderr
    assert sent(receiver)["host"] == "web01"
    assert receiver.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_nagios_config_file(receiver: Receiver, tmp_path: Path) -> None:
    config = tmp_path / "nagios.conf"
    config.write_text(f"[kaizen]\nurl = {receiver.url}\ntoken = {TOKEN}\n", "utf-8")
    done = run_script(*SERVICE_ARGS, config=config)
    assert done.returncode == 0, done.stderr
    assert receiver.requests[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_nagios_retries_a_server_error(receiver: Receiver) -> None:
    receiver.answers.append((500, '{"title": "Internal Server Error"}'))
    done = run_script(*SERVICE_ARGS, "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 0, done.stderr
    assert len(receiver.requests) == 2
    assert sent(receiver, 0) == sent(receiver, 1)


def test_nagios_gives_up_after_three_retries(receiver: Receiver) -> None:
    receiver.answers.extend([(503, "busy")] * 4)
    done = run_script(*SERVICE_ARGS, "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 3
    assert len(receiver.requests) == 4
    assert "503" in done.stderr and "gave up" in done.stderr


def test_nagios_refused_token_exits_non_zero_with_the_reason(receiver: Receiver) -> None:
    problem = {"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "Invalid token."}
    receiver.answers.append((401, json.dumps(problem)))
    done = run_script(*SERVICE_ARGS, "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 1
    assert len(receiver.requests) == 1  # a 4xx is not retried
    assert "401" in done.stderr and "Invalid token." in done.stderr and "token" in done.stderr
    assert TOKEN not in done.stderr


@pytest.mark.parametrize("status", [400, 413])
def test_nagios_other_client_errors_are_not_retried(receiver: Receiver, status: int) -> None:
    receiver.answers.append((status, '{"detail": "nope"}'))
    done = run_script(*SERVICE_ARGS, "--url", receiver.url, "--token", TOKEN)
    assert done.returncode == 1
    assert len(receiver.requests) == 1
    assert str(status) in done.stderr


def test_nagios_unreachable_kaizen(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = run_script(
        *SERVICE_ARGS, "--url", f"http://127.0.0.1:{port}/api/v1/events/nagios/", "--token", TOKEN
    )
    assert done.returncode == 3
    assert "cannot reach" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--host", "web01", "--token", TOKEN), "no Kaizen URL"),
        (("--host", "web01", "--url", "http://127.0.0.1:9/"), "no Kaizen token"),
        (("--url", "http://127.0.0.1:9/", "--token", TOKEN), "no host name"),
        (
            ("--object", "service", "--host", "w", "--url", "http://127.0.0.1:9/", "--token", TOKEN),
            "--service",
        ),
        (
            ("--host", "w", "--timestamp", "soon", "--url", "http://127.0.0.1:9/", "--token", TOKEN),
            "timestamp",
        ),
    ],
)
def test_nagios_usage_errors(args: tuple[str, ...], message: str) -> None:
    done = run_script(*args)
    assert done.returncode == 2
    assert message in done.stderr


def test_nagios_script_uses_only_the_standard_library() -> None:
    source = NAGIOS_SCRIPT.read_text("utf-8")
    assert source.startswith("#!/usr/bin/env python3\n")
    imports = {
        line.split()[1].split(".")[0]
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    }
    assert imports <= set(sys.stdlib_module_names)
    for name in ("notify-service-by-kaizen", "notify-host-by-kaizen", "define contact"):
        assert name in source
    assert os.access(NAGIOS_SCRIPT, os.X_OK)
