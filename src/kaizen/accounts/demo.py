"""Demo data: a believable Japanese IT organisation, its customers and a supplier.

Idempotent: records are looked up by code/username first, so ``kaizen demo`` can run again.
Later domains extend this data set through their own loaders (``kaizen.core.demo.register``).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kaizen.core import audit, context
from kaizen.core import demo as registry
from kaizen.core.access import Role

from . import services
from .choices import OrganisationKind
from .models import Membership, Organisation, Person, Team, User

# (code, name, kind, parent code, description)
ORGANISATIONS: list[tuple[str, str, str, str | None, str]] = [
    (
        "kaizen-it",
        "改善システムズ 情報システム部",
        OrganisationKind.INTERNAL,
        None,
        "社内IT部門。全サービスの提供者。",
    ),
    ("sakura", "さくら商事株式会社", OrganisationKind.CUSTOMER, None, "基幹システムとメールの利用顧客。"),
    (
        "sakura-osaka",
        "さくら商事 大阪支店",
        OrganisationKind.CUSTOMER,
        "sakura",
        "大阪支店（さくら商事の一部）。",
    ),
    ("minato", "みなと物流株式会社", OrganisationKind.CUSTOMER, None, "倉庫管理システムの利用顧客。"),
    ("aoba", "あおば製薬株式会社", OrganisationKind.CUSTOMER, None, "研究データ基盤の利用顧客。"),
    (
        "tokyo-dc",
        "東京データセンター株式会社",
        OrganisationKind.SUPPLIER,
        None,
        "データセンターとネットワークの供給者。",
    ),
]

# (username, name, kana, org code, job title, [(role, org code or None for all)], team names)
PEOPLE: list[tuple[str, str, str, str, str, list[tuple[str, str | None]], list[str]]] = [
    ("admin", "管理 太郎", "かんり たろう", "kaizen-it", "システム管理者", [(Role.ADMIN, None)], []),
    (
        "manager",
        "渡辺 美咲",
        "わたなべ みさき",
        "kaizen-it",
        "サービスマネージャ",
        [(Role.MANAGER, None)],
        ["サービスデスク"],
    ),
    (
        "agent",
        "佐藤 健",
        "さとう けん",
        "kaizen-it",
        "サービスデスク担当",
        [(Role.AGENT, None)],
        ["サービスデスク"],
    ),
    (
        "ops",
        "鈴木 一郎",
        "すずき いちろう",
        "kaizen-it",
        "基盤運用エンジニア",
        [(Role.AGENT, None)],
        ["基盤運用"],
    ),
    (
        "dev",
        "中村 さくら",
        "なかむら さくら",
        "kaizen-it",
        "アプリ保守エンジニア",
        [(Role.AGENT, None)],
        ["アプリ保守"],
    ),
    (
        "change",
        "高橋 誠",
        "たかはし まこと",
        "kaizen-it",
        "変更管理責任者",
        [(Role.CHANGE_MANAGER, None)],
        ["基盤運用"],
    ),
    (
        "cab",
        "田中 陽子",
        "たなか ようこ",
        "kaizen-it",
        "CABメンバー",
        [(Role.CAB_MEMBER, None)],
        ["アプリ保守"],
    ),
    ("auditor", "伊藤 直樹", "いとう なおき", "kaizen-it", "内部監査員", [(Role.AUDITOR, None)], []),
    ("sakura", "山田 花子", "やまだ はなこ", "sakura", "総務部", [(Role.REQUESTER, "sakura")], []),
    ("minato", "小林 大輔", "こばやし だいすけ", "minato", "物流企画部", [(Role.REQUESTER, "minato")], []),
    ("aoba", "加藤 恵", "かとう めぐみ", "aoba", "研究企画室", [(Role.REQUESTER, "aoba")], []),
    ("supplier", "吉田 翔", "よしだ しょう", "tokyo-dc", "保守窓口", [(Role.REQUESTER, "tokyo-dc")], []),
]

# People without a login (contacts only).
CONTACTS: list[tuple[str, str, str, str]] = [
    ("松本 裕子", "sakura-osaka", "大阪支店 情報システム担当", "06-0000-0001"),
    ("井上 拓也", "tokyo-dc", "NOC 夜間当番", "03-0000-0002"),
]

# (name, org code, email, description)
TEAMS: list[tuple[str, str, str, str]] = [
    ("サービスデスク", "kaizen-it", "servicedesk@example.jp", "一次受付（電話・メール・ポータル）。"),
    ("基盤運用", "kaizen-it", "infra@example.jp", "サーバ・ネットワーク・クラウド基盤の運用。"),
    ("アプリ保守", "kaizen-it", "apps@example.jp", "業務アプリケーションの保守と改修。"),
]

DEMO_LOGINS: list[tuple[str, Any]] = [
    ("admin", _("administrator (every organisation)")),
    ("manager", _("service manager")),
    ("agent", _("service desk agent")),
    ("ops", _("infrastructure operations agent")),
    ("dev", _("application maintenance agent")),
    ("change", _("change manager")),
    ("cab", _("CAB member")),
    ("auditor", _("auditor (reads everything)")),
    ("sakura", _("requester at さくら商事")),
    ("minato", _("requester at みなと物流")),
]


def _admin(password: str) -> User:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User(username="admin", email="admin@example.jp", is_superuser=True, is_staff=True)
        admin.set_password(password)
        admin.save()
        audit.record(admin, action="create", changes={"username": [None, "admin"]})
    return admin


@registry.register("accounts", order=10)
def load(*, password: str) -> None:
    """Create the demo organisations, teams, people, logins and roles."""
    admin = _admin(password)
    with context.acting(user=admin, channel=context.Channel.CLI, label="kaizen demo"):
        orgs: dict[str, Organisation] = {}
        for code, name, kind, parent, description in ORGANISATIONS:
            org = Organisation.objects.filter(code=code).first()
            if org is None:
                org = services.create_organisation(
                    actor=admin,
                    data={
                        "code": code,
                        "name": name,
                        "kind": kind,
                        "parent": orgs.get(parent or ""),
                        "description": description,
                    },
                )
            orgs[code] = org
        people: dict[str, Person] = {}
        for username, name, kana, org_code, title, roles, _teams in PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, email=f"{username}@example.jp")
                user.set_password(password)
                user.save()
                audit.record(user, action="create", changes={"username": [None, username]})
            person = Person.objects.filter(user=user).first()
            if person is None:
                person = services.create_person(
                    actor=admin,
                    data={
                        "name": name,
                        "name_kana": kana,
                        "organisation": orgs[org_code],
                        "job_title": title,
                        "email": user.email,
                        "user": user,
                    },
                )
            people[username] = person
            for role, where in roles:
                org = orgs[where] if where else None
                if not Membership.objects.filter(user=user, role=role, organisation=org).exists():
                    services.grant_role(actor=admin, data={"user": user, "role": role, "organisation": org})
        for name, org_code, phone_title, phone in CONTACTS:
            if not Person.objects.filter(name=name, organisation=orgs[org_code]).exists():
                services.create_person(
                    actor=admin,
                    data={
                        "name": name,
                        "organisation": orgs[org_code],
                        "job_title": phone_title,
                        "phone": phone,
                    },
                )
        for name, org_code, email, description in TEAMS:
            if Team.objects.filter(name=name, organisation=orgs[org_code]).exists():
                continue
            members = [people[u] for u, *_rest, teams in PEOPLE if name in teams]
            services.create_team(
                actor=admin,
                data={
                    "name": name,
                    "organisation": orgs[org_code],
                    "email": email,
                    "description": description,
                    "lead": members[0] if members else None,
                },
                members=members,
            )
