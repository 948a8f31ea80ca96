"""Monitoring payload parsers: real samples, crafted bodies, hostile input and properties.

Pure tests (no database). Samples are in ``payloads/`` (see its README). Every body either gives
signals within the limits of ``sources.base`` or is refused with a ``PayloadError``; nothing else
may escape a parser.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kaizen.monitoring import sources
from kaizen.monitoring.sources import alertmanager, base, cloudwatch
from kaizen.monitoring.sources.base import (
    CRITICAL,
    FIRING,
    INFO,
    MAJOR,
    MAX_SIGNALS,
    MINOR,
    OK,
    RESOLVED,
    WARNING,
    PayloadError,
    Signal,
)

PAYLOADS = Path(__file__).parent / "payloads"
NOW = dt.datetime(2026, 11, 22, 12, 10, tzinfo=dt.UTC)
NAMES = ("alertmanager", "grafana", "zabbix", "nagios", "cloudwatch", "generic")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HUGE = "x" * 1_000_000
ENUMS = {"firing", "resolved", "service", "host"}  # words a body must spell right


def sample(name: str) -> Any:
    return json.loads((PAYLOADS / name).read_text(encoding="utf-8"))


def check(signal: Signal, received_at: dt.datetime = NOW) -> None:
    """Assert that ``signal`` keeps every limit of ``sources.base``."""
    assert isinstance(signal, Signal)
    assert 0 < len(signal.dedup_key) <= base.MAX_KEY
    assert signal.status in (FIRING, RESOLVED)
    if signal.status == RESOLVED:
        assert signal.severity == OK
    else:
        assert signal.severity in base.SEVERITIES
    assert signal.title.strip() and len(signal.title) <= base.MAX_TITLE
    assert len(signal.description) <= base.MAX_TEXT
    for mapping in (signal.labels, signal.annotations):
        assert len(mapping) <= base.MAX_LABELS
        for k, v in mapping.items():
            assert isinstance(k, str) and isinstance(v, str)
            assert len(k) <= base.MAX_LABEL_KEY and len(v) <= base.MAX_LABEL_VALUE
            assert "\x00" not in k + v
    for name in ("host", "service", "resource", "metric", "external_id"):
        assert len(getattr(signal, name)) <= base.MAX_NAME, name
    assert len(signal.address) <= base.MAX_ADDRESS and len(signal.environment) <= base.MAX_ENVIRONMENT
    strings = (signal.dedup_key, signal.title, signal.description, signal.host, signal.service, signal.url)
    assert all(isinstance(s, str) and "\x00" not in s for s in strings)
    assert signal.url == "" or (
        signal.url.startswith(("http://", "https://")) and len(signal.url) <= base.MAX_URL
    )
    assert signal.value is None or (isinstance(signal.value, float) and math.isfinite(signal.value))
    if signal.occurred_at is not None:
        assert signal.occurred_at.tzinfo is not None
        assert base.EARLIEST <= signal.occurred_at <= received_at + base.FUTURE_SLACK


def run(source: str, body: Any, received_at: dt.datetime = NOW) -> list[Signal]:
    signals = sources.parse(source, body, received_at=received_at)
    assert isinstance(signals, list) and len(signals) <= MAX_SIGNALS
    for signal in signals:
        check(signal, received_at)
    return signals


def one(source: str, body: Any, received_at: dt.datetime = NOW) -> Signal:
    signals = run(source, body, received_at)
    assert len(signals) == 1
    return signals[0]


def refused(source: str, body: Any, match: str | None = None) -> str:
    with pytest.raises(PayloadError, match=match) as info:
        sources.parse(source, body, received_at=NOW)
    assert type(info.value) is PayloadError and str(info.value)
    return str(info.value)


# Crafted bodies, one builder per source; keyword arguments replace (or with None, drop) fields.


def _set(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def am_alert(**changes: Any) -> dict[str, Any]:
    alert = {
        "status": "firing",
        "labels": {"alertname": "HighCPU", "instance": "web-01:9100", "severity": "critical"},
        "annotations": {"summary": "CPU high", "description": "busy"},
        "startsAt": "2026-11-22T12:06:56.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": "0123456789abcdef",
    }
    return _set(alert, changes)


def am_body(*alerts: Any, **changes: Any) -> dict[str, Any]:
    body = {"version": "4", "status": "firing", "receiver": "kaizen", "alerts": list(alerts) or [am_alert()]}
    return _set(body, changes)


def grafana_body(*alerts: Any, **changes: Any) -> dict[str, Any]:
    return am_body(*(alerts or [am_alert(values={"B": 1.5})]), version="1", **changes)


def zabbix_body(**changes: Any) -> dict[str, Any]:
    body = {
        "event_id": "123",
        "trigger_id": "456",
        "status": "PROBLEM",
        "severity": "High",
        "nseverity": "4",
        "title": "High CPU on web-01",
        "message": "CPU at 97%",
        "host": "web-01",
        "host_name": "Web server 01",
        "ip": "192.0.2.10",
        "tags": [{"tag": "service", "value": "shop"}, {"tag": "scope", "value": "performance"}],
        "event_time": "2026-11-22 12:06:56",
        "url": "https://zabbix.example/tr_events.php?triggerid=456&eventid=123",
    }
    return _set(body, changes)


def nagios_body(**changes: Any) -> dict[str, Any]:
    body = {
        "object": "service",
        "host": "web-01",
        "address": "192.0.2.10",
        "service": "HTTP",
        "state": "CRITICAL",
        "output": "CRITICAL - Socket timeout",
        "long_output": "after 10 seconds",
        "notification_type": "PROBLEM",
        "problem_id": "42",
        "timestamp": 1795348800,  # 2026-11-22 12:00:00 UTC
    }
    return _set(body, changes)


def alarm(**changes: Any) -> dict[str, Any]:
    return _set(json.loads(sample("cloudwatch-alarm-sns-notification.json")["Message"]), changes)


def sns(message: Any, **changes: Any) -> dict[str, Any]:
    body = sample("cloudwatch-alarm-sns-notification.json")
    body["Message"] = json.dumps(message) if isinstance(message, dict) else message
    return _set(body, changes)


def alerta(**changes: Any) -> dict[str, Any]:
    return _set(sample("alerta-api-post-alert-request.json"), changes)


BUILDERS: dict[str, Callable[..., Any]] = {
    "alertmanager": lambda: am_body(),
    "grafana": lambda: grafana_body(),
    "zabbix": lambda: zabbix_body(),
    "nagios": lambda: nagios_body(),
    "cloudwatch": lambda: sns(alarm()),
    "generic": lambda: alerta(),
}


# The registry and the dispatcher.


def test_registry_holds_the_six_sources() -> None:
    assert tuple(sources.SOURCES) == NAMES
    for name, module in sources.SOURCES.items():
        assert name == module.NAME and str(module.LABEL)


def test_unknown_source_is_refused() -> None:
    message = refused("splunk", {}, "unknown monitoring source 'splunk'")
    assert "alertmanager" in message


@pytest.mark.parametrize(
    ("source", "body"),
    [
        ("alertmanager", am_body(*[am_alert()] * (MAX_SIGNALS + 1))),
        ("grafana", grafana_body(*[am_alert()] * (MAX_SIGNALS + 1))),
        ("generic", [alerta()] * (MAX_SIGNALS + 1)),
        ("generic", {"alerts": [alerta()] * (MAX_SIGNALS + 1)}),
    ],
)
def test_more_than_max_signals_refuses_the_whole_body(source: str, body: Any) -> None:
    assert "10,001 entries; at most 10,000" in refused(source, body)


def test_exactly_max_signals_are_accepted() -> None:
    assert len(run("generic", [alerta()] * MAX_SIGNALS)) == MAX_SIGNALS


# Helpers of base.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22T12:06:56Z", dt.datetime(2026, 11, 22, 12, 6, 56, tzinfo=dt.UTC)),
        ("2026-11-22T12:06:56.123456789Z", dt.datetime(2026, 11, 22, 12, 6, 56, 123456, tzinfo=dt.UTC)),
        ("2019-02-15T23:53:45.093+0000", dt.datetime(2019, 2, 15, 23, 53, 45, 93000, tzinfo=dt.UTC)),
        ("2021-10-12T09:51:03+02:00", dt.datetime(2021, 10, 12, 7, 51, 3, tzinfo=dt.UTC)),
        ("2026-11-22 12:06:56", dt.datetime(2026, 11, 22, 12, 6, 56, tzinfo=dt.UTC)),
        ("9999-12-31T23:59:59-23:00", None),
        ("0001-01-01T00:00:00+01:00", None),
        ("2026-02-30T00:00:00Z", None),
        ("2026-11-22T24:00:00Z", None),
        ("2026-11-22T12:00:00+24:00", None),
        ("yesterday", None),
        ("2026-11-22T12:06:56Z" + " " * 100, None),
        (1795348800, None),
        ({"time": "2026-11-22T12:06:56Z"}, None),
        (None, None),
    ],
)
def test_parse_time_reads_rfc_3339_and_never_fails(value: Any, expected: dt.datetime | None) -> None:
    assert base.parse_time(value) == expected


@pytest.mark.parametrize("value", [10**400, float("nan"), "inf", "1e400", "12abc", [1], True])
def test_unix_time_and_number_refuse_nonsense(value: Any) -> None:
    assert base.unix_time(value) is None and base.number(value) is None


def test_text_survives_unprintable_values() -> None:
    assert base.text(10**5000) == "(not representable)"
    assert base.text("a\x00b") == "ab"


def test_string_map_survives_deep_nesting() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    assert base.string_map({"a": deep}, what="labels") == {"a": "(not representable)"}


def test_long_keys_become_digests() -> None:
    assert base.key("a" * 300).startswith("sha256:") and len(base.key("a" * 300)) <= base.MAX_KEY


# Prometheus Alertmanager.


def test_alertmanager_sample_firing() -> None:
    first, second = run("alertmanager", sample("alertmanager-webhook-v4.json"))
    assert (first.dedup_key, second.dedup_key) == ("8c48c08e86e8f4dd", "22bb82064964be17")
    assert (first.status, first.severity) == (FIRING, CRITICAL)
    assert first.title == "CPU > 95% on web-01" and first.description == "node_cpu busy 97% for 5m"
    assert (first.host, first.address) == ("web-01", "")
    assert first.occurred_at == dt.datetime(2026, 11, 22, 12, 6, 56, tzinfo=dt.UTC)
    assert first.url == "http://127.0.0.1:9090/graph?g0.expr=cpu" and first.external_id == "8c48c08e86e8f4dd"
    assert first.labels["cluster"] == "prod" and first.annotations["summary"] == first.title


def test_alertmanager_sample_resolved_keeps_the_keys() -> None:
    firing = {s.dedup_key for s in run("alertmanager", sample("alertmanager-webhook-v4.json"))}
    resolved = run("alertmanager", sample("alertmanager-webhook-v4-resolved.json"))
    assert firing < {s.dedup_key for s in resolved}
    assert {(s.status, s.severity) for s in resolved} == {(RESOLVED, OK)}
    assert resolved[0].occurred_at == dt.datetime(2026, 11, 22, 12, 7, 16, tzinfo=dt.UTC)


def test_alertmanager_fingerprint_is_recomputed_when_missing() -> None:
    body = sample("alertmanager-webhook-v4-resolved.json")
    expected = [a.pop("fingerprint") for a in body["alerts"]]
    assert [s.dedup_key for s in run("alertmanager", body)] == expected


def test_alertmanager_status_is_read_per_alert() -> None:
    body = am_body(am_alert(), am_alert(status="resolved", endsAt="2026-11-22T12:08:00Z"), status="firing")
    assert [s.status for s in run("alertmanager", body)] == [FIRING, RESOLVED]


def test_alertmanager_alert_without_status_takes_the_group_status() -> None:
    assert one("alertmanager", am_body(am_alert(status=None), status="resolved")).status == RESOLVED


@pytest.mark.parametrize("status", ["FIRING", "pending", 1, {"a": 1}])
def test_alertmanager_unknown_status_is_refused(status: Any) -> None:
    refused("alertmanager", am_body(am_alert(status=status)), r"alerts\[0\]\.status must be")


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        *[(w, CRITICAL) for w in ("critical", "page", "Emergency", "fatal")],
        *[(w, MAJOR) for w in ("error", "high", "major")],
        *[(w, MINOR) for w in ("minor", "medium")],
        *[(w, WARNING) for w in ("warning", "warn", "bogus", " ")],
        *[(w, INFO) for w in ("info", "informational", "low", "none")],
    ],
)
def test_alertmanager_severity_words(word: str, severity: str) -> None:
    body = am_body(am_alert(labels={"alertname": "A", "severity": word}))
    assert one("alertmanager", body).severity == severity


def test_alertmanager_without_severity_label_is_a_warning() -> None:
    assert one("alertmanager", am_body(am_alert(labels={"alertname": "A"}))).severity == WARNING


def test_alertmanager_title_and_description_fall_back() -> None:
    signal = one("alertmanager", am_body(am_alert(annotations={"message": "see runbook"})))
    assert (signal.title, signal.description) == ("HighCPU", "see runbook")
    assert one("alertmanager", am_body(am_alert(labels=None, annotations=None))).title == "Unnamed alert"


@pytest.mark.parametrize(
    ("instance", "host", "address"),
    [
        ("web-01:9100", "web-01", ""),
        ("web-01", "web-01", ""),
        ("10.0.0.1:9100", "10.0.0.1", "10.0.0.1"),
        ("[::1]:9100", "::1", "::1"),
        ("[2001:db8::1]", "2001:db8::1", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1", "2001:db8::1"),
        ("http://Web-01:8080/health", "web-01", ""),
        ("https://192.0.2.1/health", "192.0.2.1", "192.0.2.1"),
        ("http://[::1", "", ""),
        ("[::1", "", ""),
        ("", "", ""),
    ],
)
def test_alertmanager_host_from_the_instance(instance: str, host: str, address: str) -> None:
    signal = one("alertmanager", am_body(am_alert(labels={"alertname": "A", "instance": instance})))
    assert (signal.host, signal.address) == (host, address)


def test_alertmanager_host_labels_come_before_the_instance() -> None:
    labels = {
        "instance": "10.0.0.1:9100",
        "ci": "ci-1",
        "nodename": "node-1",
        "hostname": "h-1",
        "host": "db-1",
    }
    signal = one("alertmanager", am_body(am_alert(labels=labels)))
    assert (signal.host, signal.address) == ("db-1", "10.0.0.1")
    del labels["host"], labels["hostname"]
    assert one("alertmanager", am_body(am_alert(labels=labels))).host == "node-1"


def test_alertmanager_service_and_environment_labels() -> None:
    signal = one("alertmanager", am_body(am_alert(labels={"service": "shop", "env": "staging"})))
    assert (signal.service, signal.environment) == ("shop", "staging")


def test_alertmanager_resolved_without_end_time_has_no_time() -> None:
    assert one("alertmanager", am_body(am_alert(status="resolved"))).occurred_at is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://x/y", "http://" + "x" * 3000, 12, ["http://x"]]
)
def test_alertmanager_unsafe_links_are_dropped(url: Any) -> None:
    assert one("alertmanager", am_body(am_alert(generatorURL=url))).url == ""


@pytest.mark.parametrize("version", ["3", "5", 4, ["4"]])
def test_alertmanager_other_versions_are_refused(version: Any) -> None:
    refused("alertmanager", am_body(version=version), "version .* is not supported")


def test_alertmanager_without_version_is_read() -> None:
    assert one("alertmanager", am_body(version=None)).status == FIRING


def test_alertmanager_unknown_fields_are_ignored() -> None:
    body = am_body(am_alert(surprise={"a": [1]}), notification_reason="x", extra=[1, 2])
    assert "surprise" not in one("alertmanager", body).labels


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"version": "4"}, 'no "alerts" list'),
        (am_body(alerts={"a": 1}), "alerts must be a list, not an object"),
        (am_body(alerts="many"), "alerts must be a list, not a string"),
        (am_body("alert"), r"alerts\[0\] must be an object, not a string"),
        (am_body(am_alert(), None), r"alerts\[1\] must be an object, not null"),
        (am_body(am_alert(labels="severity=critical")), r"alerts\[0\]\.labels must be an object"),
        (am_body(am_alert(annotations=["summary"])), r"alerts\[0\]\.annotations must be an object"),
        (am_body(am_alert(annotations={"summary": {"en": "x"}})), r"annotations\.summary must be a string"),
        (am_body(am_alert(fingerprint={"value": 1})), r"fingerprint must be a string, not an object"),
    ],
)
def test_alertmanager_wrong_types_are_refused(body: Any, match: str) -> None:
    refused("alertmanager", body, match)


def test_alertmanager_wrong_types_in_minor_places_still_give_a_signal() -> None:
    alert = am_alert(
        startsAt={"t": 1}, generatorURL={"u": 1}, labels={"severity": {"a": 1}, "n": 7, "b": None}
    )
    signal = one("alertmanager", am_body(alert))
    assert signal.occurred_at is None and signal.severity == WARNING and signal.labels["n"] == "7"


def test_alertmanager_huge_strings_are_cut() -> None:
    labels = {f"label{i}": HUGE for i in range(300)} | {"alertname": HUGE}
    alert = am_alert(labels=labels, annotations={"summary": HUGE, "description": HUGE}, fingerprint=HUGE)
    signal = one("alertmanager", am_body(alert))
    assert len(signal.labels) == base.MAX_LABELS and len(signal.description) == base.MAX_TEXT
    assert signal.dedup_key.startswith("sha256:")


def test_alertmanager_nul_bytes_are_removed() -> None:
    alert = am_alert(labels={"alert\x00name": "A\x00"}, annotations={"summary": "CPU\x00 high"})
    signal = one("alertmanager", am_body(alert))
    assert signal.title == "CPU high" and signal.labels == {"alertname": "A"}


# Grafana.


def test_grafana_sample() -> None:
    first, second = run("grafana", sample("grafana-alerting-webhook.json"))
    assert (first.dedup_key, second.dedup_key) == ("c6eadffa33fcdf37", "bc97ff14869b13e3")
    assert (first.status, first.severity, first.title) == (
        FIRING,
        WARNING,
        "This alert was triggered for zone us-1",
    )
    assert (first.metric, first.value) == ("B", 44.23943737541908)
    assert first.labels["values.C"] == "1" and first.labels["team"] == "blue"
    assert first.url == "https://play.grafana.org/alerting/1afz29v7z/edit"
    assert first.occurred_at == dt.datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=dt.UTC)


def test_grafana_reads_alerts_as_alertmanager_does() -> None:
    alert = am_alert(fingerprint=None)
    assert one("grafana", grafana_body(alert)).dedup_key == one("alertmanager", am_body(alert)).dedup_key


def test_grafana_link_prefers_panel_then_dashboard() -> None:
    panel, board = "https://g/d/1?viewPanel=2", "https://g/d/1"
    assert one("grafana", grafana_body(am_alert(panelURL=panel, dashboardURL=board))).url == panel
    assert one("grafana", grafana_body(am_alert(panelURL="", dashboardURL=board))).url == board


@pytest.mark.parametrize(
    ("values", "metric", "value", "kept"),
    [
        ({"A": "n/a", "B": 2, "C": 3}, "B", 2.0, {"values.A": "n/a", "values.C": "3"}),
        (
            {"A": {"x": 1}, "B": "NaN", "C": True},
            "",
            None,
            {"values.A": '{"x": 1}', "values.B": "NaN", "values.C": "True"},
        ),
        (None, "", None, {}),
        ({}, "", None, {}),
    ],
)
def test_grafana_values(values: Any, metric: str, value: float | None, kept: dict[str, str]) -> None:
    signal = one("grafana", grafana_body(am_alert(values=values)))
    assert (signal.metric, signal.value) == (metric, value)
    assert {k: v for k, v in signal.labels.items() if k.startswith("values.")} == kept


@pytest.mark.parametrize("values", [[1, 2], "B=1", 3])
def test_grafana_values_of_the_wrong_type_are_refused(values: Any) -> None:
    refused("grafana", grafana_body(am_alert(values=values)), r"alerts\[0\]\.values must be an object")


def test_grafana_legacy_webhook_is_refused() -> None:
    legacy = {"ruleName": "cpu", "state": "alerting", "evalMatches": [{"metric": "cpu", "value": 99}]}
    refused("grafana", legacy, 'not a Grafana webhook: the body has no "alerts" list')


def test_grafana_refuses_an_alertmanager_version() -> None:
    refused("grafana", am_body(), "Grafana webhook version '4' is not supported")


# Zabbix.


def test_zabbix_problem() -> None:
    signal = one("zabbix", zabbix_body())
    assert signal.dedup_key == base.key("trigger", "web-01", "456") and signal.external_id == "123"
    assert (signal.status, signal.severity) == (FIRING, MAJOR)
    assert (signal.title, signal.description) == ("High CPU on web-01", "CPU at 97%")
    assert (signal.host, signal.address, signal.service) == ("web-01", "192.0.2.10", "shop")
    assert signal.labels == {
        "zabbix_status": "PROBLEM",
        "zabbix_severity": "High",
        "host_name": "Web server 01",
        "service": "shop",
        "scope": "performance",
    }
    assert signal.occurred_at == dt.datetime(2026, 11, 22, 12, 6, 56, tzinfo=dt.UTC)
    assert signal.url.startswith("https://zabbix.example/")


@pytest.mark.parametrize("word", ["RESOLVED", "resolved", "OK", "RECOVERY", "RECOVERED"])
def test_zabbix_recovery_resolves_the_same_key(word: str) -> None:
    signal = one("zabbix", zabbix_body(status=word))
    assert (signal.status, signal.severity) == (RESOLVED, OK)
    assert signal.dedup_key == one("zabbix", zabbix_body()).dedup_key


def test_zabbix_update_stays_firing_and_says_so() -> None:
    signal = one("zabbix", zabbix_body(status="UPDATE"))
    assert signal.status == FIRING and signal.labels["zabbix_status"] == "UPDATE"


@pytest.mark.parametrize(
    ("nseverity", "word", "severity"),
    [
        ("5", "Information", CRITICAL),
        (4, "Disaster", MAJOR),
        ("3", None, MINOR),
        (2.0, None, WARNING),
        ("1", None, INFO),
        ("0", None, INFO),
        (None, "Disaster", CRITICAL),
        (None, "average", MINOR),
        (None, "Not classified", INFO),
        ("9", "High", MAJOR),
        ({"n": 5}, "Warning", WARNING),
        (None, "Catastrophic", WARNING),
        (None, None, WARNING),
    ],
)
def test_zabbix_severity(nseverity: Any, word: Any, severity: str) -> None:
    assert one("zabbix", zabbix_body(nseverity=nseverity, severity=word)).severity == severity


def test_zabbix_ids_may_be_numbers() -> None:
    as_numbers = one("zabbix", zabbix_body(event_id=123, trigger_id=456))
    assert as_numbers.dedup_key == one("zabbix", zabbix_body()).dedup_key and as_numbers.external_id == "123"


def test_zabbix_without_trigger_id_falls_back_to_the_event() -> None:
    assert one("zabbix", zabbix_body(trigger_id=None)).dedup_key == base.key("event", "web-01", "123")


def test_zabbix_without_host_uses_the_visible_name() -> None:
    assert one("zabbix", zabbix_body(host=None)).host == "Web server 01"


def test_zabbix_tags_from_tagsjson_and_repeated_tags() -> None:
    tags = json.dumps(
        [{"tag": "service", "value": "shop"}, {"tag": "service", "value": "cart"}, {"tag": "x"}]
    )
    signal = one("zabbix", zabbix_body(tags=tags))
    assert (
        signal.labels["service"] == "shop, cart"
        and signal.labels["x"] == ""
        and signal.service == "shop, cart"
    )


@pytest.mark.parametrize(
    ("tags", "match"),
    [
        ("service:shop", "not the JSON list of {EVENT.TAGSJSON}"),
        ('{"tag": "a"}', "tags must be a list"),
        ({"service": "shop"}, "tags must be a list of {tag, value} objects, not an object"),
        (["service"], r"tags\[0\] must be an object"),
        ([{"tag": {"a": 1}}], r"tags\[0\]\.tag must be a string"),
        ("[" * 100_000, "not the JSON list"),
    ],
)
def test_zabbix_bad_tags_are_refused(tags: Any, match: str) -> None:
    refused("zabbix", zabbix_body(tags=tags), match)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026.11.22 12:06:56", dt.datetime(2026, 11, 22, 12, 6, 56, tzinfo=dt.UTC)),
        ("2026-11-22T21:06:56+09:00", dt.datetime(2026, 11, 22, 12, 6, 56, tzinfo=dt.UTC)),
        (1795348800, dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)),
        ("1795348800", dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)),
        ("12:06:56", None),
    ],
)
def test_zabbix_event_time_forms(value: Any, expected: dt.datetime | None) -> None:
    assert one("zabbix", zabbix_body(event_time=value)).occurred_at == expected


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"event_id": None, "trigger_id": None}, "needs trigger_id or event_id"),
        ({"event_id": "", "trigger_id": ""}, "needs trigger_id or event_id"),
        ({"status": None}, 'status must be "PROBLEM", "UPDATE" or "RESOLVED"'),
        ({"status": "FIRE"}, "not 'FIRE'"),
        ({"event_id": {"id": 1}}, "event_id must be a string, not an object"),
        ({"title": ["a"]}, "title must be a string, not a list"),
        ({"host": {"name": "web-01"}}, "host must be a string"),
    ],
)
def test_zabbix_bad_bodies_are_refused(changes: dict[str, Any], match: str) -> None:
    refused("zabbix", zabbix_body(**changes), match)


def test_zabbix_grafana_oncall_sample() -> None:
    signal = one("zabbix", sample("zabbix-to-grafana-oncall-example.json"))
    assert signal.dedup_key == base.key("event", "", "08d6891a-835c-e661-39fa-96b6a9e26552")
    assert (signal.status, signal.severity) == (FIRING, WARNING)
    assert signal.title == "TestAlert: The whole system is down"
    assert signal.url == "https://en.wikipedia.org/wiki/Downtime" and signal.external_id.startswith(
        "08d6891a"
    )


def test_zabbix_grafana_oncall_severity_line_and_recovery() -> None:
    body = sample("zabbix-to-grafana-oncall-example.json")
    body["message"] = "Problem started at 12:06:56\nHost: web-01\nSeverity: Disaster\n"
    assert one("zabbix", body).severity == CRITICAL
    body["state"] = "ok"
    assert (one("zabbix", body).status, one("zabbix", body).severity) == (RESOLVED, OK)


@pytest.mark.parametrize(("field", "value"), [("state", "firing"), ("state", None), ("alert_uid", "")])
def test_zabbix_grafana_oncall_bad_bodies_are_refused(field: str, value: Any) -> None:
    body = sample("zabbix-to-grafana-oncall-example.json")
    body[field] = value
    refused("zabbix", body, field)


# Nagios.


def test_nagios_service_problem() -> None:
    signal = one("nagios", nagios_body())
    assert signal.dedup_key == base.key("web-01", "HTTP") and signal.external_id == "42"
    assert (signal.status, signal.severity, signal.title) == (FIRING, CRITICAL, "web-01/HTTP is CRITICAL")
    assert signal.description == "CRITICAL - Socket timeout\nafter 10 seconds"
    assert (signal.host, signal.address, signal.service) == ("web-01", "192.0.2.10", "HTTP")
    assert signal.labels == {"notification_type": "PROBLEM", "state": "CRITICAL", "object": "service"}
    assert signal.occurred_at == dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def test_nagios_host_problem_is_keyed_by_host_alone() -> None:
    signal = one("nagios", nagios_body(object="host", state="DOWN", service="ignored"))
    assert (signal.dedup_key, signal.service, signal.title) == ("web-01", "", "web-01 is DOWN")


def test_nagios_object_is_inferred_from_the_service() -> None:
    assert one("nagios", nagios_body(object=None)).service == "HTTP"
    assert one("nagios", nagios_body(object=None, service="", state="UNREACHABLE")).dedup_key == "web-01"


@pytest.mark.parametrize(
    ("state", "kind", "status", "severity"),
    [
        ("CRITICAL", "PROBLEM", FIRING, CRITICAL),
        ("DOWN", "PROBLEM", FIRING, CRITICAL),
        ("UNREACHABLE", "PROBLEM", FIRING, CRITICAL),
        ("WARNING", "PROBLEM", FIRING, WARNING),
        ("unknown", "PROBLEM", FIRING, MINOR),
        ("OK", "RECOVERY", RESOLVED, OK),
        ("UP", "RECOVERY", RESOLVED, OK),
        ("CRITICAL", "RECOVERY", RESOLVED, OK),
        ("", "RECOVERY", RESOLVED, OK),
        ("CRITICAL", "ACKNOWLEDGEMENT", FIRING, CRITICAL),
        ("WARNING", "FLAPPINGSTART", FIRING, WARNING),
        ("OK", "FLAPPINGSTOP", RESOLVED, OK),
        ("CRITICAL", "DOWNTIMESTART", FIRING, CRITICAL),
        ("OK", "DOWNTIMEEND", RESOLVED, OK),
        ("CRITICAL", "CUSTOM", FIRING, CRITICAL),
        ("CRITICAL", None, FIRING, CRITICAL),
    ],
)
def test_nagios_states_and_notification_types(state: str, kind: Any, status: str, severity: str) -> None:
    signal = one("nagios", nagios_body(state=state, notification_type=kind))
    assert (signal.status, signal.severity) == (status, severity)
    assert signal.labels["notification_type"] == (kind or "PROBLEM")
    assert signal.dedup_key == base.key("web-01", "HTTP")


def test_nagios_problem_id_zero_and_string_timestamp() -> None:
    signal = one("nagios", nagios_body(problem_id=0, timestamp="1795348800"))
    assert signal.external_id == "" and signal.occurred_at == dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"host": None}, r"host is required \(\$HOSTNAME\$\)"),
        ({"host": "  "}, "host is required"),
        ({"service": ""}, "service is required for a service notification"),
        ({"state": "BROKEN"}, "state must be one of CRITICAL, DOWN, UNREACHABLE, WARNING, UNKNOWN, OK, UP"),
        ({"state": None}, "state must be one of"),
        ({"object": "hostgroup"}, 'object must be "host" or "service"'),
        ({"host": ["web-01"]}, "host must be a string, not a list"),
        ({"output": {"text": "x"}}, "output must be a string, not an object"),
    ],
)
def test_nagios_bad_bodies_are_refused(changes: dict[str, Any], match: str) -> None:
    refused("nagios", nagios_body(**changes), match)


def test_nagios_pd_nagios_sample_keeps_the_key_of_our_script() -> None:
    signal = one("nagios", sample("nagios-pd-nagios-service-trigger.json"))
    ours = nagios_body(host="service.test.local", service="test service")
    assert signal.dedup_key == one("nagios", ours).dedup_key
    assert (signal.status, signal.severity) == (FIRING, CRITICAL)
    assert signal.title == "service.test.local/test service is CRITICAL"
    assert signal.external_id.startswith("event_source=service;")
    assert signal.labels["SERVICESTATE"] == "critical" and signal.labels["notification_type"] == "PROBLEM"


@pytest.mark.parametrize(("event_type", "status"), [("resolve", RESOLVED), ("acknowledge", FIRING)])
def test_nagios_pd_nagios_event_types(event_type: str, status: str) -> None:
    body = sample("nagios-pd-nagios-service-trigger.json")
    body["event_type"] = event_type
    assert one("nagios", body).status == status


def test_nagios_pd_nagios_host_notification() -> None:
    body = sample("nagios-pd-nagios-service-trigger.json")
    body["details"] = {
        "HOSTNAME": "web-01",
        "HOSTSTATE": "DOWN",
        "pd_nagios_object": "host",
        "HOSTOUTPUT": "gone",
    }
    signal = one("nagios", body)
    assert (signal.dedup_key, signal.severity, signal.description) == ("web-01", CRITICAL, "gone")


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"event_type": "fire"}, "event_type must be"),
        ({"details": "HOSTNAME=x"}, "details must be an object"),
    ],
)
def test_nagios_pd_nagios_bad_bodies_are_refused(changes: dict[str, Any], match: str) -> None:
    refused("nagios", _set(sample("nagios-pd-nagios-service-trigger.json"), changes), match)


# Amazon CloudWatch through SNS.


def test_cloudwatch_sample() -> None:
    signal = one("cloudwatch", sample("cloudwatch-alarm-sns-notification.json"))
    assert signal.dedup_key == base.key("1234567890", "EU (Ireland)", "bucketbytesAlarm")
    assert (signal.status, signal.severity, signal.title) == (FIRING, WARNING, "bucketbytesAlarm")
    assert signal.description.startswith("bucket bytes size exceeded\n\nThreshold Crossed")
    assert (signal.metric, signal.value) == ("BucketSizeBytes", 1062305.0)
    assert signal.labels["BucketName"] == "try.alerta.io" and signal.labels["aws_namespace"] == "AWS/S3"
    assert signal.labels["cloudwatch_state"] == "ALARM"
    assert signal.occurred_at == dt.datetime(2019, 2, 15, 23, 53, 45, 93000, tzinfo=dt.UTC)


def test_cloudwatch_alarm_arn_is_the_key() -> None:
    arn = "arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm"
    signal = one("cloudwatch", sns(alarm(AlarmArn=arn)))
    assert (signal.dedup_key, signal.external_id) == (arn, arn)
    assert one("cloudwatch", sns(alarm(AlarmArn=arn, NewStateValue="OK"))).dedup_key == arn


@pytest.mark.parametrize(
    ("description", "severity"),
    [
        ("Disk almost full. severity=critical", CRITICAL),
        ("Severity = Major, call the DBA", MAJOR),
        ("severity=page", CRITICAL),
        ("severity=minor", MINOR),
        ("severity=info", INFO),
        ("severity=bogus", WARNING),
        ("no convention here", WARNING),
        (None, WARNING),
    ],
)
def test_cloudwatch_severity_convention(description: Any, severity: str) -> None:
    assert one("cloudwatch", sns(alarm(AlarmDescription=description))).severity == severity


@pytest.mark.parametrize(
    ("state", "status", "severity"),
    [("OK", RESOLVED, OK), ("INSUFFICIENT_DATA", FIRING, INFO), ("alarm", FIRING, CRITICAL)],
)
def test_cloudwatch_states(state: str, status: str, severity: str) -> None:
    """The description's severity applies to ALARM only."""
    signal = one("cloudwatch", sns(alarm(NewStateValue=state, AlarmDescription="severity=critical")))
    assert (signal.status, signal.severity) == (status, severity)


