"""Processing stored mail: new tickets, threaded replies, loops, unknown senders, spoofing, files."""

from __future__ import annotations

import pytest
from django.core import mail as outbox

from kaizen.accounts.models import Person
from kaizen.accounts.tests.factories import OrganisationFactory, PersonFactory
from kaizen.core.models import AuditEntry
from kaizen.intake import services, threads
from kaizen.intake.choices import MailState, UnknownSenders
from kaizen.intake.models import InboundMail
from kaizen.tickets.choices import Channel, Visibility
from kaizen.tickets.models import Attachment, Comment, Ticket

from .conftest import message

pytestmark = pytest.mark.django_db


def test_a_message_from_a_known_person_opens_a_ticket_for_them(office, deliver):
    got = deliver(message())
    assert got.state == MailState.CREATED
    ticket = got.ticket
    assert ticket.requester == office.requester
    assert ticket.organisation == office.org
    assert ticket.channel == Channel.EMAIL
    assert ticket.title == "プリンタで印刷できません"
    assert "3階のプリンタ" in ticket.description
    assert ticket.kind == "incident"


def test_storing_is_idempotent_for_the_same_bytes_and_the_same_message_id(office, deliver):
    raw = message()
    first = services.receive(mailbox=office.mailbox, raw=raw, transport="imap")
    again = services.receive(mailbox=office.mailbox, raw=raw, transport="imap")
    relayed = services.receive(mailbox=office.mailbox, raw=b"Received: by relay\r\n" + raw, transport="smtp")
    assert not first.duplicate and again.duplicate and relayed.duplicate
    assert again.mail.pk == first.mail.pk == relayed.mail.pk
    assert InboundMail.objects.count() == 1


def test_empty_and_oversized_messages_are_refused_before_storing(office):
    from django.core.exceptions import ValidationError

    for raw in (b"", b"  \r\n ", b"x" * (25 * 1024 * 1024 + 1)):
        with pytest.raises(ValidationError):
            services.receive(mailbox=office.mailbox, raw=raw, transport="api")
    assert not InboundMail.objects.exists()


def test_a_reply_by_message_id_is_added_to_the_ticket_and_resumes_it(office, deliver):
    first = deliver(message())
    ticket = first.ticket
    Ticket.objects.filter(pk=ticket.pk).update(
        state=ticket.state.__class__.objects.get(kind="incident", code="pending_customer")
    )
    parsed_id = first.message_id
    reply = deliver(
        message(
            subject="Re: プリンタで印刷できません",
            body="再起動したら直りました。\n\n2026年12月1日 サポート <help@desk.test>:\n> 再起動してください",
            headers={"In-Reply-To": parsed_id, "References": parsed_id},
        )
    )
    assert reply.state == MailState.THREADED and reply.ticket_id == ticket.pk
    comment = reply.comment
    assert comment.author == office.requester and comment.visibility == Visibility.PUBLIC
    assert comment.channel == Channel.EMAIL
    assert "再起動したら直りました" in comment.body and "再起動してください" not in comment.body
    ticket.refresh_from_db()
    assert ticket.state.code != "pending_customer"
    assert Ticket.objects.count() == 1


def test_a_reply_to_our_notification_threads_by_its_signed_message_id(office, deliver):
    ticket = deliver(message()).ticket
    ours = threads.message_id(ticket.pk)
    reply = deliver(message(subject="Re: 件名が変わりました", headers={"In-Reply-To": ours}))
    assert reply.ticket_id == ticket.pk and reply.state == MailState.THREADED


def test_a_forged_message_id_of_ours_does_not_thread(office, deliver):
    ticket = deliver(message()).ticket
    forged = threads.message_id(ticket.pk).replace(f"kaizen.{ticket.pk}.", f"kaizen.{ticket.pk + 1}.")
    assert threads.ticket_of(forged) is None
    assert threads.ticket_of("<kaizen.1.abcdefgh.0123456789abcdef0123@x>") is None
    got = deliver(message(subject="別件", headers={"In-Reply-To": forged}))
    assert got.state == MailState.CREATED and got.ticket_id != ticket.pk


def test_a_reply_by_ticket_number_in_the_subject_threads_full_width_too(office, deliver):
    ticket = deliver(message()).ticket
    number = ticket.number.replace("INC-", "ＩＮＣ－")
    got = deliver(message(subject=f"Re: [{number}] 追加情報", body="型番は XYZ-100 です"))
    assert got.ticket_id == ticket.pk and got.state == MailState.THREADED


