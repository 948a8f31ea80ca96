"""Demo request catalogue: what the customers of the demo services can ask for, with typed forms,
approvers and fulfilment tasks.

Runs after the portfolio (services) and before the desk's tickets, which request these items.
Idempotent: an item that exists under its service (by name) is left alone.

Items that need an approval have no fulfilling team of their own: a team with automatic
assignment would assign the new request before it is submitted for approval (see the tasks,
which name the teams that do the work).
"""

# Demo content: Japanese sentences are wider than code lines.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from kaizen.accounts.models import Person, Team, User
from kaizen.approvals import services as approval_service
from kaizen.approvals.models import Approval
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.portfolio.models import Service
from kaizen.tickets import demo as desk_demo
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Channel

from . import services
from .choices import ApprovalMode, TaskState
from .models import CatalogItem, FulfilmentTask

DESK, INFRA, APPS = "サービスデスク", "基盤運用", "アプリ保守"


def _field(
    name: str, label: str, label_en: str, kind: str, *, required: bool = False, **extra: Any
) -> dict[str, Any]:
    return {"name": name, "label": label, "label_en": label_en, "type": kind, "required": required, **extra}


# (service code, name, name_en, description, approval mode, approver usernames, team, form, tasks)
ITEMS: list[
    tuple[str, str, str, str, str, list[str], str | None, list[dict[str, Any]], list[tuple[str, str]]]
] = [
    (
        "vpn",
        "VPNアカウント発行",
        "VPN account",
        "在宅勤務・出張先から社内システムへ接続するためのVPNアカウントとクライアント証明書を発行します。"
        "\n発行には情報システム部の承認が必要です。個人所有端末からの接続は原則として認めていません。",
        ApprovalMode.SEQUENCE,
        ["manager"],
        None,
        [
            _field("user_name", "利用者氏名", "User name", "string", required=True),
            _field("user_email", "利用者メールアドレス", "User email", "email", required=True),
            _field(
                "device",
                "接続端末",
                "Device",
                "enum",
                required=True,
                choices=["会社貸与PC", "個人所有PC（BYOD）", "会社貸与スマートフォン"],
            ),
            _field("valid_until", "利用期限", "Valid until", "date", required=True),
            _field("reason", "利用目的", "Purpose", "text"),
        ],
        [("VPNアカウント作成・クライアント証明書発行", INFRA), ("接続手順書の送付と初回接続の確認", DESK)],
    ),
    (
        "vpn",
        "PC貸出",
        "Laptop loan",
        "出張・在宅勤務・研修用に、VPN設定済みのノートPCを貸し出します。承認は不要です。"
        "\n返却予定日を過ぎるとサービスデスクからご連絡します。",
        ApprovalMode.NONE,
        [],
        DESK,
        [
            _field("start_on", "貸出開始日", "From", "date", required=True),
            _field("return_on", "返却予定日", "Until", "date", required=True),
            _field("count", "台数", "Number of laptops", "integer", required=True),
            _field("purpose", "用途", "Purpose", "text"),
        ],
        [("貸出PCのキッティング（OS更新・VPN設定）", DESK), ("貸出記録と返却期限の登録", DESK)],
    ),
    (
        "accounting-a",
        "共有フォルダ作成",
        "Shared folder",
        "会計Aの帳票出力先として使う部署別の共有フォルダを作成します。アクセス権は部署単位で設定します。",
        ApprovalMode.SEQUENCE,
        ["manager"],
        None,
        [
            _field("folder_name", "フォルダ名", "Folder name", "string", required=True),
            _field("department", "利用部署", "Department", "string", required=True),
            _field("size", "容量", "Size", "enum", required=True, choices=["10GB", "50GB", "100GB"]),
            _field(
                "access", "アクセス権", "Access", "enum", required=True, choices=["読み取りのみ", "読み書き"]
            ),
            _field("members", "利用者（1行に1名）", "Users (one a line)", "text"),
            _field("start_on", "利用開始日", "Start date", "date"),
        ],
        [
            ("共有フォルダ作成とアクセス権設定", INFRA),
            ("会計A 帳票出力先の設定", APPS),
            ("依頼者への完了連絡", DESK),
        ],
    ),
    (
        "accounting-a",
        "会計A 利用者ID追加",
        "Accounting A user ID",
        "会計Aの利用者IDを追加し、業務に応じたロールを付与します。"
        "\nシステム担当（アプリ保守）とサービスマネージャの順に承認します。",
        ApprovalMode.SEQUENCE,
        ["dev", "manager"],
        None,
        [
            _field("user_name", "利用者氏名", "User name", "string", required=True),
            _field("department", "所属部署", "Department", "string", required=True),
            _field(
                "role",
                "ロール",
                "Role",
                "enum",
                required=True,
                choices=["参照のみ", "仕訳入力", "承認者", "管理者"],
            ),
            _field("start_on", "利用開始日", "Start date", "date", required=True),
        ],
        [("会計A 利用者ID作成と権限設定", APPS), ("初期パスワードの通知", DESK)],
    ),
    (
        "accounting-helpdesk",
        "ソフトウェアインストール",
        "Software installation",
        "会社が契約しているソフトウェアを業務PCにインストールします。ライセンス数に限りがあるため、"
        "情報システム部の担当者いずれか1名の承認が必要です。",
        ApprovalMode.ANY,
        ["manager", "change"],
        None,
        [
            _field(
                "software",
                "ソフトウェア",
                "Software",
                "enum",
                required=True,
                choices=["Microsoft 365 Apps", "Adobe Acrobat", "弥生会計", "ZIP解凍ツール"],
            ),
            _field(
                "asset_tag",
                "PC資産番号",
                "Asset tag",
                "string",
                required=True,
                help="PC底面のシールに記載（例: SKR-PC-0123）",
            ),
            _field("reason", "利用目的", "Purpose", "text", required=True),
        ],
        [("ライセンス在庫の確認と割当", APPS), ("リモートインストールと動作確認", DESK)],
    ),
    (
        "mail",
        "メーリングリスト作成",
        "Mailing list",
        "部署やプロジェクト用のメーリングリストを作成します。承認は不要です。",
        ApprovalMode.NONE,
        [],
        DESK,
        [
            _field("address", "アドレス", "Address", "email", required=True),
            _field("display_name", "表示名", "Display name", "string", required=True),
            _field("owner", "管理者", "Owner", "string", required=True),
            _field("members", "メンバー（1行に1アドレス）", "Members (one address a line)", "text"),
        ],
        [("メーリングリスト作成", INFRA), ("依頼者へ設定完了の連絡", DESK)],
    ),
]