def test_cloudwatch_instance_id_gives_host_and_resource() -> None:
    dimensions = [{"name": "InstanceId", "value": "i-0abc"}, {"Name": "AutoScalingGroupName", "Value": "web"}]
    signal = one("cloudwatch", sns(alarm(Trigger={"MetricName": "CPUUtilization", "Dimensions": dimensions})))
    assert (signal.host, signal.resource, signal.metric) == ("i-0abc", "i-0abc", "CPUUtilization")
    assert signal.labels["AutoScalingGroupName"] == "web"


def test_cloudwatch_composite_alarm_without_trigger() -> None:
    signal = one("cloudwatch", sns(alarm(Trigger=None, NewStateReason="")))
    assert signal.metric == "" and signal.value is None


def test_cloudwatch_time_falls_back_to_the_envelope() -> None:
    signal = one("cloudwatch", sns(alarm(StateChangeTime="soon")))
    assert signal.occurred_at == dt.datetime(2019, 2, 15, 23, 53, 45, 134000, tzinfo=dt.UTC)


@pytest.mark.parametrize("kind", ["SubscriptionConfirmation", "UnsubscribeConfirmation"])
def test_cloudwatch_subscription_messages_give_nothing(kind: str) -> None:
    body = {"Type": kind, "Token": "t", "SubscribeURL": "https://sns.example/?Action=ConfirmSubscription"}
    assert cloudwatch.envelope_type(body) == kind
    assert run("cloudwatch", body) == []


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"AlarmName": "raw", "NewStateValue": "ALARM"}, 'no "Type"'),
        ({"Type": "Surprise"}, "type 'Surprise' is not supported"),
        ({"Type": ["Notification"]}, 'no "Type"'),
        (sns(None), "broken inner message: Message must be a string .* not null"),
        (sns(5), "broken inner message: Message must be a string"),
        (sns("not json"), "broken inner message: Message is not JSON"),
        (sns("[" * 100_000), "broken inner message: Message is not JSON"),
        (sns("[1, 2]"), "broken inner message: Message is not a CloudWatch alarm"),
        (sns({"AlarmName": "x"}), "broken inner message: Message is not a CloudWatch alarm"),
        (sns(alarm(NewStateValue="FIRE")), 'broken inner message: NewStateValue must be "ALARM"'),
        (sns(alarm(AlarmName="")), "broken inner message: AlarmName must not be empty"),
        (sns(alarm(AlarmName={"a": 1})), "broken inner message: AlarmName must be a string"),
        (sns(alarm(Trigger=[1])), "broken inner message: Trigger must be an object"),
        (sns(alarm(Trigger={"Dimensions": {"a": 1}})), "Trigger.Dimensions must be a list"),
        (sns(alarm(Trigger={"Dimensions": ["InstanceId"]})), r"Trigger.Dimensions\[0\] must be an object"),
    ],
)
def test_cloudwatch_bad_bodies_are_refused(body: Any, match: str) -> None:
    refused("cloudwatch", body, match)


