"""Demo change enablement: the boards, standard templates, the month-end freeze and the seeds' stories.

- Seed 000: an emergency security patch of the VPN gateway goes through the ECAB out of hours
  (one member approves within minutes), is implemented, and its documentation is completed
  afterwards, then closed.
- Seed 002: the month-end closing of the accounting systems is a freeze window; a normal change
  planned inside it is sent back by the CAB and rescheduled after it.
- A failed change: a mail filter rule update breaks outgoing mail, an incident on the same CI is
  linked to it, it is backed out and its review records the failure.
- Standard changes from templates, normal changes waiting for the CAB today (the agenda) and
  one scheduled for next week.
"""

# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from kaizen.approvals import services as approvals
from kaizen.approvals.models import Approval
from kaizen.cmdb import services as cmdb
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import context
from kaizen.tickets import demo as desk_demo
from kaizen.tickets import services as tickets
from kaizen.tickets.choices import Channel, Kind
from kaizen.tickets.models import Ticket

from . import services
from .choices import BoardKind, WindowKind
from .models import ChangeBoard, ChangeTemplate, ChangeWindow

JST = desk_demo.JST
WEB = desk_demo.WEB
MARKER = "demo-change:"

SAFE = {"downtime": "none", "tested": "yes", "backout": "easy", "experience": "often", "security": "no"}
OUTAGE = {"downtime": "outage", "tested": "partly", "backout": "hard", "experience": "once", "security": "no"}
FILTER = {
    "downtime": "degraded",
    "tested": "partly",
    "backout": "easy",
    "experience": "once",
    "security": "yes",
}

TEMPLATES = [
    {
        "name": "SSL/TLS サーバ証明書の更新",
        "name_en": "Renew an SSL/TLS server certificate",
        "description": "有効期限 30 日前の証明書を同じ認証局の新しい証明書に差し替える。",
        "implementation_plan": "1. 新証明書と中間証明書を配置\n2. 設定ファイルのパスを更新\n3. サービスを graceful reload\n4. 外部から証明書チェーンを確認",
        "backout_plan": "旧証明書のパスに戻して reload（旧証明書は期限まで有効）。",
        "test_plan": "openssl s_client で有効期限とチェーンを確認。ブラウザで警告が出ないこと。",
        "communication_plan": "作業は無停止のため事前周知なし。完了をサービスデスクへ連絡。",
        "max_duration_minutes": 60,
    },
    {
        "name": "月例 OS セキュリティパッチ（冗長構成サーバ）",
        "name_en": "Monthly OS security patches (redundant servers)",
        "description": "冗長構成のサーバへ 1 台ずつ月例パッチを適用する。",
        "implementation_plan": "1. 1 号機をロードバランサから外す\n2. パッチ適用・再起動\n3. 動作確認後に戻す\n4. 2 号機で繰り返す",
        "backout_plan": "パッチをアンインストールし再起動。復旧しない場合はスナップショットから戻す。",
        "test_plan": "監視の正常化、業務画面へのログイン確認。",
        "communication_plan": "前営業日に運用チャネルで作業予定を共有。",
        "max_duration_minutes": 240,
    },
]


def _board(kind: str, members: list[Any], actor: Any) -> None:
    board = ChangeBoard.objects.filter(kind=kind, is_active=True).first()
    if board is not None and not board.members.exists():
        services.update_board(board.pk, actor=actor, changes={}, version=None, members=members)


