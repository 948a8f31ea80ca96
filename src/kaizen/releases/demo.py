"""Demo release management: the operations team's acceptance checklist and two releases of the
accounting systems, with their plans in Japanese and a partly checked acceptance list.

Runs after the desk, problems and change enablement. Idempotent: nothing is written when a
release exists, or when the demo organisation, services or logins are missing. The changes the
releases bundle are the demo's change tickets of those services; when there are none, two are
raised through change enablement (and left out if that fails, so the releases still load).
"""

# Demo content: Japanese sentences are wider than code lines.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from kaizen.accounts.models import Organisation, Person, User
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.portfolio.models import Service
from kaizen.tickets.choices import Kind
from kaizen.tickets.models import Ticket

from . import services
from .choices import ItemCategory, ItemKind
from .models import AcceptanceItem, Checklist, Release

log = logging.getLogger("kaizen.demo")
WEB = context.Channel.WEB
TOKYO = ZoneInfo("Asia/Tokyo")

# (title, description, change fields) of the changes raised when the demo has none for a service.
CHANGES: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "accounting-a": [
        (
            "会計A インボイス対応帳票の改修",
            "適格請求書（インボイス）の記載事項に合わせて請求書・支払通知書の帳票レイアウトを改修する。",
            {
                "reason": "2027年1月の取引先からの要望（登録番号・税率ごとの消費税額の明記）に対応するため。",
                "implementation_plan": "1. 帳票定義の入れ替え 2. 会計A 帳票サーバ再起動 3. テスト帳票の出力確認",
                "backout_plan": "旧帳票定義（v3.8）に戻して帳票サーバを再起動する。",
                "test_plan": "本番相当データで請求書・支払通知書を出力し、業務部門が確認する。",
                "communication_plan": "1週間前にさくら商事 経理部へメールで周知。当日は作業開始・終了をサービスデスクから連絡。",
            },
        ),
        (
            "会計A 月次締めバッチの起動時刻変更",
            "月次締めバッチの起動を 9:00 から前日 22:00 に変更し、締め日の午前のオンライン性能劣化を解消する。",
            {
                "reason": "締め日の 9:00〜12:00 に照会・登録が待たされる問題（問題管理）の恒久対策。",
                "implementation_plan": "ジョブスケジューラの起動条件を変更し、依存ジョブの順序を確認する。",
                "backout_plan": "ジョブスケジューラの定義を変更前のエクスポートから戻す。",
                "test_plan": "検証環境で締め処理を前日夜間に実行し、終了時刻と結果を確認する。",
                "communication_plan": "経理部へ締め日の運用変更を周知する。",
            },
        ),
    ],
    "accounting-b": [
        (
            "会計B 4.2.2 パッチ適用（E-2041 修正）",
            "摘要欄の入力チェックの不具合（E-2041）を修正するベンダーパッチ 4.2.2 を適用する。",
            {
                "reason": "半角カナ・機種依存文字で仕訳登録できない既知のエラー E-2041 の恒久対策。",
                "implementation_plan": "1. 会計B 業務AP 停止 2. パッチ 4.2.2 適用 3. 起動・動作確認",
                "backout_plan": "適用前のスナップショットから業務AP サーバを戻す。",
                "test_plan": "半角カナ・①・㈱ を含む仕訳を登録できることを確認する。",
                "communication_plan": "前営業日までに利用部門へ停止時間をメールで告知する。",
            },
        ),
    ],
}


def _at(year: int, month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=TOKYO)


def _changes(actor: User, org: Organisation, service: Service, start: dt.datetime) -> list[Ticket]:
    """Return the service's change tickets, raising the demo's own when there are none."""
    found = list(
        Ticket.objects.filter(kind=Kind.CHANGE, organisation=org, service=service).order_by("pk")[:3]
    )
    if found:
        return found
    from kaizen.changes import services as changes

    made = []
    for n, (title, description, plans) in enumerate(CHANGES.get(service.code, [])):
        begin = start - dt.timedelta(hours=2) + dt.timedelta(minutes=30 * n)
        try:
            with transaction.atomic():
                made.append(
                    changes.raise_change(
                        actor=actor,
                        data={
                            "title": title,
                            "description": description,
                            "organisation": org,
                            "service": service,
                        },
                        change={
                            "change_type": "normal",
                            **plans,
                            "planned_start": begin,
                            "planned_end": begin + dt.timedelta(hours=2),
                        },
                    )
                )
        except (ValidationError, PermissionDenied, ObjectDoesNotExist, LookupError, ValueError) as exc:
            log.warning("demo releases: change %r not raised: %s", title, exc)
    return made


