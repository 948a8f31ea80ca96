"""Content of the desk's demo: the recurring incident scenarios, replies, templates and contacts.

Data only (Japanese texts are wider than code lines); the loader in :mod:`.demo` plays them.
"""

# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass

from .choices import Kind

DESK, INFRA, APPS = "サービスデスク", "基盤運用", "アプリ保守"
CUSTOMERS = ("sakura", "minato", "aoba")
EVERYONE = (*CUSTOMERS, "kaizen-it")

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