def _month_end_freeze(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """Return the last three calendar days of a month, 00:00 to 24:00 JST (the closing days)."""
    first_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    start = dt.datetime.combine(first_next - dt.timedelta(days=3), dt.time.min, JST)
    return start.astimezone(dt.UTC), dt.datetime.combine(first_next, dt.time.min, JST).astimezone(dt.UTC)


def configure(desk: desk_demo.Desk) -> None:
    """Boards with members, templates and the month-end freezes around the demo's present."""
    manager, change, cab = desk.user("manager"), desk.user("change"), desk.user("cab")
    _board(BoardKind.CAB, [change, cab, manager], manager)
    _board(BoardKind.ECAB, [change, manager], manager)
    for data in TEMPLATES:
        if not ChangeTemplate.objects.filter(name=data["name"]).exists():
            services.create_template(actor=manager, data=data)
    accounting = [desk.services[c] for c in ("accounting-a", "accounting-b") if c in desk.services]
    today = desk.now.astimezone(JST).date()
    for offset in (-1, 0, 1):
        month, year = (today.month - 1 + offset) % 12 + 1, today.year + (today.month - 1 + offset) // 12
        start, end = _month_end_freeze(year, month)
        name = f"{year}年{month}月 月次締め（会計システム凍結）"
        if not ChangeWindow.objects.filter(name=name).exists():
            services.create_window(
                actor=manager,
                data={
                    "name": name,
                    "name_en": f"Month-end closing {year}-{month:02d} (accounting freeze)",
                    "kind": WindowKind.FREEZE,
                    "starts_at": start,
                    "ends_at": end,
                    "reason": "経理部の月次締め処理で会計システムの負荷が最も高い期間。変更は原則禁止。",
                },
                services=accounting,
            )
    start = dt.datetime.combine(today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7), dt.time(22), JST)
    if not ChangeWindow.objects.filter(kind=WindowKind.MAINTENANCE).exists():
        services.create_window(
            actor=manager,
            data={
                "name": "定期保守（土曜 22:00〜翌 2:00）",
                "name_en": "Regular maintenance (Sat 22:00-02:00)",
                "kind": WindowKind.MAINTENANCE,
                "starts_at": start.astimezone(dt.UTC),
                "ends_at": (start + dt.timedelta(hours=4)).astimezone(dt.UTC),
                "reason": "メール・VPN の計画停止はこの時間帯に行う。",
            },
            services=[desk.services[c] for c in ("mail", "vpn") if c in desk.services],
        )


def _raise(
    desk: desk_demo.Desk,
    actor: Any,
    *,
    title: str,
    service: str,
    cis: list[str],
    record: dict[str, Any],
    ref: str,
    description: str = "",
    template: ChangeTemplate | None = None,
) -> int:
    team = desk.teams.get(desk_demo.HOME_TEAM.get(actor.username, desk_demo.INFRA))
    ticket = services.raise_change(
        actor=actor,
        data={
            "title": title,
            "description": description,
            "organisation": desk.orgs["kaizen-it"].pk,
            "service": desk.services[service].pk if service in desk.services else None,
            "team": team.pk if team is not None else None,
            "requester": desk.people[actor.username].pk,
            "channel": Channel.PORTAL,
            "external_ref": MARKER + ref,
        },
        change=record,
        cis=[desk.cis[n].pk for n in cis if n in desk.cis],
        template=template,
    )
    return int(ticket.pk)


def _decide(tid: int, user: Any, *, approve: bool = True, comment: str = "") -> None:
    row = Approval.objects.filter(ticket_id=tid, approver=user, state="waiting").first()
    if row is not None:
        approvals.decide(row.pk, actor=user, approve=approve, comment=comment)


def _window(moment: dt.datetime, hours: float) -> dict[str, dt.datetime]:
    return {"planned_start": moment, "planned_end": moment + dt.timedelta(hours=hours)}


