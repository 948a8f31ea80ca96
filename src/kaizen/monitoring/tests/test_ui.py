"""Monitoring pages: the generic UI suite on integrations, rules and windows; the alert console, its
live rows and actions; tokens shown once; hostile and malformed input."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.cmdb.tests.factories import CIFactory
from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for
from kaizen.monitoring import processing, services
from kaizen.monitoring.models import Alert, CIMapping, Delivery, Integration, MaintenanceWindow
from kaizen.monitoring.sources.base import Signal
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.tickets.tests import factories as f

from .conftest import Shop

pytestmark = pytest.mark.django_db

_names = itertools.count(1)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _integration(org: Any, **data: Any) -> Integration:
    return Integration.objects.create(
        name=f"監視連携 {next(_names)}", source=data.pop("source", "alertmanager"), organisation=org, **data
    )


def _alert(integration: Integration, **data: Any) -> Alert:
    now = timezone.now()
    values: dict[str, Any] = {
        "integration": integration,
        "organisation_id": integration.organisation_id,
        "dedup_key": f"key-{next(_names)}",
        "status": "firing",
        "severity": "critical",
        "title": "CPU使用率が高い",
        "first_seen_at": now - dt.timedelta(minutes=5),
        "last_seen_at": now,
        "changed_at": now,
    }
    values.update(data)
    return Alert.objects.create(**values)


def _integration_form(org: Any, **extra: Any) -> dict[str, Any]:
    return {
        "name": "Prometheus 本番",
        "source": "alertmanager",
        "organisation": org.pk,
        "description": "本番クラスタ",
        "is_enabled": "on",
        "create_incidents": "on",
        "incident_severity": "warning",
        "min_duration": 0,
        "expire_after": 1440,
        "group_window": 10,
        "reopen_window": 60,
        "flap_changes": 4,
        "flap_window": 30,
        "max_body_bytes": 5 * 1024 * 1024,
        "thresholds": '[{"metric": "cpu", "warning": 80, "critical": 90, "hysteresis": 5}]',
        "sns_topics": "",
        **extra,
    }


def _integration_edit(obj: Integration) -> dict[str, Any]:
    data = _integration_form(obj.organisation, name=obj.name, description="編集後の説明")
    del data["source"], data["organisation"]
    return data


class TestIntegrationPages(UiPermissionSuite):
    case = UiCase(
        prefix="monitoring:integrations",
        make=_integration,
        form_data=_integration_form,
        edit_data=_integration_edit,
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        relation_field="default_service",
    )

    def test_writer_creates_and_edits_and_both_are_audited(self) -> None:
        """Creating answers with the page and its token (no redirect); editing works as elsewhere."""
        org = self.case.make_org()
        client = client_for(self.case.make_user(self.case.writer_role, org))
        assert client.get(self.url("create")).status_code == 200
        created = client.post(self.url("create"), self.case.form_data(org))
        assert created.status_code == 200, created.content.decode()[:3000]
        obj = Integration.objects.get(name="Prometheus 本番")
        assert AuditEntry.objects.filter(record_id=str(obj.pk), action="create").exists()
        assert obj.thresholds[0]["metric"] == "cpu"
        edited = client.post(self.url("edit", obj), {**self.case.edit_data(obj), "version": 1})
        assert edited.status_code == 302, edited.content.decode()[:3000]
        assert Integration.objects.get(pk=obj.pk).version == 2
        assert "action-update" in client.get(self.url("detail", obj)).content.decode()


def _window(org: Any) -> MaintenanceWindow:
    start = dt.datetime(2026, 11, 2, 13, tzinfo=dt.UTC)
    return MaintenanceWindow.objects.create(
        organisation=org, name="定期メンテナンス", starts_at=start, ends_at=start + dt.timedelta(hours=4)
    )


def _window_form(org: Any) -> dict[str, Any]:
    return {
        "organisation": org.pk,
        "name": "DBパッチ適用",
        "starts_at": "2026-11-02T22:00",
        "ends_at": "2026-11-03T02:00",
        "cis": [CIFactory(organisation=org).pk],
        "reason": "月例パッチ",
    }


def _window_edit(obj: MaintenanceWindow) -> dict[str, Any]:
    return {
        "organisation": obj.organisation_id,
        "name": obj.name,
        "starts_at": "2026-11-02T22:00",
        "ends_at": "2026-11-03T03:00",
        "reason": "延長",
    }


class TestWindowPages(UiPermissionSuite):
    case = UiCase(
        prefix="monitoring:windows",
        make=_window,
        form_data=_window_form,
        edit_data=_window_edit,
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
    )


def _mapping(org: Any) -> CIMapping:
    return CIMapping.objects.create(organisation=org, match_field="label", label="instance", ci_field="name")


def _mapping_form(org: Any) -> dict[str, Any]:
    return {
        "organisation": org.pk,
        "order": 10,
        "match_field": "label",
        "label": "host",
        "pattern": "^([^.:]+)",
        "ci_field": "name",
        "ci_attribute": "",
        "is_active": "on",
    }


def _mapping_edit(obj: CIMapping) -> dict[str, Any]:
    return {**_mapping_form(obj.organisation), "label": obj.label, "order": 20}


class TestMappingPages(UiPermissionSuite):
    case = UiCase(
        prefix="monitoring:mappings",
        make=_mapping,
        form_data=_mapping_form,
        edit_data=_mapping_edit,
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        text_field="label",
    )


# -- the console -------------------------------------------------------------------------------


@pytest.fixture
def setup(db: Any) -> dict[str, Any]:
    org, other = OrganisationFactory(), OrganisationFactory()
    mine, theirs = _integration(org), _integration(other)
    return {
        "org": org,
        "integration": mine,
        "agent": user_with_role(Role.AGENT, org),
        "auditor": user_with_role(Role.AUDITOR, org),
        "alert": _alert(mine, title="ディスク残量が少ない", host="web-01"),
        "hidden": _alert(theirs, title="他社のアラート"),
    }


def test_console_lists_only_the_users_organisations_alerts(setup: dict[str, Any]) -> None:
    client = client_for(setup["agent"])
    page = client.get(reverse("monitoring:console"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "ディスク残量が少ない" in html and "web-01" in html
    assert "他社のアラート" not in html
    assert reverse("monitoring:alert-detail", args=[setup["hidden"].pk]) not in html
    assert 'hx-trigger="every 10s"' in html and reverse("monitoring:console-rows") in html
    assert client.get(reverse("monitoring:alert-detail", args=[setup["hidden"].pk])).status_code == 404
    detail = client.get(reverse("monitoring:alert-detail", args=[setup["alert"].pk]))
    assert detail.status_code == 200 and "ディスク残量が少ない" in detail.content.decode()


def test_console_is_for_staff(setup: dict[str, Any]) -> None:
    requester = f.requester_of(setup["org"])
    assert client_for(requester).get(reverse("monitoring:console")).status_code == 403
    assert client_for(None).get(reverse("monitoring:console")).status_code == 302


def test_console_counts_open_alerts_by_severity(setup: dict[str, Any]) -> None:
    _alert(setup["integration"], severity="warning", title="警告")
    _alert(setup["integration"], severity="warning", title="閉じた", is_open=False, status="resolved")
    html = client_for(setup["agent"]).get(reverse("monitoring:console-counts")).content.decode()
    assert "sev-critical" in html and "<strong>1</strong>" in html and "<strong>2</strong>" not in html
    assert "2" in html  # two open alerts in all


@pytest.mark.parametrize(
    ("params", "shown", "hidden"),
    [
        ({}, ["開いている"], ["閉じている"]),
        ({"state": "closed"}, ["閉じている"], ["開いている"]),
        ({"state": "all"}, ["開いている", "閉じている"], []),
        ({"severity": "warning"}, ["警告だけ"], ["開いている"]),
        ({"q": "警告"}, ["警告だけ"], ["開いている"]),
        ({"source": "zabbix"}, ["ザビックス"], ["開いている"]),
        ({"acknowledged": "true"}, ["確認済み"], ["開いている"]),
    ],
)
def test_console_filters(
    setup: dict[str, Any], params: dict[str, str], shown: list[str], hidden: list[str]
) -> None:
    integration = setup["integration"]
    _alert(integration, title="開いている")
    _alert(integration, title="閉じている", is_open=False, status="resolved", closed_at=timezone.now())
    _alert(integration, title="警告だけ", severity="warning")
    _alert(_integration(setup["org"], source="zabbix"), title="ザビックス")
    _alert(integration, title="確認済み", acknowledged_at=timezone.now())
    html = client_for(setup["agent"]).get(reverse("monitoring:console"), params).content.decode()
    for title in shown:
        assert title in html, (params, title)
    for title in hidden:
        assert title not in html, (params, title)


def test_console_filters_by_integration(setup: dict[str, Any]) -> None:
    other = _integration(setup["org"])
    _alert(other, title="別の連携")
    client = client_for(setup["agent"])
    html = client.get(reverse("monitoring:console"), {"integration": other.pk}).content.decode()
    assert "別の連携" in html and "ディスク残量が少ない" not in html


def test_live_partial_returns_only_the_rows(setup: dict[str, Any]) -> None:
    client = client_for(setup["agent"])
    answer = client.get(reverse("monitoring:console-rows"), {"state": "open"}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert "<tr" in html and "ディスク残量が少ない" in html
    assert (
        "<html" not in html
        and "<table" not in html
        and "<tbody" not in html
        and '<form class="filters"' not in html
    )
    assert "他社のアラート" not in html


def _post(client: Any, name: str, alert: Alert, **data: Any) -> Any:
    return client.post(
        reverse(f"monitoring:alert-{name}", args=[alert.pk]), {"version": alert.version, **data}
    )


def test_acknowledge_silence_and_lift(setup: dict[str, Any]) -> None:
    client, alert = client_for(setup["agent"]), setup["alert"]
    answer = _post(client, "acknowledge", alert, next=reverse("monitoring:console") + "?state=all")
    assert answer.status_code == 302 and answer["Location"] == reverse("monitoring:console") + "?state=all"
    alert.refresh_from_db()
    assert alert.acknowledged_by == setup["agent"] and alert.version == 2
    assert _post(client, "silence", alert, hours="4").status_code == 302
    alert.refresh_from_db()
    assert alert.silenced_until is not None
    assert dt.timedelta(hours=3, minutes=59) < alert.silenced_until - timezone.now() <= dt.timedelta(hours=4)
    html = client.get(reverse("monitoring:console")).content.decode()
    assert "Lift silence" in html or "サイレンス解除" in html
    assert _post(client, "silence", alert, lift="1").status_code == 302
    alert.refresh_from_db()
    assert alert.silenced_until is None
    assert AuditEntry.objects.filter(record_id=str(alert.pk), action="silence").exists()


def test_silence_refuses_other_durations(setup: dict[str, Any]) -> None:
    client, alert = client_for(setup["agent"]), setup["alert"]
    for hours in ("5", "-1", "abc", "9" * 40, ""):
        answer = _post(client, "silence", alert, hours=hours)
        assert answer.status_code == 302
    alert.refresh_from_db()
    assert alert.silenced_until is None and alert.version == 1


def test_link_to_an_incident_by_number_and_detach(setup: dict[str, Any]) -> None:
    f.desk()
    incident = f.ticket(setup["org"])
    client, alert = client_for(setup["agent"]), setup["alert"]
    answer = _post(client, "link", alert, number=f" {incident.number.lower()} ")
    assert answer.status_code == 302
    alert.refresh_from_db()
    assert alert.incident_id == incident.pk
    html = client.get(reverse("monitoring:console")).content.decode()
    assert incident.number in html and reverse("tickets:ticket", args=[incident.pk]) in html
    assert _post(client, "link", alert, unlink="1").status_code == 302
    alert.refresh_from_db()
    assert alert.incident_id is None


def test_link_to_an_unknown_or_foreign_incident_is_a_message(setup: dict[str, Any]) -> None:
    f.desk()
    foreign = f.ticket(OrganisationFactory())
    client, alert = client_for(setup["agent"]), setup["alert"]
    for number in ("INC-999999", foreign.number, "<b>x</b>", "", "x" * 500):
        answer = client.post(
            reverse("monitoring:alert-link", args=[alert.pk]), {"version": 1, "number": number}, follow=True
        )
        assert answer.status_code == 200
        assert "message-error" in answer.content.decode()
        assert "<b>x</b>" not in answer.content.decode()
    alert.refresh_from_db()
    assert alert.incident_id is None


def test_actions_are_refused_without_change_permission(setup: dict[str, Any]) -> None:
    f.desk()
    incident = f.ticket(setup["org"])
    client, alert = client_for(setup["auditor"]), setup["alert"]
    page = client.get(reverse("monitoring:console")).content.decode()
    assert "ディスク残量が少ない" in page
    assert reverse("monitoring:alert-acknowledge", args=[alert.pk]) not in page
    for name, data in (
        ("acknowledge", {}),
        ("silence", {"hours": "1"}),
        ("link", {"number": incident.number}),
    ):
        answer = _post(client, name, alert, **data)
        assert answer.status_code in (302, 403), name
        followed = client.get(answer["Location"]) if answer.status_code == 302 else answer
        assert followed.status_code in (200, 403)
    alert.refresh_from_db()
    assert alert.version == 1 and alert.acknowledged_at is None and alert.silenced_until is None
    assert alert.incident_id is None


def test_actions_on_invisible_or_unknown_alerts_are_404(setup: dict[str, Any]) -> None:
    client = client_for(setup["agent"])
    for pk in (setup["hidden"].pk, 99999999):
        for name in ("acknowledge", "silence", "link"):
            url = reverse(f"monitoring:alert-{name}", args=[pk])
            assert client.post(url, {"version": 1, "hours": "1", "number": "INC-000001"}).status_code == 404
    assert client.get(reverse("monitoring:alert-detail", args=[99999999])).status_code == 404
    assert client.get(reverse("monitoring:alert-acknowledge", args=[setup["alert"].pk])).status_code == 405
    setup["hidden"].refresh_from_db()
    assert setup["hidden"].version == 1


def test_stale_version_and_closed_alert_are_messages(setup: dict[str, Any]) -> None:
    client, alert = client_for(setup["agent"]), setup["alert"]
    stale = client.post(reverse("monitoring:alert-acknowledge", args=[alert.pk]), {"version": 7}, follow=True)
    assert stale.status_code == 200 and "message-error" in stale.content.decode()
    closed = _alert(setup["integration"], is_open=False, status="resolved")
    answer = client.post(
        reverse("monitoring:alert-acknowledge", args=[closed.pk]), {"version": 1}, follow=True
    )
    assert answer.status_code == 200 and "message-error" in answer.content.decode()
    closed.refresh_from_db()
    assert closed.acknowledged_at is None


def test_next_never_leaves_the_site(setup: dict[str, Any]) -> None:
    client, alert = client_for(setup["agent"]), setup["alert"]
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        answer = _post(client, "acknowledge", alert, next=target)
        assert answer["Location"] == reverse("monitoring:alert-detail", args=[alert.pk])
        alert.refresh_from_db()


def test_alert_from_processing_shows_its_events_and_ci(shop: Shop) -> None:
    integration, _token = shop.integration()
    now = timezone.now()
    signal = Signal(
        dedup_key="cpu-web-01",
        status="firing",
        severity="critical",
        title="CPU高負荷 web-01",
        labels={"alertname": "HighCPU", "ci": "web-01"},
        annotations={"summary": "CPU > 90%"},
        host="web-01",
    )
    processing.apply(integration, [signal], delivery=None, now=now)
    processing.apply(integration, [signal], delivery=None, now=now + dt.timedelta(minutes=1))
    alert = Alert.objects.get(dedup_key="cpu-web-01")
    assert alert.events == 2 and alert.duplicates == 1
    client = client_for(shop.agent)
    html = client.get(reverse("monitoring:alert-detail", args=[alert.pk])).content.decode()
    assert "HighCPU" in html and "CPU &gt; 90%" in html
    assert 'id="events-title"' in html and 'id="history-title"' in html
    assert html.count('<td><span class="sev sev-critical">') == 2  # two events in the log


def test_ci_of_an_alert_is_linked(shop: Shop) -> None:
    integration, _token = shop.integration()
    alert = _alert(integration, ci=shop.web1, host="web-01.example.jp")
    client = client_for(shop.agent)
    ci_url = reverse("cmdb:cis-detail", args=[shop.web1.pk])
    assert ci_url in client.get(reverse("monitoring:console")).content.decode()
    assert ci_url in client.get(reverse("monitoring:alert-detail", args=[alert.pk])).content.decode()


def test_hostile_alert_text_is_escaped_everywhere(setup: dict[str, Any]) -> None:
    alert = _alert(
        setup["integration"],
        title=HOSTILE,
        host=HOSTILE[:200],
        description=HOSTILE,
        labels={HOSTILE: HOSTILE, "nested": {"a": [1, HOSTILE]}},
        annotations={"summary": HOSTILE},
        url="javascript:alert(1)",
    )
    client = client_for(setup["agent"])
    for url in (
        reverse("monitoring:console"),
        reverse("monitoring:console-rows"),
        reverse("monitoring:alert-detail", args=[alert.pk]),
    ):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url
    detail = client.get(reverse("monitoring:alert-detail", args=[alert.pk])).content.decode()
    assert 'href="javascript:' not in detail


def test_odd_stored_labels_never_fail(setup: dict[str, Any]) -> None:
    alert = _alert(setup["integration"], labels=["not", "a", "dict"], annotations={})
    answer = client_for(setup["agent"]).get(reverse("monitoring:alert-detail", args=[alert.pk]))
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"state": "maybe"},
        {"status": "exploded"},
        {"severity": ["critical", "<script>"]},
        {"source": "x" * 5000},
        {"integration": "abc"},
        {"integration": "9" * 30},
        {"integration": "-1"},
        {"integration": "1.5"},
        {"ci": "99999999999999999999"},
        {"incident": "1 OR 1=1"},
        {"acknowledged": "perhaps"},
        {"q": "x" * 5000},
        {"q": "\x00"},
        {"q": "%' OR '1'='1"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"sort": "password"},
    ],
)
def test_malformed_filters_never_fail(setup: dict[str, Any], params: dict[str, Any]) -> None:
    client = client_for(setup["agent"])
    for name in ("monitoring:console", "monitoring:console-rows"):
        answer = client.get(reverse(name), params)
        assert answer.status_code == 200, (name, params)
        assert "他社のアラート" not in answer.content.decode()


def test_console_query_count_has_a_ceiling(setup: dict[str, Any]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    f.desk()
    incident = f.ticket(setup["org"])
    ci = CIFactory(organisation=setup["org"])
    for _ in range(30):
        _alert(
            setup["integration"],
            ci=ci,
            incident=incident,
            acknowledged_by=setup["agent"],
            acknowledged_at=timezone.now(),
        )
    client = client_for(setup["agent"])
    client.get(reverse("monitoring:console"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("monitoring:console")).status_code == 200
    assert len(ctx.captured_queries) <= 20, [q["sql"] for q in ctx.captured_queries]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("monitoring:console-rows")).status_code == 200
    assert len(ctx.captured_queries) <= 15, [q["sql"] for q in ctx.captured_queries]


# -- integrations: tokens, deliveries, forms ---------------------------------------------------


@pytest.fixture
def managed(db: Any) -> dict[str, Any]:
    org = OrganisationFactory()
    return {
        "org": org,
        "manager": user_with_role(Role.MANAGER, org),
        "agent": user_with_role(Role.AGENT, org),
    }


def _create(client: Any, org: Any, **extra: Any) -> Any:
    return client.post(reverse("monitoring:integrations-create"), _integration_form(org, **extra))


def test_token_is_shown_once_after_creation(managed: dict[str, Any]) -> None:
    client = client_for(managed["manager"])
    answer = _create(client, managed["org"])
    assert answer.status_code == 200
    integration = Integration.objects.get(name="Prometheus 本番")
    html = answer.content.decode()
    start = html.index('id="new-token" value="') + len('id="new-token" value="')
    token = html[start : html.index('"', start)]
    assert token.startswith(services.TOKEN_PREFIX) and token.startswith(integration.token_prefix)
    assert "no-store" in answer["Cache-Control"]
    assert services.authenticate(token, source="alertmanager") == integration
    assert "/api/v1/events/alertmanager/" in html
    again = client.get(reverse("monitoring:integrations-detail", args=[integration.pk])).content.decode()
    assert token not in again and integration.token_prefix in again
    assert "/api/v1/events/alertmanager/" in again
    assert token not in client.get(reverse("monitoring:integrations-list")).content.decode()
    assert not any(token in str(v) for v in client.session.values())


def test_rotate_shows_a_new_token_and_the_old_one_works_for_a_day(managed: dict[str, Any]) -> None:
    client = client_for(managed["manager"])
    _create(client, managed["org"])
    integration = Integration.objects.get(name="Prometheus 本番")
    first = integration.token_prefix
    url = reverse("monitoring:integrations-rotate", args=[integration.pk])
    answer = client.post(url, {"version": integration.version})
    assert answer.status_code == 200
    html = answer.content.decode()
    start = html.index('id="new-token" value="') + len('id="new-token" value="')
    token = html[start : html.index('"', start)]
    integration.refresh_from_db()
    assert integration.token_prefix != first and token.startswith(integration.token_prefix)
    assert integration.previous_valid_until is not None
    assert integration.previous_valid_until - timezone.now() > dt.timedelta(hours=23)
    assert (
        token
        not in client.get(reverse("monitoring:integrations-detail", args=[integration.pk])).content.decode()
    )
    assert client.post(url, {"version": 1}).status_code == 302  # stale: a message, no new token
    revoke = reverse("monitoring:integrations-revoke", args=[integration.pk])
    assert client.post(revoke, {"version": integration.version}).status_code == 302
    integration.refresh_from_db()
    assert integration.previous_digest is None and integration.previous_valid_until is None


def test_agents_see_integrations_but_cannot_rotate(managed: dict[str, Any]) -> None:
    integration = _integration(managed["org"])
    client = client_for(managed["agent"])
    page = client.get(reverse("monitoring:integrations-detail", args=[integration.pk])).content.decode()
    assert reverse("monitoring:integrations-rotate", args=[integration.pk]) not in page
    for name in ("rotate", "revoke"):
        url = reverse(f"monitoring:integrations-{name}", args=[integration.pk])
        assert client.post(url, {"version": 1}).status_code == 403
    other = _integration(OrganisationFactory())
    for name in ("rotate", "revoke"):
        url = reverse(f"monitoring:integrations-{name}", args=[other.pk])
        assert client_for(managed["manager"]).post(url, {"version": 1}).status_code == 404
    assert (
        client_for(managed["manager"])
        .post(reverse("monitoring:integrations-rotate", args=[99999999]), {"version": 1})
        .status_code
        == 404
    )
    integration.refresh_from_db()
    assert integration.version == 1


@pytest.mark.parametrize(
    "thresholds",
    [
        "{not json",
        '{"metric": "cpu"}',
        '[{"metric": "cpu", "warning": "high"}]',
        "[" * 100_000,
        "[" * 5000 + "]" * 5000,
        "1e999",
        '"text"',
    ],
)
def test_bad_thresholds_are_form_errors(managed: dict[str, Any], thresholds: str) -> None:
    answer = _create(client_for(managed["manager"]), managed["org"], thresholds=thresholds)
    assert answer.status_code == 400
    assert 'class="error"' in answer.content.decode()
    assert not Integration.objects.exists()


@pytest.mark.parametrize("topics", ["not-an-arn", "[1, 2]", "[not json", '{"a": 1}', "arn:" + "x" * 300])
def test_bad_sns_topics_are_form_errors(managed: dict[str, Any], topics: str) -> None:
    answer = _create(client_for(managed["manager"]), managed["org"], source="cloudwatch", sns_topics=topics)
    assert answer.status_code == 400
    assert 'class="error"' in answer.content.decode()
    assert not Integration.objects.exists()


def test_sns_topics_one_per_line(managed: dict[str, Any]) -> None:
    topics = (
        "arn:aws:sns:ap-northeast-1:123456789012:alarms\r\n\r\narn:aws:sns:ap-northeast-1:123456789012:ops\n"
    )
    answer = _create(client_for(managed["manager"]), managed["org"], source="cloudwatch", sns_topics=topics)
    assert answer.status_code == 200, answer.content.decode()[:2000]
    integration = Integration.objects.get()
    assert integration.sns_topics == [
        "arn:aws:sns:ap-northeast-1:123456789012:alarms",
        "arn:aws:sns:ap-northeast-1:123456789012:ops",
    ]
    edit = client_for(managed["manager"]).get(reverse("monitoring:integrations-edit", args=[integration.pk]))
    assert "arn:aws:sns:ap-northeast-1:123456789012:alarms\narn:aws:sns" in edit.content.decode()


def test_default_service_of_another_organisation_is_refused(managed: dict[str, Any]) -> None:
    admin = user_with_role(Role.ADMIN, None)
    foreign = ServiceFactory(organisation=OrganisationFactory())
    answer = _create(client_for(admin), managed["org"], default_service=foreign.pk)
    assert answer.status_code == 400
    assert not Integration.objects.exists()


def test_edit_cannot_change_the_organisation_or_source(managed: dict[str, Any]) -> None:
    integration = _integration(managed["org"])
    client = client_for(managed["manager"])
    data = {
        **_integration_edit(integration),
        "version": 1,
        "source": "zabbix",
        "organisation": OrganisationFactory().pk,
    }
    assert (
        client.post(reverse("monitoring:integrations-edit", args=[integration.pk]), data).status_code == 302
    )
    integration.refresh_from_db()
    assert integration.source == "alertmanager" and integration.organisation_id == managed["org"].pk


def test_detail_shows_recent_deliveries_cut_and_escaped(managed: dict[str, Any]) -> None:
    integration = _integration(managed["org"], last_error="解析できません <b>")
    body = ('{"title": "' + HOSTILE + '", "pad": "' + "あ" * 5000 + '"}').encode()
    Delivery.objects.create(
        integration=integration,
        received_at=timezone.now(),
        body=body,
        digest="x",
        state="failed",
        error=HOSTILE,
    )
    Delivery.objects.create(
        integration=integration, received_at=timezone.now(), body=b"\xff\xfe not utf-8", digest="y"
    )
    html = (
        client_for(managed["agent"])
        .get(reverse("monitoring:integrations-detail", args=[integration.pk]))
        .content.decode()
    )
    assert "<script>alert" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    assert "あ" * 1900 in html and "あ" * 2100 not in html
    assert "解析できません &lt;b&gt;" in html


def test_window_scope_is_saved_and_foreign_cis_refused(managed: dict[str, Any]) -> None:
    client = client_for(managed["manager"])
    org = managed["org"]
    ci, other_ci = CIFactory(organisation=org), CIFactory(organisation=org)
    service = ServiceFactory(organisation=org)
    data = {**_window_form(org), "cis": [ci.pk], "services": [service.pk]}
    created = client.post(reverse("monitoring:windows-create"), data)
    assert created.status_code == 302, created.content.decode()[:2000]
    window = MaintenanceWindow.objects.get(name="DBパッチ適用")
    assert list(window.cis.all()) == [ci] and list(window.services.all()) == [service]
    edit = {**_window_edit(window), "cis": [other_ci.pk], "services": [], "version": 1}
    assert client.post(reverse("monitoring:windows-edit", args=[window.pk]), edit).status_code == 302
    window.refresh_from_db()
    assert list(window.cis.all()) == [other_ci] and not window.services.exists()
    assert AuditEntry.objects.filter(record_id=str(window.pk), action="set_scope").count() == 2
    admin = user_with_role(Role.ADMIN, None)
    foreign = CIFactory(organisation=OrganisationFactory())
    refused = client_for(admin).post(
        reverse("monitoring:windows-edit", args=[window.pk]), {**edit, "cis": [foreign.pk], "version": 2}
    )
    assert refused.status_code == 400
    assert list(window.cis.all()) == [other_ci]
    invisible = client.post(
        reverse("monitoring:windows-edit", args=[window.pk]), {**edit, "cis": [foreign.pk], "version": 2}
    )
    assert invisible.status_code == 400


def test_window_ending_before_it_starts_is_a_form_error(managed: dict[str, Any]) -> None:
    client = client_for(managed["manager"])
    data = {**_window_form(managed["org"]), "ends_at": "2026-11-02T21:00"}
    assert client.post(reverse("monitoring:windows-create"), data).status_code == 400
    assert not MaintenanceWindow.objects.exists()


def test_mapping_with_another_organisations_integration_is_refused(managed: dict[str, Any]) -> None:
    admin = user_with_role(Role.ADMIN, None)
    foreign = _integration(OrganisationFactory())
    data = {**_mapping_form(managed["org"]), "integration": foreign.pk}
    answer = client_for(admin).post(reverse("monitoring:mappings-create"), data)
    assert answer.status_code == 400
    assert not CIMapping.objects.exists()
    bad = {**_mapping_form(managed["org"]), "pattern": "([unclosed"}
    assert client_for(managed["manager"]).post(reverse("monitoring:mappings-create"), bad).status_code == 400


def test_navigation_shows_monitoring_to_staff(managed: dict[str, Any]) -> None:
    html = client_for(managed["agent"]).get(reverse("monitoring:console")).content.decode()
    assert f'href="{reverse("monitoring:console")}"' in html
    assert reverse("monitoring:integrations-list") in html


def test_times_are_shown_in_the_users_time_zone(setup: dict[str, Any]) -> None:
    seen = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)
    _alert(setup["integration"], title="時刻の確認", first_seen_at=seen, last_seen_at=seen)
    agent = setup["agent"]
    agent.time_zone = "Asia/Tokyo"
    agent.save(update_fields=["time_zone"])
    html = client_for(agent).get(reverse("monitoring:console"), {"q": "時刻の確認"}).content.decode()
    assert 'datetime="2026-11-02T10:00:00+09:00"' in html
    agent.time_zone = "Europe/London"
    agent.save(update_fields=["time_zone"])
    html = client_for(agent).get(reverse("monitoring:console"), {"q": "時刻の確認"}).content.decode()
    assert 'datetime="2026-11-02T01:00:00+00:00"' in html


def test_actions_need_the_csrf_token(setup: dict[str, Any]) -> None:
    client, alert = client_for(setup["agent"], csrf=True), setup["alert"]
    for name, data in (("acknowledge", {}), ("silence", {"hours": "1"}), ("link", {"unlink": "1"})):
        assert _post(client, name, alert, **data).status_code == 403, name
    integration = _integration(setup["org"])
    manager = client_for(user_with_role(Role.MANAGER, setup["org"]), csrf=True)
    rotate = reverse("monitoring:integrations-rotate", args=[integration.pk])
    assert manager.post(rotate, {"version": 1}).status_code == 403
    alert.refresh_from_db()
    integration.refresh_from_db()
    assert alert.version == 1 and integration.version == 1
