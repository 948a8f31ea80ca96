"""Demo data of the service desk: templates, business rules, automatic assignment and about 300
tickets with two months of history (incidents, service requests, problems).

Every ticket is written through the services by the people who would do it: requesters open
their own tickets in the portal, agents record calls and mails, work and resolve them, managers
record the improvement decisions and close P1/P2 incidents, approvers decide. Each ticket's
story is a generator that yields when and as whom its next step happens; :func:`run` plays all
stories interleaved in time order with the clock moved back (:func:`frozen_clock`), so numbers,
ages, audit rows and the automatic steps (rules, assignment, closure) look like a real desk.

Other domains add their stories through :func:`stories` (the request catalogue adds its requests;
the ticket core does not know the catalogue). Idempotent: nothing is created when a ticket with an
external reference starting with ``demo:`` exists. Deterministic: one seeded random generator
decides everything; times are relative to the moment of loading.
"""

# Demo content: Japanese sentences are wider than code lines.
# ruff: noqa: E501

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
import zoneinfo
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from kaizen.accounts import services as accounts
from kaizen.accounts.models import Organisation, Person, Team, User
from kaizen.cmdb.models import ConfigurationItem
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.core.services import update_record
from kaizen.portfolio.models import Service

from . import automation, policies, services
from .choices import (
    AssignmentMode,
    Channel,
    CriterionType,
    Kind,
    ReviewOutcome,
    ReviewStatus,
    RuleTrigger,
    Visibility,
)
from .models import BusinessRule, Category, ReviewCriterion, TeamAssignment, Ticket, TicketTemplate

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
DAYS = 60
SEED = 20260401
MARKER = "demo:"
DESK, INFRA, APPS = "サービスデスク", "基盤運用", "アプリ保守"
TEAM_WORKER = {DESK: "agent", INFRA: "ops", APPS: "dev"}
HOME_TEAM = {"agent": DESK, "manager": DESK, "ops": INFRA, "dev": APPS, "admin": DESK}
LOGINS = [
    "admin",
    "manager",
    "agent",
    "ops",
    "dev",
    "change",
    "cab",
    "auditor",
    "sakura",
    "minato",
    "aoba",
    "supplier",
]
WEB, JOB, MONITORING = context.Channel.WEB, context.Channel.JOB, context.Channel.MONITORING
MONITOR_LABEL = "Zabbix 監視連携"
CUSTOMERS = ("sakura", "minato", "aoba")
EVERYONE = (*CUSTOMERS, "kaizen-it")

Wake = tuple[dt.datetime, Any, str, str]
"""When a story's next step happens, as whom, through which channel and with which audit label."""
Story = Generator[Wake, None, Any]


# -- the clock and the scheduler ---------------------------------------------------------------


@contextlib.contextmanager
def frozen_clock(moment: dt.datetime) -> Iterator[None]:
    """Make ``django.utils.timezone.now()`` return ``moment`` inside the block.

    For demo data only: the demo loaders write each step of a ticket's story through the ordinary
    services with the clock moved back, so that services, audit rows, outbox rows and ``auto_now``
    fields (which all call ``timezone.now()``) carry the moment of that step. It replaces the
    module attribute for the whole process and is not thread-safe: never use it outside a demo
    loader.
    """
    original = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = original


def epoch() -> dt.datetime:
    """Return when the demo desk was configured: shortly before its oldest ticket."""
    return timezone.now() - dt.timedelta(days=DAYS + 2)


def run(stories: Iterable[Story], *, end: dt.datetime) -> int:
    """Play ``stories`` interleaved in time order; a step due after ``end`` ends its story.

    Returns the number of steps played. Stories move forward in time: a step at the same moment
    as the previous one is moved 30 seconds on, a step before it is a mistake in the story.
    """
    heap: list[tuple[dt.datetime, int, int, Wake, Story]] = []
    for index, story in enumerate(stories):
        wake = next(story, None)
        if wake is not None:
            heapq.heappush(heap, (wake[0], index, 0, wake, story))
    played = 0
    while heap:
        when, index, step, (_, user, channel, label), story = heapq.heappop(heap)
        if when > end:
            story.close()
            continue
        with frozen_clock(when), context.acting(user=user, channel=channel, label=label):
            wake = next(story, None)
        played += 1
        if wake is None:
            continue
        if wake[0] < when:
            raise ValueError(f"a demo story went back in time from {when} to {wake[0]}")
        if wake[0] == when:
            wake = (when + dt.timedelta(seconds=30), *wake[1:])
        heapq.heappush(heap, (wake[0], index, step + 1, wake, story))
    return played