def emergency_patch(desk: desk_demo.Desk) -> Iterator[desk_demo.Wake]:
    """Seed 000: an exploited VPN vulnerability patched the same night through the ECAB."""
    ops, change, manager = desk.user("ops"), desk.user("change"), desk.user("manager")
    t = desk.at(12, 21, 40)
    yield t, ops, WEB, ""
    tid = _raise(
        desk,
        ops,
        title="【緊急】VPN 装置の脆弱性（CVE-2026-21901）パッチ適用",
        service="vpn",
        cis=["VPN ゲートウェイ管理", "VPN 冗長ゲートウェイ"],
        description="ベンダーから悪用が確認された脆弱性の公表。修正版ファームウェアを今夜中に適用する。",
        record={
            "change_type": "emergency",
            "reason": "外部から認証なしで任意コードを実行される脆弱性。攻撃が観測されており、翌朝までの適用が必要。",
            "implementation_plan": "1. 待機系へファームウェア適用・再起動\n2. 切替\n3. 旧稼働系へ適用",
            **_window(t + dt.timedelta(minutes=50), 2),
        },
        ref="ecab-patch",
    )
    desk.act(
        tid,
        "submit",
        ops,
        override_reason="保守時間帯外だが緊急のため。",
        comment="ECAB に承認を依頼します。",
    )
    t += dt.timedelta(minutes=9)
    yield t, change, WEB, ""
    _decide(tid, change, comment="攻撃が観測されているため即時適用を承認。利用者への周知は翌朝で可。")
    t += dt.timedelta(minutes=41)
    yield t, ops, WEB, ""
    desk.act(tid, "implement", ops)
    t += dt.timedelta(minutes=95)
    yield t, ops, WEB, ""
    desk.act(tid, "complete", ops, comment="両系とも修正版で稼働。VPN 接続試験 OK。")
    t = desk.later(t, 60)
    yield t, ops, WEB, ""
    services.update_change(
        tid,
        actor=ops,
        changes={
            "backout_plan": "旧ファームウェアのイメージを保持。問題時は待機系から順に戻す。",
            "test_plan": "管理画面のバージョン確認、社外からの VPN 接続試験、監視の正常化。",
            "communication_plan": "翌朝 9:00 に全社ポータルで実施報告。夜間の切替による瞬断（約 30 秒）を告知。",
            "risk_answers": {**OUTAGE, "security": "yes"},
        },
        version=None,
    )
    services.record_review(
        tid,
        actor=change,
        outcome="success",
        notes="ECAB 連絡から承認まで 9 分。承認経路は有効に機能した。夜間の周知文テンプレートを用意すること。",
        version=None,
    )
    t = desk.later(t, 30)
    yield t, manager, WEB, ""
    desk.act(tid, "close", manager, comment="事後レビュー完了。")


def month_end_rework(desk: desk_demo.Desk) -> Iterator[desk_demo.Wake]:
    """Seed 002: a change planned into the month-end freeze is sent back and rescheduled."""
    dev, change, cab, manager = desk.user("dev"), desk.user("change"), desk.user("cab"), desk.user("manager")
    today = desk.now.astimezone(JST).date()
    freeze_start, freeze_end = _month_end_freeze(today.year, today.month)
    t = desk.at(3, 10, 15)
    yield t, dev, WEB, ""
    tid = _raise(
        desk,
        dev,
        title="会計A 帳票テンプレートの改修（インボイス制度対応）",
        service="accounting-a",
        cis=["会計A 帳票"],
        record={
            "change_type": "normal",
            "reason": "適格請求書の記載項目を追加する法令対応。",
            "implementation_plan": "帳票定義ファイルを差し替え、帳票サービスを再起動（5 分停止）。",
            "backout_plan": "旧定義ファイルに戻して再起動。",
            "test_plan": "検証環境で全帳票 42 種を出力し差分確認済み。",
            "communication_plan": "経理部へ前日までにメールで停止時間を連絡。",
            "risk_answers": SAFE,
            **_window(freeze_start + dt.timedelta(days=1, hours=10), 1),
        },
        ref="freeze-rework",
    )
    desk.act(tid, "assess", dev)
    desk.act(tid, "submit", dev, override_reason="法令対応の期限が近いため。")
    t = desk.later(t, 120)
    yield t, change, WEB, ""
    desk.act(
        tid, "rework", change, comment="月次締め（凍結期間）と重なるため、締め明けに再計画してください。"
    )
    t = desk.later(t, 60)
    yield t, dev, WEB, ""
    services.update_change(
        tid, actor=dev, changes=_window(freeze_end + dt.timedelta(days=3, hours=10), 1), version=None
    )
    desk.act(tid, "submit", dev)
    t = desk.later(t, 90)
    for user in (change, cab):
        yield t, user, WEB, ""
        _decide(tid, user, comment="締め明けの実施で承認。")
        t += dt.timedelta(minutes=25)
    yield t, manager, WEB, ""
    _decide(tid, manager, comment="承認。")


