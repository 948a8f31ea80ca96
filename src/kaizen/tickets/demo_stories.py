"""The desk demo's hand-written stories: major incidents, problems, stale, duplicate and reopened
tickets, an English-speaking requester, requests from templates.

Each story is a generator played by :func:`kaizen.tickets.demo.run` (see its docstring).
"""

# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from kaizen.accounts.models import User

from . import services
from .choices import Channel, Kind, ReviewOutcome
from .demo import (
    DAYS,
    MONITOR_LABEL,
    MONITORING,
    WEB,
    Desk,
    Story,
    _resolve,
    after_resolution,
    family_name,
    incident,
    plan,
    salutation,
)
from .demo_data import CUSTOMERS, DESK, INFRA, ONE_USER, SCENARIOS, TEMPLATE_REQUESTS


def major_network(desk: Desk) -> Story:
    """A P1 from monitoring that the rules declare a major incident, with its timeline."""
    admin, ops, manager = (desk.user(u) for u in ("admin", "ops", "manager"))
    t = desk.at(17, 9, 12)
    yield t, admin, MONITORING, MONITOR_LABEL
    major = services.create_ticket(
        actor=admin,
        kind=Kind.INCIDENT,
        data={
            "title": "[監視] コアスイッチ 1 応答なし（複数サービスで疎通断）",
            "description": "Zabbix トリガー: ICMP ping loss 100% (core-sw01.tokyo.kaizen.example)\n"
            "関連アラート: 会計A 業務AP HTTP応答なし / メールサーバ (MTA) SMTP応答なし / VPN ゲートウェイ管理 死活監視NG\n"
            "発生時刻: 09:11:48",
            "organisation": desk.orgs["kaizen-it"].pk,
            "category": desk.categories["ネットワーク"].pk,
            "channel": Channel.MONITORING,
            "urgency": 1,
            "team": desk.teams[INFRA].pk,
            "external_ref": desk.external_ref("zabbix"),
        },
        cis=desk.ci_ids(["コアスイッチ 1"]),
        tags=["monitoring", "network"],
    )
    tid = desk.refs["major-network"] = int(major.pk)
    steps: list[tuple[int, User, str, Callable[[], Any] | None]] = [
        (
            4,
            ops,
            "09:16 鈴木が対応開始。コアスイッチ1 は管理ポートにも応答なし。",
            lambda: desk.take(tid, ops),
        ),
        (
            6,
            manager,
            "09:22 重大インシデント対応を開始（指揮: 渡辺）。顧客3社へ第一報を送付。",
            lambda: services.set_watching(tid, actor=manager),
        ),
        (10, ops, "09:32 コアスイッチ2 への経路切替が完了していない。STP の再計算が収束していない。", None),
        (
            13,
            ops,
            "09:45 東京DC の現地作業員（井上さん）にラックA01 の機器状態の確認を依頼。",
            lambda: desk.act(
                tid, "pend_supplier", ops, comment="東京データセンターへ現地確認（ラックA01）を依頼しました。"
            ),
        ),
        (
            25,
            ops,
            "10:10 電源ユニット故障を確認（2台中2台）。保守部品で交換を開始。",
            lambda: desk.act(
                tid, "resume", ops, comment="東京DCより連絡: コアスイッチ1 の電源ユニットが2台とも故障。"
            ),
        ),
        (35, ops, "10:45 電源ユニット交換完了。コアスイッチ1 が起動し、疎通が回復。", None),
        (40, manager, "11:25 会計A・メール・VPN の正常性確認が完了。顧客3社へ復旧報を送付。", None),
    ]
    for minutes, user, text, action in steps:
        t += dt.timedelta(minutes=minutes)
        yield t, user, WEB, ""
        if action is not None:
            action()
        desk.say(tid, user, text, public=False, timeline=True)
    t += dt.timedelta(minutes=10)
    yield t, ops, WEB, ""
    desk.act(
        tid,
        "resolve",
        ops,
        resolution="コアスイッチ1 の電源ユニット故障（2台中2台）により同スイッチが停止した。冗長構成のコアスイッチ2 への経路切替が "
        "STP 設定の不整合で完了せず、会計A・メール・VPN が約1時間30分停止した。電源ユニットを交換して復旧。"
        "切替が完了しなかった原因は問題管理で調査する。",
        cause_class="hardware",
    )
    desk.review_plan[tid] = "custom"
    t = desk.later(t, 60 * 6)
    yield t, manager, WEB, ""
    decision = services.record_review_decision(
        tid,
        actor=manager,
        outcome=ReviewOutcome.PROBLEM,
        problem_title="コアスイッチ冗長構成の切替不全（STP 設定の不整合）",
    )
    problem = int(decision.problem_id or 0)
    t += dt.timedelta(minutes=20)
    yield t, manager, WEB, ""
    desk.act(tid, "close", manager, comment="復旧報の送付と振り返りの記録が完了したため完了とします。")
    t = desk.later(t, 90)
    yield t, ops, WEB, ""
    desk.take(problem, ops)
    desk.say(
        problem,
        ops,
        "STP のルートブリッジ優先度がコアスイッチ1・2 で同値になっていた。切替時にトポロジ変更が繰り返された可能性。",
        public=False,
    )
    t = desk.later(t, 9 * 60 * 3)
    yield t, ops, WEB, ""
    desk.act(
        problem,
        "known_error",
        ops,
        comment="既知のエラーとして記録。回避策: コアスイッチ障害時は手動でルートブリッジを切り替える（障害対応手順書 v1.4 に追記済み）。"
        "恒久対策（優先度の再設計）は変更管理で計画する。",
    )