def test_cloudwatch_envelope_type_refuses_non_envelopes() -> None:
    for body in (None, [], "Notification", {"Type": ""}):
        with pytest.raises(PayloadError, match="Amazon SNS message"):
            cloudwatch.envelope_type(body)


# The generic format.


def test_generic_alerta_sample() -> None:
    signal = one("generic", sample("alerta-api-post-alert-request.json"))
    assert signal.dedup_key == base.key("Production", "web01", "HttpServerError")
    assert (signal.status, signal.severity) == (FIRING, MAJOR)
    assert (signal.title, signal.description) == ("HttpServerError on web01", "Site is down.")
    assert (signal.resource, signal.environment, signal.service) == ("web01", "Production", "example.com")
    assert signal.value is None
    assert signal.labels == {
        "severity": "major",
        "group": "Web",
        "origin": "curl",
        "type": "exceptionAlert",
        "correlate": "HttpServerError, HttpServerOK",
        "tags": "dc1",
        "value": "Bad Gateway (501)",
        "region": "EU",
    }


def test_generic_batches() -> None:
    second = alerta(resource="web02")
    assert [s.resource for s in run("generic", [alerta(), second])] == ["web01", "web02"]
    assert [s.resource for s in run("generic", {"alerts": [alerta(), second]})] == ["web01", "web02"]
    assert run("generic", []) == [] and run("generic", {"alerts": []}) == []