def failed_filter_change(desk: desk_demo.Desk) -> Iterator[desk_demo.Wake]:
    """A failed change that caused an incident: backed out, linked, reviewed as failed."""
    ops, change, cab, manager, agent = (desk.user(u) for u in ("ops", "change", "cab", "manager", "agent"))
    t = desk.at(20, 11, 0)
    yield t, ops, WEB, ""
    start = desk.at(16, 19, 0)
    tid = _raise(
        desk,
        ops,
        title="メールフィルタの迷惑メール判定ルール更新",
        service="mail",
        cis=["メールフィルタ"],
        record={
            "change_type": "normal",
            "reason": "標的型メールの増加に対応し、添付ファイル判定ルールを強化する。",
            "implementation_plan": "ルールセット v2026.11 を適用し、フィルタを再読込。",
            "backout_plan": "ルールセットを v2026.10 に戻して再読込（5 分）。",
            "test_plan": "検証環境でサンプル 500 通を判定し誤検知 0 件を確認。",
            "communication_plan": "作業前に情報システム部内へ共有。利用者影響なしの想定。",
            "risk_answers": FILTER,
            **_window(start, 1),
        },
        ref="failed-filter",
    )
    desk.act(tid, "assess", ops)
    desk.act(tid, "submit", ops, override_reason="定期保守時間外だが無停止作業のため。")
    t = desk.later(t, 240)
    for user in (change, cab, manager):
        yield t, user, WEB, ""
        _decide(tid, user, comment="承認。")
        t += dt.timedelta(minutes=30)
    t = start
    yield t, ops, WEB, ""
    desk.act(tid, "implement", ops)
    t += dt.timedelta(minutes=20)
    yield t, ops, WEB, ""
    desk.act(tid, "complete", ops)
    t += dt.timedelta(minutes=35)
    yield t, agent, WEB, ""
    incident = tickets.create_ticket(
        actor=agent,
        kind=Kind.INCIDENT,
        data={
            "title": "社外宛メールが送信できない（添付付きメールが保留される）",
            "description": "19:30 頃から、PDF 添付のある社外宛メールがすべて送信保留になっている。",
            "organisation": desk.orgs["kaizen-it"].pk,
            "service": desk.services["mail"].pk,
            "urgency": 2,
            "channel": Channel.PHONE,
            "external_ref": MARKER + "failed-filter-incident",
        },
        cis=[desk.cis[n].pk for n in ["メールフィルタ"] if n in desk.cis],
    )
    services.link_caused_incidents(int(incident.pk))
    t += dt.timedelta(minutes=15)
    yield t, ops, WEB, ""
    desk.take(int(incident.pk), ops)
    t += dt.timedelta(minutes=10)
    yield t, ops, WEB, ""
    desk.act(
        int(incident.pk),
        "resolve",
        ops,
        resolution="メールフィルタのルールセットを v2026.10 に戻し、保留メールを再送した。",
        cause_class="configuration",
    )
    t = desk.later(t, 120)
    yield t, change, WEB, ""
    services.record_review(
        tid,
        actor=change,
        outcome="backed_out",
        notes="新ルールが PDF 添付を一律に判定した。検証サンプルに社外宛の PDF が含まれていなかった。"
        "検証データの見直しを改善登録簿に記録。",
        version=None,
    )
    desk.act(tid, "close", change, comment="切り戻し済み。事後レビュー完了。")