def major_children(desk: Desk) -> Story:
    """Calls and tickets that arrive during the network outage, linked to it and resolved with it."""
    agent = desk.user("agent")
    base = desk.at(17, 9, 12)
    sakura, minato = desk.user("sakura"), desk.user("minato")
    t = base + dt.timedelta(minutes=9)
    yield t, agent, WEB, ""
    first = services.create_ticket(
        actor=agent,
        kind=Kind.INCIDENT,
        data={
            "title": "会計Aにつながらない",
            "description": "山田様より電話。9時過ぎから会計Aの画面が開かない。経理部の全員が同じ状況とのこと。",
            "requester": desk.person("sakura").pk,
            "service": desk.services["accounting-a"].pk,
            "category": desk.categories["業務アプリケーション"].pk,
            "channel": Channel.PHONE,
            "urgency": 2,
            "impact": 4,
        },
        impact_reason="重大インシデントで管理。本チケットは問い合わせの記録。",
    ).pk
    yield t + dt.timedelta(minutes=2), agent, WEB, ""
    services.link_tickets(
        actor=agent, from_ticket=first, to_ticket=desk.refs["major-network"], kind="part_of"
    )
    desk.say(
        first,
        agent,
        "山田 花子 様\n\n現在、ネットワーク機器の障害により会計Aを含む複数のサービスがご利用いただけない状態です。"
        "復旧作業を進めており、復旧しましたら改めてご連絡いたします。",
    )
    t = base + dt.timedelta(minutes=16)
    yield t, minato, WEB, ""
    second = services.create_ticket(
        actor=minato,
        kind=Kind.INCIDENT,
        data={
            "title": "メールが送れない",
            "description": "急にメールの送信ができなくなりました。至急確認をお願いします。",
            "urgency": 2,
        },
    ).pk
    t += dt.timedelta(minutes=5)
    yield t, agent, WEB, ""
    services.update_ticket(
        second,
        actor=agent,
        changes={
            "service": desk.services["mail"].pk,
            "category": desk.categories["メール"].pk,
            "team": desk.teams[DESK].pk,
            "impact": 4,
        },
        version=None,
        impact_reason="重大インシデントで管理。本チケットは問い合わせの記録。",
    )
    services.link_tickets(
        actor=agent, from_ticket=second, to_ticket=desk.refs["major-network"], kind="part_of"
    )
    desk.take(second, agent)
    desk.say(
        second,
        agent,
        "小林 大輔 様\n\nネットワーク機器の障害によりメールが送受信できない状態です。復旧まで今しばらくお待ちください。",
    )
    t = base + dt.timedelta(minutes=138)
    yield t, agent, WEB, ""
    text = "ネットワーク機器（コアスイッチ）の障害が復旧し、サービスが再開しました。ご不便をおかけし申し訳ございませんでした。"
    for tid, requester in ((first, desk.person("sakura")), (second, desk.person("minato"))):
        if desk.load(tid).state.code in ("new", "assigned"):
            desk.take(tid, agent)
        _resolve(desk, tid, agent, text, "hardware", requester)
    t = desk.later(t, 45)
    yield t, sakura, WEB, ""
    desk.say(first, sakura, "復旧を確認しました。ありがとうございました。")
    services.confirm_resolution(first, actor=sakura)
    t = desk.later(t, 30)
    yield t, minato, WEB, ""
    services.confirm_resolution(second, actor=minato)


