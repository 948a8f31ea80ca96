"""The audit trail: chained rows, database triggers, tamper detection, time-zone independence."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from contextlib import redirect_stdout

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from kaizen.accounts import services
from kaizen.accounts.models import Organisation
from kaizen.accounts.tests.factories import OrganisationFactory, UserFactory
from kaizen.cli import main as kaizen
from kaizen.core import audit, context
from kaizen.core.models import AuditEntry, AuditHead


@pytest.fixture
def admin():
    return UserFactory(is_superuser=True)


def _make_rows(admin, n=3):
    with context.acting(user=admin, channel=context.Channel.WEB):
        for i in range(n):
            services.create_organisation(
                actor=admin, data={"name": f"組織{i}", "code": f"o{i}", "kind": "customer"}
            )


def _drop_triggers():
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            for name in ("core_auditentry_no_update", "core_auditentry_no_delete", "core_audithead_forward"):
                cur.execute(f"DROP TRIGGER {name}")
        else:
            cur.execute("DROP TRIGGER core_auditentry_guard ON core_auditentry")
            cur.execute("DROP TRIGGER core_audithead_guard ON core_audithead")


@pytest.mark.django_db
def test_every_write_records_actor_channel_and_changes(admin):
    with context.acting(user=admin, channel=context.Channel.WEB):
        org = services.create_organisation(actor=admin, data={"name": "A", "code": "a", "kind": "customer"})
        services.update_organisation(org.pk, actor=admin, changes={"name": "B"}, version=1)
        services.delete_organisation(org.pk, actor=admin)
    rows = list(
        AuditEntry.objects.filter(record_type="accounts.organisation", record_id=str(org.pk)).order_by("seq")
    )
    assert [r.action for r in rows] == ["create", "update", "delete"]
    assert all(r.actor_id == admin.pk and r.channel == "web" for r in rows)
    assert rows[1].changes == {"name": ["A", "B"]}
    assert rows[0].changes["code"] == [None, "a"]
    assert rows[2].changes["name"] == ["B", None]


@pytest.mark.django_db
def test_unchanged_update_writes_no_row_and_keeps_version(admin):
    org = services.create_organisation(actor=admin, data={"name": "A", "code": "a", "kind": "customer"})
    before = AuditEntry.objects.count()
    same = services.update_organisation(org.pk, actor=admin, changes={"name": "A"}, version=1)
    assert same.version == 1
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_chain_links_each_row_to_the_previous(admin):
    _make_rows(admin)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert rows[0].prev_hash == audit.GENESIS
    for prev, row in itertools.pairwise(rows):
        assert row.prev_hash == prev.hash
        assert row.seq == prev.seq + 1
    assert audit.verify().ok
    assert AuditHead.objects.get().seq == rows[-1].seq


@pytest.mark.django_db
def test_database_refuses_update_of_audit_rows(admin):
    _make_rows(admin, 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET actor_label = 'x'")
    assert not AuditEntry.objects.filter(action="forged").exists()


@pytest.mark.django_db
def test_database_refuses_delete_of_audit_rows(admin):
    _make_rows(admin, 2)
    count = AuditEntry.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry")
    assert AuditEntry.objects.count() == count


@pytest.mark.django_db
def test_database_refuses_moving_the_chain_head_back(admin):
    _make_rows(admin, 2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.update(seq=0)


@pytest.mark.django_db
def test_truncate_is_refused_on_postgresql(admin):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    _make_rows(admin, 1)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("TRUNCATE core_auditentry")


@pytest.mark.django_db
def test_verify_names_the_row_edited_after_triggers_were_dropped(admin):
    _make_rows(admin, 4)
    _drop_triggers()
    victim = AuditEntry.objects.order_by("seq")[2]
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET record_label = %s WHERE id = %s", ["改ざん", victim.id])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == victim.seq
    assert "content" in result.reason


@pytest.mark.django_db
def test_verify_detects_a_deleted_row_in_the_middle(admin):
    _make_rows(admin, 4)
    _drop_triggers()
    victim = AuditEntry.objects.order_by("seq")[1]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [victim.id])
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == victim.seq + 1


@pytest.mark.django_db
def test_verify_detects_rows_cut_from_the_end(admin):
    _make_rows(admin, 4)
    _drop_triggers()
    last = AuditEntry.objects.order_by("-seq")[0]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditentry WHERE id = %s", [last.id])
    result = audit.verify()
    assert not result.ok
    assert "head" in result.reason


@pytest.mark.django_db
def test_verify_detects_a_rehashed_row(admin):
    """Rewriting a row and its own hash still breaks the link to the next row."""
    _make_rows(admin, 3)
    _drop_triggers()
    victim = AuditEntry.objects.order_by("seq")[0]
    victim.record_label = "forged"
    victim.hash = audit.chain_hash(victim)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE core_auditentry SET record_label = %s, hash = %s WHERE id = %s",
            [victim.record_label, victim.hash, victim.id],
        )
    result = audit.verify()
    assert not result.ok
    assert result.broken_seq == victim.seq + 1


@pytest.mark.django_db
def test_kaizen_audit_verify_command_reports_ok_and_broken(admin):
    _make_rows(admin, 2)
    out = io.StringIO()
    with redirect_stdout(out):
        assert kaizen(["audit", "verify"]) == 0
    assert "OK" in out.getvalue()
    _drop_triggers()
    first = AuditEntry.objects.order_by("seq")[0]
    with connection.cursor() as cur:
        cur.execute("UPDATE core_auditentry SET channel = 'api' WHERE id = %s", [first.id])
    out = io.StringIO()
    with redirect_stdout(out):
        assert kaizen(["audit", "verify"]) == 1
    assert f"#{first.seq}" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York", "Pacific/Chatham"])
def test_verification_does_not_depend_on_time_zone(admin, zone):
    _make_rows(admin, 2)
    try:
        with override_settings(TIME_ZONE=zone), timezone.override(zone):
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("SELECT set_config('TimeZone', %s, false)", [zone])
            assert audit.verify().ok
    finally:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'")


def test_canonical_form_is_fixed_utc_text():
    entry = AuditEntry(
        seq=7,
        at=dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=9))),
        actor_id=None,
        actor_label="job",
        channel="job",
        action="create",
        record_type="x.y",
        record_id="1",
        record_label="ラベル",
        organisation_id=None,
        changes={"b": [None, 1], "a": ["x", "y"]},
        meta={},
        prev_hash=audit.GENESIS,
    )
    text = audit.canonical(entry).decode()
    assert '"at":"2026-01-01T18:04:05.000006Z"' in text
    assert text.index('"a"') < text.index('"b"')
    assert "ラベル" in text


@pytest.mark.django_db
def test_bulk_records_chain_in_one_statement(admin, django_assert_max_num_queries):
    orgs = [OrganisationFactory() for _ in range(50)]
    # A constant number of statements, whatever the number of rows.
    with django_assert_max_num_queries(10), transaction.atomic():
        audit.record_bulk(
            audit.Change(obj=o, action="import", changes={"name": [None, o.name]}) for o in orgs
        )
    assert AuditEntry.objects.filter(action="import").count() == 50
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused():
    org = OrganisationFactory()
    with pytest.raises(RuntimeError):
        audit.record(org, action="x")


@pytest.mark.django_db
def test_job_writes_are_audited_as_job():
    with context.acting(channel=context.Channel.JOB, label="nightly"), transaction.atomic():
        entry = audit.record(OrganisationFactory(), action="touch")
    assert entry.actor_id is None
    assert entry.channel == "job"
    assert entry.actor_label == "nightly"


@pytest.mark.django_db
def test_history_lists_the_rows_of_one_record(admin):
    org = services.create_organisation(actor=admin, data={"name": "A", "code": "a", "kind": "customer"})
    services.update_organisation(org.pk, actor=admin, changes={"name": "B"}, version=1)
    other = services.create_organisation(actor=admin, data={"name": "C", "code": "c", "kind": "customer"})
    assert [e.action for e in audit.history(org)] == ["update", "create"]
    assert all(e.record_id == str(org.pk) for e in audit.history(org))
    assert Organisation.objects.filter(pk=other.pk).exists()