@registry.register("requests", order=55)
def load(*, password: str) -> None:
    """Offer the demo catalogue items under the live demo services."""
    manager = User.objects.filter(username="manager").first()
    service_codes = {code for code, *_rest in ITEMS}
    found = {s.code: s for s in Service.objects.filter(code__in=service_codes)}
    if manager is None or len(found) != len(service_codes):
        return  # the accounts and portfolio demo data are not there
    teams = {t.name: t for t in Team.objects.filter(name__in=[DESK, INFRA, APPS])}
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "dev", "change"])}
    with desk_demo.frozen_clock(desk_demo.epoch()), context.acting(user=manager, channel=context.Channel.WEB):
        for code, name, name_en, description, mode, approvers, team, form, tasks in ITEMS:
            service = found[code]
            if CatalogItem.objects.filter(service=service, name=name).exists():
                continue
            services.create_item(
                actor=manager,
                data={
                    "service": service,
                    "name": name,
                    "name_en": name_en,
                    "description": description,
                    "form_schema": form,
                    "approval_mode": mode,
                    "team": teams.get(team) if team else None,
                },
                approvers=[users[u] for u in approvers],
                tasks=[(title, teams[t]) for title, t in tasks],
            )


# -- requests from the catalogue, played with the desk's stories --------------------------------