def major_mail(desk: Desk) -> Story:
    """A major incident declared by hand: the mail relay of a supplier fails for two hours."""
    agent, ops, manager, minato = (desk.user(u) for u in ("agent", "ops", "manager", "minato"))
    t = desk.at(7, 10, 41)
    yield t, agent, WEB, ""
    tid = int(
        services.create_ticket(
            actor=agent,
            kind=Kind.INCIDENT,
            data={
                "title": "取引先へのメールが届かない（至急）",
                "description": "小林様よりメール。10時頃から、取引先あてのメールが届いていないと複数の取引先から電話があった。"
                "社内あては届いている。",
                "requester": desk.person("minato").pk,
                "service": desk.services["mail"].pk,
                "category": desk.categories["メール"].pk,
                "channel": Channel.EMAIL,
                "urgency": 2,
                "team": desk.teams[INFRA].pk,
                "external_ref": desk.external_ref("mail"),
            },
            cis=desk.ci_ids(["メール中継 (SaaS フィルタ)"]),
        ).pk
    )
    t += dt.timedelta(minutes=8)
    yield t, ops, WEB, ""
    desk.take(tid, ops)
    desk.say(
        tid,
        ops,
        "MTA のキューに外部あて 2,300 通が滞留。中継先の SaaS への接続がタイムアウトしている。",
        public=False,
    )
    t += dt.timedelta(minutes=7)
    yield t, manager, WEB, ""
    services.declare_major(
        tid,
        actor=manager,
        version=None,
        reason="外部あてメールが全社で送信できない。顧客3社と社内すべてに影響。",
    )
    services.set_watching(tid, actor=manager)
    services.set_watching(tid, actor=manager, person=desk.contacts["山口 和也"])
    desk.say(
        tid, manager, "10:56 重大インシデントを宣言。顧客3社へ第一報を送付。", public=False, timeline=True
    )
    desk.say(
        tid,
        manager,
        "小林 大輔 様\n\n現在、メール中継サービスの障害により、社外あてのメールが送信できない状態です。"
        "送信済みのメールは当社のサーバで保留しており、復旧後に順次配送されます。",
    )
    t += dt.timedelta(minutes=14)
    yield t, ops, WEB, ""
    desk.act(
        tid,
        "pend_supplier",
        ops,
        comment="メール中継 SaaS 事業者の障害（事業者の障害情報 第1報 10:52）。事業者の復旧待ち。",
    )
    desk.say(tid, ops, "11:10 事業者の障害情報を確認。復旧見込みは未定。", public=False, timeline=True)
    t += dt.timedelta(minutes=75)
    yield t, ops, WEB, ""
    desk.act(tid, "resume", ops, comment="事業者より復旧の連絡。滞留メールの再送を開始。")
    desk.say(tid, ops, "12:25 SaaS 復旧。滞留メールの再送を開始。", public=False, timeline=True)
    t += dt.timedelta(minutes=45)
    yield t, ops, WEB, ""
    desk.say(tid, ops, "13:10 滞留していた約2,300通の配送完了を確認。", public=False, timeline=True)
    _resolve(
        desk,
        tid,
        ops,
        "メール中継 SaaS（外部メールフィルタ事業者）の障害により、社外あてのメールが約2時間送信できませんでした。"
        "事業者の復旧後、滞留していた約2,300通を再送し、配送完了を確認しました。",
        "external_party",
        desk.person("minato"),
    )
    desk.review_plan[tid] = "custom"
    desk.keep_resolved.add(tid)
    t = desk.later(t, 120)
    yield t, minato, WEB, ""
    desk.say(tid, minato, "取引先にも届いていることを確認しました。迅速な対応ありがとうございました。")
    services.confirm_resolution(tid, actor=minato)
    t = desk.later(t, 9 * 60)
    yield t, manager, WEB, ""
    services.record_review_decision(
        tid,
        actor=manager,
        outcome=ReviewOutcome.IMPROVEMENT,
        improvement_title="メール中継 SaaS 障害時の直接配送（バイパス）手順の整備",
    )