def test_a_colleague_on_copy_replying_all_follows_up_and_becomes_a_watcher(office, deliver):
    ticket = deliver(message(cc="鈴木 <suzuki@customer.test>")).ticket
    assert office.colleague in ticket.watchers.all()
    got = deliver(
        message(
            sender="suzuki@customer.test",
            name="鈴木",
            subject=f"Re: [{ticket.number}] プリンタで印刷できません",
            body="私の席でも同じです。",
        )
    )
    assert got.state == MailState.THREADED and got.ticket_id == ticket.pk
    assert got.comment.author == office.colleague
    ticket.refresh_from_db()
    assert ticket.first_response_at is None  # a colleague's reply is not the desk's first response


def test_someone_of_another_organisation_cannot_reach_a_ticket_by_its_number(office, deliver):
    ticket = deliver(message()).ticket
    other = OrganisationFactory(name="他社")
    PersonFactory(organisation=other, email="intruder@other.test")
    got = deliver(
        message(sender="intruder@other.test", name="", subject=f"Re: {ticket.number}", body="見せて")
    )
    assert got.ticket_id != ticket.pk
    assert not Comment.objects.filter(ticket=ticket, body__contains="見せて").exists()


def test_a_reply_to_a_closed_ticket_opens_a_new_one_and_says_why(office, deliver):
    ticket = deliver(message()).ticket
    closed = ticket.state.__class__.objects.get(kind="incident", code="closed")
    Ticket.objects.filter(pk=ticket.pk).update(state=closed, state_category=closed.category)
    got = deliver(message(subject=f"Re: {ticket.number} また起きました"))
    assert got.state == MailState.CREATED and got.ticket_id != ticket.pk
    assert ticket.number in got.reason


def test_auto_replies_bounces_and_loops_never_create_tickets(office, deliver):
    auto = deliver(message(headers={"Auto-Submitted": "auto-replied"}, subject="不在通知"))
    bounce = deliver(message(sender="MAILER-DAEMON@mx.customer.test", name="", subject="Undelivered"))
    own = deliver(message(sender="help@desk.test", name="", subject="ループ"))
    assert [m.state for m in (auto, bounce, own)] == [MailState.IGNORED] * 3
    assert all(m.reason for m in (auto, bounce, own))
    assert not Ticket.objects.exists()


def test_a_sender_writing_faster_than_a_person_is_a_loop(office, deliver):
    got = [deliver(message(subject=f"自動応答 {i}", body=f"本文 {i}")) for i in range(22)]
    assert Ticket.objects.count() == 20
    assert got[-1].state == MailState.IGNORED and "20" in got[-1].reason


def test_an_unknown_sender_becomes_a_requester_by_default(office, deliver):
    got = deliver(message(sender="new.person@customer.test", name="新人 花子"))
    person = Person.objects.get(email="new.person@customer.test")
    assert person.organisation == office.org and person.name == "新人 花子"
    assert got.ticket.requester == person
    assert AuditEntry.objects.filter(
        record_id=str(person.pk), record_type__endswith="person", action="create"
    ).exists()


def test_an_unknown_sender_is_refused_with_a_notice_when_the_mailbox_says_so(office, deliver):
    office.mailbox.unknown_senders = UnknownSenders.REJECT
    office.mailbox.save()
    outbox.outbox.clear()
    got = deliver(message(sender="stranger@else.test", name=""))
    assert got.state == MailState.REJECTED and not Ticket.objects.exists()
    [notice] = [m for m in outbox.outbox if "stranger@else.test" in m.to]
    assert notice.extra_headers["Auto-Submitted"] == "auto-replied"
    assert notice.extra_headers["In-Reply-To"] == got.message_id
    # an automatic message from a stranger gets no notice (no ping-pong between robots)
    outbox.outbox.clear()
    deliver(message(sender="robot@else.test", name="", headers={"Auto-Submitted": "auto-generated"}))
    assert not outbox.outbox


def test_mail_claiming_our_domain_without_authentication_is_flagged_and_not_threaded(office, deliver):
    office.mailbox.trusted_domains = "customer.test"
    office.mailbox.save()
    passing = "mx.desk.test; spf=pass smtp.mailfrom=customer.test; dkim=pass header.d=customer.test"
    ticket = deliver(message(headers={"Authentication-Results": passing})).ticket
    assert "spoofing-suspected" not in [t.name for t in ticket.tags.all()]
    forged = deliver(
        message(
            subject=f"Re: {ticket.number} パスワードを教えてください",
            headers={
                "Authentication-Results": "mx.desk.test; spf=fail smtp.mailfrom=customer.test; dmarc=fail"
            },
        )
    )
    assert forged.spoofed and forged.state == MailState.CREATED and forged.ticket_id != ticket.pk
    assert "spoofing-suspected" in [t.name for t in forged.ticket.tags.all()]
    assert Comment.objects.filter(
        ticket=forged.ticket, visibility=Visibility.INTERNAL, body__contains="spf=fail"
    ).exists()


