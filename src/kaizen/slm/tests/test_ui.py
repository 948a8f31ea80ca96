"""Service level pages: permissions, the calendar form, ICS import, the month view, the ticket's clocks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kaizen.accounts.tests.factories import OrganisationFactory, user_with_role
from kaizen.core import context
from kaizen.core.access import Role
from kaizen.core.testing.ui import UiCase, UiPermissionSuite, client_for
from kaizen.portfolio.tests.factories import ServiceFactory
from kaizen.slm import defaults
from kaizen.slm.models import Agreement, BusinessCalendar, Outage, ServiceTier
from kaizen.tickets.tests import factories as f


def _outage(org: Any) -> Outage:
    start = dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    return Outage.objects.create(
        service=ServiceFactory(organisation=org), start=start, end=start + dt.timedelta(hours=1)
    )


class TestOutagePages(UiPermissionSuite):
    case = UiCase(
        prefix="slm:outages",
        make=_outage,
        form_data=lambda org: {
            "service": ServiceFactory(organisation=org).pk,
            "start": "2026-11-02T10:00",
            "end": "2026-11-02T11:00",
            "description": "停止",
        },
        edit_data=lambda obj: {
            "service": obj.service_id,
            "start": "2026-11-02T10:00",
            "end": "2026-11-02T11:30",
            "description": "延長",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        text_field=None,
        relation_field="service",
    )

    def test_hostile_description_is_stored_and_shown_escaped(self) -> None:
        org = OrganisationFactory()
        outage = _outage(org)
        client = client_for(user_with_role(Role.AGENT, org))
        data = {**self.case.edit_data(outage), "description": "<script>alert(1)</script>", "version": 1}
        assert client.post(reverse("slm:outages-edit", args=[outage.pk]), data).status_code == 302
        html = client.get(reverse("slm:outages-detail", args=[outage.pk])).content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;" in html

    def test_outage_ending_before_it_starts_is_a_form_error(self) -> None:
        org = OrganisationFactory()
        client = client_for(user_with_role(Role.AGENT, org))
        data = {**self.case.form_data(org), "end": "2026-11-02T09:00"}
        answer = client.post(reverse("slm:outages-create"), data)
        assert answer.status_code == 400
        assert not Outage.objects.exists()


@pytest.fixture
def loaded(db: Any) -> dict[str, Any]:
    f.desk()
    with context.acting(channel=context.Channel.SYSTEM):
        defaults.load()
    return {
        "calendar": BusinessCalendar.objects.get(is_default=True),
        "tier": ServiceTier.objects.get(name_en="Gold"),
    }


def _calendar_form(**extra: str) -> dict[str, str]:
    data = {
        "name": "サポート窓口",
        "time_zone": "Asia/Tokyo",
        "public_holidays": "JP",
        "year_end": "on",
        "closed_dates": "2026-08-14\n2026-08-15",
        "closures": "2026-12-10 18:00 / 2026-12-11 09:00 / 停電",
        **{f"hours_{d}": "09:00-12:00, 13:00-18:00" for d in range(5)},
        "hours_5": "",
        "hours_6": "",
    }
    data.update(extra)
    return data


def test_manager_creates_a_calendar_from_text_ranges(loaded: dict[str, Any]) -> None:
    client = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    answer = client.post(reverse("slm:calendars-create"), _calendar_form())
    assert answer.status_code == 302, answer.content.decode()[:2000]
    calendar = BusinessCalendar.objects.get(name="サポート窓口")
    assert calendar.definition["hours"][0] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert calendar.definition["closures"][0]["name"] == "停電"
    assert calendar.definition["closures"][0]["start"] == "2026-12-10T18:00:00+09:00"


@pytest.mark.parametrize(
    "extra",
    [
        {"hours_0": "09:00-13:00, 12:00-18:00"},
        {"hours_0": "18:00-09:00"},
        {"hours_0": "nine to six"},
        {"hours_0": "09:00-25:00"},
        {"closed_dates": "2026-02-30"},
        {"closures": "tomorrow / later"},
        {"time_zone": "Mars/Olympus"},
        {"name": "x" * 500},
    ],
)
def test_bad_calendar_forms_show_errors_and_store_nothing(
    loaded: dict[str, Any], extra: dict[str, str]
) -> None:
    client = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    answer = client.post(reverse("slm:calendars-create"), _calendar_form(**extra))
    assert answer.status_code in (200, 400)
    assert b"error" in answer.content
    assert not BusinessCalendar.objects.filter(name="サポート窓口").exists()


def test_month_view_shows_holidays_and_hours(loaded: dict[str, Any]) -> None:
    client = client_for(user_with_role(Role.AGENT, OrganisationFactory()))
    page = client.get(reverse("slm:calendar-month", args=[loaded["calendar"].pk]), {"month": "2026-05"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "憲法記念日" in text and "振替休日" in text
    assert "09:00–18:00" in text
    assert (
        client.get(reverse("slm:calendar-month", args=[loaded["calendar"].pk]), {"month": "<b>"}).status_code
        == 400
    )


def test_ics_import_adds_closed_days_and_bad_files_are_refused(loaded: dict[str, Any]) -> None:
    client = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    calendar = loaded["calendar"]
    url = reverse("slm:calendar-import", args=[calendar.pk])
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:a@example.jp\r\n"
        "DTSTART;VALUE=DATE:20260814\r\nDTEND;VALUE=DATE:20260815\r\nSUMMARY:夏季休業\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    ).encode()
    answer = client.post(
        url,
        {"version": calendar.version, "file": SimpleUploadedFile("h.ics", ics, "text/calendar")},
        follow=True,
    )
    assert answer.status_code == 200
    calendar.refresh_from_db()
    assert "2026-08-14" in calendar.definition["closed_dates"]
    assert calendar.revisions.count() == 2
    broken = client.post(
        url,
        {
            "version": calendar.version,
            "file": SimpleUploadedFile("h.ics", b"<html>nope</html>", "text/calendar"),
        },
        follow=True,
    )
    assert broken.status_code == 200
    calendar.refresh_from_db()
    assert calendar.revisions.count() == 2
    requester = client_for(user_with_role(Role.REQUESTER, OrganisationFactory()))
    assert requester.post(url, {"version": 1}).status_code == 404


def test_ticket_page_shows_the_clocks(loaded: dict[str, Any]) -> None:
    org = OrganisationFactory()
    service = ServiceFactory(organisation=org)
    Agreement.objects.create(
        name="会計 SLA",
        calendar=loaded["calendar"],
        tier=loaded["tier"],
        service=service,
        ticket_kinds=["incident"],
    )
    ticket = f.ticket(org, service=service)
    page = client_for(user_with_role(Role.AGENT, org)).get(reverse("tickets:ticket", args=[ticket.pk]))
    text = page.content.decode()
    assert "会計 SLA" in text
    assert "clock-" in text


def test_agreement_form_creates_with_targets_grid(loaded: dict[str, Any]) -> None:
    client = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    answer = client.post(
        reverse("slm:agreements-create"),
        {
            "name": "窓口 SLA",
            "kind": "sla",
            "calendar": loaded["calendar"].pk,
            "ticket_kinds": ["incident"],
            "warn_at": "75, 90",
            "t_1_response": "10",
            "t_1_resolution": "240",
            "order": "100",
            "is_active": "on",
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    agreement = Agreement.objects.get(name="窓口 SLA")
    assert agreement.targets == {"1": {"response": 10, "resolution": 240}}
    assert agreement.warn_at == [75, 90]
    bad = client.post(
        reverse("slm:agreements-create"),
        {
            "name": "空",
            "kind": "sla",
            "calendar": loaded["calendar"].pk,
            "ticket_kinds": ["incident"],
            "warn_at": "x",
        },
    )
    assert bad.status_code in (200, 400)
    assert not Agreement.objects.filter(name="空").exists()
