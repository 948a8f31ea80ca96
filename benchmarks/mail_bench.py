"""Email intake throughput: messages received over LMTP, then parsed, threaded and stored as tickets and
replies, on PostgreSQL and on SQLite, measured in the same run.

For each database it creates its own store (PostgreSQL database ``kaizen_mail_bench``; a fresh SQLite
file), migrates, loads the defaults and generates (fixed random seed) one organisation with 300 people,
a mailbox and ``--messages`` messages (default 2,000) as mail clients write them:

* 60 % new inquiries (Japanese and English subjects and bodies; a fifth ISO-2022-JP as Outlook sends
  it, a tenth with a PNG attachment, a tenth from senders Kaizen does not know yet);
* 30 % replies of the requesters to their earlier inquiries of the same run (half by
  In-Reply-To/References, half only by the ticket number in the subject), with quoted history to strip;
* 10 % automatic mail (out-of-office replies, bounces) that must create nothing.

Measured:

a. **receive**: the messages sent by 4 concurrent ``smtplib.LMTP`` clients to Kaizen's LMTP server
   (``kaizen.intake.server``), each answered 250 only once stored;
b. **process**: ``--workers`` processes (default 2, one per core) draining the stored messages
   (``kaizen.intake.services.drain``: parse, decide, thread, create the ticket or reply, attachments,
   audit, outbox events written; their handlers (acknowledgement mail, search index) are the worker's
   later jobs and are not counted here, as for any ticket);

and the figures checked afterwards (tickets, replies, ignored).

Goal (issue 8): email intake ≥ 50 messages/s parsed, threaded and stored.

Usage::

    python benchmarks/mail_bench.py [--database-url postgres://postgres@127.0.0.1:5432/postgres]
        [--messages 2000] [--workers 2] [--only postgresql|sqlite]

Results go to the ``mail_bench`` section of ``benchmarks/RESULTS.md`` (``--output -`` prints them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import write_section
from sla_bench import _cpu, _ram, database_url, log, prepare_database

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "kaizen_mail_bench"
PEOPLE = 300
CLIENTS = 4
GOAL = 50.0

TOPICS = [
    ("プリンタで印刷できません", "3階の複合機で印刷ができません。エラーコードは E-302 です。"),
    ("VPNに接続できない", "自宅から VPN に接続すると認証エラーになります。証明書の期限でしょうか。"),
    ("パスワードの再設定をお願いします", "アカウントがロックされました。再設定をお願いします。"),
    ("共有フォルダにアクセスできません", "経理の共有フォルダを開くと権限がないと表示されます。"),
    ("メールが届かない", "取引先からのメールが届いていないようです。迷惑メールにもありません。"),
    (
        "Outlook keeps asking for my password",
        "Since this morning Outlook asks for my password again and again.",
    ),
    ("New laptop for a new hire", "Please prepare a laptop for our new member starting on Monday."),
    ("Wi-Fi drops in meeting room B", "The wireless connection drops every few minutes in meeting room B."),
    ("経費精算システムでエラー", "経費精算の申請ボタンを押すとシステムエラーが表示されます。"),
    ("ソフトウェアのインストール依頼", "業務で使う Visio のインストールをお願いします。"),
]
REPLIES = [
    "再起動したら直りました。",
    "まだ直りません。画面の写真を添付します。",
    "Thanks, it works now.",
    "確認しました。",
]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16


def _iso2022(subject: str, body: str) -> bytes:
    from email.header import Header

    head = (
        f"Subject: {Header(subject, 'iso-2022-jp').encode()}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n"
    )
    return head.encode("ascii"), body.encode("iso-2022-jp") + b"\r\n"


def generate(count: int, rng: random.Random, people: list[str]) -> list[dict[str, Any]]:
    """Return the messages to send: raw bytes and what each is (new, reply, auto) in send order."""
    out: list[dict[str, Any]] = []
    new_ids: list[tuple[str, str, str]] = []  # (sender, Message-ID, subject)
    for i in range(count):
        roll = rng.random()
        sender = people[rng.randrange(len(people))] if rng.random() > 0.1 else f"new{i}@customer.example"
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = "help@desk.example"
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = f"<bench-{i}@customer.example>"
        kind = "new"
        if roll < 0.10:
            kind = "auto"
            if rng.random() < 0.5:
                msg["Subject"] = "不在通知: 12月の問い合わせ"
                msg["Auto-Submitted"] = "auto-replied"
                msg.set_content("12月5日まで不在です。")
            else:
                msg.replace_header("From", "MAILER-DAEMON@mx.customer.example")
                msg["Subject"] = "Undelivered Mail Returned to Sender"
                msg.set_content("This is the mail system at host mx.customer.example.")
        elif roll < 0.40 and new_ids:
            kind = "reply"
            parent_sender, parent, subject = new_ids[rng.randrange(len(new_ids))]
            msg.replace_header("From", parent_sender)  # the requester answers their own ticket
            msg["Subject"] = f"Re: {subject}"
            if rng.random() < 0.5:
                msg["In-Reply-To"] = parent
                msg["References"] = parent
                kind = "reply-id"
            else:
                kind = "reply-subject"  # the number is added when sending, once the ticket exists
            msg.set_content(
                f"{rng.choice(REPLIES)}\n\n2026年12月1日 サポート <help@desk.example>:\n> 以前のやり取り\n> 引用"
            )
        else:
            subject, body = TOPICS[rng.randrange(len(TOPICS))]
            subject = f"{subject} ({i})"
            if rng.random() < 0.2:
                head, payload = _iso2022(subject, body)
                raw = (
                    (
                        f"From: {sender}\r\nTo: help@desk.example\r\nDate: {formatdate(localtime=True)}\r\n"
                        f"Message-ID: <bench-{i}@customer.example>\r\n"
                    ).encode()
                    + head
                    + b"\r\n"
                    + payload
                )
                out.append({"kind": "new", "raw": raw, "subject": subject})
                new_ids.append((sender, f"<bench-{i}@customer.example>", subject))
                continue
            msg["Subject"] = subject
            msg.set_content(body + "\n\nよろしくお願いします。")
            if rng.random() < 0.1:
                msg.add_attachment(PNG, maintype="image", subtype="png", filename="画面.png")
            new_ids.append((sender, str(msg["Message-ID"]), subject))
        out.append({"kind": kind, "raw": msg.as_bytes(), "subject": str(msg["Subject"] or "")})
    return out


def child(opts: argparse.Namespace) -> dict[str, Any]:
    """Generate, receive over LMTP, process with worker processes; return the figures."""
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    from kaizen.accounts.models import Organisation, Person
    from kaizen.accounts.tests.factories import user_with_role
    from kaizen.core import context
    from kaizen.core import defaults as core_defaults
    from kaizen.core.access import Role
    from kaizen.core.testing.net import free_port
    from kaizen.intake import services
    from kaizen.intake.models import InboundMail
    from kaizen.intake.server import Server
    from kaizen.tickets.models import Comment, Ticket

    with context.acting(channel=context.Channel.CLI):
        core_defaults.load_all()
    timings: dict[str, float] = {"migrate": time.perf_counter() - started}
    rng = random.Random(20261202)
    org = Organisation.objects.create(name="ベンチ株式会社")
    people = [f"user{i}@customer.example" for i in range(PEOPLE)]
    Person.objects.bulk_create(
        [Person(name=f"社員 {i}", email=a, organisation=org) for i, a in enumerate(people)]
    )
    manager = user_with_role(Role.MANAGER, org)
    with context.acting(user=manager, channel=context.Channel.CLI):
        mailbox = services.create_mailbox(
            actor=manager, data={"name": "bench", "address": "help@desk.example", "organisation": org}
        )
    messages = generate(opts.messages, rng, people)
    kinds = {
        k: sum(1 for m in messages if m["kind"] == k) for k in ("new", "reply-id", "reply-subject", "auto")
    }

    # a. receive over LMTP, 4 clients; replies by subject name the ticket of their parent, which
    # exists only once processed: those are sent in a second round after the first processing.
    port = free_port()
    server = Server(hostname="127.0.0.1", port=port, lmtp=True)
    server.start()
    first = [m for m in messages if m["kind"] != "reply-subject"]
    second = [m for m in messages if m["kind"] == "reply-subject"]

    def send_all(batch: list[dict[str, Any]]) -> float:
        chunks = [batch[i::CLIENTS] for i in range(CLIENTS)]
        errors: list[str] = []

        def client(chunk: list[dict[str, Any]]) -> None:
            lmtp = smtplib.LMTP("127.0.0.1", port)
            try:
                for m in chunk:
                    raw = m["raw"].replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # as MTAs send
                    refused = lmtp.sendmail("sender@customer.example", ["help@desk.example"], raw)
                    if refused:
                        errors.append(str(refused))
            except Exception as exc:  # a refused message ends the run with the reason
                errors.append(repr(exc))
            finally:
                lmtp.quit()

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise SystemExit(f"LMTP refused: {errors[:3]}")
        return time.perf_counter() - t0

    def process_all() -> float:
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, __file__, "--drain"], env=os.environ.copy())
            for _ in range(opts.workers)
        ]
        for p in procs:
            if p.wait() != 0:
                raise SystemExit("a drain worker failed")
        return time.perf_counter() - t0

    from django.db import connections

    receive_1 = send_all(first)
    connections.close_all()
    process_1 = process_all()
    numbers = dict(
        InboundMail.objects.filter(ticket__isnull=False, state="created").values_list(
            "subject", "ticket__number"
        )
    )
    for m in second:
        parent = m["subject"].removeprefix("Re: ")
        m["raw"] = m["raw"].replace(
            b"Subject: Re: ", f"Subject: Re: [{numbers.get(parent, '')}] ".encode(), 1
        )
    receive_2 = send_all(second)
    connections.close_all()
    process_2 = process_all()
    server.stop()
    states = dict(
        InboundMail.objects.values_list("state")
        .annotate(n=django.db.models.Count("id"))
        .values_list("state", "n")
    )
    total = len(messages)
    return {
        "vendor": django.db.connection.vendor,
        "server": _server_version(django.db.connection),
        "messages": total,
        "kinds": kinds,
        "workers": opts.workers,
        "receive_s": receive_1 + receive_2,
        "process_s": process_1 + process_2,
        "receive_rate": total / (receive_1 + receive_2),
        "process_rate": total / (process_1 + process_2),
        "states": states,
        "tickets": Ticket.objects.count(),
        "replies": Comment.objects.filter(channel="email", visibility="public").count(),
        "timings": timings,
        "mailbox": mailbox.pk,
    }


def drain() -> None:
    """One worker: process waiting messages until none is left (claims skip the others' rows)."""
    import django

    django.setup()
    from kaizen.core import context
    from kaizen.intake import services

    with context.acting(channel=context.Channel.EMAIL, label="bench"):
        while services.drain(limit=50):
            pass


def _server_version(connection: Any) -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return str(cur.fetchone()[0]).split(" ")[0]


def run(opts: argparse.Namespace, vendor: str) -> dict[str, Any]:
    data = tempfile.mkdtemp(prefix="kaizen-mail-bench-")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KAIZEN_")},
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT / 'benchmarks'}",
        "DJANGO_SETTINGS_MODULE": "kaizen.settings",
        # The default broker (SQLite in the data directory) queues the jobs for a worker that does not
        # run here: processing is measured in the drain workers only, not inline in the LMTP server.
        "KAIZEN_EMAIL_URL": "memory://",
        "KAIZEN_SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnop",
        "KAIZEN_LOG_LEVEL": "WARNING",
        "KAIZEN_DATA_DIR": data,
    }
    if vendor == "postgresql":
        maintenance, url = database_url(opts.database_url, DB_NAME)
        prepare_database(maintenance, reuse=False, name=DB_NAME)
        env["KAIZEN_DATABASE_URL"] = url
    argv = [
        sys.executable,
        __file__,
        "--child",
        "--messages",
        str(opts.messages),
        "--workers",
        str(opts.workers),
    ]
    log(f"{vendor}: {opts.messages:,} messages, {opts.workers} workers ...")
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{vendor} run failed:\n{done.stderr[-4000:]}")
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("RESULT "))
    return dict(json.loads(line[7:]))