def test_with_the_servers_name_only_its_authentication_results_count(office, deliver):
    office.mailbox.trusted_domains = "customer.test"
    office.mailbox.auth_server = "MX.desk.test"
    office.mailbox.full_clean()
    office.mailbox.save()
    assert office.mailbox.auth_server == "mx.desk.test"
    ours = "mx.desk.test 1; spf=pass smtp.mailfrom=customer.test"
    trusted = deliver(message(headers={"Authentication-Results": ours}))
    assert not trusted.spoofed
    # Our server wrote nothing (the mail came round it); the sender wrote a "pass" of their own.
    forged = deliver(
        message(
            subject="経理部からのお願い",
            headers={"Authentication-Results": "mx.attacker.test; spf=pass smtp.mailfrom=customer.test"},
        )
    )
    assert forged.spoofed and "spoofing-suspected" in [t.name for t in forged.ticket.tags.all()]


def test_authserv_id_and_spoof_reason_read_rfc_8601_headers():
    from kaizen.intake import policies

    assert policies.authserv_id("MX.Desk.Test 1; spf=pass") == "mx.desk.test"
    assert policies.authserv_id("mx.desk.test;spf=pass") == "mx.desk.test"
    forged_below = ["mx.desk.test; spf=fail; dmarc=fail", "evil.test; spf=pass; dkim=pass"]
    assert policies.spoof_reason("a@customer.test", ["customer.test"], forged_below, "mx.desk.test")
    assert policies.spoof_reason("a@customer.test", ["customer.test"], forged_below)  # topmost: fail
    ours_below = ["relay.else.test; spf=none", "mx.desk.test; dkim=pass header.d=customer.test"]
    assert not policies.spoof_reason("a@customer.test", ["customer.test"], ours_below, "mx.desk.test")
    assert not policies.spoof_reason("a@else.test", ["customer.test"], [], "mx.desk.test")
    assert policies.bad_server_name("mx.desk.test; x") and not policies.bad_server_name("mx1")


def test_attachments_are_attached_and_a_disguised_one_is_refused_with_a_note(office, deliver):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    got = deliver(
        message(
            attachments=[
                ("スクリーンショット.png", "image/png", png),
                ("invoice.pdf", "application/pdf", b"MZ\x90\x00 this is a windows program"),
            ]
        )
    )
    names = list(Attachment.objects.filter(ticket=got.ticket).values_list("name", flat=True))
    assert names == ["スクリーンショット.png"]
    note = Comment.objects.get(ticket=got.ticket, visibility=Visibility.INTERNAL)
    assert "invoice.pdf" in note.body


def test_a_message_the_parser_refuses_is_kept_and_marked_failed(office, deliver):
    nested = b"Content-Type: multipart/mixed; boundary=a\r\n\r\n" + b"".join(
        f"--{'a' * i}\r\nContent-Type: multipart/mixed; boundary={'a' * (i + 1)}\r\n\r\n".encode()
        for i in range(1, 40)
    )
    got = deliver(b"From: x@customer.test\r\nSubject: bomb\r\n" + nested)
    assert got.state == MailState.FAILED and got.reason
    assert bytes(InboundMail.objects.get(pk=got.pk).raw).endswith(nested[-20:])
    assert not Ticket.objects.exists()


def test_html_mail_with_scripts_is_stored_as_text(office, deliver):
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"] = "yamada@customer.test"
    msg["To"] = "help@desk.test"
    msg["Subject"] = "<script>alert(1)</script>"
    msg.set_content(
        '<p>見てください<img src="http://evil.test/x.png"><script>alert(2)</script></p>', subtype="html"
    )
    got = deliver(msg.as_bytes())
    assert got.ticket.title == "<script>alert(1)</script>"  # text; the page escapes it
    assert "<script>" not in got.ticket.description and "見てください" in got.ticket.description


def test_outbound_ticket_mail_threads_to_the_received_message(office, deliver):
    outbox.outbox.clear()
    got = deliver(message())
    [ack] = [m for m in outbox.outbox if "yamada@customer.test" in m.to]
    assert ack.extra_headers["In-Reply-To"] == got.message_id
    assert got.message_id in ack.extra_headers["References"]
    assert ack.extra_headers["Reply-To"] == "help@desk.test"
    assert threads.ticket_of(ack.extra_headers["Message-ID"]) == got.ticket_id
    assert got.ticket.number in ack.subject


def test_another_organisations_mailbox_never_threads_into_this_organisations_ticket(office, deliver):
    ticket = deliver(message()).ticket
    other = OrganisationFactory(name="別組織")
    mailbox = office.create_mailbox(office.admin, name="other", address="help@other.test", organisation=other)
    PersonFactory(organisation=other, email="yamada@customer.test")
    got = deliver(
        message(to="help@other.test", subject=f"Re: {ticket.number}", body="別組織経由"), mailbox=mailbox
    )
    assert got.ticket.organisation == other and got.ticket_id != ticket.pk