def _window(moment: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return the part of the business day (9:00-18:00 JST) at or after ``moment``."""
    local = moment.astimezone(JST)
    day = local.date()
    while True:
        if policies.is_business_day(day):
            start = dt.datetime.combine(day, dt.time(9), JST)
            end = dt.datetime.combine(day, dt.time(18), JST)
            if local < end:
                return max(start, local), end
        day += dt.timedelta(days=1)


def business_after(moment: dt.datetime, minutes: float) -> dt.datetime:
    """Return ``moment`` moved on by ``minutes`` of business time (weekdays 9:00-18:00 JST)."""
    left, current = float(minutes), moment
    while True:
        start, end = _window(current)
        available = (end - start).total_seconds() / 60
        if left <= available:
            return (start + dt.timedelta(minutes=left)).astimezone(dt.UTC)
        left -= available
        current = end


StorySource = Callable[["Desk"], Iterable[Story]]
_sources: list[StorySource] = []


def stories(fn: StorySource) -> StorySource:
    """Register ``fn(desk)`` returning more stories for the desk's demo (other domains plug in)."""
    if fn not in _sources:
        _sources.append(fn)
    return fn


# -- content -----------------------------------------------------------------------------------

Case = tuple[str, str, tuple[tuple[str, str], ...]]
"""(title, description, ((resolution, cause class), ...))."""


@dataclass(frozen=True)
class Scenario:
    """A kind of incident the desk sees again and again, with its texts."""

    key: str
    weight: float
    service: str | None
    category: str
    cases: tuple[Case, ...]
    cis: tuple[str, ...] = ()
    impact: int | None = None
    impact_reason: str = ""
    urgency: tuple[int, ...] = (3,)
    template: str = ""
    orgs: tuple[str, ...] = CUSTOMERS
    channels: tuple[str, ...] = ("portal", "portal", "phone", "email")
    team: str = ""
    questions: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    supplier: tuple[str, ...] = ()
    change: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


ONE_USER = "申告者1名のみの影響。他の利用者からの申告なし。"
HUMAN_CAUSES = frozenset({"operation", "configuration", "design", "planning"})
"""Causes the shipped improvement criterion sends to the review: chosen less often."""


def licences(product: str, first: int) -> tuple[str, ...]:
    """Return the names of the demo CMDB's licence CIs of ``product`` (every fifth from ``first``)."""
    return tuple(f"{product} (ライセンス {n:02d})" for n in range(first, 61, 5))


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "password",
        4,
        "identity",
        "アカウント・権限",
        (
            (
                "パスワードを忘れてログインできない",
                "連休明けにPCへログインしようとしたところ、パスワードを忘れてしまいました。再設定をお願いします。",
                (
                    (
                        "本人確認（社員番号・内線番号）のうえパスワードを再設定し、初回ログイン時の変更を案内しました。",
                        "operation",
                    ),
                ),
            ),
            (
                "パスワードの有効期限が切れてログインできない",
                "「パスワードの有効期限が切れています」と表示され、変更画面でもエラーになります。",
                (
                    (
                        "管理画面から仮パスワードを発行し、変更手順を案内しました。ログインできることを確認済みです。",
                        "unknown",
                    ),
                    (
                        "期限切れ通知メールが迷惑メールフォルダに振り分けられていました。仮パスワードを発行し、通知元アドレスを許可リストに追加しました。",
                        "configuration",
                    ),
                ),
            ),
            (
                "異動後の新しいアカウントでログインできない",
                "今月から部署が変わり、新しいアカウントが発行されたと聞きましたが、通知された初期パスワードでログインできません。",
                (
                    (
                        "アカウント発行時に有効化の設定が漏れていました。有効化してログインを確認しました。",
                        "operation",
                    ),
                ),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(3, 3, 2),
        template="パスワード再設定",
        orgs=EVERYONE,
        channels=("phone", "phone", "email"),
        team=DESK,
    ),
    Scenario(
        "lockout",
        3,
        "identity",
        "アカウント・権限",
        (
            (
                "アカウントがロックされました",
                "朝からログインしようとすると「アカウントがロックされています」と表示されます。",
                (
                    (
                        "ロックを解除しました。スマートフォンのメールアプリに旧パスワードが残っており、認証失敗を繰り返していたため設定を更新していただきました。",
                        "operation",
                    ),
                    (
                        "ロックを解除し、ロックアウトのイベントログを確認しました。原因となった端末は特定できなかったため経過観察とします。",
                        "unknown",
                    ),
                ),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(2, 3),
        template="パスワード再設定",
        orgs=EVERYONE,
        channels=("phone", "email"),
        team=DESK,
    ),
    Scenario(
        "vpn-user",
        13,
        "vpn",
        "ネットワーク",
        (
            (
                "VPNに接続できない",
                "自宅からVPNに接続しようとすると「サーバーに到達できません」と表示されます。昨日までは使えていました。",
                (
                    (
                        "VPNクライアントが古いバージョン (5.1.2) でした。最新版 (5.3.1) に更新していただき、接続を確認しました。",
                        "middleware",
                    ),
                    ("ご自宅のルータの不具合でした。ルータの再起動で解消しました。", "external_party"),
                ),
            ),
            (
                "出張先のホテルからVPNにつながらない",
                "出張先のホテルのWi-FiからVPNに接続できません。スマートフォンのテザリングでは接続できました。",
                (
                    (
                        "ホテルのネットワークがVPNの通信 (UDP 4500) を遮断していました。TCP 443 モードへの切替手順を案内し、接続を確認しました。",
                        "environment",
                    ),
                ),
            ),
            (
                "VPN接続後に社内システムが開けない",
                "VPNには接続できるのですが、接続後に会計Aや社内ポータルの画面が表示されません。",
                (
                    (
                        "クライアント証明書の有効期限切れにより、接続後の認可に失敗していました。証明書を再発行し解消しました。",
                        "planning",
                    ),
                    (
                        "ブラウザのプロキシ設定が手動設定になっていました。自動設定に戻して解消しました。",
                        "operation",
                    ),
                    (
                        "社内DNSへの問い合わせがVPN経由になっていませんでした。クライアントの設定を再配布して解消しました。",
                        "middleware",
                    ),
                ),
            ),
            (
                "VPNのパスワード変更後に接続できない",
                "パスワードを変更してから、VPNに接続できなくなりました。",
                (
                    (
                        "VPNクライアントに変更前のパスワードが保存されていました。保存情報を削除し、接続を確認しました。",
                        "operation",
                    ),
                    (
                        "変更したパスワードがVPNの認証サーバに同期されるまで時間がかかっていました。同期の完了後に接続できることを確認しました。",
                        "middleware",
                    ),
                ),
            ),
        ),
        impact=4,
        impact_reason="申告者1名のみ。他の利用者は接続できている。",
        urgency=(3, 3, 2),
        template="VPN接続不可",
        questions=(
            (
                "お使いのVPNクライアントのバージョン（ヘルプ→バージョン情報）と、表示されるエラーメッセージを教えていただけますか。",
                "バージョンは 5.1.2 でした。エラーは「サーバーに到達できません (-12)」です。",
            ),
            (
                "接続を試みた時刻と、ご自宅のネットワーク環境（光回線・モバイルルータなど）を教えてください。",
                "昨日の21時頃です。自宅は光回線で、スマートフォンのテザリングでも同じでした。",
            ),
        ),
        notes=(
            "VPNゲートウェイのログを確認。該当ユーザーの認証は成功しているが、トンネル確立前に切断されている。",
            "Gateway log: IKE phase 2 negotiation failed for this user. Client version looks outdated.",
            "同時間帯に他の利用者の接続失敗はなし。個別端末の問題と判断。",
        ),
        team=INFRA,
        tags=("vpn",),
    ),
    Scenario(
        "vpn-infra",
        3,
        "vpn",
        "ネットワーク",
        (
            (
                "[監視] {ci} CPU使用率 90% 超過",
                "Zabbix トリガー: CPU utilization > 90% for 10m ({ci})",
                (
                    (
                        "不要なデバッグログ出力が有効になっていたため無効化しました。CPU使用率は平常値 (30%前後) に戻りました。",
                        "configuration",
                    ),
                    (
                        "月末の在宅勤務の集中による一時的な負荷でした。ライセンス上限内のため経過観察とし、容量計画に反映します。",
                        "planning",
                    ),
                ),
            ),
            (
                "[監視] {ci} 同時接続数が閾値 (80%) を超過",
                "Zabbix トリガー: VPN sessions > 80% of licence ({ci})",
                (
                    (
                        "負荷は30分ほどで自然に収束しました。原因となったセッションは特定できませんでした。",
                        "unknown",
                    ),
                ),
            ),
        ),
        cis=("vpn-ap23", "vpn-ap24", "vpn-ap25", "VPN 冗長ゲートウェイ"),
        urgency=(4,),
        orgs=("kaizen-it",),
        channels=("monitoring",),
        notes=("Session count peaked at 412 around 09:05 JST; no errors in the gateway log.",),
        change=("ライセンス追加（同時接続 500→800）を変更管理に申請済み。適用後に解消とします。",),
        team=INFRA,
    ),
    Scenario(
        "mail-user",
        12,
        "mail",
        "メール",
        (
            (
                "添付ファイル付きのメールが送れない",
                "取引先へ見積書を添付したメールを送ろうとすると、エラーで戻ってきます。",
                (
                    (
                        "送信サイズの上限 (25MB) を超えていました。大容量ファイルはファイル共有サービスで送付いただくよう案内しました。",
                        "operation",
                    ),
                    (
                        "宛先のメールサーバが添付ファイルの形式 (.zip) を受け付けていませんでした。PDFでの送付を案内しました。",
                        "external_party",
                    ),
                ),
            ),
            (
                "Outlookでメールが受信できない",
                "今朝からOutlookで新しいメールが受信できません。Webメールでは見えています。",
                (("Outlookのプロファイルが破損していたため再作成し、送受信を確認しました。", "middleware"),),
            ),
            (
                "特定の取引先からのメールが届かない",
                "いつもやり取りしている取引先から「メールを送ったのに届いていない」と連絡がありました。",
                (
                    (
                        "迷惑メールフィルタの誤判定でした。取引先ドメインを許可リストに登録し、隔離されていたメールを配送しました。",
                        "configuration",
                    ),
                    (
                        "取引先側の送信ドメイン認証 (SPF) の設定不備による受信拒否でした。取引先に修正を依頼し、修正後の受信を確認しました。",
                        "external_party",
                    ),
                ),
            ),
            (
                "スマートフォンでメールが同期されない",
                "会社のスマートフォンでメールが同期されなくなりました。",
                (("OS更新後に同期設定が初期化されていました。再設定して解消しました。", "middleware"),),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(3, 3, 2),
        template="メール送受信不可",
        orgs=EVERYONE,
        questions=(
            (
                "エラーメッセージの画面（スクリーンショット）をお送りいただけますか。",
                "スクリーンショットを添付しました。「メッセージのサイズが上限を超えています」と表示されています。",
            ),
            (
                "届かない取引先のメールアドレス（ドメイン）と、送信された日時を教えてください。",
                "取引先は @example-partner.co.jp で、昨日の15時頃に送ったそうです。",
            ),
        ),
        notes=(
            "メールフィルタのログを確認。該当メールはスパム判定スコア 6.2 で隔離されていた。",
            "MTA log: 552 5.3.4 Message size exceeds fixed limit.",
        ),
        team=DESK,
    ),
    Scenario(
        "mail-quota",
        3,
        "mail",
        "メール",
        (
            (
                "メールボックスの容量が上限に近いと警告が出る",
                "「メールボックスの容量が上限に近づいています」という警告が毎日出ます。",
                (
                    (
                        "古いメールのアーカイブ手順を案内し、容量を確保しました（使用率 97% → 61%）。",
                        "unknown",
                    ),
                ),
            ),
            (
                "共有メールボックスが容量超過で受信できない",
                "部署の共有アドレスあてのメールが「容量超過」で戻ってしまいます。",
                (
                    (
                        "共有メールボックスの容量を 50GB から 100GB に拡張しました。容量監視の閾値も見直しました。",
                        "planning",
                    ),
                    (
                        "共有メールボックスの容量の設計値が部署の利用実態に合っていませんでした。100GB に拡張し、設計標準を見直しました。",
                        "design",
                    ),
                ),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(4, 3),
        orgs=EVERYONE,
        team=DESK,
    ),
    Scenario(
        "phishing",
        2,
        "mail",
        "セキュリティ",
        (
            (
                "不審なメールを受信した（請求書を装った添付ファイル）",
                "見覚えのない会社から「請求書の件」という件名でExcelファイルが添付されたメールが届きました。開いていません。",
                (
                    (
                        "フィッシングメールと判断しました。送信元ドメインをブロックし、同じメールを全メールボックスから削除しました。全社へ注意喚起を送付済みです。",
                        "external_party",
                    ),
                ),
            ),
            (
                "取引先を名乗るメールのリンクを開いてしまった",
                "取引先を名乗るメールのリンクを開き、ログイン画面にIDとパスワードを入力してしまいました。",
                (
                    (
                        "リンク先は認証情報を詐取するサイトでした。パスワードを直ちに変更し、不審なログインがないことを確認しました。",
                        "external_party",
                    ),
                ),
            ),
        ),
        cis=("メールフィルタ",),
        impact=3,
        impact_reason="被害は未確認。全社への注意喚起で対応する。",
        urgency=(2,),
        orgs=EVERYONE,
        channels=("phone", "email"),
        notes=(
            "添付ファイルをサンドボックスで確認。マクロ付きのExcelで、マルウェアと判定。",
            "EDR で端末をフルスキャン。検知なし。",
        ),
        team=DESK,
    ),
    Scenario(
        "pc",
        8,
        None,
        "ハードウェア",
        (
            (
                "PCが起動しない",
                "電源ボタンを押してもメーカーのロゴから先に進みません。",
                (
                    (
                        "Windows Update の適用が途中で止まっていました。回復モードから更新を完了させ、起動を確認しました。",
                        "middleware",
                    ),
                    (
                        "ストレージの故障でした。代替機を貸し出してデータを移行し、故障機はメーカー修理に出しました。",
                        "hardware",
                    ),
                ),
            ),
            (
                "ノートPCの画面が映らない",
                "ノートPCの画面が真っ暗で何も表示されません。外部モニタには映ります。",
                (
                    (
                        "液晶パネルの故障でした。保守業者による部品交換で修理が完了し、動作を確認しました。",
                        "hardware",
                    ),
                ),
            ),
            (
                "キーボードの一部のキーが反応しない",
                "「A」「S」などいくつかのキーが反応しません。",
                (("キーボードの故障。予備のキーボードと交換して解消しました。", "hardware"),),
            ),
            (
                "ノートPCのバッテリーが充電されない",
                "ACアダプタをつないでも充電ランプが点灯しません。",
                (("ACアダプタの故障でした。予備品と交換して解消しました。", "hardware"),),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(3, 2),
        template="PC故障",
        orgs=EVERYONE,
        supplier=(
            "メーカー修理に出しました。修理完了まで約1週間の見込みです。代替機をお使いください。",
            "保守業者へ交換部品を手配しました。入荷は2営業日後の予定です。",
        ),
        team=DESK,
    ),
    Scenario(
        "printer",
        4,
        None,
        "ハードウェア",
        (
            (
                "複合機で印刷できない",
                "3階の複合機に印刷しても出てきません。他の人は印刷できているようです。",
                (("プリンタドライバを再インストールし、印刷を確認しました。", "middleware"),),
            ),
            (
                "スキャンしたPDFがメールで届かない",
                "複合機でスキャンしてメール送信しても届きません。",
                (
                    (
                        "複合機のスキャン送信設定が移行前の旧メールサーバのままでした。設定を修正しました。",
                        "configuration",
                    ),
                    ("複合機のメール送信機能の一時的な不具合でした。再起動で解消しました。", "hardware"),
                ),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(3, 4),
        orgs=EVERYONE,
        team=DESK,
    ),
    Scenario(
        "wifi",
        4,
        None,
        "ネットワーク",
        (
            (
                "会議室の無線LANにつながらない",
                "{ci} 付近の会議室で無線LANにつながりません。",
                (
                    (
                        "無線アクセスポイントのファームウェア不具合でした。最新版に更新し、接続を確認しました。",
                        "middleware",
                    ),
                    ("近くの機器との電波干渉でした。チャネルを変更して解消しました。", "environment"),
                    (
                        "会議室がアクセスポイントの設計上のカバー範囲外でした。アクセスポイントの増設を手配しました。",
                        "design",
                    ),
                ),
            ),
            (
                "無線LANが頻繁に切れる",
                "{ci} の近くの席で、無線LANが数分おきに切れます。",
                (("アクセスポイントの故障。予備機と交換しました。", "hardware"),),
            ),
        ),
        cis=tuple(f"無線アクセスポイント {i:02d}" for i in range(1, 31)),
        urgency=(3, 4),
        orgs=("kaizen-it",),
        channels=("phone", "email"),
        team=INFRA,
    ),
    Scenario(
        "acc-a-login",
        5,
        "accounting-a",
        "業務アプリケーション",
        (
            (
                "会計Aにログインできない",
                "会計Aのログイン画面でIDとパスワードを入力すると「認証に失敗しました」と表示されます。",
                (
                    (
                        "会計Aの利用者権限の有効期限が切れていました。権限を延長し、ログインを確認しました。",
                        "planning",
                    ),
                    (
                        "会計Aの認証サーバの一時的な応答遅延でした。再ログインで解消し、以後は発生していません。",
                        "middleware",
                    ),
                ),
            ),
            (
                "会計Aで「権限がありません」と表示される",
                "先月から経理部に異動しました。会計Aで仕訳入力の画面を開くと「権限がありません」と表示されます。",
                (
                    (
                        "人事異動に伴う権限変更の反映が漏れていました。新部署のロールを付与しました。",
                        "operation",
                    ),
                    ("ブラウザのキャッシュが原因でした。キャッシュを削除して解消しました。", "unknown"),
                ),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(3, 2),
        orgs=("sakura",),
        team=APPS,
    ),
    Scenario(
        "acc-a-slow",
        4,
        "accounting-a",
        "業務アプリケーション",
        (
            (
                "会計Aの画面表示が遅い",
                "仕訳照会の画面を開くのに30秒以上かかります。経理部の全員が同じ状況です。",
                (
                    ("統計情報の再取得で応答時間が改善しました（平均 8秒 → 1.2秒）。", "middleware"),
                    ("仕訳照会のSQLにインデックスを追加しました（変更管理で夜間に適用）。", "design"),
                ),
            ),
            (
                "月末締め処理中に会計Aがタイムアウトする",
                "月末の締め処理中、会計Aの画面が何度もタイムアウトします。",
                (
                    (
                        "夜間バッチが朝まで延びていたことによる競合でした。バッチの開始時刻を前倒ししました。",
                        "planning",
                    ),
                ),
            ),
        ),
        cis=("会計A 業務AP", "accounting-a データベース", "accounting-a-ap03"),
        urgency=(3,),
        orgs=("sakura",),
        notes=(
            "AWR レポートを取得。フルスキャンの多い SQL が上位を占めている。",
            "APサーバの CPU は平常。DB の待機イベント 'db file scattered read' が支配的。",
        ),
        change=("インデックス追加を変更管理に申請済み（次回の夜間メンテナンス枠で適用予定）。",),
        team=APPS,
    ),
    Scenario(
        "acc-a-report",
        2,
        "accounting-a",
        "業務アプリケーション",
        (
            (
                "試算表のPDF出力でエラーになる",
                "会計Aで試算表をPDF出力すると「帳票の生成に失敗しました」と表示されます。",
                (
                    (
                        "帳票サーバの一時領域が不足していました。不要ファイルを削除し、定期削除のジョブを設定しました。",
                        "planning",
                    ),
                ),
            ),
            (
                "帳票の金額欄が「####」と表示される",
                "会計Aの月次帳票で、金額が1億円を超える行が「####」と表示されます。",
                (("帳票テンプレートの桁数定義の不具合でした。修正版 (v4.2.1) を適用しました。", "program"),),
            ),
        ),
        cis=("会計A 帳票",),
        urgency=(3,),
        orgs=("sakura",),
        team=APPS,
    ),
    Scenario(
        "acc-b-bank",
        3,
        "accounting-b",
        "業務アプリケーション",
        (
            (
                "会計Bの振込データが全銀連携で送信エラーになる",
                "本日分の振込データを送信すると「接続先に接続できません」と表示されます。15時が締め切りです。",
                (
                    (
                        "銀行側の接続先IPアドレスの変更が未反映でした。連携APの接続設定を修正し、再送信しました。",
                        "external_party",
                    ),
                ),
            ),
            (
                "銀行からの入金明細が取り込まれない",
                "今朝の入金明細が会計Bに取り込まれていません。",
                (
                    (
                        "入金明細ファイルの文字コードが銀行側で変更されていました。変換設定を追加して再取込しました。",
                        "external_party",
                    ),
                ),
            ),
        ),
        cis=("会計B 連携AP", "全銀ネット接続 (振込)"),
        urgency=(2, 3),
        orgs=("sakura",),
        channels=("phone", "email"),
        supplier=("保守ベンダー（東京データセンター）へ調査を依頼しました。",),
        team=APPS,
    ),
    Scenario(
        "backup",
        4,
        "backup",
        "ソフトウェア",
        (
            (
                "[監視] バックアップジョブ失敗 ({ci})",
                "Zabbix トリガー: Bacula job status = Error ({ci})",
                (
                    (
                        "クラウドストレージへの転送がタイムアウトしていました。回線混雑によるもので、再実行で成功しました。",
                        "environment",
                    ),
                    (
                        "バックアップ対象パスの変更が漏れていました。ジョブ定義を修正して再実行しました。",
                        "configuration",
                    ),
                    (
                        "クラウド事業者のストレージ障害（事業者の障害情報あり）。復旧後の再実行で成功しました。",
                        "external_party",
                    ),
                ),
            ),
        ),
        cis=("バックアップ管理サーバ", "backup-ap32", "backup-ap33"),
        urgency=(4,),
        orgs=("kaizen-it",),
        channels=("monitoring",),
        notes=("bconsole: job 4821 terminated with 'Network send error to SD'.",),
        team=INFRA,
    ),
    Scenario(
        "resource",
        6,
        None,
        "ソフトウェア",
        (
            (
                "[監視] {ci} ディスク使用率 90% 超過",
                "Zabbix トリガー: Free disk space is less than 10% on /var ({ci})",
                (
                    (
                        "ログローテーションの設定が漏れていました。設定を追加し、古いログを圧縮しました（使用率 91% → 58%）。",
                        "configuration",
                    ),
                    (
                        "一時ファイルを削除して使用率は 62% に下がりました。定期削除を設定しました。",
                        "planning",
                    ),
                    (
                        "OSのパッケージキャッシュが肥大化していました。削除して使用率は 55% に下がりました。",
                        "middleware",
                    ),
                ),
            ),
            (
                "[監視] {ci} メモリ使用率 95% 超過",
                "Zabbix トリガー: Available memory is less than 5% ({ci})",
                (
                    (
                        "アプリケーションのメモリリークでした。サービス再起動で回復し、ベンダーに修正を依頼しました。",
                        "program",
                    ),
                    ("一時的な負荷上昇で、15分後に自然回復しました。原因は特定できませんでした。", "unknown"),
                ),
            ),
            (
                "[監視] {ci} 時刻同期ずれ (NTP)",
                "Zabbix トリガー: System time is out of sync (diff > 60s) ({ci})",
                (
                    (
                        "参照先NTPサーバの変更が反映されていませんでした。chrony の設定を修正しました。",
                        "configuration",
                    ),
                    (
                        "上位の公開NTPサーバが一時的に応答していませんでした。復旧後に同期を確認しました。",
                        "external_party",
                    ),
                ),
            ),
        ),
        cis=(
            "accounting-a-ap02",
            "accounting-a-ap05",
            "accounting-a-ap08",
            "accounting-b-ap12",
            "accounting-b-ap14",
            "mail-ap17",
            "mail-ap19",
            "mail-ap21",
            "identity-ap27",
            "identity-ap29",
            "backup-ap32",
        ),
        urgency=(4,),
        orgs=("kaizen-it",),
        channels=("monitoring",),
        notes=(
            "du -sh /var/log/* で確認。アプリログが 38GB。",
            "Checked with top: java process RSS 14.2GB, growing since the last deploy.",
        ),
        team=INFRA,
    ),
    Scenario(
        "mail-queue",
        3,
        "mail",
        "メール",
        (
            (
                "[監視] メールキュー滞留 (1,000通超)",
                "Zabbix トリガー: Postfix queue size > 1000 ({ci})",
                (
                    (
                        "特定の宛先ドメインへの再送待ちでした。相手先サーバの障害で、先方の復旧後に自然解消しました。",
                        "external_party",
                    ),
                    ("MTA のプロセス数上限に達していました。設定値を見直しました。", "configuration"),
                ),
            ),
        ),
        cis=("mail-ap17", "mail-ap18", "mail-ap19", "mail-ap20", "mail-ap21", "mail-ap22"),
        urgency=(4,),
        orgs=("kaizen-it",),
        channels=("monitoring",),
        notes=("mailq: 1,284 messages deferred to example-partner.co.jp (connection timed out).",),
        team=INFRA,
    ),
    Scenario(
        "sso",
        3,
        "identity",
        "アカウント・権限",
        (
            (
                "シングルサインオンでエラーが表示される",
                "ポータルからメールを開こうとすると「SAML応答が不正です」と表示されます。",
                (
                    (
                        "PCの時刻が5分以上ずれていたためSAMLの検証に失敗していました。時刻同期を修正しました。",
                        "environment",
                    ),
                ),
            ),
            (
                "SSOのログイン後に画面が真っ白になる",
                "シングルサインオンでログインした後、画面が真っ白のまま進みません。",
                (("ブラウザの拡張機能が干渉していました。無効化して解消しました。", "unknown"),),
            ),
        ),
        impact=3,
        impact_reason="特定のブラウザ・端末の利用者のみ。",
        urgency=(3,),
        orgs=EVERYONE,
        team=INFRA,
    ),
    Scenario(
        "share",
        3,
        "identity",
        "アカウント・権限",
        (
            (
                "共有フォルダにアクセスできない",
                "部署の共有フォルダを開くと「アクセスが拒否されました」と表示されます。",
                (
                    ("ADグループへの追加が漏れていました。追加して解消しました。", "operation"),
                    (
                        "グループの変更がファイルサーバに反映されるまでの待ち時間でした。再ログインで解消しました。",
                        "middleware",
                    ),
                ),
            ),
            (
                "共有フォルダのファイルが読み取り専用になる",
                "共有フォルダのExcelを開くと、毎回読み取り専用になります。",
                (
                    (
                        "アクセス権の継承設定が外れていました。親フォルダの権限を再適用しました。",
                        "configuration",
                    ),
                    (
                        "ファイルサーバのキャッシュの不整合でした。セッションを切断して再接続し、解消しました。",
                        "middleware",
                    ),
                ),
            ),
        ),
        impact=4,
        impact_reason=ONE_USER,
        urgency=(3,),
        orgs=EVERYONE,
        team=DESK,
    ),
    Scenario(
        "office",
        2,
        None,
        "ソフトウェア",
        (
            (
                "Excelが頻繁に応答なしになる",
                "大きめのExcelファイルを開くと、数分おきに「応答なし」になります。",
                (("アドインの競合でした。該当のアドインを無効化して解消しました。", "middleware"),),
            ),
            (
                "Outlookの起動が遅い",
                "Outlookの起動に毎回2分ほどかかります。",
                (("Outlookの検索インデックスが破損していました。再構築して解消しました。", "middleware"),),
            ),
        ),
        cis=licences("Microsoft 365 Apps", 1),
        urgency=(3, 4),
        orgs=EVERYONE,
        team=DESK,
    ),
    Scenario(
        "antivirus",
        2,
        None,
        "セキュリティ",
        (
            (
                "ウイルス対策ソフトの定義ファイルが更新されない",
                "ウイルス対策ソフトに「定義ファイルが古くなっています」と表示されます。",
                (
                    (
                        "プロキシ設定の不整合で更新サーバに到達できていませんでした。設定を修正しました。",
                        "configuration",
                    ),
                    (
                        "更新サーバ側の一時的な障害でした（ベンダーの障害情報あり）。復旧後に更新を確認しました。",
                        "external_party",
                    ),
                ),
            ),
        ),
        cis=licences("ウイルス対策ソフト", 4),
        urgency=(3,),
        orgs=EVERYONE,
        team=DESK,
    ),
    Scenario(
        "acrobat",
        1,
        None,
        "ソフトウェア",
        (
            (
                "Acrobatで PDF に署名できない",
                "Acrobatで電子署名をしようとするとエラーになります。",
                (("Acrobatを最新版に更新し、署名できることを確認しました。", "program"),),
            ),
        ),
        cis=licences("Adobe Acrobat", 2),
        urgency=(3, 4),
        orgs=EVERYONE,
        team=DESK,
    ),
    Scenario(
        "osaka",
        2,
        "vpn",
        "ネットワーク",
        (
            (
                "大阪支店の通信が断続的に遅い",
                "大阪支店から本社のシステム（会計A・メール）への通信が、午後から断続的に遅くなっています。",
                (
                    (
                        "回線事業者側の中継装置の障害でした。事業者による交換後に回復を確認しました。",
                        "external_party",
                    ),
                    (
                        "拠点ルータの IPsec SA の再確立に失敗していました。ルータを再起動し、キープアライブの設定を見直しました。",
                        "configuration",
                    ),
                ),
            ),
        ),
        cis=("拠点間VPN 大阪支店",),
        impact=2,
        impact_reason="大阪支店（約40名）のみ。",
        urgency=(3,),
        orgs=("sakura-osaka",),
        channels=("phone",),
        supplier=("回線事業者へ調査を依頼しました（受付番号 NW-20418）。",),
        team=INFRA,
    ),
)

FIRST_REPLIES = (
    "{name}\n\nお問い合わせありがとうございます。{team}の{me}です。\n内容を確認し、対応を開始しました。進捗がありましたらご連絡いたします。",
    "{name}\n\nご連絡ありがとうございます。{team}の{me}が担当いたします。\n現在調査しておりますので、今しばらくお待ちください。",
    "{name}\n\n受付いたしました。担当の{me}（{team}）です。確認のうえ、本日中に一度ご連絡いたします。",
)
RESOLVED_PORTAL = (
    "{name}\n\n{resolution}\n\n解消したことをご確認いただけましたら、ポータルの「解決を確認」からお知らせください。"
    "3営業日ご連絡がない場合は自動的に完了となります。"
)
RESOLVED_CONTACT = "{name}\n\n{resolution}\n\nご不明な点がございましたら、サービスデスク（内線 2100）までお気軽にご連絡ください。"
THANKS = (
    "ご対応ありがとうございました。問題なく使えるようになりました。",
    "ありがとうございます。解決しました。",
    "早急にご対応いただき助かりました。",
)
SELF_SOLVED = (
    "PCを再起動したら直りました。お手数をおかけしました。取り消します。",
    "同僚に教えてもらい解決しました。こちらは取り消します。",
)
REOPENED = (
    "本日また同じ症状が出ました。再度確認をお願いします。",
    "一度は直ったのですが、翌日からまた同じ状態です。",
)
RESUMED = {
    "supplier": "供給者から回答あり。作業を再開します。",
    "change": "変更の適用が完了したため対応を再開します。",
}
DISMISS = {
    "operation": "利用者の操作に起因する個別の事象。FAQに手順を追記済みのため、改善の対象外とする。",
    "configuration": "設定誤りは修正済み。変更時のチェックリストに同種の確認項目があるため、個別対応とする。",
    "design": "設計上の制約として既知。次期改修の要件一覧に登録済みのため、本件は対象外とする。",
    "planning": "計画上の考慮漏れは担当チーム内で共有済み。再発の兆候がないため対象外とする。",
}
DISMISS_OTHER = "単発の事象で、手順どおりに復旧できている。再発の兆候もないため対象外とする。"
IMPROVEMENTS = {
    "operation": "利用者向けFAQ（パスワード・メール設定）の拡充",
    "configuration": "設定変更時のダブルチェック手順の導入",
    "planning": "証明書・ライセンス・権限の期限の一元管理と事前通知",
    "design": "会計Aの照会画面の性能要件の見直し",
}

# Contacts without a login who call or mail the desk (name, kana, organisation, title, email).
CONTACTS: list[tuple[str, str, str, str, str]] = [
    ("木村 拓真", "きむら たくま", "sakura", "経理部 主任", "kimura.takuma@sakura.example.jp"),
    ("斎藤 真由美", "さいとう まゆみ", "sakura", "営業部", "saito.mayumi@sakura.example.jp"),
    ("清水 健太", "しみず けんた", "sakura", "総務部", "shimizu.kenta@sakura.example.jp"),
    ("森 亮", "もり りょう", "sakura-osaka", "大阪支店 営業課", "mori.ryo@sakura.example.jp"),
    ("山口 和也", "やまぐち かずや", "minato", "倉庫管理課 課長", "yamaguchi.kazuya@minato.example.jp"),
    ("池田 美穂", "いけだ みほ", "minato", "配送企画課", "ikeda.miho@minato.example.jp"),
    ("橋本 誠", "はしもと まこと", "minato", "経理課", "hashimoto.makoto@minato.example.jp"),
    ("阿部 直子", "あべ なおこ", "aoba", "研究開発部", "abe.naoko@aoba.example.jp"),
    ("石川 翔太", "いしかわ しょうた", "aoba", "品質保証部", "ishikawa.shota@aoba.example.jp"),
    ("前田 由美", "まえだ ゆみ", "aoba", "総務部", "maeda.yumi@aoba.example.jp"),
    ("Emily Carter", "", "aoba", "研究開発部 客員研究員", "emily.carter@aoba.example.jp"),
]

# (name, name_en, kind, title, description, category, service code, team, impact, urgency, tags)
TEMPLATES: list[tuple[str, str, str, str, str, str, str | None, str, int | None, int | None, str]] = [
    (
        "パスワード再設定",
        "Password reset",
        Kind.INCIDENT,
        "パスワード再設定の依頼",
        "【利用者】\n【対象】PCログイン / メール / VPN\n【本人確認】社員番号・内線番号で確認済み / 未確認\n【連絡先】",
        "アカウント・権限",
        "identity",
        DESK,
        4,
        3,
        "password",
    ),
    (
        "VPN接続不可",
        "VPN connection failure",
        Kind.INCIDENT,
        "VPNに接続できない",
        "【接続場所】自宅 / 出張先 / その他\n【回線】光回線 / モバイルルータ / テザリング\n【エラーメッセージ】\n"
        "【クライアントのバージョン】\n【他の利用者の状況】",
        "ネットワーク",
        "vpn",
        INFRA,
        4,
        3,
        "vpn",
    ),
    (
        "メール送受信不可",
        "Mail cannot be sent or received",
        Kind.INCIDENT,
        "メールが送受信できない",
        "【症状】送信できない / 受信できない / 一部の宛先のみ\n【エラーメッセージ】\n【使用ソフト】Outlook / Webメール / スマートフォン\n【発生時刻】",
        "メール",
        "mail",
        DESK,
        4,
        2,
        "mail",
    ),
    (
        "PC故障",
        "PC failure",
        Kind.INCIDENT,
        "PCの故障",
        "【機種・資産番号】\n【症状】\n【代替機の要否】要 / 不要\n【データのバックアップ】あり / なし / 不明",
        "ハードウェア",
        None,
        DESK,
        4,
        3,
        "pc",
    ),
    (
        "アカウント申請",
        "Account application",
        Kind.REQUEST,
        "アカウント申請",
        "【対象者】\n【所属】\n【必要なシステム】PC / メール / 会計A / 会計B / VPN\n【利用開始日】\n【上長の承認】",
        "アカウント・権限",
        None,
        DESK,
        4,
        4,
        "account",
    ),
    (
        "会計システム操作問い合わせ",
        "Accounting system question",
        Kind.REQUEST,
        "会計システムの操作について",
        "【システム】会計A / 会計B\n【画面・機能】\n【お問い合わせ内容】",
        "情報提供・問い合わせ",
        "accounting-helpdesk",
        DESK,
        4,
        4,
        "howto",
    ),
]

# Requests recorded from a template (no catalogue item): (template, title, description, resolution).
TEMPLATE_REQUESTS: list[tuple[str, str, str, str]] = [
    (
        "アカウント申請",
        "新入社員のアカウント発行（4名）",
        "来月1日付の中途入社4名分のPC・メールアカウントの発行をお願いします。名簿はメールで送付済みです。",
        "4名分のPCログイン・メールアカウントを発行し、初期パスワードを上長あてに封書で送付しました。",
    ),
    (
        "アカウント申請",
        "退職者のアカウント停止",
        "今月末で退職する社員1名のアカウント停止をお願いします。メールは上長へ転送してください。",
        "月末18時にアカウントを停止し、メールの転送設定（上長あて・90日間）を行いました。",
    ),
    (
        "アカウント申請",
        "派遣社員のメールアカウント発行",
        "来週から勤務する派遣社員1名のメールアカウントをお願いします。期間は3か月です。",
        "有効期限つき（3か月）のメールアカウントを発行しました。",
    ),
    (
        "会計システム操作問い合わせ",
        "会計Aで消費税区分の設定方法を知りたい",
        "新しい取引先の消費税区分（インボイス登録あり）を設定したいのですが、どの画面で行えばよいでしょうか。",
        "操作マニュアル p.45 の「取引先マスタ > 税区分」の手順を案内し、設定できたことを確認しました。",
    ),
    (
        "会計システム操作問い合わせ",
        "会計Bの月次締めの手順を教えてほしい",
        "担当者が交代したため、会計Bの月次締めの手順を教えてください。",
        "月次締めの手順書（第3版）を送付し、画面共有で一通りの操作を説明しました。",
    ),
    (
        "会計システム操作問い合わせ",
        "電子帳簿保存法に対応した保存設定について",
        "会計Aで受け取った請求書PDFを電子帳簿保存法に沿って保存する設定を確認したいです。",
        "会計Aの証憑保存設定（タイムスタンプ・検索項目）を確認し、設定済みであることを回答しました。",
    ),
    (
        "会計システム操作問い合わせ",
        "会計Aの仕訳の一括取込フォーマット",
        "Excelで作った仕訳を一括で取り込みたいのですが、フォーマットはありますか。",
        "一括取込用のCSVテンプレートと記入例を送付しました。",
    ),
]


# -- plans -------------------------------------------------------------------------------------


@dataclass
class Plan:
    """One incident from the bulk: what happens, when, to whom, and how it ends."""

    scenario: Scenario
    case: Case
    created: dt.datetime
    channel: str
    requester: Person | None
    creator: str
    urgency: int
    target: str
    pending: str
    ci_names: list[str]
    resolution: tuple[str, str]
    urgent: bool = False
    confirm: bool = False
    reopen: bool = False
    review: str = "decide"
    watchers: list[Person] = field(default_factory=list)


class Desk:
    """The demo desk: the people, records and helpers the stories act with."""

    def __init__(self, *, now: dt.datetime, seed: int = SEED) -> None:
        self.now = now
        self.end = now - dt.timedelta(minutes=10)
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not security)
        self.users = {u.username: u for u in User.objects.filter(username__in=LOGINS)}
        self.people = {
            p.user.username: p
            for p in Person.objects.filter(user__username__in=LOGINS).select_related("user")
            if p.user is not None
        }
        self.orgs = {o.code: o for o in Organisation.objects.all()}
        self.teams = {t.name: t for t in Team.objects.filter(organisation__code="kaizen-it")}
        self.services = {s.code: s for s in Service.objects.all()}
        self.cis = {c.name: c for c in ConfigurationItem.objects.all()}
        self.categories = {c.name: c for c in Category.objects.all()}
        self.templates = {t.name: t for t in TicketTemplate.objects.all()}
        names = [c[0] for c in CONTACTS] + ["松本 裕子"]
        self.contacts = {
            p.name: p for p in Person.objects.filter(name__in=names).select_related("organisation")
        }
        self.review_plan: dict[int, Any] = {}
        self.keep_resolved: set[int] = set()
        self.refs: dict[str, int] = {}
        self.problems: dict[int, int] = {}
        """Open problems by service id, for review decisions that link an incident to one."""
        self.improvements: set[str] = set()
        self.event_no = 48000
        self.opened_problems = 0
        self._visible: dict[int, set[str]] = {}

    # who
    def user(self, username: str) -> User:
        return self.users[username]

    def person(self, username: str) -> Person:
        return self.people[username]

    def login_of(self, person: Person | None) -> User | None:
        """Return the requester login of ``person`` (None for contacts without one)."""
        if person is None or person.user_id is None:
            return None
        username = getattr(person.user, "username", "")
        return self.users.get(username) if username in CUSTOMERS else None

    def requesters(self, org: str) -> list[Person]:
        """Return the people of ``org`` who report to the desk (logins first)."""
        if org == "kaizen-it":
            return [self.people[u] for u in ("auditor", "cab", "change")]
        login = [self.people[org]] if org in CUSTOMERS else []
        codes = {org, f"{org}-osaka"} if org == "sakura" else {org}
        others = [
            p for p in self.contacts.values() if p.organisation.code in codes and p.name != "Emily Carter"
        ]
        return login + sorted(others, key=lambda p: p.pk)

    def can_see(self, user: User, service: str) -> bool:
        """Tell whether ``user`` may choose ``service`` (requesters: the services their company uses)."""
        if user.pk not in self._visible:
            self._visible[user.pk] = set(Service.objects.visible_to(user).values_list("code", flat=True))
        return service in self._visible[user.pk]

    def worker(self, ticket: Ticket) -> User:
        """Return who works ``ticket``: its assignee when they may, else the team's agent."""
        user = ticket.assignee.user if ticket.assignee is not None else None
        if user is not None and services.is_worker(user, ticket):
            return user
        team = ticket.team.name if ticket.team is not None else DESK
        return self.users[TEAM_WORKER.get(team, "agent")]

    # when
    def later(self, moment: dt.datetime, minutes: float, *, urgent: bool = False) -> dt.datetime:
        """Return ``moment`` plus ``minutes``: of business time, or of clock time when urgent."""
        if urgent:
            return moment + dt.timedelta(minutes=minutes)
        return business_after(moment, minutes)

    def at(self, business_days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        """Return hour:minute JST on the business day ``business_days_ago`` before today."""
        day = self.now.astimezone(JST).date()
        left = business_days_ago
        while left > 0 or not policies.is_business_day(day):
            day -= dt.timedelta(days=1)
            if policies.is_business_day(day):
                left -= 1
        return dt.datetime.combine(day, dt.time(hour, minute), JST).astimezone(dt.UTC)

    def moment(self, *, business: bool = True, low: float = 0, high: float = DAYS) -> dt.datetime:
        """Return a random moment ``low``-``high`` days ago (within business hours unless told)."""
        while True:
            t = self.now - dt.timedelta(days=self.rng.uniform(low, high))
            if business:
                local = t.astimezone(JST)
                if not policies.is_business_day(local.date()):
                    continue
                minutes = 9 * 60 + int(self.rng.triangular(0, 540, 90))
                t = dt.datetime.combine(local.date(), dt.time(minutes // 60, minutes % 60), JST).astimezone(
                    dt.UTC
                )
            if t < self.end - dt.timedelta(minutes=20):
                return t

    # what
    def load(self, tid: int) -> Ticket:
        return Ticket.objects.select_related("state", "team", "assignee__user", "requester__user").get(pk=tid)

    def act(self, tid: int, code: str, user: User, **params: Any) -> Ticket:
        return services.apply_action(tid, code, actor=user, version=None, params=params)

    def say(
        self,
        tid: int,
        user: User,
        body: str,
        *,
        public: bool = True,
        channel: str = Channel.PORTAL,
        timeline: bool = False,
    ) -> None:
        services.add_comment(
            tid,
            actor=user,
            body=body,
            visibility=Visibility.PUBLIC if public else Visibility.INTERNAL,
            channel=channel,
            is_timeline=timeline,
        )

    def take(self, tid: int, user: User, code: str = "start", **params: Any) -> Ticket:
        """Apply ``code`` as ``user``, who becomes the assignee when they are not yet."""
        ticket = self.load(tid)
        person = self.people[user.username]
        if ticket.assignee_id != person.pk:
            team = ticket.team
            if team is None or not team.members.filter(pk=person.pk).exists():
                team = self.teams[HOME_TEAM[user.username]]
            params.update(assignee=person.pk, team=team.pk)
        return self.act(tid, code, user, **params)

    def assign(self, tid: int, user: User) -> None:
        """Make ``user`` the assignee without starting the work."""
        ticket = self.load(tid)
        person = self.people[user.username]
        team = ticket.team
        if team is None or not team.members.filter(pk=person.pk).exists():
            team = self.teams[HOME_TEAM[user.username]]
        if ticket.state.code == "new":
            self.act(tid, "assign", user, assignee=person.pk, team=team.pk)
        else:
            services.update_ticket(
                tid, actor=user, changes={"assignee": person.pk, "team": team.pk}, version=None
            )

    def external_ref(self, kind: str) -> str:
        self.event_no += self.rng.randint(3, 40)
        return f"{MARKER}{kind}:{self.event_no}"

    def ci_ids(self, names: Iterable[str]) -> list[int]:
        return [self.cis[n].pk for n in names]

    def pick_ci(self, names: tuple[str, ...]) -> list[str]:
        return [self.rng.choice(names)] if names else []


def salutation(person: Person | None) -> str:
    """Return how a reply addresses ``person``."""
    if person is None:
        return ""
    return f"Dear {person.name}," if person.name.isascii() else f"{person.name} 様"


def family_name(person: Person) -> str:
    """Return the family name a reply is signed with (佐藤 健 → 佐藤)."""
    return person.name.split()[0]


# -- configuration -----------------------------------------------------------------------------


def configure(desk: Desk) -> None:
    """Create the templates, business rules and team assignment that do not exist yet."""
    manager = desk.user("manager")
    create_template, _u, _d = services.configuration_services(TicketTemplate)
    for name, name_en, kind, title, description, category, service, team, impact, urgency, tags in TEMPLATES:
        if TicketTemplate.objects.filter(kind=kind, name=name).exists():
            continue
        create_template(
            actor=manager,
            data={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "title": title,
                "description": description,
                "category": desk.categories[category],
                "service": desk.services[service] if service else None,
                "team": desk.teams[team],
                "impact": impact,
                "urgency": urgency,
                "tags": tags,
            },
        )
    desk.templates = {t.name: t for t in TicketTemplate.objects.all()}
    teams, cat, svc = desk.teams, desk.categories, desk.services
    rules: list[dict[str, Any]] = [
        {
            "name": "VPN関連は基盤運用へ",
            "kind": Kind.INCIDENT,
            "match_all": False,
            "conditions": [
                {"field": "title", "op": "contains", "value": "VPN"},
                {"field": "tags", "op": "contains", "value": "vpn"},
                {"field": "service", "op": "eq", "value": svc["vpn"].pk},
            ],
            "actions": [
                {"action": "set_team", "value": teams[INFRA].pk},
                {"action": "add_tags", "value": ["vpn"]},
            ],
            "order": 10,
        },
        {
            "name": "業務アプリケーションはアプリ保守へ",
            "kind": Kind.INCIDENT,
            "conditions": [{"field": "category", "op": "eq", "value": cat["業務アプリケーション"].pk}],
            "actions": [{"action": "set_team", "value": teams[APPS].pk}],
            "order": 20,
        },
        {
            "name": "監視検知のP1は重大インシデント",
            "kind": Kind.INCIDENT,
            "conditions": [
                {"field": "channel", "op": "eq", "value": Channel.MONITORING},
                {"field": "priority", "op": "eq", "value": 1},
            ],
            "actions": [
                {"action": "declare_major", "value": None},
                {
                    "action": "notify",
                    "value": {
                        "team": teams[INFRA].pk,
                        "emails": ["it-managers@example.jp"],
                        "message": "監視でP1を検知しました。重大インシデント対応を開始してください。",
                    },
                },
            ],
            "order": 30,
        },
        {
            "name": "監視検知のP2は基盤運用へエスカレーション",
            "kind": Kind.INCIDENT,
            "conditions": [
                {"field": "channel", "op": "eq", "value": Channel.MONITORING},
                {"field": "priority", "op": "eq", "value": 2},
            ],
            "actions": [
                {
                    "action": "escalate",
                    "value": {
                        "team": teams[INFRA].pk,
                        "note": "監視検知のP2のため、基盤運用が一次対応します。",
                    },
                }
            ],
            "order": 40,
        },
        {
            "name": "会計システムの高優先度はさくら商事 経理部へ通知",
            "kind": Kind.INCIDENT,
            "trigger": RuleTrigger.BOTH,
            "conditions": [
                {"field": "service", "op": "in", "value": [svc["accounting-a"].pk, svc["accounting-b"].pk]},
                {"field": "priority", "op": "lte", "value": 2},
            ],
            "actions": [
                {
                    "action": "notify",
                    "value": {
                        "emails": ["keiri-system@sakura.example.jp"],
                        "message": "会計システムで優先度の高いインシデントが発生しています。業務への影響をご確認ください。",
                    },
                }
            ],
            "order": 50,
        },
        {
            "name": "セキュリティ関連にタグ付け",
            "conditions": [{"field": "category", "op": "eq", "value": cat["セキュリティ"].pk}],
            "actions": [{"action": "add_tags", "value": ["security"]}],
            "order": 60,
        },
    ]
    create_rule, _u, _d = services.configuration_services(BusinessRule)
    for rule in rules:
        if not BusinessRule.objects.filter(name=rule["name"]).exists():
            create_rule(actor=manager, data=rule)
    create_assignment, _u, _d = services.configuration_services(TeamAssignment)
    for name, mode in ((DESK, AssignmentMode.ROUND_ROBIN), (INFRA, AssignmentMode.LEAST_LOADED)):
        if not TeamAssignment.objects.filter(team=teams[name]).exists():
            create_assignment(actor=manager, data={"team": teams[name], "mode": mode})
    # The shipped "same service, 5 within 30 days" sends nearly every incident of a busy service
    # to the review; the demo desk's manager narrowed it to a week.
    criterion = ReviewCriterion.objects.filter(type=CriterionType.REPEAT_SERVICE, count=5, days=30).first()
    if criterion is not None:
        update_record(
            ReviewCriterion,
            criterion.pk,
            actor=manager,
            changes={"name": "同一サービスで7日以内に12件以上", "count": 12, "days": 7},
            expected_version=criterion.version,
        )


def add_contacts(desk: Desk) -> None:
    """Create the customers' contacts who call or mail the desk (people without a login)."""
    admin = desk.user("admin")
    for name, kana, org, title, email in CONTACTS:
        if name in desk.contacts:
            continue
        desk.contacts[name] = accounts.create_person(
            actor=admin,
            data={
                "name": name,
                "name_kana": kana,
                "organisation": desk.orgs[org],
                "job_title": title,
                "email": email,
            },
        )


# -- bulk incidents ----------------------------------------------------------------------------


def _target(rng: random.Random, age_days: float) -> str:
    if age_days < 0.2:
        table: dict[str, float] = {"new": 3, "assigned": 2, "in_progress": 3, "done": 1}
    elif age_days < 2:
        table = {
            "new": 0.5,
            "assigned": 1,
            "in_progress": 3,
            "pending_customer": 2,
            "pending_supplier": 1,
            "done": 5,
            "cancelled": 0.3,
        }
    elif age_days < 7:
        table = {
            "in_progress": 0.8,
            "pending_customer": 0.6,
            "pending_supplier": 0.8,
            "pending_change": 0.4,
            "done": 10,
            "cancelled": 0.6,
        }
    else:
        table = {
            "pending_change": 0.25,
            "pending_supplier": 0.15,
            "done": 20,
            "cancelled": 1,
        }
    return rng.choices(list(table), list(table.values()))[0]


def plan(desk: Desk, scenario: Scenario, **fixed: Any) -> Plan:
    """Decide one incident of ``scenario``: who reports it, when, how it is worked and ends.

    ``fixed`` sets some of it (``created``, ``target``, ``channel``, ``urgency``, ``requester``,
    ``resolution``).
    """
    rng = desk.rng
    case = rng.choice(scenario.cases)
    channel = fixed.get("channel") or rng.choice(scenario.channels)
    org = rng.choice(scenario.orgs)
    requester: Person | None = None
    if channel != "monitoring":
        pool = (
            desk.requesters(org)
            if org != "sakura-osaka"
            else [desk.contacts["松本 裕子"], desk.contacts["森 亮"]]
        )
        requester = fixed.get("requester") or (pool[0] if channel == "portal" else rng.choice(pool))
        if channel == "portal" and desk.login_of(requester) is None:
            channel = "phone"
    urgency = fixed.get("urgency") or rng.choice(scenario.urgency)
    urgent = channel == "monitoring" or (urgency <= 2 and (scenario.impact or 1) <= 2)
    business = channel in ("phone", "email") or (channel == "portal" and rng.random() < 0.85)
    created = fixed.get("created") or desk.moment(business=business)
    age = (desk.end - created).total_seconds() / 86400
    target = fixed.get("target") or _target(rng, age)
    if target == "new" and channel != "portal":
        target = "assigned"
    pending = ""
    if target.startswith("pending_"):
        pending = target.removeprefix("pending_")
    elif target == "done" and rng.random() < 0.3:
        options = [
            kind
            for kind, ok in (
                ("customer", requester is not None and scenario.questions),
                ("supplier", bool(scenario.supplier)),
                ("change", bool(scenario.change)),
            )
            if ok
        ]
        pending = rng.choice(options) if options else ""
    if pending == "customer" and (requester is None or not scenario.questions):
        pending = "supplier" if scenario.supplier else "change"
        target = f"pending_{pending}" if target.startswith("pending_") else target
    login = desk.login_of(requester)
    watchers = []
    if requester is not None and rng.random() < 0.08:
        colleagues = [p for p in desk.requesters(org) if p.pk != requester.pk] if org in EVERYONE else []
        if colleagues:
            watchers.append(rng.choice(colleagues))
    resolutions = case[2]
    weights = [0.25 if cause in HUMAN_CAUSES else 1.0 for _text, cause in resolutions]
    return Plan(
        scenario=scenario,
        case=case,
        created=created,
        channel=channel,
        requester=requester,
        creator=rng.choices(["agent", "manager"], [4, 1])[0],
        urgency=urgency,
        target=target,
        pending=pending,
        ci_names=desk.pick_ci(scenario.cis),
        resolution=fixed.get("resolution") or rng.choices(resolutions, weights)[0],
        urgent=urgent,
        confirm=login is not None and rng.random() < 0.6,
        reopen=login is not None and target == "done" and rng.random() < 0.05,
        review="leave" if rng.random() < 0.1 else "decide",
        watchers=watchers,
    )


def _service_of_ci(name: str) -> str | None:
    for code in ("accounting-a", "accounting-b", "mail", "vpn", "identity", "backup"):
        if name.startswith(f"{code}-"):
            return code
    return None


def _texts(p: Plan) -> tuple[str, str]:
    title, description, _resolutions = p.case
    ci = p.ci_names[0] if p.ci_names else ""
    return title.format(ci=ci), description.format(ci=ci)


def _record(desk: Desk, p: Plan, actor: User) -> int:
    """Record a call, mail or alert as a staff member; return the ticket id."""
    s = p.scenario
    title, description = _texts(p)
    service = s.service or (_service_of_ci(p.ci_names[0]) if p.ci_names else None)
    data: dict[str, Any] = {
        "title": title,
        "description": description,
        "channel": p.channel,
        "urgency": p.urgency,
        "category": desk.categories[s.category].pk,
        "service": desk.services[service].pk if service else None,
    }
    template = desk.templates.get(s.template) if s.template and desk.rng.random() < 0.8 else None
    if p.requester is not None:
        data["requester"] = p.requester.pk
    else:
        data["organisation"] = desk.orgs["kaizen-it"].pk
    if s.team and template is None:
        data["team"] = desk.teams[s.team].pk
    if s.impact is not None and template is None:
        data["impact"] = s.impact
    if p.channel in ("email", "monitoring"):
        data["external_ref"] = desk.external_ref("zabbix" if p.channel == "monitoring" else "mail")
    ticket = services.create_ticket(
        actor=actor,
        kind=Kind.INCIDENT,
        data=data,
        cis=desk.ci_ids(p.ci_names),
        tags=["monitoring"] if p.channel == "monitoring" else list(s.tags),
        watchers=[w.pk for w in p.watchers],
        template=template,
        impact_reason=s.impact_reason or ONE_USER,
    )
    return int(ticket.pk)


def _triage(desk: Desk, p: Plan, tid: int, agent: User) -> None:
    """The desk completes a portal ticket: service, category, team, affected CIs and impact."""
    s = p.scenario
    ticket = desk.load(tid)
    changes: dict[str, Any] = {}
    if s.service and ticket.service_id is None:
        changes["service"] = desk.services[s.service].pk
    if ticket.category_id is None:
        changes["category"] = desk.categories[s.category].pk
    if ticket.team_id is None:
        changes["team"] = desk.teams[s.team or DESK].pk
    if s.impact is not None:
        changes["impact"] = s.impact
    services.update_ticket(
        tid,
        actor=agent,
        changes=changes,
        version=None,
        cis=desk.ci_ids(p.ci_names) if p.ci_names else None,
        watchers=[w.pk for w in p.watchers] if p.watchers else None,
        impact_reason=s.impact_reason or ONE_USER,
    )


def incident(desk: Desk, p: Plan) -> Story:
    """The story of one incident from the bulk."""
    rng, s = desk.rng, p.scenario
    login = desk.login_of(p.requester)
    t = p.created
    if p.channel == "portal" and login is not None:
        yield t, login, WEB, ""
        title, description = _texts(p)
        data: dict[str, Any] = {
            "title": title,
            "description": description,
            "urgency": p.urgency,
            "channel": Channel.PORTAL,
        }
        if s.service and rng.random() < 0.5 and desk.can_see(login, s.service):
            data["service"] = desk.services[s.service].pk
        if rng.random() < 0.5:
            data["category"] = desk.categories[s.category].pk
        tid = int(services.create_ticket(actor=login, kind=Kind.INCIDENT, data=data).pk)
        if p.target == "new":
            return
        t = desk.later(t, rng.randint(8, 70), urgent=p.urgent)
        yield t, desk.user("agent"), WEB, ""
        _triage(desk, p, tid, desk.user("agent"))
    elif p.channel == "monitoring":
        yield t, desk.user("admin"), MONITORING, MONITOR_LABEL
        tid = _record(desk, p, desk.user("admin"))
    else:
        yield t, desk.user(p.creator), WEB, ""
        tid = _record(desk, p, desk.user(p.creator))
    ticket = desk.load(tid)
    worker = desk.worker(ticket)
    if p.target == "assigned":
        if ticket.assignee is None or worker.pk != ticket.assignee.user_id:
            t = desk.later(t, rng.randint(5, 40), urgent=p.urgent)
            yield t, worker, WEB, ""
            desk.assign(tid, worker)
        return
    t = desk.later(t, rng.randint(5, 50), urgent=p.urgent)
    yield t, worker, WEB, ""
    desk.take(tid, worker)
    if p.requester is not None and rng.random() < 0.85:
        me = desk.person(worker.username)
        reply = rng.choice(FIRST_REPLIES).format(
            name=salutation(p.requester), team=HOME_TEAM[worker.username], me=family_name(me)
        )
        desk.say(tid, worker, reply)
    if p.target == "cancelled":
        t = desk.later(t, rng.randint(20, 400))
        if login is not None:
            yield t, login, WEB, ""
            desk.act(tid, "cancel", login, comment=rng.choice(SELF_SOLVED))
        else:
            yield t, worker, WEB, ""
            desk.act(
                tid,
                "cancel",
                worker,
                comment="お客様より「再起動したら直った」とお電話があったため、取り消します。",
            )
        return
    for note in rng.sample(s.notes, k=min(len(s.notes), rng.randint(0, 2))):
        t = desk.later(t, rng.randint(15, 200), urgent=p.urgent)
        yield t, worker, WEB, ""
        desk.say(tid, worker, note, public=False)
    if p.target == "in_progress":
        return
    if p.pending:
        t = yield from _pending(desk, p, tid, worker, t)
        if p.target.startswith("pending_"):
            return
    t = desk.later(t, rng.randint(20, 600), urgent=p.urgent)
    yield t, worker, WEB, ""
    text, cause = p.resolution
    _resolve(desk, tid, worker, text, cause, p.requester)
    yield from after_resolution(
        desk, tid, worker, t, p.requester, confirm=p.confirm, reopen=p.reopen, review=p.review
    )


def _pending(
    desk: Desk, p: Plan, tid: int, worker: User, t: dt.datetime
) -> Generator[Wake, None, dt.datetime]:
    """Wait for the customer, a supplier or a change, then resume; return when it resumed."""
    rng, s = desk.rng, p.scenario
    t = desk.later(t, rng.randint(15, 240), urgent=p.urgent)
    yield t, worker, WEB, ""
    question, answer = rng.choice(s.questions) if s.questions else ("", "")
    if p.pending == "customer":
        desk.act(tid, "pend_customer", worker, comment=f"{salutation(p.requester)}\n\n{question}")
    elif p.pending == "supplier":
        text = rng.choice(s.supplier) if s.supplier else "供給者へ調査を依頼しました。回答待ちです。"
        desk.act(tid, "pend_supplier", worker, comment=text)
    else:
        text = rng.choice(s.change) if s.change else "恒久対応を変更管理で計画中。適用後に解消を確認します。"
        desk.act(tid, "pend_change", worker, comment=text)
    if p.target.startswith("pending_"):
        return t
    login = desk.login_of(p.requester)
    if p.pending == "customer":
        t = desk.later(t, rng.randint(60, 1500))
        if login is not None:
            yield t, login, WEB, ""
            desk.say(tid, login, answer)  # the requester's reply resumes the ticket
        else:
            yield t, worker, WEB, ""
            desk.say(tid, worker, f"{salutation(p.requester)}より電話で回答あり: {answer}", public=False)
            desk.act(tid, "resume", worker)
    else:
        t = desk.later(t, rng.randint(500, 3000))
        yield t, worker, WEB, ""
        desk.act(tid, "resume", worker, comment=RESUMED[p.pending])
    return t


def _resolve(desk: Desk, tid: int, worker: User, text: str, cause: str, requester: Person | None) -> Ticket:
    params: dict[str, Any] = {"resolution": text, "cause_class": cause}
    if requester is not None:
        template = RESOLVED_PORTAL if desk.login_of(requester) is not None else RESOLVED_CONTACT
        params["comment"] = template.format(name=salutation(requester), resolution=text)
    ticket = desk.act(tid, "resolve", worker, **params)
    return ticket


def after_resolution(
    desk: Desk,
    tid: int,
    worker: User,
    t: dt.datetime,
    requester: Person | None,
    *,
    confirm: bool,
    reopen: bool = False,
    review: str = "decide",
) -> Story:
    """What follows a resolution: a reopen, the requester's confirmation, closure on the phone."""
    rng = desk.rng
    ticket = desk.load(tid)
    if ticket.review_status == ReviewStatus.PENDING:
        desk.review_plan.setdefault(tid, review)
    login = desk.login_of(requester)
    if reopen and login is not None:
        t = desk.later(t, rng.randint(60, 480))
        yield t, login, WEB, ""
        desk.act(tid, "reopen", login, comment=rng.choice(REOPENED))
        t = desk.later(t, rng.randint(60, 600))
        yield t, worker, WEB, ""
        text = "再発の原因を確認し、設定を見直しました。その後1日様子を見て、再発しないことを確認しています。"
        _resolve(desk, tid, worker, text, ticket.cause_class or "unknown", requester)
    if login is not None and confirm:
        t = desk.later(t, rng.randint(30, 900))
        yield t, login, WEB, ""
        if desk.load(tid).state_category == "resolved":
            if rng.random() < 0.3:
                desk.say(tid, login, rng.choice(THANKS))
            services.confirm_resolution(tid, actor=login)
    elif requester is not None and login is None and rng.random() < 0.35:
        t = desk.later(t, rng.randint(60, 480))
        yield t, worker, WEB, ""
        ticket = desk.load(tid)
        if (
            ticket.state_category == "resolved"
            and ticket.review_status != ReviewStatus.PENDING
            and ticket.priority >= 3
        ):
            desk.act(tid, "close", worker, comment="お電話で解消をご確認いただけたため、完了とします。")


# -- recurring work: the review meeting and the nightly closure job -------------------------------


def review_meetings(desk: Desk) -> Story:
    """Twice a week the service manager decides the flagged incidents and closes P1/P2 ones."""
    manager = desk.user("manager")
    day = (desk.now - dt.timedelta(days=DAYS)).astimezone(JST).date()
    while True:
        day += dt.timedelta(days=1)
        if day.weekday() not in (1, 4) or not policies.is_business_day(day):
            continue
        t = dt.datetime.combine(day, dt.time(16, 0), JST).astimezone(dt.UTC)
        yield t, manager, WEB, ""
        flagged = Ticket.objects.filter(
            kind=Kind.INCIDENT, review_status=ReviewStatus.PENDING, resolved_at__lt=t - dt.timedelta(hours=2)
        )
        for tid in list(flagged.order_by("pk").values_list("pk", flat=True)):
            choice = desk.review_plan.get(tid, "decide")
            if choice in ("leave", "custom"):
                continue
            _decide(desk, tid, manager, choice)
            ticket = desk.load(tid)
            if ticket.state_category == "resolved" and ticket.priority <= 2 and tid not in desk.keep_resolved:
                desk.act(tid, "close", manager, comment="振り返りが完了したため完了とします。")


def _decide(desk: Desk, tid: int, manager: User, choice: Any) -> None:
    ticket = desk.load(tid)
    if isinstance(choice, dict):
        services.record_review_decision(tid, actor=manager, **choice)
        return
    repeated = any(reason.startswith("同一CI") for reason in ticket.review_reasons)
    ci = ticket.cis.order_by("pk").first()
    if repeated and ci is not None and desk.opened_problems < 2:
        desk.opened_problems += 1
        decision = services.record_review_decision(
            tid,
            actor=manager,
            outcome=ReviewOutcome.PROBLEM,
            problem_title=f"{ci.name} でのインシデントの繰り返し",
        )
        problem_id = int(decision.problem_id or 0)
        if ticket.service_id:
            desk.problems[ticket.service_id] = problem_id
        team = ticket.team or desk.teams[INFRA]
        owner = desk.person(TEAM_WORKER.get(team.name, "ops"))
        services.update_ticket(
            problem_id, actor=manager, changes={"team": team.pk, "assignee": owner.pk}, version=None
        )
        return
    problem = desk.problems.get(ticket.service_id or 0)
    if problem is not None and desk.rng.random() < 0.5:
        services.record_review_decision(tid, actor=manager, outcome=ReviewOutcome.PROBLEM, problem=problem)
        return
    cause = ticket.cause_class
    title = IMPROVEMENTS.get(cause, "")
    if title and title not in desk.improvements and desk.rng.random() < 0.5:
        desk.improvements.add(title)
        services.record_review_decision(
            tid, actor=manager, outcome=ReviewOutcome.IMPROVEMENT, improvement_title=title
        )
        return
    services.record_review_decision(
        tid, actor=manager, outcome=ReviewOutcome.DISMISSED, reason=DISMISS.get(cause, DISMISS_OTHER)
    )


def nightly_closure(desk: Desk) -> Story:
    """The closure job, once a night: closes resolved tickets whose confirmation period passed."""
    day = (desk.now - dt.timedelta(days=DAYS)).astimezone(JST).date()
    while True:
        day += dt.timedelta(days=1)
        t = dt.datetime.combine(day, dt.time(3, 7), JST).astimezone(dt.UTC)
        yield t, None, JOB, "automatic closure"
        automation.auto_close(now=t)


# -- featured stories ----------------------------------------------------------------------------


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


@registry.register("tickets", order=60)
def load(*, password: str) -> None:
    """Configure the demo desk and write its tickets (skipped when demo tickets exist)."""
    if Ticket.objects.filter(external_ref__startswith=MARKER).exists():
        return
    if (
        not Service.objects.filter(code="accounting-a").exists()
        or not User.objects.filter(username="agent").exists()
    ):
        return  # the accounts and portfolio demo data are not there
    now = timezone.now()
    desk = Desk(now=now)
    with frozen_clock(epoch()), context.acting(user=desk.user("manager"), channel=WEB):
        configure(desk)
        add_contacts(desk)
    plans = [plan(desk, s) for s in desk.rng.choices(SCENARIOS, [s.weight for s in SCENARIOS], k=195)]
    all_stories: list[Story] = [incident(desk, p) for p in plans]
    all_stories += [
        major_network(desk),
        major_children(desk),
        major_mail(desk),
        vpn_repeats(desk),
        accounting_b_problem(desk),
        e2041_incident(desk, 25, "sakura", pending=False),
        e2041_incident(desk, 16, "木村 拓真", pending=False),
        e2041_incident(desk, 9, "sakura", pending=True),
        mail_problem(desk),
        wifi_problem(desk),
        backup_problem(desk),
        performance_problem(desk),
        *stale_ones(desk),
        duplicate(desk),
        reopened(desk),
        english(desk),
        *fresh(desk),
        *template_requests(desk),
    ]
    for source in _sources:
        all_stories += list(source(desk))
    all_stories += [review_meetings(desk), nightly_closure(desk)]
    run(all_stories, end=desk.end)