@pytest.mark.parametrize(
    ("word", "status", "severity"),
    [
        *[(w, FIRING, CRITICAL) for w in ("security", "critical", "CRITICAL")],
        ("major", FIRING, MAJOR),
        ("minor", FIRING, MINOR),
        ("warning", FIRING, WARNING),
        *[(w, FIRING, INFO) for w in ("indeterminate", "informational", "debug", "trace", "unknown")],
        *[(w, RESOLVED, OK) for w in ("normal", "ok", "cleared")],
        ("bogus", FIRING, WARNING),
        (None, FIRING, WARNING),
    ],
)
def test_generic_severity_words(word: Any, status: str, severity: str) -> None:
    signal = one("generic", alerta(severity=word))
    assert (signal.status, signal.severity) == (status, severity)


@pytest.mark.parametrize(
    ("status", "resolved"), [("closed", True), ("Expired", True), ("open", False), ("ack", False)]
)
def test_generic_status(status: str, resolved: bool) -> None:
    assert (one("generic", alerta(status=status)).status == RESOLVED) is resolved


def test_generic_defaults_and_optional_fields() -> None:
    body = {
        "resource": "db-1",
        "event": "DiskFull",
        "value": "97.5",
        "host": "db-1.example",
        "ip": "192.0.2.5",
    }
    body |= {
        "metric": "disk_used_percent",
        "url": "https://grafana.example/d/1",
        "createTime": "2026-11-22T12:00:00Z",
    }
    signal = one("generic", body | {"service": "billing", "unknown": {"deep": [1]}})
    assert (signal.environment, signal.severity, signal.value, signal.metric) == (
        "Production",
        WARNING,
        97.5,
        "disk_used_percent",
    )
    assert (signal.host, signal.address, signal.service) == ("db-1.example", "192.0.2.5", "billing")
    assert signal.url == "https://grafana.example/d/1" and signal.labels == {}
    assert signal.occurred_at == dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def test_generic_environment_is_part_of_the_key() -> None:
    assert one("generic", alerta(environment="Staging")).dedup_key != one("generic", alerta()).dedup_key


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (alerta(resource=None), "alert: resource and event are required"),
        (alerta(event=""), "alert: resource and event are required"),
        (alerta(resource={"name": "web01"}), "alert.resource must be a string, not an object"),
        (alerta(tags="dc1"), "alert.tags must be a list of strings, not a string"),
        (alerta(tags=[["dc1"]]), r"alert.tags\[0\] must be a string, not a list"),
        (alerta(service={"a": 1}), "alert.service must be a string or a list of strings"),
        (alerta(attributes=["region"]), "alert.attributes must be an object"),
        (alerta(text={"a": 1}), "alert.text must be a string"),
        ([alerta(), "alert"], r"\[1\] must be an object, not a string"),
        ({"alerts": [alerta(), alerta(event=None)]}, r"alerts\[1\]: resource and event are required"),
        ({"alerts": "all"}, "alerts must be a list"),
    ],
)
def test_generic_bad_bodies_are_refused(body: Any, match: str) -> None:
    refused("generic", body, match)


