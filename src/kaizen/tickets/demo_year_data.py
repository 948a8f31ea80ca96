"""Content of the desk demo's older inquiries: the topics requesters asked about all year.

Data only (Japanese texts are wider than code lines); :mod:`.demo_year` plays them. Each topic has
several phrasings of the same question, the resolutions the desk wrote for it, how often it comes
in a month and in which months more often (new hires in April, year-end adjustment in November and
December, ...). One-off topics come once in the months they name.
"""

# ruff: noqa: E501

from __future__ import annotations

from dataclasses import dataclass

from .choices import Kind
from .demo_data import APPS, CUSTOMERS, DESK, EVERYONE, INFRA

Text = tuple[str, str]
"""(title, description) or (resolution, cause class)."""


@dataclass(frozen=True)
class Topic:
    """Something requesters ask about again and again, in their own words."""

    key: str
    rate: float
    """Inquiries in an ordinary month."""
    kind: str
    category: str
    phrasings: tuple[Text, ...]
    resolutions: tuple[Text, ...]
    service: str | None = None
    team: str = DESK
    season: tuple[tuple[int, float], ...] = ()
    """(month, factor): months with more (or fewer) inquiries than ordinary."""
    once: tuple[int, ...] = ()
    """Months with one more inquiry (the rare topics have only these)."""
    only_in_season: bool = False
    """Months outside ``season`` have none."""
    orgs: tuple[str, ...] = EVERYONE
    channels: tuple[str, ...] = ("portal", "portal", "phone", "email")
    urgency: tuple[int, ...] = (3,)
    impact: int = 4
    template: str = ""
    note: str = ""
    """The work note the worker leaves now and then."""

    def expected(self, month: int) -> float:
        """Return how many inquiries the topic has on average in ``month``."""
        return self.rate * dict(self.season).get(month, 0.0 if self.only_in_season else 1.0)


INCIDENT, REQUEST = Kind.INCIDENT, Kind.REQUEST
ACCOUNTS, HARDWARE, SOFTWARE, NETWORK, MAIL = (
    "アカウント・権限",
    "ハードウェア",
    "ソフトウェア",
    "ネットワーク",
    "メール",
)
BUSINESS, SECURITY, QUESTION = "業務アプリケーション", "セキュリティ", "情報提供・問い合わせ"
NEW_HIRES = ((3, 2.5), (4, 7.0), (5, 1.5), (10, 2.5))
"""April's new hires (and October's mid-career ones) bring their set-up with them."""