@registry.register("releases", order=70)
def load(*, password: str) -> None:
    """Create the operations checklist and the demo releases (skipped when a release exists)."""
    if Release.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["manager", "dev", "ops", "change"])}
    org = Organisation.objects.filter(code="kaizen-it").first()
    accounting = {s.code: s for s in Service.objects.filter(code__in=["accounting-a", "accounting-b"])}
    if len(users) < 4 or org is None or len(accounting) < 2:
        return
    people = {
        p.user.username: p
        for p in Person.objects.filter(user__in=users.values()).select_related("user")
        if p.user is not None
    }
    if len(people) < 4:
        return
    with context.acting(user=users["manager"], channel=WEB):
        _checklist(users["manager"], org)
    with context.acting(user=users["dev"], channel=WEB):
        january = _january(users, people, org, accounting["accounting-a"])
    with context.acting(user=users["ops"], channel=WEB):
        _check_operations(
            users["ops"], january, done=("contacts", "emergency_contacts", "runbooks", "must_never_do")
        )
    with context.acting(user=users["dev"], channel=WEB):
        patch = _patch(users, people, org, accounting["accounting-b"])
    with context.acting(user=users["ops"], channel=WEB):
        _check_operations(
            users["ops"],
            patch,
            done=("contacts", "emergency_contacts", "monitoring", "runbooks", "must_never_do", "other"),
        )
    with context.acting(user=users["change"], channel=WEB):
        try:
            services.approve(
                patch.pk, actor=users["change"], version=Release.objects.get(pk=patch.pk).version
            )
        except ValidationError as exc:
            log.warning("demo releases: %s not approved: %s", patch.number, exc)


def _checklist(manager: User, org: Organisation) -> Checklist:
    found = Checklist.objects.filter(organisation=org).first()
    if found is not None:
        return found
    checklist = services.create_checklist(
        actor=manager,
        data={
            "organisation": org,
            "name": "運用受入チェックリスト（基盤運用）",
            "name_en": "Operations acceptance checklist (infrastructure operations)",
            "description": "開発から運用への引継ぎで必ず押さえる項目。社内標準に頼りすぎず、痛い目にあった項目を足し、不要になった項目は削る。",
        },
    )
    services.create_checklist_item(
        actor=manager,
        data={
            "checklist": checklist,
            "category": ItemCategory.OTHER,
            "text": "ジョブスケジューラへの登録と、業務カレンダー（月末・祝日）での実行確認",
            "guidance": "ジョブ定義のエクスポートと、検証環境での実行結果。",
            "mandatory": True,
        },
    )
    return checklist


def _january(
    users: dict[str, User], people: dict[str, Person], org: Organisation, service: Service
) -> Release:
    start = _at(2027, 1, 12, 20)
    changes = _changes(users["dev"], org, service, start)
    release = services.create_release(
        actor=users["dev"],
        data={
            "organisation": org,
            "title": "会計システム 2027年1月リリース",
            "description": "インボイス対応帳票の改修と、月次締めバッチの起動時刻変更をまとめてリリースする。",
            "service": service,
            "owner": people["change"],
            "planned_at": start,
            "cis_to_check": "・会計A 帳票サーバ：帳票定義の追加でディスク使用量が約 2GB 増える。現行の空き容量で足りることを確認する。\n・運用マニュアル：締めバッチの起動時刻を改訂する。\n・ユーザマニュアル：帳票の記載項目の説明を追加する。",
            "staffing": "リリース当日は基盤運用 2 名・アプリ保守 2 名。稼働後 1 週間（最初の月次締めまで）はアプリ保守が日中待機し、初期トラブルに備える。",
            "training": "経理部向けに新帳票の説明会（30分、オンライン）を 1月8日に実施する。",
            "handover": "開発（アプリ保守）から基盤運用へ：変更後のジョブ定義、帳票サーバの監視項目、「やってはいけないこと」リストを 1月7日の引継ぎ会で説明する。",
            "communication": "1週間前：さくら商事 経理部へメールで変更点を周知。当日：作業開始・終了をサービスデスクから連絡。翌営業日：FAQ を更新。",
            "downtime_notice": "1月12日（火）20:00〜22:00 会計A を停止（帳票出力・仕訳登録とも不可）。ポータルのお知らせと利用部門へのメールで告知する。",
        },
        watchers=[people["ops"], people["manager"]],
        change_tickets=changes,
    )
    criteria = [
        ("ユーザ受入テストで期待効果「月次締め作業の負担が50%以上軽減」が確認できる", True, ""),
        (
            "設計書、各テスト結果報告書が完成しており、レビューが完了している",
            True,
            "設計書 v1.3、結合・総合テスト結果報告書。12月18日のレビューで承認（議事録 DOC-2211）。",
        ),
        ("各テスト（単体・結合・総合・性能）に合格している", True, ""),
        ("帳票レイアウトの変更点を経理部が確認済み", False, "経理部 山田様に確認済み（12月20日 メール）。"),
    ]
    _criteria(users["dev"], release, criteria)
    return release