def standard_changes(desk: desk_demo.Desk) -> Iterator[desk_demo.Wake]:
    """Certificate renewals and patches from the pre-approved templates."""
    ops = desk.user("ops")
    templates = {t.name: t for t in ChangeTemplate.objects.all()}
    cert, patch = templates.get(TEMPLATES[0]["name"]), templates.get(TEMPLATES[1]["name"])
    if cert is None or patch is None:
        return
    t = desk.at(8, 14, 0)
    yield t, ops, WEB, ""
    tid = _raise(
        desk,
        ops,
        title="Webメール サーバ証明書の更新",
        service="mail",
        cis=["Webメール"],
        record=_window(desk.at(7, 18, 30), 0.5),
        template=cert,
        ref="std-cert",
    )
    desk.act(tid, "schedule", ops, override_reason="無停止の標準変更のため保守時間帯外で実施。")
    t = desk.at(7, 18, 30)
    yield t, ops, WEB, ""
    desk.act(tid, "implement", ops)
    t += dt.timedelta(minutes=20)
    yield t, ops, WEB, ""
    desk.act(tid, "complete", ops)
    services.record_review(tid, actor=ops, outcome="success", notes="", version=None)
    desk.act(tid, "close", ops)
    t = desk.later(t, 60)
    yield t, ops, WEB, ""
    upcoming = _raise(
        desk,
        ops,
        title="VPN 利用者ポータル 月例パッチ",
        service="vpn",
        cis=["VPN 利用者ポータル"],
        record=_window(desk.now + dt.timedelta(days=4), 3),
        template=patch,
        ref="std-patch",
    )
    desk.act(upcoming, "schedule", ops, override_reason="冗長構成で 1 台ずつ実施するため無停止。")


def waiting_for_cab(desk: desk_demo.Desk) -> Iterator[desk_demo.Wake]:
    """Normal changes for today's CAB: one half approved, one fresh, one draft still in assessment."""
    ops, dev, change = desk.user("ops"), desk.user("dev"), desk.user("change")
    t = desk.at(2, 16, 0)
    yield t, ops, WEB, ""
    storage = _raise(
        desk,
        ops,
        title="バックアップストレージの容量増設",
        service="backup",
        cis=["バックアップ管理サーバ"],
        record={
            "change_type": "normal",
            "reason": "バックアップ保存領域の使用率が 85% を超えた。",
            "implementation_plan": "増設ディスクを追加し、ボリュームを拡張。",
            "backout_plan": "拡張前であれば取り外すのみ。拡張後はベンダー手順で復旧。",
            "test_plan": "拡張後のバックアップジョブとリストア試験。",
            "communication_plan": "作業当夜のバックアップ遅延を運用チームへ周知。",
            "risk_answers": OUTAGE,
            **_window(desk.now + dt.timedelta(days=5, hours=2), 4),
        },
        ref="cab-storage",
    )
    desk.act(storage, "submit", ops, override_reason="保守時間帯の枠が埋まっているため。")
    t = desk.later(t, 30)
    yield t, change, WEB, ""
    _decide(storage, change, comment="リスクは中。手順は妥当。")
    t = desk.at(1, 11, 0)
    yield t, dev, WEB, ""
    batch = _raise(
        desk,
        dev,
        title="会計B 連携AP の夜間バッチ開始時刻変更",
        service="accounting-b",
        cis=["会計B 連携AP"],
        record={
            "change_type": "normal",
            "reason": "全銀ネットの締め時刻変更に合わせる。",
            "implementation_plan": "ジョブスケジューラの開始時刻を 22:00 から 21:30 に変更。",
            "backout_plan": "設定を 22:00 に戻す。",
            "test_plan": "検証環境で前後ジョブの依存関係を確認。",
            "communication_plan": "経理部と保守ベンダーへメールで連絡。",
            "risk_answers": SAFE,
            **_window(desk.now + dt.timedelta(days=6, hours=1), 1),
        },
        ref="cab-batch",
    )
    desk.act(batch, "submit", dev)
    t = desk.later(t, 60)
    yield t, ops, WEB, ""
    _raise(
        desk,
        ops,
        title="Active Directory のドメイン機能レベル引き上げ",
        service="identity",
        cis=["Active Directory"],
        record={"change_type": "normal", "reason": "旧 OS のドメインコントローラ撤去に伴う。"},
        ref="draft-ad",
    )


