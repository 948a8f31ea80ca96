"""Demo email intake: the service desk's address for every customer, with a morning's mail.

The messages go through the real path (stored raw, then processed): an ISO-2022-JP inquiry from
さくら商事 as Outlook sends it, its requester's reply (threaded by In-Reply-To, quoted history folded),
a question from みなと物流 with a screenshot and a colleague on copy, an out-of-office reply (ignored)
and a first message from someone Kaizen did not know (who becomes a requester).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from kaizen.accounts.models import Organisation, Team, User
from kaizen.core import context
from kaizen.core import demo as registry

from . import services
from .choices import Transport
from .models import Mailbox

ADDRESS = "helpdesk@example.jp"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _jis(sender: str, subject_b64: str, body: str, message_id: str) -> bytes:
    """An inquiry as Outlook sends ISO-2022-JP: 7bit, no charset on the body."""
    return (
        (
            f"From: {sender}\r\nTo: {ADDRESS}\r\nSubject: =?ISO-2022-JP?B?{subject_b64}?=\r\n"
            f"Date: {format_datetime(timezone.now())}\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        ).encode("ascii")
        + body.encode("iso-2022-jp")
        + b"\r\n"
    )


def _mail(sender: str, subject: str, body: str, message_id: str, **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ADDRESS
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def messages() -> list[bytes]:
    """Return the demo morning's mail, in arrival order."""
    import base64

    subject = base64.b64encode("経費精算システムにログインできません".encode("iso-2022-jp")).decode()
    first = _jis(
        "=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEIyVjtSGyhC?= <sakura@example.jp>",
        subject,
        "おはようございます。総務部の山田です。\r\n今朝から経費精算システムにログインできません。\r\n"
        "「認証に失敗しました」と表示されます。\r\n至急ご確認をお願いします。",
        "<demo-1@sakura.example.jp>",
    )
    reply = _mail(
        "山田 花子 <sakura@example.jp>",
        "RE: 経費精算システムにログインできません",
        "パスワードを再設定したらログインできました。ありがとうございました。\n\n"
        "-----Original Message-----\nFrom: サービスデスク\n> 今朝から経費精算システムにログインできません。",
        "<demo-2@sakura.example.jp>",
        In_Reply_To="<demo-1@sakura.example.jp>",
        References="<demo-1@sakura.example.jp>",
    )
    screenshot = _mail(
        "小林 大輔 <minato@example.jp>",
        "倉庫管理システムの出荷帳票が出力されません",
        "出荷帳票の印刷ボタンを押すとエラーになります。画面を添付します。\n\n小林",
        "<demo-3@minato.example.jp>",
        Cc="物流課 <logistics@minato.example.jp>",
    )
    screenshot.add_attachment(PNG, maintype="image", subtype="png", filename="エラー画面.png")
    away = _mail(
        "加藤 恵 <aoba@example.jp>",
        "自動応答: 不在のお知らせ",
        "12月4日まで出張のため不在です。",
        "<demo-4@aoba.example.jp>",
        Auto_Submitted="auto-replied",
    )
    newcomer = _mail(
        "中村 翼 <tsubasa.nakamura@example.jp>",
        "VPN接続の申請方法を教えてください",
        "来週から在宅勤務になります。VPNの利用申請はどこからできますか。",
        "<demo-5@example.jp>",
    )
    return [first, reply.as_bytes(), screenshot.as_bytes(), away.as_bytes(), newcomer.as_bytes()]


@registry.register("intake", order=80)
def load(*, password: str) -> None:
    """Create the demo mailbox and process its mail (skipped when a mailbox exists)."""
    it = Organisation.objects.filter(code="kaizen-it").first()
    admin = User.objects.filter(username="admin").first()
    if Mailbox.objects.exists() or it is None or admin is None:
        return
    with context.acting(user=admin, channel=context.Channel.WEB):
        mailbox = services.create_mailbox(
            actor=admin,
            data={
                "name": "サービスデスク受付",
                "address": ADDRESS,
                "organisation": it,
                "serves_all": True,
                "default_team": Team.objects.filter(name="サービスデスク").first(),
                "description": "全顧客共通の問い合わせ窓口。社内メールサーバから LMTP で配送。",
            },
        )
    with context.acting(channel=context.Channel.EMAIL, label="demo mail"):
        for raw in messages():
            services.receive(mailbox=mailbox, raw=raw, transport=Transport.LMTP)
            services.drain()