COUNTS = {
    "VPNアカウント発行": 10,
    "PC貸出": 8,
    "共有フォルダ作成": 4,
    "会計A 利用者ID追加": 4,
    "ソフトウェアインストール": 7,
    "メーリングリスト作成": 5,
}
SAKURA_ONLY = {"共有フォルダ作成", "会計A 利用者ID追加", "ソフトウェアインストール"}
DOMAINS = {
    "sakura": "sakura.example.jp",
    "sakura-osaka": "sakura.example.jp",
    "minato": "minato.example.jp",
    "aoba": "aoba.example.jp",
}
TASK_NOTES = {
    "VPNアカウント作成・クライアント証明書発行": "アカウントを作成し、クライアント証明書（有効期限1年）を発行した。",
    "接続手順書の送付と初回接続の確認": "接続手順書を送付。電話で初回接続を確認済み。",
    "貸出PCのキッティング（OS更新・VPN設定）": "貸出機を準備。Windows Update 適用済み、VPN設定済み。",
    "貸出記録と返却期限の登録": "貸出台帳に登録し、返却期限の前日にリマインドを設定した。",
    "共有フォルダ作成とアクセス権設定": "共有フォルダを作成し、部署のグループに権限を付与した。",
    "会計A 帳票出力先の設定": "帳票出力先マスタに登録し、テスト出力を確認した。",
    "依頼者への完了連絡": "依頼者へ完了をメールで連絡した。",
    "会計A 利用者ID作成と権限設定": "利用者IDを作成し、申請どおりのロールを付与した。",
    "初期パスワードの通知": "初期パスワードを上長あてにメールで送付した。",
    "ライセンス在庫の確認と割当": "ライセンスの在庫あり（残り6）。1件を割り当てた。",
    "リモートインストールと動作確認": "リモートでインストールし、起動と初期設定を確認した。",
    "メーリングリスト作成": "メーリングリストを作成し、メンバーを登録した。",
    "依頼者へ設定完了の連絡": "設定完了を依頼者に連絡した。",
}
DONE = {
    "VPNアカウント発行": "VPNアカウントを発行しました。接続手順書とクライアント証明書の受け取り方法をメールでお送りしています。",
    "PC貸出": "貸出PCの準備ができました。サービスデスク（本社2階）でお受け取りください。返却予定日は {return_on} です。",
    "共有フォルダ作成": "共有フォルダ「{folder_name}」を作成し、アクセス権を設定しました。会計Aの帳票出力先にも登録済みです。",
    "会計A 利用者ID追加": "{user_name} 様の会計A利用者IDを作成しました。初期パスワードは上長あてにメールでお送りしています。",
    "ソフトウェアインストール": "{software} のインストールが完了し、動作も確認しました。",
    "メーリングリスト作成": "メーリングリスト {address} を作成しました。メンバーの追加・削除はサービスデスクまでご依頼ください。",
}
APPROVED = ("承認します。", "業務上必要であることを確認しました。承認します。", "")
REJECTED = {
    "VPNアカウント発行": "個人所有の端末からのVPN接続は、情報セキュリティ規程（第12条）により認めていません。"
    "会社貸与PCでの接続をご検討ください。",
    "ソフトウェアインストール": "ライセンスの残数がないため、今期は承認できません。無償の閲覧ソフトでの代替をご検討ください。",
}
ONE_REQUEST = "利用者個人の申請のため、影響は限定的。"


@dataclass
class RequestPlan:
    """One request from the catalogue: who asks for what, when, and how far it gets."""

    item: CatalogItem
    requester: Person
    created: dt.datetime
    target: str
    values: dict[str, Any]
    description: str = ""
    confirm: bool = True


def _target(desk: desk_demo.Desk, item: CatalogItem, age_days: float) -> str:
    approval = item.approval_mode != ApprovalMode.NONE
    if age_days < 1:
        table: dict[str, float] = {"waiting": 3 if approval else 0, "in_progress": 2, "done": 1}
    elif age_days < 5:
        table = {"waiting": 1 if approval else 0, "in_progress": 2, "done": 6}
    else:
        table = {"done": 20, "cancelled": 0.4}
    return desk.rng.choices(list(table), list(table.values()))[0]