# Hostile input, every source.


@pytest.mark.parametrize("source", NAMES)
@pytest.mark.parametrize("body", [None, 0, 1.5, True, "alerts", "", [1], ["x"], [None]])
def test_non_object_bodies_are_refused(source: str, body: Any) -> None:
    refused(source, body)


@pytest.mark.parametrize("source", [n for n in NAMES if n != "generic"])
def test_an_empty_list_is_not_a_body(source: str) -> None:
    refused(source, [])


@pytest.mark.parametrize("source", NAMES)
def test_an_empty_object_is_refused(source: str) -> None:
    refused(source, {})


def _deep(depth: int) -> Any:
    value: Any = {"alerts": "x"}
    for index in range(depth):
        value = {"alerts": [value], "labels": value} if index % 2 else [value]
    return value


@pytest.mark.parametrize("source", NAMES)
def test_deeply_nested_junk_is_refused(source: str) -> None:
    refused(source, _deep(900))


def _everywhere(body: Any, value: Any) -> Any:
    """Put ``value`` in every string of ``body`` (each string field, label and annotation)."""
    if isinstance(body, dict):
        return {k: _everywhere(v, value) for k, v in body.items()}
    if isinstance(body, list):
        return [_everywhere(v, value) for v in body]
    return value(body) if isinstance(body, str) and callable(value) else body


