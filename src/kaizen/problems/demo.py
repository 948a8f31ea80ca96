"""Demo problem management: owners, root causes, workarounds and known errors for the demo problems,
two more problems from trends, and a debt list partly shared with development.

Runs after the desk's tickets. Idempotent: nothing is written when a known error exists, or when
the demo desk (its problems and logins) is missing. Written through the services, as the users
who would write them; the problem recorded weeks ago is written with the demo clock moved back,
so it shows on the debt list as not moving and gets its owner reminded.
"""

# Demo content: Japanese sentences are wider than code lines.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kaizen.accounts.models import Organisation, Person, User
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.portfolio.models import Service
from kaizen.tickets import demo as desk_demo
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

from . import services
from .models import KnownError

WEB = context.Channel.WEB


def _problem(title: str) -> Ticket | None:
    return Ticket.objects.filter(kind=Kind.PROBLEM, title=title).order_by("pk").first()


def _cis(*names: str) -> list[ConfigurationItem]:
    return list(ConfigurationItem.objects.filter(name__in=names))


def _services(*codes: str) -> list[Service]:
    return list(Service.objects.filter(code__in=codes))


@registry.register("problems", order=65)
def load(*, password: str) -> None:
    """Give the demo problems their details and known errors (skipped when known errors exist)."""
    if KnownError.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["dev", "ops", "manager"])}
    if len(users) < 3 or _problem("会計B 仕訳入力時のエラー E-2041（摘要欄の文字種）") is None:
        return
    people = {p.user_id: p for p in Person.objects.filter(user__in=users.values())}
    if len(people) < 3:
        return
    dev, ops, manager = (people[users[name].pk] for name in ("dev", "ops", "manager"))
    _accounting_b(users["dev"], dev)
    _accounting_a(users["dev"], dev)
    _vpn_gateway(users["ops"], ops)
    _backup(users["ops"])
    _mail_relay(users["ops"], ops)
    _vpn_certificates(users["manager"], manager)


def _details(actor: User, ticket: Ticket, **changes: Any) -> None:
    with context.acting(user=actor, channel=WEB):
        services.update_details(ticket.pk, actor=actor, changes=changes, version=None)


def _known_error(
    actor: User,
    ticket: Ticket | None,
    *,
    publish: bool,
    services_: tuple[str, ...] = (),
    cis: tuple[str, ...] = (),
    **data: Any,
) -> KnownError:
    with context.acting(user=actor, channel=WEB):
        organisation = (
            ticket.organisation if ticket is not None else Organisation.objects.get(code="kaizen-it")
        )
        known_error = services.create_known_error(
            actor=actor,
            data={"organisation": organisation, "problem": ticket, **data},
            services=_services(*services_),
            cis=_cis(*cis),
        )
        if publish:
            known_error = services.publish_known_error(
                known_error.pk, actor=actor, version=known_error.version
            )
    return known_error


def _accounting_b(dev: User, owner: Person) -> None:
    ticket = _problem("会計B 仕訳入力時のエラー E-2041（摘要欄の文字種）")
    if ticket is None:
        return
    root_cause = "摘要欄の入力チェックが Shift_JIS 前提のままで、半角カナ・機種依存文字（①、㈱ など）を不正文字として弾いている（会計B 4.2.1 の不具合）。"
    workaround = (
        "摘要欄・取引先名の半角カナと機種依存文字を全角に置き換えて登録する（FAQ「E-2041 が表示されたら」）。"
    )
    _details(
        dev,
        ticket,
        owner=owner,
        root_cause=root_cause,
        workaround=workaround,
        shared_with_development=True,
        development_ref="ACCB-2041",
        rank=1,
    )
    _known_error(
        dev,
        ticket,
        publish=True,
        services_=("accounting-b",),
        cis=("会計B 業務AP",),
        title="会計B 仕訳登録で E-2041（摘要欄の半角カナ・機種依存文字）",
        symptoms="仕訳入力・取引先登録で「E-2041 入力内容に使用できない文字が含まれています」と表示され、登録できない。",
        root_cause=root_cause,
        workaround=workaround,
        keywords="E-2041, 摘要欄, 半角カナ, 機種依存文字, 仕訳",
    )


def _accounting_a(dev: User, owner: Person) -> None:
    ticket = _problem("月末の会計A 性能劣化")
    if ticket is None:
        return
    root_cause = "月次締めバッチ（会計A バッチ）が仕訳テーブルに長時間の排他ロックを取り、オンラインの照会・登録が待たされている。バッチは締め日の 9:00 に起動する設定のまま。"
    workaround = (
        "締め日は 9:00〜12:00 の大量照会・帳票出力を避ける。急ぎの登録はバッチ終了（目安 11:30）後に行う。"
    )
    _details(
        dev,
        ticket,
        owner=owner,
        root_cause=root_cause,
        workaround=workaround,
        shared_with_development=True,
        development_ref="ACCA-318",
        rank=2,
    )
    _known_error(
        dev,
        ticket,
        publish=False,
        services_=("accounting-a",),
        cis=("会計A バッチ", "accounting-a データベース"),
        title="月末締め日の午前中に会計A が遅い（締めバッチの排他ロック）",
        symptoms="月末の締め日の午前中、会計A の画面応答が数十秒かかる、または「タイムアウト」と表示される。",
        root_cause=root_cause,
        workaround=workaround,
        keywords="月末, 締め, 遅い, タイムアウト, 性能",
    )