TOPICS: tuple[Topic, ...] = (
    Topic(
        "password",
        8,
        INCIDENT,
        ACCOUNTS,
        (
            (
                "パスワードを忘れてログインできない",
                "PCのログインパスワードを忘れてしまいました。再設定をお願いできますか。",
            ),
            (
                "パスワードリセットをお願いします",
                "何度か入力を間違えたため、パスワードが分からなくなりました。リセットをお願いします。",
            ),
            (
                "パスワードの有効期限切れでログインできない",
                "「パスワードの有効期限が切れています」と表示され、変更画面でエラーになります。",
            ),
            (
                "連休明けにパスワードが分からなくなった",
                "連休明けにPCへログインしようとしたら、パスワードを思い出せません。",
            ),
            (
                "初期パスワードでログインできない",
                "通知された初期パスワードを入力しても「ユーザー名またはパスワードが違います」と表示されます。",
            ),
            (
                "Forgot my password",
                "I cannot remember my Windows password after the holidays. Could you reset it, please?",
            ),
        ),
        (
            (
                "本人確認（社員番号・内線番号）のうえパスワードを再設定し、初回ログイン時の変更を案内しました。",
                "operation",
            ),
            (
                "仮パスワードを発行し、ポータルの「パスワードリセット」手順を案内しました。ログインできることを確認済みです。",
                "operation",
            ),
            (
                "期限切れ通知メールが迷惑メールフォルダに振り分けられていました。仮パスワードを発行し、通知元アドレスを許可リストに追加しました。",
                "configuration",
            ),
            (
                "初期パスワードの通知に誤りがありました。正しい仮パスワードを再発行し、ログインを確認しました。",
                "operation",
            ),
        ),
        season=((1, 1.6), (4, 2.2), (5, 1.6), (8, 1.3), (9, 1.2)),
        channels=("phone", "phone", "email", "portal"),
        urgency=(3, 3, 2),
        template="パスワード再設定",
        note="本人確認済み（社員番号・内線番号）。",
    ),
    Topic(
        "lockout",
        5,
        INCIDENT,
        ACCOUNTS,
        (
            (
                "アカウントがロックされました",
                "朝からログインしようとすると「アカウントがロックされています」と表示されます。",
            ),
            (
                "アカウントロックの解除をお願いします",
                "パスワードを何度か間違えたらロックされてしまいました。急ぎで解除をお願いします。",
            ),
            (
                "何度もアカウントがロックされる",
                "解除していただいても、しばらくするとまたロックされます。何もしていないのですが。",
            ),
            ("Account locked out", "My account gets locked every morning. I changed my password last week."),
        ),
        (
            (
                "ロックを解除しました。スマートフォンのメールアプリに旧パスワードが残っており、認証失敗を繰り返していたため設定を更新していただきました。",
                "operation",
            ),
            (
                "ロックを解除し、ロックアウトのイベントログを確認しました。原因となった端末は特定できなかったため経過観察とします。",
                "unknown",
            ),
            (
                "ロックを解除しました。ネットワークドライブの割り当てに旧パスワードが保存されていたため、資格情報を削除しました。",
                "operation",
            ),
        ),
        season=((4, 1.6), (5, 1.3)),
        channels=("phone", "phone", "email"),
        urgency=(2, 3),
        template="パスワード再設定",
    ),
    Topic(
        "vpn",
        8,
        INCIDENT,
        NETWORK,
        (
            (
                "VPNに接続できない",
                "自宅からVPNに接続しようとすると「サーバーに到達できません」と表示されます。昨日までは使えていました。",
            ),
            (
                "在宅勤務でVPNがつながりません",
                "在宅勤務の日にVPNへ接続できません。自宅のWi-Fiにはつながっています。",
            ),
            (
                "VPNが数分で切断される",
                "VPNに接続しても数分で切れてしまい、会計Aの入力が途中で消えてしまいます。",
            ),
            (
                "出張先からVPNに接続できない",
                "出張先のホテルのWi-FiからVPNに接続できません。テザリングでは接続できました。",
            ),
            (
                "VPN接続時に証明書エラーが出る",
                "VPNクライアントで「証明書を検証できません」と表示され、接続できません。",
            ),
            (
                "Cannot connect to VPN from home",
                'The VPN client says "Unable to reach the gateway" when I work from home.',
            ),
        ),
        (
            (
                "VPNクライアントが古いバージョンでした。最新版に更新していただき、接続を確認しました。",
                "middleware",
            ),
            ("ご自宅のルータの不具合でした。ルータの再起動で解消しました。", "external_party"),
            (
                "ホテルのネットワークがVPNの通信 (UDP 4500) を遮断していました。TCP 443 モードへの切替手順を案内し、接続を確認しました。",
                "environment",
            ),
            ("クライアント証明書の有効期限切れでした。証明書を再発行し、接続を確認しました。", "planning"),
        ),
        service="vpn",
        team=INFRA,
        season=((2, 1.3), (7, 1.3), (8, 1.5), (12, 1.2)),
        orgs=CUSTOMERS,
        urgency=(3, 3, 2),
        template="VPN接続不可",
        note="ゲートウェイ側のログでは認証まで到達していない。クライアント側の問題と判断。",
    ),
    Topic(
        "printer",
        6,
        INCIDENT,
        HARDWARE,
        (
            ("複合機で印刷できない", "3階の複合機に印刷しても出てきません。他の人は印刷できているようです。"),
            (
                "トナーを交換してほしい",
                "複合機に「トナーがなくなりました」と表示されています。交換をお願いします。",
            ),
            (
                "複合機のトナー切れ表示が消えない",
                "トナーを交換したのに「トナー残量なし」の表示が消えず、印刷できません。",
            ),
            ("プリンタで紙詰まりが直らない", "紙詰まりのエラーが出て、紙を取り除いても表示が消えません。"),
            (
                "印刷が途中で止まってしまう",
                "PDFを印刷すると、2ページ目以降が出てきません。キューに残ったままです。",
            ),
            (
                "Printer not printing",
                "Jobs sent to the second-floor printer stay in the queue and never print.",
            ),
        ),
        (
            (
                "印刷キューに止まっていたジョブを削除し、ドライバを再インストールしました。印刷できることを確認しています。",
                "middleware",
            ),
            ("トナーカートリッジを交換しました。予備のトナーを2本補充しています。", "hardware"),
            (
                "給紙ローラーの摩耗が原因でした。保守業者に交換を依頼し、交換後に印刷を確認しました。",
                "hardware",
            ),
            (
                "印刷先が別フロアの複合機になっていました。正しい複合機を既定のプリンタに設定しました。",
                "operation",
            ),
        ),
        season=((3, 1.3), (12, 1.2)),
        note="複合機の管理画面でエラー履歴を確認。",
    ),
    Topic(
        "mail-quota",
        5,
        INCIDENT,
        MAIL,
        (
            (
                "メールボックスの容量がいっぱいと表示される",
                "Outlookで「メールボックスがいっぱいです」と表示され、メールが送れません。",
            ),
            (
                "メールの容量制限を増やしてほしい",
                "メールボックスの容量が上限に近いという警告が毎日届きます。容量を増やせますか。",
            ),
            (
                "容量超過でメールが受信できない",
                "取引先から「メールが戻ってくる」と言われました。容量超過になっているようです。",
            ),
            ("Outlookの容量警告が消えない", "古いメールを削除しましたが、容量の警告が消えません。"),
        ),
        (
            (
                "削除済みアイテムと送信済みの大容量の添付ファイルを整理していただき、容量を確保しました。アーカイブの設定方法も案内しました。",
                "operation",
            ),
            ("メールボックスの容量を上限 50GB に変更しました（上長承認済み）。", "planning"),
            (
                "削除済みアイテムが空になっていなかったため、容量が減っていませんでした。フォルダを空にして警告が消えたことを確認しました。",
                "operation",
            ),
        ),
        service="mail",
        season=((3, 1.5), (9, 1.3)),
        template="メール送受信不可",
    ),
    Topic(
        "outlook",
        4,
        INCIDENT,
        MAIL,
        (
            (
                "Outlookが起動しない",
                "Outlookを起動すると「プロファイルを読み込んでいます」のまま止まってしまいます。",
            ),
            ("Outlookでメールの検索ができない", "Outlookの検索で、先月以前のメールが見つかりません。"),
            (
                "Outlookの予定表が同期されない",
                "スマートフォンで入れた予定がOutlookの予定表に表示されません。",
            ),
            ("メールが送信トレイに残ったまま", "送信したメールが送信トレイに残り、相手に届いていません。"),
        ),
        (
            ("Outlookのプロファイルを再作成し、起動と送受信を確認しました。", "middleware"),
            (
                "検索インデックスを再構築しました。過去のメールも検索できることを確認しています。",
                "middleware",
            ),
            (
                "添付ファイルの容量が上限 (20MB) を超えていました。ファイル共有のリンクで送る方法を案内しました。",
                "operation",
            ),
        ),
        service="mail",
        template="メール送受信不可",
    ),
    Topic(
        "teams",
        5,
        INCIDENT,
        SOFTWARE,
        (
            (
                "Teams会議で音声が聞こえない",
                "Teams会議に参加すると、相手の声が聞こえません。スピーカーは正常です。",
            ),
            (
                "会議室のTeams端末がつながらない",
                "5階の大会議室のTeams会議端末が起動せず、会議を始められません。",
            ),
            ("Teamsで画面共有ができない", "Teams会議で画面共有を押しても、相手に画面が表示されません。"),
            (
                "会議室の予約がTeamsに反映されない",
                "会議室を予約したのに、Teams会議の招待に会議室が表示されません。",
            ),
            (
                "Teamsにサインインできない",
                "Teamsを起動すると「問題が発生しました」と表示され、サインインできません。",
            ),
        ),
        (
            ("Teamsのキャッシュを削除し、再サインインで解消しました。", "middleware"),
            (
                "会議室端末のOSを再起動し、最新の更新を適用しました。会議を開始できることを確認しています。",
                "middleware",
            ),
            ("画面収録の許可がオフになっていました。設定を変更して画面共有を確認しました。", "configuration"),
            (
                "会議室のリソースメールボックスの自動承諾が無効になっていました。設定を修正しました。",
                "configuration",
            ),
        ),
        season=((4, 1.6), (10, 1.2)),
        note="会議室端末の管理画面で状態を確認。",
    ),
    Topic(
        "pc-setup",
        2,
        REQUEST,
        HARDWARE,
        (
            (
                "新入社員のPCセットアップ依頼",
                "4月1日入社の新入社員のPCセットアップをお願いします。名簿は別途メールで送ります。",
            ),
            (
                "新しく入る社員用のPCを準備してほしい",
                "来月から配属になる社員のPCを用意してください。配属先は営業部です。",
            ),
            (
                "入社予定者のPCとアカウントの準備",
                "入社予定者のPC・メール・勤怠システムのアカウントを、入社日までに準備したいです。",
            ),
            ("中途入社者のPC手配", "中途入社の社員が来週から勤務します。PCの手配をお願いします。"),
            (
                "PC setup for a new team member",
                "A new researcher joins our lab next month. Could you prepare a laptop?",
            ),
        ),
        (
            (
                "標準イメージでPCをセットアップし、資産番号を登録しました。入社日の朝に総務部へお渡ししています。",
                "",
            ),
            ("PCのセットアップとアカウント発行を完了し、初期設定の手順書を添えてお渡ししました。", ""),
            ("在庫のPCを初期化してセットアップしました。メール・VPNの設定も済んでいます。", ""),
        ),
        season=NEW_HIRES,
        channels=("portal", "email", "email"),
        urgency=(4,),
        template="アカウント申請",
    ),
    Topic(
        "new-account",
        2,
        REQUEST,
        ACCOUNTS,
        (
            ("新入社員のアカウント発行", "新入社員のPCログイン・メールアカウントの発行をお願いします。"),
            (
                "異動者のアカウント・権限の変更",
                "4月1日付の異動者の所属変更と、共有フォルダの権限の付け替えをお願いします。",
            ),
            (
                "派遣社員のアカウント発行をお願いします",
                "来週から勤務する派遣社員のアカウントをお願いします。期間は6か月です。",
            ),
            (
                "退職者のアカウント停止",
                "月末で退職する社員のアカウント停止をお願いします。メールは上長へ転送してください。",
            ),
        ),
        (
            ("アカウントを発行し、初期パスワードを上長あてに封書で送付しました。", ""),
            ("所属変更と権限の付け替えを完了しました。旧部署のフォルダへのアクセスは月末で削除します。", ""),
            ("有効期限つきのアカウントを発行しました。", ""),
            ("指定日の18時にアカウントを停止し、メールの転送設定（上長あて・90日間）を行いました。", ""),
        ),
        season=((3, 3.0), (4, 5.0), (9, 1.5), (10, 2.0)),
        channels=("email", "email", "portal"),
        urgency=(4,),
        template="アカウント申請",
    ),
    Topic(
        "windows-update",
        4,
        INCIDENT,
        SOFTWARE,
        (
            (
                "Windows Updateが失敗する",
                "Windows Updateで「更新プログラムをインストールできませんでした」と表示されます。",
            ),
            (
                "更新プログラムの後にPCが遅くなった",
                "昨日の更新プログラムの適用後から、PCの起動に10分以上かかります。",
            ),
            (
                "再起動のたびに更新が繰り返される",
                "「更新を構成しています」のあと元に戻され、毎回同じ更新が始まります。",
            ),
            (
                "更新後にプリンタが使えなくなった",
                "Windowsの更新が入ってから、複合機に印刷できなくなりました。",
            ),
            (
                "Windows update stuck at 35%",
                'My laptop has been showing "Working on updates 35%" since this morning.',
            ),
        ),
        (
            (
                "更新のキャッシュ (SoftwareDistribution) を削除して再適用し、更新が完了したことを確認しました。",
                "middleware",
            ),
            (
                "更新プログラムの既知の不具合でした。ベンダーの修正プログラムを適用して解消しました。",
                "program",
            ),
            (
                "ディスクの空き容量不足で更新が失敗していました。不要ファイルを削除し、更新を完了しました。",
                "environment",
            ),
            (
                "プリンタドライバが更新で無効になっていました。最新のドライバを入れ直して解消しました。",
                "program",
            ),
        ),
        season=((2, 1.3), (6, 1.3), (10, 1.6)),
        urgency=(3, 4),
        note="同じ更新プログラム (KB) で他に申告がないか確認。",
    ),
    Topic(
        "expense",
        3,
        INCIDENT,
        ACCOUNTS,
        (
            (
                "経費精算システムにログインできない",
                "経費精算システムにログインしようとすると「認証に失敗しました」と表示されます。",
            ),
            (
                "経費精算の申請画面が開かない",
                "経費精算システムにログインはできますが、申請画面が真っ白のままです。",
            ),
            (
                "経費精算システムのパスワードを忘れた",
                "月に一度しか使わないため、経費精算システムのパスワードを忘れてしまいました。",
            ),
        ),
        (
            (
                "シングルサインオンの連携設定に漏れがありました。設定を追加し、ログインを確認しました。",
                "configuration",
            ),
            ("ブラウザのキャッシュを削除して表示されることを確認しました。", "middleware"),
            (
                "経費精算システムのパスワードを再設定し、シングルサインオンでの入り方を案内しました。",
                "operation",
            ),
        ),
        season=((3, 1.4), (4, 1.5), (9, 1.4)),
        orgs=CUSTOMERS,
    ),
    Topic(
        "attendance",
        3,
        INCIDENT,
        ACCOUNTS,
        (
            ("勤怠システムにログインできない", "勤怠システムにログインできず、出勤の打刻ができません。"),
            ("勤怠システムで打刻ができない", "勤怠システムの打刻ボタンを押してもエラーになります。"),
            (
                "勤怠の承認画面が表示されない",
                "勤怠システムの部下の承認画面が表示されません。異動してからです。",
            ),
        ),
        (
            (
                "勤怠システムのアカウントが異動前の所属のままでした。所属を更新し、ログインを確認しました。",
                "operation",
            ),
            (
                "勤怠システム側の一時的な障害でした（提供元の障害情報あり）。復旧後に打刻できることを確認しました。",
                "external_party",
            ),
            ("承認者の設定が異動前の上長のままでした。承認経路を修正しました。", "configuration"),
        ),
        season=((1, 1.3), (4, 1.8), (10, 1.3)),
        orgs=CUSTOMERS,
    ),
    Topic(
        "nenmatsu",
        1,
        REQUEST,
        QUESTION,
        (
            (
                "年末調整システムにログインできない",
                "年末調整システムの初回ログインで、通知されたIDでは入れません。",
            ),
            ("年末調整の入力方法を教えてほしい", "年末調整システムで保険料控除の入力の仕方が分かりません。"),
            (
                "年末調整で控除証明書をアップロードできない",
                "生命保険料控除証明書のPDFをアップロードするとエラーになります。",
            ),
            (
                "年末調整の提出期限を過ぎてしまった",
                "年末調整システムの入力期限を過ぎてしまいました。まだ入力できますか。",
            ),
            (
                "年末調整システムの画面が途中で止まる",
                "扶養控除の入力画面で「次へ」を押すと画面が止まってしまいます。",
            ),
        ),
        (
            (
                "年末調整システムの初回ログイン手順（社員番号と生年月日）を案内し、ログインを確認しました。",
                "",
            ),
            ("入力手順書の該当ページを案内し、画面共有で一緒に入力しました。", ""),
            ("アップロードできるファイルは 5MB までのため、PDFを縮小する方法を案内しました。", ""),
            ("総務部に確認のうえ、入力期限を延長していただきました。", ""),
        ),
        season=((10, 3.0), (11, 14.0), (12, 12.0), (1, 3.0)),
        only_in_season=True,
        orgs=CUSTOMERS,
        channels=("portal", "portal", "phone", "email"),
        urgency=(3, 4),
    ),
    Topic(
        "share",
        4,
        REQUEST,
        ACCOUNTS,
        (
            (
                "共有フォルダにアクセスできない",
                "部署の共有フォルダを開こうとすると「アクセス権がありません」と表示されます。",
            ),
            (
                "共有フォルダの権限を追加してほしい",
                "プロジェクトの共有フォルダに、新しいメンバー2名の書き込み権限を追加してください。",
            ),
            (
                "ファイルサーバのフォルダが見えなくなった",
                "昨日まで見えていたファイルサーバのフォルダが表示されません。",
            ),
            ("異動先の共有フォルダが開けない", "異動後、新しい部署の共有フォルダにアクセスできません。"),
            ("Access to the shared folder", "Please give me write access to the lab's shared folder."),
        ),
        (
            ("上長の承認を確認し、共有フォルダのアクセス権を追加しました。", ""),
            (
                "部署のセキュリティグループへの追加が漏れていました。追加し、再ログイン後に開けることを確認しました。",
                "",
            ),
            ("ネットワークドライブの割り当てが切れていました。割り当てをやり直しました。", ""),
        ),
        season=((4, 2.2), (7, 1.2), (10, 1.6)),
        urgency=(3, 4),
    ),
    Topic(
        "wifi",
        3,
        INCIDENT,
        NETWORK,
        (
            ("社内Wi-Fiにつながらない", "会議室で社内Wi-Fiに接続できません。自席では問題ありません。"),
            ("Wi-Fiが頻繁に切れる", "打ち合わせスペースでWi-Fiが数分おきに切れます。"),
            (
                "ゲスト用Wi-Fiのパスワードを知りたい",
                "来客にゲスト用Wi-Fiを使ってもらいたいのですが、パスワードを教えてください。",
            ),
        ),
        (
            ("無線アクセスポイントを再起動し、接続が安定したことを確認しました。", "hardware"),
            ("PCの無線LANドライバを更新して解消しました。", "middleware"),
            ("今月のゲスト用Wi-Fiのパスワードを案内しました（毎月1日に変更されます）。", "unknown"),
        ),
        team=INFRA,
    ),
    Topic(
        "mfa",
        2.5,
        INCIDENT,
        ACCOUNTS,
        (
            (
                "スマートフォンを機種変更したら多要素認証ができない",
                "機種変更をしたら、認証アプリのコードが使えなくなりました。",
            ),
            ("ワンタイムパスワードが届かない", "ログイン時のワンタイムパスワードのSMSが届きません。"),
            ("認証アプリを再登録したい", "認証アプリを削除してしまいました。再登録の方法を教えてください。"),
        ),
        (
            ("本人確認のうえ多要素認証の登録をリセットし、新しい端末での再登録を案内しました。", "operation"),
            (
                "登録されていた電話番号が古いものでした。番号を更新し、SMSが届くことを確認しました。",
                "operation",
            ),
            ("認証アプリの再登録手順を案内し、登録できたことを確認しました。", "unknown"),
        ),
        season=((3, 1.5), (9, 1.8), (10, 1.4)),
        channels=("phone", "email"),
    ),
    Topic(
        "accounting-howto",
        3,
        REQUEST,
        QUESTION,
        (
            (
                "会計Aで仕訳の修正方法を知りたい",
                "承認済みの仕訳を修正したいのですが、どの画面から行えばよいでしょうか。",
            ),
            (
                "会計Aの月次締めの手順を教えてほしい",
                "担当者が交代したため、会計Aの月次締めの手順を教えてください。",
            ),
            (
                "会計Bで取引先を追加したい",
                "会計Bに新しい取引先を登録したいのですが、権限がないと表示されます。",
            ),
            ("決算期の帳票の出力方法", "期末の決算用帳票（試算表・元帳）の出力方法を教えてください。"),
        ),
        (
            ("操作マニュアルの該当ページを案内し、操作できたことを確認しました。", ""),
            ("月次締めの手順書を送付し、画面共有で一通りの操作を説明しました。", ""),
            ("取引先登録の権限を付与しました（上長承認済み）。", ""),
        ),
        service="accounting-helpdesk",
        season=((3, 1.8), (4, 1.4), (9, 1.5)),
        orgs=("sakura",),
        channels=("portal", "phone", "email"),
        urgency=(4,),
        template="会計システム操作問い合わせ",
    ),
    Topic(
        "pc",
        4,
        INCIDENT,
        HARDWARE,
        (
            ("PCの動作が遅い", "PCの動作が非常に遅く、Excelを開くだけで数分かかります。"),
            (
                "ノートPCのファンがうるさく熱い",
                "ノートPCのファンが常に大きな音を立てていて、本体がとても熱くなります。",
            ),
            ("PCが起動しない", "電源ボタンを押しても画面が真っ暗なままで起動しません。"),
            ("ノートPCのバッテリーがすぐ切れる", "満充電でも1時間ほどでバッテリーが切れてしまいます。"),
        ),
        (
            (
                "起動時に常駐するソフトが多く、メモリが不足していました。不要な常駐を停止し、メモリの増設を手配しました。",
                "environment",
            ),
            ("ファンに埃が詰まっていました。清掃して温度が下がったことを確認しました。", "hardware"),
            ("マザーボードの故障でした。代替機を貸し出し、データを移行しました。", "hardware"),
            ("バッテリーの劣化でした。保守契約でバッテリーを交換しました。", "hardware"),
        ),
        season=((7, 1.5), (8, 1.6)),
        template="PC故障",
    ),
    Topic(
        "software",
        2.5,
        REQUEST,
        SOFTWARE,
        (
            (
                "ソフトウェアのインストールを依頼したい",
                "業務で使う Visio をインストールしたいのですが、管理者権限が必要と表示されます。",
            ),
            (
                "Acrobatのライセンスを追加してほしい",
                "PDFの編集が必要になったため、Acrobat のライセンスをお願いします。",
            ),
            ("ブラウザの拡張機能を使いたい", "取引先の受発注サイトで必要な拡張機能を追加したいです。"),
        ),
        (
            ("ライセンスを割り当て、ソフトウェアをインストールしました。", ""),
            ("セキュリティ部門の確認後、許可リストに追加してインストールしました。", ""),
            ("既存のライセンスの空きを割り当てました。", ""),
        ),
        season=((4, 1.5),),
        urgency=(4,),
    ),
    Topic(
        "phishing",
        2,
        INCIDENT,
        SECURITY,
        (
            ("不審なメールが届いた", "宅配業者を名乗るメールが届きました。リンクは開いていません。"),
            (
                "フィッシングメールのリンクを開いてしまった",
                "請求書を装ったメールのリンクを開いてしまいました。パスワードは入力していません。",
            ),
            ("取引先を名乗る怪しいメール", "取引先の担当者名で、振込先の変更を依頼するメールが届きました。"),
        ),
        (
            ("メールフィルタで同じ差出人をブロックし、全社に注意喚起を送りました。", "external_party"),
            (
                "端末のウイルススキャンで異常がないことを確認し、念のためパスワードを変更していただきました。",
                "external_party",
            ),
            (
                "取引先に電話で確認し、なりすましであることを確認しました。メールフィルタに登録しています。",
                "external_party",
            ),
        ),
        service="mail",
        season=((5, 1.3), (12, 1.6)),
        channels=("email", "phone", "portal"),
        urgency=(2, 3),
    ),
    Topic(
        "mobile-mail",
        2,
        INCIDENT,
        MAIL,
        (
            (
                "スマートフォンでメールが同期されない",
                "会社のスマートフォンで、昨日からメールが受信されません。",
            ),
            (
                "新しいスマートフォンにメールを設定したい",
                "機種変更したスマートフォンに会社のメールを設定する方法を教えてください。",
            ),
        ),
        (
            ("メールアプリのアカウントを削除して再設定し、同期を確認しました。", "operation"),
            ("モバイル端末の登録上限に達していました。古い端末の登録を削除しました。", "configuration"),
        ),
        service="mail",
        season=((9, 1.6), (10, 1.3)),
        channels=("phone", "email", "portal"),
    ),
    # The rare ones: a month or two each.
    Topic(
        "projector",
        0,
        INCIDENT,
        HARDWARE,
        (
            (
                "会議室のプロジェクタが映らない",
                "大会議室のプロジェクタにノートPCをつないでも「信号なし」と表示されます。",
            ),
        ),
        (("HDMIケーブルの断線でした。ケーブルを交換して映ることを確認しました。", "hardware"),),
        once=(6, 11),
    ),
    Topic(
        "usb",
        0,
        INCIDENT,
        SECURITY,
        (("USBメモリが認識されない", "取引先から受け取ったUSBメモリを挿しても認識されません。"),),
        (
            (
                "USBメモリの利用はセキュリティポリシーで制限されています。ファイル共有サービスでの受け渡しを案内しました。",
                "design",
            ),
        ),
        once=(2, 7),
    ),
    Topic(
        "lost-phone",
        0,
        INCIDENT,
        SECURITY,
        (
            (
                "社用スマートフォンを紛失した",
                "昨夜、帰宅途中に社用スマートフォンを紛失しました。警察には届けています。",
            ),
        ),
        (
            (
                "端末管理からリモートロックとデータ消去を実行し、アカウントのパスワードを変更しました。代替機を手配しています。",
                "operation",
            ),
        ),
        once=(1, 9),
        channels=("phone",),
        urgency=(1, 2),
        impact=3,
    ),
    Topic(
        "excel-macro",
        0,
        INCIDENT,
        SOFTWARE,
        (
            (
                "Excelのマクロが動かない",
                "毎月使っている集計用のExcelマクロが「マクロはブロックされました」と表示されて動きません。",
            ),
        ),
        (
            (
                "インターネットから取得したファイルとしてマクロがブロックされていました。信頼できる場所に保存する手順を案内しました。",
                "configuration",
            ),
        ),
        once=(3, 8),
    ),
    Topic(
        "dst",
        0,
        INCIDENT,
        SOFTWARE,
        (
            (
                "海外拠点との会議の時刻が1時間ずれている",
                "米国拠点との定例会議が、今週から予定表上で1時間ずれて表示されています。",
            ),
        ),
        (
            (
                "米国の夏時間の切替によるものでした。会議の主催者のタイムゾーン設定で予定を作り直していただきました。",
                "environment",
            ),
        ),
        once=(3,),
        orgs=("aoba",),
    ),
    Topic(
        "keyboard",
        0,
        INCIDENT,
        HARDWARE,
        (
            (
                "キーボードに飲み物をこぼした",
                "ノートPCのキーボードにコーヒーをこぼしてしまい、一部のキーが反応しません。",
            ),
        ),
        (("代替機を貸し出し、修理を手配しました。データは代替機へ移行済みです。", "operation"),),
        once=(6,),
    ),
    Topic(
        "monitor",
        0,
        REQUEST,
        HARDWARE,
        (("外付けモニタを追加したい", "資料作成が多いため、2台目のモニタを使いたいです。"),),
        (("在庫のモニタを手配し、設置しました。", ""),),
        once=(5, 10),
        urgency=(4,),
    ),
    Topic(
        "etax",
        0,
        INCIDENT,
        BUSINESS,
        (
            (
                "e-Taxで電子証明書のエラーが出る",
                "会計Aから電子申告データを送信すると「電子証明書が確認できません」と表示されます。",
            ),
        ),
        (
            (
                "電子証明書の有効期限が切れていました。経理部で更新していただき、送信を確認しました。",
                "planning",
            ),
        ),
        service="accounting-a",
        team=APPS,
        once=(2, 5),
        orgs=("sakura",),
        urgency=(2,),
    ),
    Topic(
        "stress-check",
        0,
        INCIDENT,
        ACCOUNTS,
        (
            (
                "ストレスチェックのサイトにログインできない",
                "ストレスチェックの案内メールのURLからログインできません。",
            ),
        ),
        (("案内メールのIDが旧社員番号でした。総務部に確認し、正しいIDを案内しました。", "operation"),),
        once=(6, 7),
        orgs=CUSTOMERS,
    ),
    Topic(
        "snow",
        0,
        REQUEST,
        HARDWARE,
        (
            (
                "大雪予報のため在宅勤務用にPCを持ち帰りたい",
                "明日は大雪の予報のため、部署の数名がデスクトップの代わりにノートPCを借りたいです。",
            ),
        ),
        (("貸出用ノートPC 3台を準備し、VPN設定を確認のうえ貸し出しました。", ""),),
        once=(2,),
        orgs=("sakura", "minato"),
    ),
    Topic(
        "mailing-list",
        0,
        REQUEST,
        MAIL,
        (
            (
                "Please add me to the lab mailing list",
                "I would like to receive the research-lab mailing list. Could you add me?",
            ),
        ),
        (("Added to research-lab@aoba.example.jp.", ""),),
        service="mail",
        once=(5,),
        orgs=("aoba",),
    ),
)

IMPROVEMENTS = {
    "password": (5, "パスワード再設定のセルフサービス化（4月・連休明けの問い合わせ集中対策）"),
    "mail-quota": (4, "メールボックス容量の事前警告と自動アーカイブの導入"),
}
"""Incident topic -> (month, title): what the review decided once that month's peak was over."""
QUICK = frozenset({"password", "lockout", "mfa"})
"""Topics the desk solves while the caller is still on the phone."""