def _patch(users: dict[str, User], people: dict[str, Person], org: Organisation, service: Service) -> Release:
    now = timezone.localtime(timezone.now(), TOKYO)
    start = (now + dt.timedelta(days=14)).replace(hour=20, minute=0, second=0, microsecond=0)
    changes = _changes(users["dev"], org, service, start)
    release = services.create_release(
        actor=users["dev"],
        data={
            "organisation": org,
            "title": "会計B 4.2.2 パッチリリース",
            "description": "既知のエラー E-2041（摘要欄の半角カナ・機種依存文字）を修正するベンダーパッチの適用。",
            "service": service,
            "owner": people["dev"],
            "planned_at": start,
            "cis_to_check": "会計B 業務AP・連携AP。パッチ適用による OS・ミドルウェアの変更はない（ベンダー確認済み）。",
            "staffing": "当日は基盤運用 1 名・アプリ保守 1 名。ベンダーはリモート保守で待機。",
            "training": "不要（画面・操作の変更なし）。",
            "handover": "パッチの適用手順書と切り戻し手順をアプリ保守から基盤運用へ引き継ぐ。",
            "communication": "FAQ「E-2041 が表示されたら」を、適用後に「解消済み」へ更新する。",
            "downtime_notice": "適用当日 20:00〜21:00 会計B を停止。前営業日までに利用部門へメールで告知する。",
        },
        watchers=[people["ops"]],
        change_tickets=changes,
    )
    _criteria(
        users["dev"],
        release,
        [
            (
                "検証環境で、半角カナ・機種依存文字を含む仕訳を登録できる",
                True,
                "検証環境で 42 パターンを登録し、すべて成功（テスト結果 TR-4221）。",
            ),
            (
                "既存の仕訳入力・照会に影響がない（回帰テスト合格）",
                True,
                "回帰テスト 318 件合格（TR-4222）。",
            ),
        ],
    )
    return release


def _criteria(actor: User, release: Release, rows: list[tuple[str, bool, str]]) -> None:
    for text, mandatory, evidence in rows:
        data: dict[str, Any] = {"kind": ItemKind.SERVICE, "text": text, "mandatory": mandatory}
        if evidence:
            data.update(checked=True, evidence=evidence)
        services.add_item(release.pk, actor=actor, data=data)


EVIDENCE = {
    "contacts": "連絡先一覧（共有フォルダ「運用/会計/連絡先.xlsx」）を 12月更新版に差し替え済み。",
    "emergency_contacts": "夜間・休日の連絡先：アプリ保守 中村（携帯）、ベンダー保守窓口。12月21日に連絡テスト済み。",
    "monitoring": "監視項目（プロセス・ディスク・エラーログ）を追加し、テスト発報で通知を確認。",
    "runbooks": "運用手順書 v2.4（起動・停止・締めバッチ再実行）をレビュー済み。",
    "backups": "適用前のスナップショット取得と、検証環境へのリストア確認済み。",
    "must_never_do": "・月次締めバッチ実行中に業務AP を再起動しない\n・仕訳テーブルへ直接 UPDATE しない\n・帳票サーバの一時ファイルを手動で削除しない",
    "other": "該当なし：運用作業の増減なし（アプリ保守と確認済み）。",
}


def _check_operations(actor: User, release: Release, *, done: tuple[str, ...]) -> None:
    items = AcceptanceItem.objects.filter(release=release, kind=ItemKind.OPERATIONS, category__in=done)
    for item in items.order_by("order", "id"):
        if item.checked or (item.category == ItemCategory.OTHER and not item.mandatory):
            continue
        evidence = EVIDENCE.get(item.category, "確認済み。")
        if "ジョブ" in item.text:
            evidence = "ジョブ定義の変更なし（パッチ適用のみ）。業務カレンダーでの実行を検証環境で確認済み。"
        services.check_item(item.pk, actor=actor, evidence=evidence, version=item.version)
