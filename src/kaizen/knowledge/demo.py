"""Demo knowledge articles: published how-tos for the demo services in Japanese and English, one
overdue for its periodic re-review, one draft, and some readers' feedback.

Runs after the desk and problem management. Idempotent: nothing is written when an article exists,
or when the demo logins are missing. Written through the services as the users who would write
them; the overdue article is published with the demo clock moved back.
"""

# Demo content: Japanese sentences are wider than code lines.
# ruff: noqa: E501

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kaizen.accounts.models import Organisation, Person, User
from kaizen.core import context
from kaizen.core import demo as registry
from kaizen.portfolio.models import Service
from kaizen.tickets import demo as desk_demo

from . import services
from .choices import Audience
from .models import Article

WEB = context.Channel.WEB

VPN = """在宅勤務や出張先から社内システムに接続する手順です。

## 準備

- VPN クライアント（FortiClient）が PC に入っていること
- 社員番号とパスワード、ワンタイムパスワード用のスマートフォンアプリ

## 接続手順

1. タスクバーの FortiClient を開く
2. 接続先「本社 VPN」を選び、社員番号とパスワードを入力する
3. スマートフォンに表示された 6 桁のコードを入力する
4. 「接続済み」と表示されたら完了です

## つながらないとき

- 自宅の Wi-Fi につながっているか確認する
- 数分おきに切れる場合は、クライアントを再起動してから接続し直す
- それでも解決しない場合はサービスデスク（内線 1234）へ連絡してください
"""

PASSWORD = """パスワードを忘れた、またはロックされた場合の手順です。

1. ポータルの「パスワードリセット」を開く
2. 社員番号と登録済みのメールアドレスを入力する
3. 届いたメールのリンク（有効期限 30 分）から新しいパスワードを設定する

**新しいパスワードの条件**: 12 文字以上、英大文字・英小文字・数字を含むこと。過去 5 回分と同じものは使えません。

5 回続けて間違えるとアカウントが 30 分ロックされます。急ぎの場合はサービスデスクへ連絡してください。
"""

PRINTER = """複合機で印刷できないときに、まず確認することです。

## 確認すること

1. 複合機の画面にエラー（用紙切れ・紙詰まり・トナー切れ）が出ていないか
2. 印刷先のプリンタ名が正しいか（各フロアの複合機名は本体のラベルに記載）
3. Windows の「プリンターとスキャナー」で印刷待ちのジョブが止まっていないか

## 印刷待ちのジョブを消す

「プリンターとスキャナー」→ 対象の複合機 →「キューを開く」→ 止まっているジョブを右クリックして「キャンセル」。その後もう一度印刷してください。

改善しない場合は、複合機の管理番号を添えてサービスデスクへ連絡してください。
"""

MAIL = """メール送信時に「送信できませんでした」と表示される場合の対処です。

| 表示されるエラー | 原因 | 対処 |
| --- | --- | --- |
| 550 5.1.1 宛先不明 | 宛先アドレスの誤り | アドレスを確認して再送する |
| 552 サイズ超過 | 添付ファイルが 20MB を超えている | ファイル共有サービスのリンクで送る |
| 認証エラー | パスワード変更後の再設定漏れ | Outlook のパスワードを更新する |

送信トレイにメールが残り続ける場合は、Outlook を再起動してください。
"""

VPN_EN = """How to connect to the company network from home or while travelling.

1. Open FortiClient from the task bar.
2. Choose **Head office VPN** and sign in with your employee number and password.
3. Enter the six-digit code shown in the authenticator app on your phone.

If the connection drops every few minutes, restart the client and connect again. Still stuck? Call the service desk (extension 1234).
"""

SHARED_MAILBOX = """How agents set up a shared mailbox after the request is approved.

1. Create the mailbox in the mail admin console (name: `team-<department>`).
2. Grant *Full access* and *Send as* to the members listed in the request.
3. Reply to the requester with the address and the Outlook steps from article "メール送信エラーの対処".
"""

