"""Release pages: the generic suites, the release page with its banner, checks, changes and moves,
and hostile or malformed form input."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from kaizen.core.access import Role
from kaizen.core.models import AuditEntry
from kaizen.core.testing.ui import HOSTILE, UiCase, UiPermissionSuite, client_for
from kaizen.releases.choices import ItemKind, ReleaseState
from kaizen.releases.models import AcceptanceItem, Checklist
from kaizen.releases.tests.factories import (
    OrganisationFactory,
    approved,
    check_all,
    checklist,
    criterion,
    draft_change,
    fresh,
    plain_checklist,
    plain_checklist_item,
    release,
    scheduled_change,
    setup_changes,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reference() -> None:
    setup_changes()


def _bare(org):
    return release(org, checklists=False)


class TestReleasePages(UiPermissionSuite):
    case = UiCase(
        prefix="releases:releases",
        make=_bare,
        form_data=lambda org: {"organisation": org.pk, "title": "会計A 2027年1月リリース"},
        edit_data=lambda obj: {
            "organisation": obj.organisation_id,
            "title": obj.title,
            "handover": "1月7日の引継ぎ会で説明する",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AUDITOR,
        writer_role=Role.AGENT,
        deleter_role=Role.MANAGER,
        text_field="title",
    )


class TestChecklistPages(UiPermissionSuite):
    case = UiCase(
        prefix="releases:release-checklists",
        make=plain_checklist,
        form_data=lambda org: {"organisation": org.pk, "name": "運用受入チェックリスト", "is_active": "on"},
        edit_data=lambda obj: {
            "organisation": obj.organisation_id,
            "name": obj.name,
            "description": "痛い目にあった項目を足していく",
            "is_active": "on",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        text_field="name",
    )


class TestChecklistItemPages(UiPermissionSuite):
    case = UiCase(
        prefix="releases:release-checklist-items",
        make=plain_checklist_item,
        form_data=lambda org: {
            "checklist": plain_checklist(org).pk,
            "category": "emergency_contacts",
            "text": "緊急連絡先（夜間・休日）",
            "mandatory": "on",
        },
        edit_data=lambda obj: {
            "checklist": obj.checklist_id,
            "category": "emergency_contacts",
            "text": obj.text,
            "guidance": "連絡テストの日時",
            "mandatory": "on",
        },
        make_org=OrganisationFactory,
        make_user=user_with_role,
        reader_role=Role.AGENT,
        writer_role=Role.MANAGER,
        deleter_role=Role.MANAGER,
        text_field="text",
        relation_field="checklist",
    )


def _detail(rel) -> str:
    return reverse("releases:releases-detail", args=[rel.pk])


def test_the_release_page_shows_why_it_cannot_go_live():
    org = OrganisationFactory()
    draft = draft_change(org)
    rel = approved(org, changes_=[draft])
    client = client_for(user_with_role(Role.AGENT, org))
    html = client.get(_detail(rel)).content.decode()
    unchecked = AcceptanceItem.objects.filter(release=rel, mandatory=True, checked=False).count()
    assert unchecked > 0
    assert f'data-unchecked="{unchecked}"' in html and 'data-blocking="1"' in html
    assert draft.number in html and reverse("tickets:ticket", args=[draft.pk]) in html
    assert reverse("releases:action", args=[rel.pk, "go_live"]) in html
    for item in AcceptanceItem.objects.filter(release=rel, checked=False):
        assert reverse("releases:check-item", args=[item.pk]) in html


def test_checking_items_and_going_live_from_the_page():
    org = OrganisationFactory()
    rel = approved(org, changes_=[scheduled_change(org)])
    user = user_with_role(Role.AGENT, org)
    client = client_for(user)
    item = AcceptanceItem.objects.filter(release=rel, mandatory=True, checked=False).first()
    url = reverse("releases:check-item", args=[item.pk])
    refused = client.post(url, {"version": item.version, "evidence": "  "})
    assert refused.status_code == 400 and 'class="message message-error"' in refused.content.decode()
    assert not AcceptanceItem.objects.get(pk=item.pk).checked
    done = client.post(url, {"version": item.version, "evidence": HOSTILE})
    assert done.status_code == 302
    checked = AcceptanceItem.objects.get(pk=item.pk)
    assert checked.checked and checked.evidence == HOSTILE and checked.checked_by == user
    html = client.get(_detail(rel)).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    stale = client.post(reverse("releases:uncheck-item", args=[item.pk]), {"version": item.version})
    assert stale.status_code == 409
    go = reverse("releases:action", args=[rel.pk, "go_live"])
    assert client.post(go, {"version": fresh(rel).version}).status_code == 400
    assert fresh(rel).state == ReleaseState.APPROVED
    check_all(rel)
    assert client.post(go, {"version": fresh(rel).version}).status_code == 302
    assert fresh(rel).state == ReleaseState.LIVE
    page = client.get(_detail(rel)).content.decode()
    assert reverse("releases:check-item", args=[item.pk]) not in page
    assert reverse("releases:releases-edit", args=[rel.pk]) not in page


def test_bundling_changes_and_adding_items_from_the_page():
    org, other = OrganisationFactory(), OrganisationFactory()
    rel = _bare(org)
    mine, theirs = draft_change(org), draft_change(other)
    client = client_for(user_with_role(Role.AGENT, org))
    html = client.get(_detail(rel)).content.decode()
    assert f'<option value="{mine.pk}">' in html and f'value="{theirs.pk}"' not in html
    bundle = reverse("releases:bundle", args=[rel.pk])
    assert client.post(bundle, {"version": 1, "add": theirs.pk}).status_code == 400
    assert client.post(bundle, {"version": 1, "add": mine.pk}).status_code == 302
    assert list(fresh(rel).change_tickets.all()) == [mine]
    assert client.post(bundle, {"version": 1, "remove": mine.pk}).status_code == 409
    add = reverse("releases:add-item", args=[rel.pk])
    assert (
        client.post(add, {"kind": "service", "text": "受入テスト合格", "mandatory": "on"}).status_code == 302
    )
    added = AcceptanceItem.objects.get(release=rel, text="受入テスト合格")
    assert added.kind == ItemKind.SERVICE and added.mandatory
    assert AuditEntry.objects.filter(record_id=str(added.pk), action="create").exists()
    remove = reverse("releases:remove-item", args=[added.pk])
    assert client.post(remove, {"version": added.version}).status_code == 302
    assert not AcceptanceItem.objects.filter(pk=added.pk).exists()


def test_bad_form_input_on_the_release_forms_is_a_4xx():
    org = OrganisationFactory()
    rel = release(org)
    item = AcceptanceItem.objects.filter(release=rel).first()
    client = client_for(user_with_role(Role.AGENT, org))
    posts = [
        (reverse("releases:bundle", args=[rel.pk]), {"version": 1}),
        (reverse("releases:bundle", args=[rel.pk]), {"version": "abc", "add": 1}),
        (reverse("releases:bundle", args=[rel.pk]), {"version": 1, "add": "1 OR 1=1"}),
        (reverse("releases:bundle", args=[rel.pk]), {"version": 1, "add": "9" * 30}),
        (reverse("releases:bundle", args=[rel.pk]), {"version": 1, "add": 99999999}),
        (reverse("releases:add-item", args=[rel.pk]), {"kind": "customer", "text": "x"}),
        (reverse("releases:add-item", args=[rel.pk]), {"kind": "service", "text": ""}),
        (reverse("releases:add-item", args=[rel.pk]), {"kind": "service", "text": "x" * 501}),
        (reverse("releases:add-item", args=[rel.pk]), {"kind": "service", "text": "bad\x00null"}),
        (reverse("releases:add-item", args=[rel.pk]), {"kind": "service", "text": "bell\x07"}),
        (
            reverse("releases:add-item", args=[rel.pk]),
            {"kind": "operations", "category": "coffee", "text": "x"},
        ),
        (reverse("releases:apply-checklist", args=[rel.pk]), {"checklist": "abc"}),
        (reverse("releases:apply-checklist", args=[rel.pk]), {"checklist": 99999999}),
        (reverse("releases:action", args=[rel.pk, "cancel"]), {"version": 1, "reason": ""}),
        (reverse("releases:action", args=[rel.pk, "cancel"]), {"version": "", "reason": "x"}),
        (reverse("releases:action", args=[rel.pk, "cancel"]), {"version": 1, "reason": "x" * 5001}),
        (reverse("releases:action", args=[rel.pk, "go_live"]), {"version": 1}),
        (reverse("releases:check-item", args=[item.pk]), {"version": "x", "evidence": "ok"}),
        (reverse("releases:check-item", args=[item.pk]), {"version": 1, "evidence": "x" * 5001}),
        (reverse("releases:remove-item", args=[item.pk]), {"version": 1}),
    ]
    for url, data in posts:
        response = client.post(url, data)
        assert 400 <= response.status_code < 500, (url, data, response.status_code)
        assert 'class="message message-error"' in response.content.decode(), (url, data)
    assert client.post(reverse("releases:action", args=[rel.pk, "launch"]), {"version": 1}).status_code == 409
    for url in (
        reverse("releases:bundle", args=[99999999]),
        reverse("releases:check-item", args=[99999999]),
        reverse("releases:action", args=[99999999, "cancel"]),
    ):
        assert client.post(url, {"version": 1}).status_code == 404
    assert client.get(reverse("releases:bundle", args=[rel.pk])).status_code == 405
    assert fresh(rel).version == 1 and fresh(rel).state == ReleaseState.PLANNING


def test_readers_and_strangers_cannot_write_from_the_page():
    org = OrganisationFactory()
    rel = release(org)
    item = AcceptanceItem.objects.filter(release=rel).first()
    auditor = client_for(user_with_role(Role.AUDITOR, org))
    stranger = client_for(user_with_role(Role.MANAGER, OrganisationFactory()))
    html = auditor.get(_detail(rel)).content.decode()
    assert reverse("releases:check-item", args=[item.pk]) not in html
    assert (
        auditor.post(
            reverse("releases:check-item", args=[item.pk]), {"version": 1, "evidence": "x"}
        ).status_code
        == 403
    )
    assert (
        auditor.post(
            reverse("releases:action", args=[rel.pk, "cancel"]), {"version": 1, "reason": "x"}
        ).status_code
        == 403
    )
    agent = client_for(user_with_role(Role.AGENT, org))
    assert agent.post(reverse("releases:action", args=[rel.pk, "approve"]), {"version": 1}).status_code == 403
    assert stranger.get(_detail(rel)).status_code == 404
    assert (
        stranger.post(
            reverse("releases:check-item", args=[item.pk]), {"version": 1, "evidence": "x"}
        ).status_code
        == 404
    )
    assert (
        stranger.post(reverse("releases:bundle", args=[rel.pk]), {"version": 1, "add": 1}).status_code == 404
    )
    assert not AcceptanceItem.objects.get(pk=item.pk).checked


def test_a_new_release_from_the_form_gets_the_checklist_and_its_number():
    org = OrganisationFactory()
    checklist(org, items=[{"category": "backups", "text": "リストア確認"}])
    client = client_for(user_with_role(Role.AGENT, org))
    created = client.post(
        reverse("releases:releases-create"), {"organisation": org.pk, "title": "会計B パッチ"}
    )
    assert created.status_code == 302
    pk = int(re.search(r"/(\d+)/$", created["Location"]).group(1))
    assert [i.text for i in AcceptanceItem.objects.filter(release_id=pk)] == ["リストア確認"]
    page = client.get(created["Location"]).content.decode()
    assert "REL-" in page and "リストア確認" in page


def test_the_checklist_page_lists_its_items_and_the_release_list_links_it():
    org = OrganisationFactory()
    made = checklist(org)
    client = client_for(user_with_role(Role.MANAGER, org))
    html = client.get(reverse("releases:release-checklists-detail", args=[made.pk])).content.decode()
    for item in made.items.all():
        assert item.text.replace("「", "").replace("」", "")[:5] in html.replace("「", "").replace("」", "")
    assert reverse("releases:release-checklist-items-create") + f"?checklist={made.pk}" in html
    listing = client.get(reverse("releases:releases-list")).content.decode()
    assert reverse("releases:release-checklists-list") in listing
    assert Checklist.objects.filter(pk=made.pk).exists()


def test_criteria_are_listed_on_the_page_escaped():
    org = OrganisationFactory()
    rel = _bare(org)
    criterion(rel, HOSTILE)
    html = client_for(user_with_role(Role.AUDITOR, org)).get(_detail(rel)).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