def _values(
    desk: desk_demo.Desk, item: CatalogItem, requester: Person, created: dt.datetime
) -> dict[str, Any]:
    rng = desk.rng
    today = created.astimezone(desk_demo.JST).date()

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    domain = DOMAINS.get(requester.organisation.code, "example.jp")
    name = item.name
    if name == "VPNアカウント発行":
        return {
            "user_name": requester.name,
            "user_email": requester.email or f"user{requester.pk}@{domain}",
            "device": "会社貸与PC",
            "valid_until": day(rng.choice([90, 180, 365])),
            "reason": rng.choice(
                [
                    "在宅勤務のため。",
                    "出張先から会計Aと社内ポータルを利用するため。",
                    "育児との両立のための在宅勤務。",
                ]
            ),
        }
    if name == "PC貸出":
        start = rng.randint(2, 7)
        return {
            "start_on": day(start),
            "return_on": day(start + rng.choice([7, 14, 30])),
            "count": rng.choice([1, 1, 1, 2, 3]),
            "purpose": rng.choice(
                ["福岡への出張", "新入社員研修", "在宅勤務（PC故障中の代替）", "展示会での製品デモ"]
            ),
        }
    if name == "共有フォルダ作成":
        folder, department = rng.choice(
            [
                ("経理部_月次帳票", "経理部"),
                ("経理部_監査資料", "経理部"),
                ("営業部_請求書控え", "営業部"),
                ("総務部_固定資産台帳", "総務部"),
            ]
        )
        return {
            "folder_name": folder,
            "department": department,
            "size": rng.choice(["10GB", "50GB", "100GB"]),
            "access": rng.choice(["読み書き", "読み書き", "読み取りのみ"]),
            "members": "山田 花子\n木村 拓真",
            "start_on": day(5),
        }
    if name == "会計A 利用者ID追加":
        return {
            "user_name": rng.choice(["新井 翔", "大野 美香", "竹内 亮介", "西村 玲奈"]),
            "department": rng.choice(["経理部", "財務部", "営業管理部"]),
            "role": rng.choice(["参照のみ", "仕訳入力", "仕訳入力", "承認者"]),
            "start_on": day(rng.randint(7, 14)),
        }
    if name == "ソフトウェアインストール":
        return {
            "software": rng.choice(
                ["Microsoft 365 Apps", "Adobe Acrobat", "Adobe Acrobat", "弥生会計", "ZIP解凍ツール"]
            ),
            "asset_tag": f"SKR-PC-{rng.randint(100, 999):04d}",
            "reason": rng.choice(
                [
                    "取引先との契約書PDFに電子署名するため。",
                    "子会社の決算資料を確認するため。",
                    "暗号化ZIPで届く請求書を開くため。",
                ]
            ),
        }
    slug, label = rng.choice(
        [
            ("project-x", "新倉庫プロジェクト"),
            ("safety", "安全衛生委員会"),
            ("lab-news", "研究所ニュース"),
            ("sales-west", "西日本営業"),
        ]
    )
    return {
        "address": f"{slug}@{domain}",
        "display_name": label,
        "owner": requester.name,
        "members": f"{requester.email or 'someone@' + domain}\nteam-lead@{domain}",
    }


def _plan(desk: desk_demo.Desk, item: CatalogItem, **fixed: Any) -> RequestPlan:
    rng = desk.rng
    org = "sakura" if item.name in SAKURA_ONLY else rng.choice(["sakura", "minato", "aoba"])
    requester = fixed.pop("requester", None) or rng.choice(desk.requesters(org))
    created = fixed.pop("created", None) or desk.moment(business=True)
    age = (desk.end - created).total_seconds() / 86400
    target = fixed.pop("target", None) or _target(desk, item, age)
    values = _values(desk, item, requester, created)
    values.update(fixed.pop("values", {}))
    return RequestPlan(
        item=item,
        requester=requester,
        created=created,
        target=target,
        values=values,
        confirm=rng.random() < 0.6,
        **fixed,
    )