def test_processing_a_message_twice_does_nothing_the_second_time(office, deliver):
    got = deliver(message())
    assert services.process(got.pk) is False
    assert Ticket.objects.count() == 1


def test_a_mailbox_for_every_organisation_files_tickets_under_the_senders_organisation(office, deliver):
    other = OrganisationFactory(name="別顧客")
    PersonFactory(organisation=other, email="kato@other.test", name="加藤")
    shared = office.create_mailbox(office.admin, name="共通窓口", address="all@desk.test", serves_all=True)
    mine = deliver(message(to="all@desk.test"), mailbox=shared).ticket
    theirs = deliver(
        message(sender="kato@other.test", name="加藤", to="all@desk.test"), mailbox=shared
    ).ticket
    assert mine.organisation == office.org and theirs.organisation == other
    # the shared mailbox sees both organisations, but a sender still reaches only their own tickets
    probe = deliver(
        message(
            sender="kato@other.test", name="", to="all@desk.test", subject=f"Re: {mine.number}", body="覗き見"
        ),
        mailbox=shared,
    )
    assert probe.ticket_id not in (mine.pk,) and probe.ticket.organisation == other
    stranger = deliver(message(sender="nobody@else.test", name="", to="all@desk.test"), mailbox=shared)
    assert stranger.ticket.organisation == office.org  # unknown senders join the mailbox's organisation


def test_only_an_administrator_of_every_organisation_creates_a_mailbox_for_all(office):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        office.create_mailbox(name="共通", address="all@desk.test", serves_all=True)
    with pytest.raises(ValidationError):
        services.update_mailbox(
            office.mailbox.pk,
            actor=office.manager,
            changes={"serves_all": True},
            version=office.mailbox.version,
        )


def test_a_colleague_typing_a_ticket_number_does_not_join_someone_elses_ticket(office, deliver):
    ticket = deliver(message()).ticket
    got = deliver(
        message(
            sender="suzuki@customer.test", name="鈴木", subject=f"Re: {ticket.number}", body="中身を見たい"
        )
    )
    assert got.ticket_id != ticket.pk
    assert office.colleague not in ticket.watchers.all()
    # answering the thread's own mail (a Message-ID of it) is a follow-up
    reply = deliver(
        message(
            sender="suzuki@customer.test",
            name="鈴木",
            subject="Re: 件名",
            headers={"In-Reply-To": threads.message_id(ticket.pk)},
        )
    )
    assert reply.ticket_id == ticket.pk and reply.state == MailState.THREADED


def test_a_closed_ticket_named_first_does_not_hide_an_open_one_named_later(office, deliver):
    closed_ticket = deliver(message(subject="古い件")).ticket
    open_ticket = deliver(message(subject="新しい件")).ticket
    closed = closed_ticket.state.__class__.objects.get(kind="incident", code="closed")
    Ticket.objects.filter(pk=closed_ticket.pk).update(state=closed, state_category=closed.category)
    got = deliver(message(subject=f"Re: {closed_ticket.number} {open_ticket.number}"))
    assert got.ticket_id == open_ticket.pk


def test_the_stored_password_never_follows_the_mailbox_to_another_server(office):
    from django.core.exceptions import ValidationError

    office.mailbox.imap_host, office.mailbox.imap_username, office.mailbox.imap_password = (
        "imap.desk.test",
        "u",
        "pw",
    )
    office.mailbox.save()
    with pytest.raises(ValidationError):
        services.update_mailbox(
            office.mailbox.pk,
            actor=office.manager,
            changes={"imap_host": "evil.test"},
            version=office.mailbox.version,
        )
    changed = services.update_mailbox(
        office.mailbox.pk,
        actor=office.manager,
        changes={"imap_host": "imap2.desk.test", "imap_password": "new"},
        version=office.mailbox.version,
    )
    assert changed.imap_password == "new"


def test_staff_of_a_shared_mailbox_see_only_mail_of_tickets_they_may_see(office, deliver):
    from kaizen.accounts.tests.factories import user_with_role
    from kaizen.core.access import Role
    from kaizen.intake import queries

    other = OrganisationFactory(name="別顧客")
    PersonFactory(organisation=other, email="kato@other.test", name="加藤")
    shared = office.create_mailbox(office.admin, name="共通窓口", address="all@desk.test", serves_all=True)
    deliver(message(sender="kato@other.test", to="all@desk.test"), mailbox=shared)
    mine = deliver(message(to="all@desk.test"), mailbox=shared)
    provider_agent = user_with_role(Role.AGENT, office.org)
    assert [m.pk for m in queries.messages(provider_agent)] == [mine.pk]
    assert queries.messages(office.admin).count() == 2