def _vpn_gateway(ops: User, owner: Person) -> None:
    ticket = _problem("VPNゲートウェイのセッション断の多発")
    if ticket is None:
        return
    root_cause = "ファームウェア 7.2.4 で DPD（Dead Peer Detection）のキープアライブ間隔の既定値が 30 秒から 10 秒に変わり、回線の遅延が大きい時間帯にセッションが切断される。"
    workaround = "切断が続く利用者は VPN クライアントを再接続する。ゲートウェイ側で該当セッションをリセットすると早く復旧する。"
    _details(ops, ticket, owner=owner, root_cause=root_cause, workaround=workaround, rank=3)
    _known_error(
        ops,
        ticket,
        publish=False,  # the vendor has not confirmed it yet: the problem stays under investigation
        services_=("vpn",),
        cis=("VPN ゲートウェイ管理",),
        title="VPN が数分おきに切断される（ファームウェア 7.2.4 の DPD 設定）",
        symptoms="在宅勤務中の VPN 接続が数分おきに切れる。同じ時間帯に複数の利用者で発生する。",
        root_cause=root_cause,
        workaround=workaround,
        keywords="VPN, 切断, DPD, 7.2.4",
    )


def _backup(ops: User) -> None:
    ticket = _problem("バックアップ転送タイムアウトの頻発")
    if ticket is None:
        return
    known_error = _known_error(
        ops,
        ticket,
        publish=True,
        services_=("backup",),
        cis=("クラウドストレージ連携",),
        title="夜間バックアップのクラウド転送がタイムアウトする",
        symptoms="夜間バックアップのジョブが「転送タイムアウト」で失敗し、再実行が必要になる。",
        root_cause="転送の多重度 8 で回線帯域を使い切り、クラウドストレージ側の応答が 120 秒を超えていた。",
        workaround="失敗したジョブを翌朝に手動で再実行する。",
        keywords="バックアップ, タイムアウト, 転送",
    )
    with context.acting(user=ops, channel=WEB):
        services.retire_known_error(
            known_error.pk,
            actor=ops,
            version=known_error.version,
            reason="多重度とタイムアウトの変更で解消。",
        )


def _mail_relay(ops: User, owner: Person) -> None:
    with (
        desk_demo.frozen_clock(timezone.now() - dt.timedelta(days=24)),
        context.acting(user=ops, channel=WEB),
    ):
        ticket = services.create_problem(
            actor=ops,
            data={
                "title": "メール中継サーバのメモリリーク（約10日で再起動が必要）",
                "description": "メール中継サーバの配送プロセスのメモリ使用量が単調に増え、約10日でスワップが始まり配送が遅延する。"
                "ここ3か月、遅延のインシデントが月に2〜3件続いている（傾向分析より）。",
                "organisation": Organisation.objects.get(code="kaizen-it"),
                "service": Service.objects.filter(code="mail").first(),
                "owner": owner,
                "root_cause": "調査中。配送プロセスの TLS セッションキャッシュが解放されていない疑い（openssl 3.0.11 との組み合わせ）。",
                "workaround": "毎週日曜 3:00 に配送プロセスを再起動する（運用手順書 MAIL-07）。遅延が出たら手動で再起動する。",
                "rank": 4,
            },
            cis=_cis("メールサーバ (MTA)"),
        )
        _known_error(
            ops,
            ticket,
            publish=True,
            services_=("mail",),
            cis=("メールサーバ (MTA)",),
            title="メール配送が遅れる（中継サーバのメモリ不足）",
            symptoms="社外宛てメールの送信に数十分かかる。メール中継サーバのメモリ使用率が 90% を超えている。",
            root_cause="配送プロセスのメモリリーク（調査中）。",
            workaround="配送プロセスを再起動する（運用手順書 MAIL-07、約1分の配送停止）。",
            keywords="メール, 遅延, 送信, メモリ",
        )


def _vpn_certificates(manager: User, owner: Person) -> None:
    with (
        desk_demo.frozen_clock(timezone.now() - dt.timedelta(days=5)),
        context.acting(user=manager, channel=WEB),
    ):
        ticket = services.create_problem(
            actor=manager,
            data={
                "title": "VPNクライアント証明書の期限切れによる接続不可",
                "description": "年度替わりに VPN クライアント証明書の期限切れで接続できない申告が集中した。証明書の期限を誰も監視していない。",
                "organisation": Organisation.objects.get(code="kaizen-it"),
                "service": Service.objects.filter(code="vpn").first(),
                "owner": owner,
                "root_cause": "クライアント証明書の有効期限（1年）を管理する仕組みがなく、期限前の更新案内も出していない。",
                "workaround": "サービスカタログの「VPNアカウント発行」で証明書を再発行する（当日中に発行）。",
                "shared_with_development": True,
                "development_ref": "INFRA-112 証明書期限の監視と自動通知",
            },
        )
        _known_error(
            manager,
            ticket,
            publish=True,
            services_=("vpn",),
            title="VPN に接続できない（クライアント証明書の期限切れ）",
            symptoms="VPN クライアントで「証明書の有効期限が切れています」または認証エラーが表示され、接続できない。",
            root_cause="クライアント証明書の有効期限切れ。",
            workaround="サービスカタログの「VPNアカウント発行」から証明書の再発行を依頼する。",
            keywords="VPN, 証明書, 期限切れ, 認証エラー",
        )