def report(opts: argparse.Namespace, results: list[dict[str, Any]], elapsed: float) -> str:
    k = results[0]["kinds"]
    lines = [
        f"## Email intake, {opts.messages:,} messages (`benchmarks/mail_bench.py`)",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; whole run {elapsed / 60:.1f} min",
        f"- Command: `python benchmarks/mail_bench.py{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''}`",
        f"- Machine: {os.cpu_count()} cores, {_cpu()}, {_ram()}, {platform.platform()} (shared, noisy); "
        f"Python {platform.python_version()}",
        f"- Messages: {k['new']:,} new inquiries (a fifth ISO-2022-JP without a declared charset, a tenth with "
        f"a PNG, a tenth from unknown senders), {k['reply-id']:,} replies by In-Reply-To, "
        f"{k['reply-subject']:,} replies by the ticket number in the subject, {k['auto']:,} auto-replies "
        "and bounces.",
        f"- receive: {CLIENTS} concurrent `smtplib.LMTP` clients to `kaizen.intake.server` (250 after the "
        f"row is committed). process: {results[0]['workers']} worker processes running "
        "`kaizen.intake.services.drain` (parse, decide, thread, ticket or reply, attachments, audit, outbox "
        "events; their handlers, acknowledgement mail and search index, are later worker jobs, not counted).",
        f"- Goal: ≥ {GOAL:.0f} messages/s parsed, threaded and stored.",
        "",
        "| database | receive msg/s | process msg/s | tickets | replies | ignored | failed | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        name = f"{'PostgreSQL' if r['vendor'] == 'postgresql' else 'SQLite'} {r['server']}"
        s = r["states"]
        verdict = "met" if r["process_rate"] >= GOAL else "**not met**"
        lines.append(
            f"| {name} | {r['receive_rate']:.0f} | **{r['process_rate']:.0f}** | {r['tickets']:,} | "
            f"{r['replies']:,} | {s.get('ignored', 0):,} | {s.get('failed', 0):,} | {verdict} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    parser.add_argument("--output", default=None, help="RESULTS.md path; '-' prints the section")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--drain", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.drain:
        drain()
        return 0
    if opts.child:
        print("RESULT " + json.dumps(child(opts)))
        return 0
    started = time.time()
    vendors = [opts.only] if opts.only else ["postgresql", "sqlite"]
    results = [run(opts, v) for v in vendors]
    markdown = report(opts, results, time.time() - started)
    if opts.output == "-":
        print(markdown)
    else:
        write_section("mail_bench", markdown, *([Path(opts.output)] if opts.output else []))
        log("wrote the mail_bench section of RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