def vpn_repeats(desk: Desk) -> Story:
    """The same VPN gateway fails three times in a month: the third goes to the review, a problem is opened."""
    ops, manager = desk.user("ops"), desk.user("manager")
    ids = []
    for days_ago, who, hour in ((19, "sakura", 10), (13, "aoba", 14), (8, "minato", 11)):
        t = desk.at(days_ago, hour, 5)
        user = desk.user(who)
        yield t, user, WEB, ""
        tid = int(
            services.create_ticket(
                actor=user,
                kind=Kind.INCIDENT,
                data={
                    "title": "VPN接続が数分おきに切断される",
                    "description": "在宅勤務中、VPNが数分おきに切断されます。同じ部署の複数名が同じ状況です。",
                    "service": desk.services["vpn"].pk,
                    "urgency": 3,
                },
            ).pk
        )
        ids.append(tid)
        t += dt.timedelta(minutes=25)
        yield t, ops, WEB, ""
        services.update_ticket(
            tid,
            actor=ops,
            changes={"impact": 3, "category": desk.categories["ネットワーク"].pk},
            version=None,
            cis=desk.ci_ids(["VPN ゲートウェイ管理"]),
            impact_reason="一部の利用者（約20名）のみ。",
        )
        desk.take(tid, ops)
        desk.say(
            tid,
            ops,
            "Gateway log shows DPD timeouts for ~20 sessions between 10:00 and 10:20 JST.",
            public=False,
        )
        t = desk.later(t, 150)
        yield t, ops, WEB, ""
        requester = desk.person(who)
        _resolve(
            desk,
            tid,
            ops,
            "VPNゲートウェイのセッションを再起動し、切断が解消したことを確認しました。",
            "unknown",
            requester,
        )
    desk.review_plan[ids[-1]] = "custom"
    t = desk.later(t, 60 * 5)
    yield t, manager, WEB, ""
    decision = services.record_review_decision(
        ids[-1],
        actor=manager,
        outcome=ReviewOutcome.PROBLEM,
        problem_title="VPNゲートウェイのセッション断の多発",
    )
    problem = int(decision.problem_id or 0)
    desk.problems[desk.services["vpn"].pk] = problem
    t = desk.later(t, 60)
    yield t, ops, WEB, ""
    desk.take(problem, ops)
    for tid in ids[:-1]:
        services.link_tickets(actor=ops, from_ticket=tid, to_ticket=problem, kind="caused_by")
    desk.say(
        problem,
        ops,
        "Captured IKE debug on vpn-ap23: DPD timeouts cluster around 10:00 and 13:00 JST, matching the keepalive interval "
        "change in the last firmware. Asked the vendor whether 7.2.4 has a known issue.",
        public=False,
    )


def accounting_b_problem(desk: Desk) -> Story:
    """A known error with a workaround (its incidents link to it: :func:`e2041_incident`)."""
    dev = desk.user("dev")
    t = desk.at(27, 11, 20)
    yield t, dev, WEB, ""
    problem = int(
        services.create_ticket(
            actor=dev,
            kind=Kind.PROBLEM,
            data={
                "title": "会計B 仕訳入力時のエラー E-2041（摘要欄の文字種）",
                "description": "摘要欄に半角カナや機種依存文字を含む仕訳を登録すると E-2041 が表示され、登録できない。"
                "複数の利用者から申告あり。",
                "organisation": desk.orgs["sakura"].pk,
                "service": desk.services["accounting-b"].pk,
                "category": desk.categories["業務アプリケーション"].pk,
                "channel": Channel.API,
            },
            cis=desk.ci_ids(["会計B 業務AP"]),
        ).pk
    )
    desk.refs["problem-e2041"] = problem
    desk.problems[desk.services["accounting-b"].pk] = problem
    t += dt.timedelta(minutes=10)
    yield t, dev, WEB, ""
    desk.take(problem, dev)
    t = desk.later(t, 9 * 60 * 2)
    yield t, dev, WEB, ""
    desk.act(
        problem,
        "known_error",
        dev,
        comment="既知のエラーとして記録。回避策: 摘要欄の半角カナ・機種依存文字を全角に置き換えて登録する（FAQ に掲載済み）。"
        "ベンダーに修正を依頼済み（修正版 4.2.3 で対応予定）。",
    )


def e2041_incident(desk: Desk, days_ago: int, who: str, *, pending: bool) -> Story:
    """An incident of the known error E-2041: linked to the problem, worked around or waiting for the fix."""
    dev, agent = desk.user("dev"), desk.user("agent")
    t = desk.at(days_ago, 10, 30)
    if who == "sakura":
        requester = desk.person("sakura")
        yield t, desk.user("sakura"), WEB, ""
        tid = int(
            services.create_ticket(
                actor=desk.user("sakura"),
                kind=Kind.INCIDENT,
                data={
                    "title": "会計Bで仕訳入力時にエラー E-2041 が表示される",
                    "description": "取引先名に「ｶ)」が含まれる仕訳を登録しようとするとエラー E-2041 が表示されます。",
                    "service": desk.services["accounting-b"].pk,
                    "category": desk.categories["業務アプリケーション"].pk,
                    "urgency": 3,
                },
            ).pk
        )
    else:
        requester = desk.contacts[who]
        yield t, agent, WEB, ""
        tid = int(
            services.create_ticket(
                actor=agent,
                kind=Kind.INCIDENT,
                data={
                    "title": "会計Bの仕訳登録でエラーになる",
                    "description": f"{family_name(requester)}様より電話。仕訳の登録でエラー E-2041 が表示される。",
                    "requester": requester.pk,
                    "service": desk.services["accounting-b"].pk,
                    "category": desk.categories["業務アプリケーション"].pk,
                    "channel": Channel.PHONE,
                    "urgency": 3,
                },
                cis=desk.ci_ids(["会計B 業務AP"]),
            ).pk
        )
    t = desk.later(t, 40)
    yield t, dev, WEB, ""
    desk.take(tid, dev)
    services.link_tickets(actor=dev, from_ticket=tid, to_ticket=desk.refs["problem-e2041"], kind="caused_by")
    if pending:
        desk.act(
            tid,
            "pend_change",
            dev,
            comment="恒久対策の修正版 4.2.3 を変更管理で計画中（次回の夜間メンテナンス枠で適用予定）。適用後に解消を確認します。",
        )
        desk.say(
            tid,
            dev,
            f"{salutation(requester)}\n\n既知の不具合です。当面は摘要欄の半角カナを全角に置き換えてご登録ください。"
            "修正版の適用日が決まりましたらご連絡いたします。",
        )
        return
    t = desk.later(t, 30)
    yield t, dev, WEB, ""
    _resolve(
        desk,
        tid,
        dev,
        "既知の不具合（問題管理で管理中）です。摘要欄の半角カナを全角に置き換えることで登録できることを確認しました。",
        "program",
        requester,
    )
    desk.review_plan[tid] = {"outcome": ReviewOutcome.PROBLEM, "problem": desk.refs["problem-e2041"]}
    yield from after_resolution(desk, tid, dev, t, requester, confirm=True)