def _cloudwatch_everywhere(value: Callable[[str], str]) -> dict[str, Any]:
    return sns(_everywhere(alarm(AlarmArn="arn:aws:cloudwatch:eu-west-1:1:alarm:x"), value))


@pytest.mark.parametrize("source", NAMES)
def test_huge_strings_are_cut_to_the_limits(source: str) -> None:
    def grow(s: str) -> str:
        return s if s.startswith("http") or s.upper() == s or s in ENUMS else s + HUGE

    body = _cloudwatch_everywhere(grow) if source == "cloudwatch" else _everywhere(BUILDERS[source](), grow)
    signal = one(source, body)
    assert len(signal.title) == base.MAX_TITLE or source == "nagios"


@pytest.mark.parametrize("source", NAMES)
def test_nul_bytes_are_removed_everywhere(source: str) -> None:
    def poison(s: str) -> str:
        return s if s.upper() == s else s[:1] + "\x00" + s[1:]

    body = (
        _cloudwatch_everywhere(poison) if source == "cloudwatch" else _everywhere(BUILDERS[source](), poison)
    )
    one(source, body)  # check() asserts no NUL is left


@pytest.mark.parametrize("source", NAMES)
def test_unknown_fields_are_ignored(source: str) -> None:
    junk = {"zzz_unknown": {"deep": [1, {"x": None}]}, "another": [1, 2, 3]}
    body = sns(alarm(**junk), **junk) if source == "cloudwatch" else BUILDERS[source]() | junk
    assert one(source, body).dedup_key == one(source, BUILDERS[source]()).dedup_key