DRAFT = """会計B で仕訳入力時にエラー E-2041 が表示された場合の回避手順（作成中）。

摘要欄・取引先名に半角カナや機種依存文字（①、㈱ など）が含まれていないか確認し、全角に置き換えて登録する。
"""


def _service(code: str) -> Service | None:
    return Service.objects.filter(code=code).first()


def _write(
    author: User,
    *,
    organisation: Organisation,
    reviewers: list[Person],
    publisher: User | None,
    service: str | None,
    **data: Any,
) -> Article:
    with context.acting(user=author, channel=WEB):
        article = services.create_article(
            actor=author,
            data={"organisation": organisation, "service": _service(service) if service else None, **data},
            reviewers=reviewers,
        )
        if publisher is None:
            return article
        article = services.transition(article.pk, "submit", actor=author, version=article.version)
    with context.acting(user=publisher, channel=WEB):
        return services.transition(article.pk, "publish", actor=publisher, version=article.version)


@registry.register("knowledge", order=75)
def load(*, password: str) -> None:
    """Write the demo articles (skipped when articles exist)."""
    if Article.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["agent", "ops", "manager", "sakura"])}
    provider = Organisation.objects.filter(code="kaizen-it").first()
    if provider is None or not {"agent", "ops", "manager"} <= set(users):
        return
    manager = Person.objects.filter(user=users["manager"]).first()
    reviewers = [manager] if manager is not None else []
    agent, ops, boss = users["agent"], users["ops"], users["manager"]
    common: dict[str, Any] = {"organisation": provider, "reviewers": reviewers}
    requesters = Audience.REQUESTERS
    with desk_demo.frozen_clock(timezone.now() - dt.timedelta(days=200)):
        _write(
            ops, publisher=boss, service="vpn", title="VPN 接続手順", body=VPN, audience=requesters, **common
        )
    vpn_en = _write(
        ops,
        publisher=boss,
        service="vpn",
        title="Connecting to the VPN",
        body=VPN_EN,
        audience=requesters,
        **common,
    )
    reset = _write(
        agent,
        publisher=boss,
        service=None,  # every customer's people sign in through the identity service
        title="パスワードリセットの手順",
        body=PASSWORD,
        audience=requesters,
        **common,
    )
    _write(
        agent,
        publisher=boss,
        service=None,
        title="プリンタで印刷できないとき",
        body=PRINTER,
        audience=requesters,
        **common,
    )
    _write(
        agent,
        publisher=boss,
        service="mail",
        title="メール送信エラーの対処",
        body=MAIL,
        audience=requesters,
        **common,
    )
    _write(
        agent,
        publisher=boss,
        service="mail",
        title="Setting up a shared mailbox",
        body=SHARED_MAILBOX,
        audience=Audience.AGENTS,
        **common,
    )
    _write(
        agent,
        publisher=None,
        service="accounting-b",
        title="会計B エラー E-2041 の回避手順",
        body=DRAFT,
        audience=Audience.AGENTS,
        **common,
    )
    reader = users.get("sakura")
    if reader is not None:
        with context.acting(user=reader, channel=WEB):
            for article, helpful, comment in (
                (reset, True, "手順どおりで再設定できました。"),
                (vpn_en, False, ""),
            ):
                if Article.objects.visible_to(reader).filter(pk=article.pk).exists():
                    services.give_feedback(article.pk, actor=reader, helpful=helpful, comment=comment)


@registry.register("knowledge-faq", order=1010)
def load_faq(*, password: str) -> None:
    """Group the demo's inquiries into FAQ candidates once (after the search index holds their vectors)."""
    from . import faq
    from .models import FaqRun

    admin = User.objects.filter(username="admin").first()
    if admin is None or FaqRun.objects.exists():
        return
    with context.acting(user=admin, channel=context.Channel.WEB):
        run = faq.start_run(actor=admin, data={"days": 365})
    faq.run_clustering(run.pk)  # the job queued after commit finds it done and does nothing