def mail_problem(desk: Desk) -> Story:
    """An older problem, investigated, fixed through a change and closed by the manager."""
    ops, manager = desk.user("ops"), desk.user("manager")
    t = desk.at(38, 15, 0)
    yield t, ops, WEB, ""
    problem = int(
        services.create_ticket(
            actor=ops,
            kind=Kind.PROBLEM,
            data={
                "title": "メール配送遅延の再発（MTA の同時接続数上限）",
                "description": "月曜の朝にメール配送の遅延が繰り返し発生している。MTA の同時接続数の上限到達が疑われる。",
                "organisation": desk.orgs["kaizen-it"].pk,
                "service": desk.services["mail"].pk,
                "category": desk.categories["メール"].pk,
                "channel": Channel.API,
            },
            cis=desk.ci_ids(["メールサーバ (MTA)"]),
        ).pk
    )
    for days, code, params in (
        (1, "start", {}),
        (
            3,
            "known_error",
            {"comment": "既知のエラー。回避策: 遅延時は MTA のプロセス数を一時的に増やす（手順書 3.2）。"},
        ),
        (
            8,
            "resolve",
            {
                "resolution": "MTA の同時接続数の上限を 100 から 300 に変更した（変更管理で承認・適用済み）。以後4週間、遅延の再発なし。"
            },
        ),
    ):
        t = desk.later(t, 9 * 60 * days)
        yield t, ops, WEB, ""
        desk.take(problem, ops, code, **params)
    t = desk.later(t, 9 * 60 * 2)
    yield t, manager, WEB, ""
    desk.act(problem, "close", manager, comment="再発のないことを確認したため完了とする。")


def _problem(desk: Desk, actor: User, org: str, title: str, description: str, **data: Any) -> int:
    cis = data.pop("cis", [])
    payload = {
        "title": title,
        "description": description,
        "organisation": desk.orgs[org].pk,
        "channel": Channel.API,
        **data,
    }
    return int(services.create_ticket(actor=actor, kind=Kind.PROBLEM, data=payload, cis=desk.ci_ids(cis)).pk)


def wifi_problem(desk: Desk) -> Story:
    """A problem cancelled once the cause went away."""
    ops = desk.user("ops")
    t = desk.at(25, 16, 30)
    yield t, ops, WEB, ""
    tid = _problem(
        desk,
        ops,
        "kaizen-it",
        "本社3階の無線LAN切断の多発",
        "3階の無線LANが切れるという申告が続いている。アクセスポイントの配置またはファームウェアを疑う。",
        category=desk.categories["ネットワーク"].pk,
    )
    t = desk.later(t, 60)
    yield t, ops, WEB, ""
    desk.take(tid, ops)
    t = desk.later(t, 9 * 60 * 6)
    yield t, ops, WEB, ""
    desk.act(
        tid,
        "cancel",
        ops,
        comment="故障していたアクセスポイントの交換後、2週間再発がないため問題管理の対象外とする。",
    )


def backup_problem(desk: Desk) -> Story:
    """A problem resolved through a change, waiting for the manager to close it."""
    ops = desk.user("ops")
    t = desk.at(21, 10, 0)
    yield t, ops, WEB, ""
    tid = _problem(
        desk,
        ops,
        "kaizen-it",
        "バックアップ転送タイムアウトの頻発",
        "夜間のクラウドストレージへの転送がタイムアウトし、再実行が必要になる事象が続いている。",
        service=desk.services["backup"].pk,
        category=desk.categories["ソフトウェア"].pk,
        cis=["クラウドストレージ連携"],
    )
    desk.problems[desk.services["backup"].pk] = tid
    t = desk.later(t, 30)
    yield t, ops, WEB, ""
    desk.take(tid, ops)
    desk.say(
        tid,
        ops,
        "Transfer log: 37 of 52 failures happened between 02:00 and 02:30, while 8 streams ran in parallel.",
        public=False,
    )
    t = desk.at(3, 11, 0)
    yield t, ops, WEB, ""
    desk.act(
        tid,
        "resolve",
        ops,
        resolution="転送の多重度を 8 から 4 に下げ、タイムアウトを 300 秒に延長した。以後1週間、失敗なし。",
    )
    desk.problems.pop(desk.services["backup"].pk, None)