def core_switch_replacement(desk: desk_demo.Desk) -> Iterator[desk_demo.Wake]:
    """A strict CI (core switch 2) is replaced under its normal change; the CMDB edit names it."""
    ops, change, cab, manager = desk.user("ops"), desk.user("change"), desk.user("cab"), desk.user("manager")
    switch = desk.cis.get("コアスイッチ 2")
    if switch is None:
        return
    t = desk.at(9, 10, 0)
    yield t, ops, WEB, ""
    tid = _raise(
        desk,
        ops,
        title="コアスイッチ 2 の機器交換（保守期限切れ）",
        service="",
        cis=["コアスイッチ 2"],
        record={
            "change_type": "normal",
            "reason": "コアスイッチ 2 のハードウェア保守が今月末で終了するため後継機種へ交換する。",
            "implementation_plan": "1. 1 号機へ通信を寄せる\n2. 2 号機を後継機と交換し設定を投入\n3. 冗長を戻す",
            "backout_plan": "旧機を再接続し、保存済み設定を投入する。",
            "test_plan": "冗長切替試験、全 VLAN の疎通確認、監視の正常化確認。",
            "communication_plan": "作業前日に全社へ冗長低下（約 2 時間）を告知。",
            "risk_answers": OUTAGE,
            **_window(desk.at(5, 20, 0), 3),
        },
        ref="core-switch",
    )
    desk.act(tid, "assess", ops)
    desk.act(tid, "submit", ops, override_reason="冗長構成のため 1 台ずつ、業務時間外に実施する。")
    t = desk.later(t, 120)
    yield t, change, WEB, ""
    for member, note in ((change, "手順は妥当。"), (cab, "告知文を確認済み。"), (manager, "承認。")):
        _decide(tid, member, comment=note)
    t = desk.at(5, 20, 0)
    yield t, ops, WEB, ""
    desk.act(tid, "implement", ops)
    t += dt.timedelta(minutes=90)
    yield t, ops, WEB, ""
    current = ConfigurationItem.objects.get(pk=switch.pk)
    cmdb.update_ci(
        switch.pk,
        actor=ops,
        changes={
            "attributes": {**current.attributes, "model": "Catalyst 9500X"},
            "location": "東京DC 第1 ラックA02",
        },
        version=current.version,
        change=Ticket.objects.get(pk=tid).number,
    )
    desk.act(tid, "complete", ops, comment="交換完了。冗長切替試験と疎通確認 OK。")
    services.record_review(
        tid, actor=change, outcome="success", notes="計画どおり。CMDB は変更の中で更新済み。", version=None
    )
    t = desk.later(t, 60)
    yield t, manager, WEB, ""
    desk.act(tid, "close", manager, comment="事後レビュー完了。")


@desk_demo.stories
def change_stories(desk: desk_demo.Desk) -> list[desk_demo.Story]:
    """The change enablement stories (skipped when the demo changes exist already)."""
    if Ticket.objects.filter(external_ref__startswith=MARKER).exists():
        return []
    if not all(code in desk.services for code in ("accounting-a", "mail", "vpn")):
        return []
    with desk_demo.frozen_clock(desk_demo.epoch()), context.acting(user=desk.user("manager"), channel=WEB):
        configure(desk)
    return [
        emergency_patch(desk),
        month_end_rework(desk),
        failed_filter_change(desk),
        standard_changes(desk),
        waiting_for_cab(desk),
        core_switch_replacement(desk),
    ]