def _request(desk: desk_demo.Desk, p: RequestPlan) -> desk_demo.Story:
    """The story of one request from the catalogue."""
    rng = desk.rng
    web = context.Channel.WEB
    login = desk.login_of(p.requester)
    agent = desk.user("agent")
    t = p.created
    if login is not None:
        yield t, login, web, ""
        ticket = services.request_item(
            actor=login, item=p.item.pk, values=p.values, description=p.description, urgency=4
        )
    else:
        yield t, agent, web, ""
        ticket = services.request_item(
            actor=agent,
            item=p.item.pk,
            values=p.values,
            description=p.description or f"{p.requester.name} 様より依頼。",
            urgency=4,
            data={"requester": p.requester.pk},
            channel=rng.choice([Channel.PHONE, Channel.EMAIL]),
        )
    tid = int(ticket.pk)
    if ticket.impact <= 2:  # the CMDB sees the whole service; one person's request is minor
        t = desk.later(t, rng.randint(10, 60))
        yield t, agent, web, ""
        tickets.update_ticket(
            tid, actor=agent, changes={"impact": 4}, version=None, impact_reason=ONE_REQUEST
        )
    approvals = list(
        Approval.objects.filter(ticket_id=tid).select_related("approver").order_by("order", "id")
    )
    if p.target == "cancelled":  # withdrawn while waiting for approval or for the desk
        t = desk.later(t, rng.randint(60, 600))
        if login is not None:
            yield t, login, web, ""
            desk.act(tid, "cancel", login, comment="予定が変わり不要になったため取り消します。")
        else:
            yield t, agent, web, ""
            desk.act(tid, "cancel", agent, comment="依頼者より取り下げのご連絡があったため取り消します。")
        return
    if approvals:
        if p.target == "waiting":
            return
        if p.item.approval_mode == ApprovalMode.ANY:
            approvals = [rng.choice(approvals)]
        for position, approval in enumerate(approvals):
            t = desk.later(t, rng.randint(30, 900))
            yield t, approval.approver, web, ""
            if p.target == "rejected":
                approval_service.decide(
                    approval.pk,
                    actor=approval.approver,
                    approve=False,
                    comment=REJECTED.get(p.item.name, "業務上の必要性が確認できないため却下します。"),
                )
                return
            approval_service.decide(
                approval.pk, actor=approval.approver, approve=True, comment=rng.choice(APPROVED)
            )
            if p.target == "waiting2" and position == 0:
                return
        if p.target == "approved":
            return
    ticket = desk.load(tid)
    worker = desk.worker(ticket)
    t = desk.later(t, rng.randint(15, 240))
    yield t, worker, web, ""
    desk.take(tid, worker)
    me = desk.person(worker.username)
    desk.say(
        tid,
        worker,
        f"{desk_demo.salutation(p.requester)}\n\nご依頼を受け付けました。{desk_demo.family_name(me)}が担当いたします。",
    )
    if p.target == "pending_customer":
        t = desk.later(t, rng.randint(30, 240))
        yield t, worker, web, ""
        desk.act(
            tid,
            "pend_customer",
            worker,
            comment=f"{desk_demo.salutation(p.requester)}\n\nお受け取りの場所（本社 / 大阪支店）と、希望のお時間を教えていただけますか。",
        )
        return
    tasks = list(FulfilmentTask.objects.filter(ticket_id=tid).select_related("team").order_by("order", "id"))
    todo = tasks if p.target == "done" else tasks[: len(tasks) - 1]
    for task in todo:
        user = desk.user(desk_demo.TEAM_WORKER[task.team.name]) if task.team.name != DESK else worker
        t = desk.later(t, rng.randint(30, 600))
        yield t, user, web, ""
        services.update_task(
            task.pk,
            actor=user,
            changes={
                "assignee": desk.person(user.username),
                "state": TaskState.DONE,
                "note": TASK_NOTES.get(task.title, "対応完了。"),
            },
            version=None,
        )
    if p.target != "done":
        return
    t = desk.later(t, rng.randint(5, 60))
    yield t, worker, web, ""
    desk.say(tid, worker, f"{desk_demo.salutation(p.requester)}\n\n" + DONE[p.item.name].format(**p.values))
    yield from desk_demo.after_resolution(desk, tid, worker, t, p.requester, confirm=p.confirm)


@desk_demo.stories
def request_stories(desk: desk_demo.Desk) -> list[desk_demo.Story]:
    """The requests the demo customers made from the catalogue (some waiting, one rejected)."""
    items = {i.name: i for i in CatalogItem.objects.filter(name__in=list(COUNTS)).select_related("service")}
    if len(items) != len(COUNTS):
        return []
    plans = [
        _plan(
            desk,
            items["VPNアカウント発行"],
            requester=desk.person("minato"),
            created=desk.at(9, 14, 10),
            target="rejected",
            values={"device": "個人所有PC（BYOD）"},
        ),
        _plan(
            desk,
            items["会計A 利用者ID追加"],
            requester=desk.person("sakura"),
            created=desk.at(1, 10, 20),
            target="waiting2",
        ),
        _plan(
            desk,
            items["VPNアカウント発行"],
            requester=desk.person("aoba"),
            created=desk.now - dt.timedelta(hours=5),
            target="waiting",
        ),
        _plan(
            desk,
            items["ソフトウェアインストール"],
            requester=desk.person("sakura"),
            created=desk.at(5, 15, 0),
            target="cancelled",
        ),
        _plan(
            desk,
            items["PC貸出"],
            requester=desk.person("aoba"),
            created=desk.at(2, 11, 30),
            target="pending_customer",
        ),
        _plan(
            desk,
            items["共有フォルダ作成"],
            requester=desk.contacts["木村 拓真"],
            created=desk.at(1, 9, 40),
            target="approved",
        ),
        _plan(
            desk,
            items["メーリングリスト作成"],
            requester=desk.person("minato"),
            created=desk.at(1, 13, 0),
            target="in_progress",
        ),
    ]
    for name, count in COUNTS.items():
        plans += [_plan(desk, items[name]) for _n in range(count)]
    return [_request(desk, p) for p in plans]