def performance_problem(desk: Desk) -> Story:
    """A new problem nobody has started on yet."""
    dev = desk.user("dev")
    t = desk.at(1, 17, 40)
    yield t, dev, WEB, ""
    _problem(
        desk,
        dev,
        "sakura",
        "月末の会計A 性能劣化",
        "月末の締め処理の時期に会計Aの応答が遅くなる申告が毎月続いている。原因を調査する。",
        service=desk.services["accounting-a"].pk,
        category=desk.categories["業務アプリケーション"].pk,
        cis=["accounting-a データベース"],
    )


def waiting_for_customer(
    desk: Desk, days_ago: int, requester: str, actor: str, worker: str, data: dict[str, Any], question: str
) -> Story:
    """A ticket that waits for an answer that does not come (the stale view shows it)."""
    t = desk.at(days_ago, 10, 15)
    person = desk.person(requester) if requester in CUSTOMERS else desk.contacts[requester]
    creator = desk.user(actor)
    yield t, creator, WEB, ""
    if actor != requester:
        data = {**data, "requester": person.pk, "channel": Channel.PHONE}
    tid = int(services.create_ticket(actor=creator, kind=Kind.INCIDENT, data=data).pk)
    t = desk.later(t, 60)
    user = desk.user(worker)
    yield t, user, WEB, ""
    desk.take(tid, user)
    desk.act(tid, "pend_customer", user, comment=f"{salutation(person)}\n\n{question}")


def unassigned(desk: Desk, t: dt.datetime, requester: str, data: dict[str, Any]) -> Story:
    """A portal ticket nobody has picked up yet."""
    user = desk.user(requester)
    yield t, user, WEB, ""
    services.create_ticket(actor=user, kind=Kind.INCIDENT, data=data)


def stale_ones(desk: Desk) -> list[Story]:
    """Tickets the stale view shows: waiting for customers who do not answer, and unassigned ones."""
    cat = desk.categories
    return [
        waiting_for_customer(
            desk,
            8,
            "sakura",
            "sakura",
            "dev",
            {
                "title": "会計Aの仕訳データをCSV出力すると文字化けする",
                "description": "仕訳データをCSVで出力してExcelで開くと、摘要欄が文字化けします。",
                "category": cat["業務アプリケーション"].pk,
                "urgency": 4,
            },
            "文字化けしたCSVファイルをお送りいただけますか。また、Excel以外（メモ帳など）で開いた場合も文字化けするか教えてください。",
        ),
        waiting_for_customer(
            desk,
            7,
            "阿部 直子",
            "agent",
            "agent",
            {
                "title": "共有PCから複合機に印刷できない",
                "description": "阿部様より電話。研究開発部の共有PCから複合機に印刷できない。",
                "category": cat["ハードウェア"].pk,
                "urgency": 4,
                "impact": 4,
                "team": desk.teams[DESK].pk,
            },
            "共有PCの資産番号（本体側面のシール）と、印刷時に表示されるメッセージを教えていただけますか。",
        ),
        waiting_for_customer(
            desk,
            13,
            "minato",
            "minato",
            "ops",
            {
                "title": "倉庫の端末からVPN接続が遅い",
                "description": "第2倉庫の端末からVPN経由で本社システムを使うと、画面の切替に10秒ほどかかります。",
                "urgency": 4,
            },
            "倉庫の回線の速度測定（https://speed.example.jp）の結果をお知らせいただけますか。",
        ),
        unassigned(
            desk,
            desk.at(1, 11, 0),
            "sakura",
            {
                "title": "会計Bの画面で部門コードが選べない",
                "description": "会計Bの仕訳入力画面で、新設の部門（営業企画部）のコードが選択肢に出てきません。",
                "category": cat["業務アプリケーション"].pk,
                "urgency": 3,
            },
        ),
        unassigned(
            desk,
            desk.now - dt.timedelta(hours=3),
            "aoba",
            {
                "title": "メールの署名が勝手に変わる",
                "description": "Outlookの署名が、起動するたびに古いものに戻ってしまいます。",
                "urgency": 4,
            },
        ),
    ]