def _with_time(source: str, value: Any) -> Any:
    if source in ("alertmanager", "grafana"):
        builder = am_body if source == "alertmanager" else grafana_body
        return builder(am_alert(startsAt=value, values={"B": 1}))
    if source == "zabbix":
        return zabbix_body(event_time=value)
    if source == "nagios":
        return nagios_body(timestamp=value)
    if source == "cloudwatch":
        return sns(alarm(StateChangeTime=value), Timestamp=None)
    return alerta(createTime=value)


def _unix(moment: str) -> Any:
    return int(dt.datetime.fromisoformat(moment).timestamp())


TIME_CASES = [
    ("1970-01-01T00:00:00Z", None),
    ("1999-12-31T23:59:59Z", None),
    ("9999-12-31T23:59:59Z", None),
    ("2026-11-22T12:30:00Z", None),  # 20 minutes after NOW: beyond the 10 minutes of slack
    ("2026-11-22T12:15:00Z", dt.datetime(2026, 11, 22, 12, 15, tzinfo=dt.UTC)),
    ("2026-11-22T12:05:00Z", dt.datetime(2026, 11, 22, 12, 5, tzinfo=dt.UTC)),
    ("the day before yesterday", None),
    ({"seconds": 1}, None),
    ([2026, 11, 22], None),
]


@pytest.mark.parametrize("source", NAMES)
@pytest.mark.parametrize(("moment", "expected"), TIME_CASES)
def test_implausible_times_become_none(source: str, moment: Any, expected: dt.datetime | None) -> None:
    if source == "nagios" and isinstance(moment, str) and moment[:1].isdigit():
        moment = _unix(moment)
    assert one(source, _with_time(source, moment)).occurred_at == expected


@pytest.mark.parametrize("seconds", [10**30, -(10**30), 1e308, "1e400", "nan", -1])
def test_nagios_absurd_timestamps_become_none(seconds: Any) -> None:
    assert one("nagios", nagios_body(timestamp=seconds)).occurred_at is None


@pytest.mark.parametrize("source", NAMES)
def test_numbers_where_strings_go_are_read_as_text(source: str) -> None:
    if source == "cloudwatch":
        body = sns(alarm(AlarmName=12345, AWSAccountId=1234567890))
    elif source in ("alertmanager", "grafana"):
        body = BUILDERS[source]()
        body["alerts"][0]["annotations"] = {"summary": 42}
    elif source == "generic":
        body = alerta(resource=101, event=7.5, text=True)
    else:
        body = BUILDERS[source]() | {"host": 10}
    assert one(source, body).title


# Properties.

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
STRINGISH = (
    st.text(max_size=30) | st.integers() | st.sampled_from(["", "0", "4", "2026-11-22T12:00:00Z"]) | JSON
)


def _shaped(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={name: strategy | JSON for name, strategy in fields.items()})