def duplicate(desk: Desk) -> Story:
    """A ticket sent twice: the copy is cancelled as a duplicate."""
    aoba, agent = desk.user("aoba"), desk.user("agent")
    t = desk.at(11, 13, 20)
    yield t, aoba, WEB, ""
    data = {
        "title": "Webメールにログインできない",
        "description": "Webメールのログイン画面でパスワードを入れても先に進みません。",
        "urgency": 3,
    }
    original = int(services.create_ticket(actor=aoba, kind=Kind.INCIDENT, data=data).pk)
    t += dt.timedelta(minutes=3)
    yield t, aoba, WEB, ""
    copy = int(services.create_ticket(actor=aoba, kind=Kind.INCIDENT, data=data).pk)
    t += dt.timedelta(minutes=20)
    yield t, agent, WEB, ""
    services.update_ticket(
        original,
        actor=agent,
        changes={
            "service": desk.services["mail"].pk,
            "category": desk.categories["メール"].pk,
            "team": desk.teams[DESK].pk,
            "impact": 4,
        },
        version=None,
        impact_reason=ONE_USER,
    )
    desk.take(original, agent)
    services.link_tickets(actor=agent, from_ticket=copy, to_ticket=original, kind="duplicates")
    desk.take(
        copy,
        agent,
        "cancel",
        comment=f"同じ内容のお問い合わせ（{desk.load(original).number}）で対応いたします。こちらは取り消します。",
    )
    t += dt.timedelta(minutes=25)
    yield t, agent, WEB, ""
    _resolve(
        desk,
        original,
        agent,
        "ブラウザに古いパスワードが保存されていました。保存情報を削除してログインを確認しました。",
        "operation",
        desk.person("aoba"),
    )
    yield from after_resolution(desk, original, agent, t, desk.person("aoba"), confirm=True)


def reopened(desk: Desk) -> Story:
    """A ticket its requester reopens because the fault came back."""
    sakura, dev = desk.user("sakura"), desk.user("dev")
    t = desk.at(15, 9, 50)
    yield t, sakura, WEB, ""
    tid = int(
        services.create_ticket(
            actor=sakura,
            kind=Kind.INCIDENT,
            data={
                "title": "会計Aの帳票が印刷できない",
                "description": "会計Aの月次帳票を印刷すると、途中のページから白紙になります。",
                "service": desk.services["accounting-a"].pk,
                "category": desk.categories["業務アプリケーション"].pk,
                "urgency": 3,
            },
        ).pk
    )
    t = desk.later(t, 45)
    yield t, dev, WEB, ""
    desk.take(tid, dev)
    services.update_ticket(tid, actor=dev, changes={}, version=None, cis=desk.ci_ids(["会計A 帳票"]))
    t = desk.later(t, 180)
    yield t, dev, WEB, ""
    _resolve(
        desk,
        tid,
        dev,
        "帳票サーバのプリンタスプールの詰まりを解消し、印刷できることを確認しました。",
        "middleware",
        desk.person("sakura"),
    )
    t = desk.later(t, 9 * 60)
    yield t, sakura, WEB, ""
    desk.act(tid, "reopen", sakura, comment="本日また同じ症状が出ました。20ページ目以降が白紙になります。")
    t = desk.later(t, 120)
    yield t, dev, WEB, ""
    desk.say(
        tid,
        dev,
        "帳票テンプレートの改ページ設定が 20 ページで打ち切られていた。テンプレートを修正して再配布。",
        public=False,
    )
    _resolve(
        desk,
        tid,
        dev,
        "帳票テンプレートの改ページ設定の不具合を修正しました。100ページの帳票で印刷を確認しています。",
        "program",
        desk.person("sakura"),
    )
    yield from after_resolution(desk, tid, dev, t, desk.person("sakura"), confirm=True)


def fresh(desk: Desk) -> list[Story]:
    """What arrived in the last hours (an assigned call, an alert, a P2 being worked on), and a
    design flaw found a month ago."""
    out = []
    recent = desk.end - dt.timedelta(minutes=25)
    for key, minutes, target, channel in (
        ("pc", 50, "assigned", "phone"),
        ("resource", 35, "assigned", "monitoring"),
        ("mail-user", 20, "assigned", "phone"),
    ):
        scenario = next(s for s in SCENARIOS if s.key == key)
        out.append(
            incident(
                desk,
                plan(
                    desk,
                    scenario,
                    created=recent - dt.timedelta(minutes=minutes),
                    target=target,
                    channel=channel,
                ),
            )
        )
    slow = next(s for s in SCENARIOS if s.key == "acc-a-slow")
    index = (
        "仕訳照会のSQLに必要なインデックスが設計時に考慮されていませんでした。インデックスを追加しました（変更管理で夜間に適用）。",
        "design",
    )
    out.append(
        incident(
            desk,
            plan(desk, slow, created=desk.at(30, 10, 0), target="done", channel="portal", resolution=index),
        )
    )
    bank = next(s for s in SCENARIOS if s.key == "acc-b-bank")
    out.append(
        incident(
            desk,
            plan(
                desk,
                bank,
                created=desk.end - dt.timedelta(minutes=100),
                target="in_progress",
                channel="phone",
                urgency=2,
                requester=desk.contacts["木村 拓真"],
            ),
        )
    )
    return out


def english(desk: Desk) -> Story:
    """A visiting researcher who writes in English."""
    agent, ops = desk.user("agent"), desk.user("ops")
    emily = desk.contacts["Emily Carter"]
    t = desk.at(20, 10, 5)
    yield t, agent, WEB, ""
    tid = int(
        services.create_ticket(
            actor=agent,
            kind=Kind.INCIDENT,
            data={
                "title": "Cannot open the shared research mailbox",
                "description": 'Ms Carter wrote: since this morning Outlook says "You don\'t have permission to open this folder" '
                "for the shared mailbox research-lab@aoba.example.jp.",
                "requester": emily.pk,
                "service": desk.services["mail"].pk,
                "category": desk.categories["メール"].pk,
                "channel": Channel.EMAIL,
                "urgency": 3,
                "impact": 4,
                "external_ref": desk.external_ref("mail"),
            },
            template=desk.templates["メール送受信不可"],
            impact_reason=ONE_USER,
        ).pk
    )
    t += dt.timedelta(minutes=30)
    yield t, agent, WEB, ""
    desk.take(tid, agent)
    desk.say(
        tid,
        agent,
        "Dear Ms Carter,\n\nThank you for your message. I am looking into the permissions of the shared mailbox now.\n\nKen Sato, Service Desk",
    )
    t = desk.later(t, 60)
    yield t, agent, WEB, ""
    desk.say(
        tid,
        agent,
        "Mailbox permission was removed by the monthly access review script (group research-lab-rw).",
        public=False,
    )
    desk.act(
        tid,
        "resolve",
        agent,
        resolution="Access to the shared mailbox was restored (group research-lab-rw). The access review list was corrected.",
        cause_class="operation",
        comment="Dear Ms Carter,\n\nYour access to research-lab@aoba.example.jp has been restored. Please restart Outlook. "
        "Let us know if anything is still missing.\n\nKen Sato, Service Desk",
    )
    t = desk.at(4, 15, 30)
    yield t, agent, WEB, ""
    vpn = int(
        services.create_ticket(
            actor=agent,
            kind=Kind.INCIDENT,
            data={
                "title": "VPN drops every few minutes on hotel Wi-Fi",
                "description": "Ms Carter (conference in Osaka) reports that the VPN disconnects every 3-5 minutes on the hotel Wi-Fi.",
                "requester": emily.pk,
                "channel": Channel.EMAIL,
                "urgency": 3,
                "external_ref": desk.external_ref("mail"),
            },
        ).pk
    )
    t += dt.timedelta(minutes=20)
    yield t, ops, WEB, ""
    desk.take(vpn, ops)
    desk.act(
        vpn,
        "pend_customer",
        ops,
        comment='Dear Ms Carter,\n\nCould you switch the VPN client to "TCP 443" mode (Settings > Connection) and tell us whether '
        "the connection stays up?\n\nIchiro Suzuki, Infrastructure Operations",
    )


# -- the loader ----------------------------------------------------------------------------------


def template_requests(desk: Desk) -> Iterator[Story]:
    """Requests recorded by the desk from a template (no catalogue item)."""
    for template, title, description, resolution in TEMPLATE_REQUESTS:
        yield _template_request(desk, template, title, description, resolution)


def _template_request(desk: Desk, template: str, title: str, description: str, resolution: str) -> Story:
    rng = desk.rng
    org = rng.choice(["sakura", "sakura", "minato", "aoba"] if "会計" not in template else ["sakura"])
    requester = rng.choice(desk.requesters(org))
    t = desk.moment(low=1, high=DAYS)
    creator = desk.user(rng.choice(["agent", "agent", "manager"]))
    yield t, creator, WEB, ""
    tid = int(
        services.create_ticket(
            actor=creator,
            kind=Kind.REQUEST,
            data={
                "title": title,
                "description": description,
                "requester": requester.pk,
                "channel": rng.choice([Channel.PHONE, Channel.EMAIL]),
            },
            template=desk.templates[template],
            impact_reason="利用者個人の申請・問い合わせのため。",
        ).pk
    )
    worker = desk.worker(desk.load(tid))
    t = desk.later(t, rng.randint(10, 90))
    yield t, worker, WEB, ""
    desk.take(tid, worker)
    t = desk.later(t, rng.randint(60, 900))
    yield t, worker, WEB, ""
    _resolve(desk, tid, worker, resolution, "", requester)
    yield from after_resolution(desk, tid, worker, t, requester, confirm=rng.random() < 0.6)