AM_ALERT = _shaped(
    {
        "status": st.sampled_from(["firing", "resolved"]),
        "labels": st.dictionaries(
            st.sampled_from(["alertname", "severity", "instance", "host", "ci"]), STRINGISH
        ),
        "annotations": st.dictionaries(st.sampled_from(["summary", "description", "message"]), STRINGISH),
        "startsAt": STRINGISH,
        "endsAt": STRINGISH,
        "generatorURL": st.sampled_from(["http://x/", "https://y/z", "javascript:1"]),
        "fingerprint": STRINGISH,
        "values": st.dictionaries(st.text(max_size=3), JSON),
        "panelURL": STRINGISH,
    }
)
SHAPED: dict[str, st.SearchStrategy[Any]] = {
    "alertmanager": _shaped(
        {"version": st.just("4"), "status": STRINGISH, "alerts": st.lists(AM_ALERT, max_size=3)}
    ),
    "grafana": _shaped(
        {"version": st.just("1"), "status": STRINGISH, "alerts": st.lists(AM_ALERT, max_size=3)}
    ),
    "zabbix": _shaped(
        {
            "event_id": STRINGISH,
            "trigger_id": STRINGISH,
            "alert_uid": STRINGISH,
            "status": st.sampled_from(["PROBLEM", "RESOLVED", "UPDATE", "OK"]),
            "state": st.sampled_from(["alerting", "ok"]),
            "severity": st.sampled_from(["Disaster", "High", "Not classified"]),
            "nseverity": STRINGISH,
            "title": STRINGISH,
            "message": STRINGISH,
            "host": STRINGISH,
            "tags": st.lists(st.fixed_dictionaries({"tag": STRINGISH, "value": STRINGISH}), max_size=3),
            "event_time": STRINGISH,
        }
    ),
    "nagios": _shaped(
        {
            "object": st.sampled_from(["host", "service"]),
            "host": STRINGISH,
            "service": STRINGISH,
            "state": st.sampled_from(["OK", "CRITICAL", "DOWN", "UNKNOWN"]),
            "notification_type": st.sampled_from(["PROBLEM", "RECOVERY", "ACKNOWLEDGEMENT"]),
            "timestamp": STRINGISH,
            "event_type": st.sampled_from(["trigger", "resolve"]),
            "details": st.dictionaries(
                st.sampled_from(["HOSTNAME", "SERVICEDESC", "SERVICESTATE"]), STRINGISH
            ),
        }
    ),
    "cloudwatch": _shaped(
        {
            "Type": st.sampled_from(["Notification", "SubscriptionConfirmation"]),
            "Timestamp": STRINGISH,
            "Message": st.builds(
                json.dumps,
                _shaped(
                    {
                        "AlarmName": STRINGISH,
                        "AlarmArn": STRINGISH,
                        "NewStateValue": st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA"]),
                        "AlarmDescription": STRINGISH,
                        "NewStateReason": STRINGISH,
                        "StateChangeTime": STRINGISH,
                        "Trigger": _shaped(
                            {"MetricName": STRINGISH, "Dimensions": st.lists(JSON, max_size=3)}
                        ),
                    }
                ),
            ),
        }
    ),
    "generic": st.lists(
        _shaped(
            dict.fromkeys(
                ("resource", "event", "environment", "severity", "status", "value", "createTime"), STRINGISH
            )
            | {"service": st.lists(STRINGISH, max_size=2), "tags": st.lists(STRINGISH, max_size=2)}
        ),
        max_size=3,
    ),
}


def _parse_or_refuse(source: str, body: Any) -> None:
    try:
        signals = sources.parse(source, body, received_at=NOW)
    except PayloadError as error:
        assert type(error) is PayloadError and str(error)
        return
    assert isinstance(signals, list) and len(signals) <= MAX_SIGNALS
    for signal in signals:
        check(signal)


@PROPERTY
@given(source=st.sampled_from(NAMES), body=JSON)
def test_any_json_gives_signals_or_a_payload_error(source: str, body: Any) -> None:
    _parse_or_refuse(source, body)


@PROPERTY
@given(data=st.data(), source=st.sampled_from(NAMES))
def test_nearly_right_bodies_give_signals_or_a_payload_error(data: st.DataObject, source: str) -> None:
    _parse_or_refuse(source, data.draw(SHAPED[source]))


LABELS = st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=12), min_size=1, max_size=8)


@PROPERTY
@given(labels=LABELS, data=st.data())
def test_alertmanager_keys_ignore_label_order(labels: dict[str, str], data: st.DataObject) -> None:
    shuffled = dict(data.draw(st.permutations(list(labels.items()))))
    keys = {
        one(source, builder(am_alert(labels=order, fingerprint=None))).dedup_key
        for order in (labels, shuffled)
        for source, builder in (("alertmanager", am_body), ("grafana", grafana_body))
    }
    assert keys == {alertmanager.fingerprint(labels)}


@PROPERTY
@given(first=LABELS, second=LABELS)
def test_alertmanager_distinct_label_sets_get_distinct_keys(
    first: dict[str, str], second: dict[str, str]
) -> None:
    assume(first != second)
    keys = [
        one("alertmanager", am_body(am_alert(labels=ls, fingerprint=None))).dedup_key
        for ls in (first, second)
    ]
    assert keys[0] != keys[1]


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-._:/", min_size=1, max_size=12)


@PROPERTY
@given(first=st.tuples(WORD, WORD, WORD), second=st.tuples(WORD, WORD, WORD))
def test_distinct_alerts_get_distinct_keys(first: tuple[str, str, str], second: tuple[str, str, str]) -> None:
    assume(first != second)

    def keys(a: str, b: str, c: str) -> tuple[str, ...]:
        return (
            one("generic", {"environment": a, "resource": b, "event": c}).dedup_key,
            one("zabbix", zabbix_body(host=a, trigger_id=b)).dedup_key,
            one("nagios", nagios_body(host=a, service=b)).dedup_key,
            one("cloudwatch", sns(alarm(AWSAccountId=a, Region=b, AlarmName=c))).dedup_key,
        )

    generic_1, zabbix_1, nagios_1, cloudwatch_1 = keys(*first)
    generic_2, zabbix_2, nagios_2, cloudwatch_2 = keys(*second)
    assert generic_1 != generic_2 and cloudwatch_1 != cloudwatch_2  # three parts
    assert (zabbix_1 == zabbix_2) is (nagios_1 == nagios_2) is (first[:2] == second[:2])  # two parts


@PROPERTY
@given(data=st.data())
def test_keys_do_not_depend_on_field_order(data: st.DataObject) -> None:
    for source, builder in BUILDERS.items():
        body = builder()
        if source == "cloudwatch":
            shuffled = sns(dict(data.draw(st.permutations(list(alarm().items())))))
        elif source in ("alertmanager", "grafana"):
            shuffled = copy.deepcopy(body)
            shuffled["alerts"][0] = dict(data.draw(st.permutations(list(body["alerts"][0].items()))))
        else:
            shuffled = dict(data.draw(st.permutations(list(body.items()))))
        assert one(source, shuffled) == one(source, body)
