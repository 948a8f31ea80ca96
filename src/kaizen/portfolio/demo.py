"""Demo portfolio and CMDB: the services of the SLA sample (accounting A and B), VPN, mail and the
infrastructure under them, about 300 CIs in all.

Idempotent: nothing is created when the service ``accounting-a`` exists already.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kaizen.accounts.models import Organisation, Team, User
from kaizen.cmdb import services as cmdb
from kaizen.cmdb.choices import CIStatus, ControlLevel
from kaizen.cmdb.models import CIType, ConfigurationItem, RelationshipType
from kaizen.core import context, defaults
from kaizen.core import demo as registry

from . import services
from .choices import Lifecycle, PackageRole, ProviderKind
from .models import Service

SEGMENTS = [
    ("DMZ", "10.10.0.0/24", 100, "dmz"),
    ("会計系 業務LAN", "10.20.1.0/24", 201, "internal"),
    ("会計系 DB LAN", "10.20.2.0/24", 202, "internal"),
    ("メール系 LAN", "10.30.1.0/24", 301, "internal"),
    ("VPN収容 LAN", "10.40.1.0/24", 401, "internal"),
    ("認証基盤 LAN", "10.50.1.0/24", 501, "internal"),
    ("バックアップ LAN", "10.60.1.0/24", 601, "internal"),
    ("管理 LAN", "10.90.0.0/24", 900, "management"),
    ("仮想基盤 LAN", "10.70.1.0/24", 701, "internal"),
    ("ゲスト LAN", "192.168.100.0/24", 999, "guest"),
]

# service code -> (app names, VM count per app, segment index, database engine or None)
SYSTEMS: dict[str, tuple[list[str], int, int, str | None]] = {
    "accounting-a": (["会計A 業務AP", "会計A バッチ", "会計A 帳票"], 3, 1, "oracle"),
    "accounting-b": (["会計B 業務AP", "会計B 連携AP"], 2, 1, "sqlserver"),
    "mail": (["メールサーバ (MTA)", "Webメール", "メールフィルタ"], 2, 3, "postgresql"),
    "vpn": (["VPN ゲートウェイ管理", "VPN 利用者ポータル"], 2, 4, None),
    "identity": (["Active Directory", "シングルサインオン"], 2, 5, None),
    "backup": (["バックアップ管理サーバ"], 2, 6, "postgresql"),
}

PACKAGES = {
    "accounting-a": [
        "pkg:rpm/redhat/httpd@2.4.57",
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
        "pkg:generic/oracle/jdk@17.0.9",
    ],
    "accounting-b": ["pkg:nuget/Newtonsoft.Json@13.0.1", "pkg:generic/microsoft/iis@10.0"],
    "mail": [
        "pkg:deb/debian/postfix@3.7.11-0+deb12u1",
        "pkg:deb/debian/dovecot-core@2.3.19.1",
        "pkg:deb/debian/openssl@3.0.11-1~deb12u2",
    ],
    "vpn": ["pkg:deb/debian/openvpn@2.6.3-1"],
    "identity": ["pkg:generic/microsoft/windows-server@2022"],
    "backup": ["pkg:deb/debian/bacula-director@9.6.7"],
}

EXTERNAL = [
    ("全銀ネット接続 (振込)", "全国銀行資金決済ネットワーク", "leased_line", "accounting-a"),
    ("e-Tax 電子申告", "国税庁", "internet", "accounting-a"),
    ("会計B 保守ベンダー リモート保守", "東京データセンター株式会社", "vpn", "accounting-b"),
    ("メール中継 (SaaS フィルタ)", "外部メールフィルタ事業者", "internet", "mail"),
    ("拠点間VPN 大阪支店", "さくら商事 大阪支店", "vpn", "vpn"),
    ("モバイルVPN 利用者", "インターネット", "internet", "vpn"),
    ("クラウドストレージ連携", "クラウド事業者", "api", "backup"),
    ("NTP/DNS 外部参照", "公開NTP・DNS", "internet", "identity"),
]


def _ci(
    actor: Any,
    types: dict[str, CIType],
    org: Organisation,
    team: Team | None,
    kind: str,
    name: str,
    attributes: dict[str, Any],
    *,
    level: str = ControlLevel.REFERENCE,
    location: str = "",
    status: str = CIStatus.IN_USE,
) -> ConfigurationItem:
    # A strict CI is built as planned (related freely) and put in use at the end (see _go_live).
    if level == ControlLevel.STRICT and status == CIStatus.IN_USE:
        status = CIStatus.PLANNED
        going_live = True
    else:
        going_live = False
    ci = cmdb.create_ci(
        actor=actor,
        data={
            "name": name,
            "ci_type": types[kind],
            "organisation": org,
            "owner_team": team,
            "attributes": attributes,
            "control_level": level,
            "location": location,
            "status": status,
            "external_id": f"demo:{kind}:{name}",
        },
    )
    if going_live:
        _GO_LIVE.append(ci.pk)
    return ci


_GO_LIVE: list[int] = []
"""Strict demo CIs built as planned, put in use once related (then under change control)."""


def _go_live(actor: Any) -> None:
    for pk in _GO_LIVE:
        cmdb.update_ci(pk, actor=actor, changes={"status": CIStatus.IN_USE}, version=None)
    _GO_LIVE.clear()


def _relate(
    actor: Any,
    rel: dict[str, RelationshipType],
    source: ConfigurationItem,
    code: str,
    target: ConfigurationItem,
) -> None:
    cmdb.relate(actor=actor, data={"source": source, "relationship_type": rel[code], "target": target})


@registry.register("portfolio", order=30)
def load(*, password: str) -> None:
    """Create the demo services, packages and about 300 CIs with their relationships."""
    if Service.objects.filter(code="accounting-a").exists():
        return
    defaults.load_all()
    admin = User.objects.get(username="admin")
    with context.acting(user=admin, channel=context.Channel.CLI, label="kaizen demo"):
        _build(admin)
        _go_live(admin)


def _build(admin: User) -> None:
    orgs = {o.code: o for o in Organisation.objects.all()}
    it, dc = orgs["kaizen-it"], orgs["tokyo-dc"]
    teams = {t.name: t for t in Team.objects.filter(organisation=it)}
    infra, apps = teams.get("基盤運用"), teams.get("アプリ保守")
    types = {t.code: t for t in CIType.objects.all()}
    rel = {t.code: t for t in RelationshipType.objects.all()}

    segments = [
        _ci(
            admin,
            types,
            it,
            infra,
            "network-segment",
            f"{name} ({cidr})",
            {"cidr": cidr, "vlan_id": vlan, "zone": zone, "gateway": cidr.rsplit(".", 1)[0] + ".1"},
            level=ControlLevel.STRICT,
            location="東京DC 第1",
        )
        for name, cidr, vlan, zone in SEGMENTS
    ]
    core_sw = [
        _ci(
            admin,
            types,
            it,
            infra,
            "network-device",
            f"コアスイッチ {i}",
            {
                "hostname": f"core-sw{i:02d}.tokyo.kaizen.example",
                "management_ip": f"10.90.0.{10 + i}",
                "device_role": "switch",
                "vendor": "Cisco",
                "model": "Catalyst 9500",
            },
            level=ControlLevel.STRICT,
            location="東京DC 第1 ラックA01",
        )
        for i in (1, 2)
    ]
    firewalls = [
        _ci(
            admin,
            types,
            it,
            infra,
            "network-device",
            f"境界ファイアウォール {i}",
            {
                "hostname": f"fw{i:02d}.tokyo.kaizen.example",
                "management_ip": f"10.90.0.{20 + i}",
                "device_role": "firewall",
                "vendor": "Fortinet",
                "model": "FortiGate 600F",
            },
            level=ControlLevel.STRICT,
            location="東京DC 第1 ラックA02",
        )
        for i in (1, 2)
    ]
    routers = [
        _ci(
            admin,
            types,
            it,
            infra,
            "network-device",
            f"WANルータ {i}",
            {
                "hostname": f"wan-rt{i:02d}.tokyo.kaizen.example",
                "management_ip": f"10.90.0.{30 + i}",
                "device_role": "router",
                "vendor": "Yamaha",
                "model": "RTX3510",
            },
            level=ControlLevel.STRICT,
            location="東京DC 第1 ラックA02",
        )
        for i in (1, 2)
    ]
    lbs = [
        _ci(
            admin,
            types,
            it,
            infra,
            "network-device",
            f"ロードバランサ {i}",
            {
                "hostname": f"lb{i:02d}.tokyo.kaizen.example",
                "management_ip": f"10.90.0.{40 + i}",
                "device_role": "load_balancer",
                "vendor": "F5",
                "model": "BIG-IP i5800",
            },
            level=ControlLevel.STRICT,
            location="東京DC 第1 ラックA03",
        )
        for i in (1, 2)
    ]
    access_sw = []
    for index, segment in enumerate(segments):
        switch = _ci(
            admin,
            types,
            it,
            infra,
            "network-device",
            f"アクセススイッチ {index + 1:02d}",
            {
                "hostname": f"acc-sw{index + 1:02d}.tokyo.kaizen.example",
                "management_ip": f"10.90.0.{100 + index}",
                "device_role": "switch",
                "vendor": "Cisco",
                "model": "Catalyst 9300",
            },
            location="東京DC 第1",
        )
        access_sw.append(switch)
        _relate(admin, rel, segment, "depends-on", switch)
        for core in core_sw:
            _relate(admin, rel, switch, "depends-on", core)
    for fw in firewalls:
        for router in routers:
            _relate(admin, rel, fw, "depends-on", router)
    _relate(admin, rel, segments[0], "depends-on", firewalls[0])
    _relate(admin, rel, segments[0], "depends-on", lbs[0])

    hypervisors = [
        _ci(
            admin,
            types,
            dc,
            infra,
            "server",
            f"仮想基盤ホスト {i:02d}",
            {
                "hostname": f"esx{i:02d}.tokyo.kaizen.example",
                "ip_address": f"10.70.1.{10 + i}",
                "os": "VMware ESXi",
                "os_version": "8.0U2",
                "cpu_cores": 64,
                "memory_gb": 768,
                "serial_number": f"JPX{4100 + i}",
                "rack": f"B{(i - 1) // 4 + 1:02d}-{(i - 1) % 4 * 10 + 10}U",
                "maintenance_until": "2028-03-31",
                "environment": "production",
            },
            location="東京DC 第1 ラックB",
        )
        for i in range(1, 13)
    ]
    for host in hypervisors:
        _relate(admin, rel, host, "depends-on", segments[8])

    service_cis: dict[str, list[ConfigurationItem]] = {}
    vm_no = 0
    for code, (app_names, vms_per_app, segment_index, engine) in SYSTEMS.items():
        cis: list[ConfigurationItem] = []
        database = None
        if engine:
            vm_no += 1
            db_vm = _ci(
                admin,
                types,
                it,
                infra,
                "virtual-machine",
                f"{code}-db01",
                {
                    "hostname": f"{code}-db01.tokyo.kaizen.example",
                    "ip_address": f"10.20.2.{vm_no + 10}",
                    "os": "Red Hat Enterprise Linux",
                    "os_version": "9.3",
                    "vcpu": 8,
                    "memory_gb": 64,
                    "hypervisor": "VMware",
                    "environment": "production",
                },
            )
            _relate(admin, rel, db_vm, "hosted-on", hypervisors[vm_no % len(hypervisors)])
            _relate(admin, rel, db_vm, "depends-on", segments[2])
            database = _ci(
                admin,
                types,
                it,
                apps,
                "database",
                f"{code} データベース",
                {
                    "engine": engine,
                    "version": "19c" if engine == "oracle" else "16",
                    "port": 1521 if engine == "oracle" else 5432,
                    "instance_name": code.replace("-", "_").upper(),
                    "backup_schedule": "毎日 02:00 フル",
                },
            )
            _relate(admin, rel, database, "runs-on", db_vm)
            cis += [db_vm, database]
        for app_name in app_names:
            app = _ci(
                admin,
                types,
                it,
                apps,
                "application",
                app_name,
                {
                    "vendor": "社内開発" if "会計A" in app_name else "パッケージ",
                    "version": "4.2",
                    "business_owner": "経理部",
                    "support_contact": "アプリ保守チーム 内線 2200",
                },
            )
            cis.append(app)
            if database is not None:
                _relate(admin, rel, app, "depends-on", database)
            for _n in range(vms_per_app):
                vm_no += 1
                vm = _ci(
                    admin,
                    types,
                    it,
                    infra,
                    "virtual-machine",
                    f"{code}-ap{vm_no:02d}",
                    {
                        "hostname": f"{code}-ap{vm_no:02d}.tokyo.kaizen.example",
                        "ip_address": f"10.{20 + segment_index}.1.{vm_no + 20}",
                        "os": "Red Hat Enterprise Linux",
                        "os_version": "9.3",
                        "vcpu": 4,
                        "memory_gb": 16,
                        "hypervisor": "VMware",
                        "environment": "production",
                    },
                )
                _relate(admin, rel, app, "runs-on", vm)
                _relate(admin, rel, vm, "hosted-on", hypervisors[vm_no % len(hypervisors)])
                _relate(admin, rel, vm, "depends-on", segments[segment_index])
                for purl in PACKAGES[code]:
                    cmdb.add_software(actor=admin, data={"ci": vm, "purl": purl})
                cis.append(vm)
        service_cis[code] = cis

    rules = []
    for index, (name, counterparty, kind, service_code) in enumerate(EXTERNAL):
        connection = _ci(
            admin,
            types,
            it,
            infra,
            "external-connection",
            name,
            {
                "counterparty": counterparty,
                "connection_type": kind,
                "endpoint": f"ext{index + 1}.partner.example",
                "port": "443" if kind in ("internet", "api") else "any",
                "contract_ref": f"KZ-{2024 + index % 3}-{110 + index}",
                "emergency_contact": "03-1234-5678",
            },
            level=ControlLevel.STRICT,
        )
        for direction, port in (("inbound", "443"), ("outbound", "443"), ("outbound", "53")):
            rule = _ci(
                admin,
                types,
                it,
                infra,
                "firewall-rule",
                f"FW-{index + 1:02d}-{direction}-{port}",
                {
                    "rule_id": f"{index + 1:02d}{port}",
                    "source": "any" if direction == "inbound" else "10.0.0.0/8",
                    "destination": f"ext{index + 1}.partner.example"
                    if direction == "outbound"
                    else "10.10.0.0/24",
                    "port": port,
                    "protocol": "udp" if port == "53" else "tcp",
                    "action": "allow",
                    "purpose": f"{name} ({direction})",
                },
                level=ControlLevel.STRICT,
            )
            _relate(admin, rel, rule, "depends-on", firewalls[index % 2])
            _relate(admin, rel, rule, "applies-to", connection)
            rules.append(rule)
        service_cis[service_code].append(connection)

    cloud = [
        _ci(
            admin,
            types,
            it,
            infra,
            "cloud-resource",
            name,
            {
                "provider": provider,
                "region": "ap-northeast-1",
                "resource_id": rid,
                "resource_type": rtype,
                "account_id": "123456789012",
            },
        )
        for name, provider, rid, rtype in [
            ("バックアップ保管バケット", "aws", "s3://kaizen-backup-tokyo", "S3 bucket"),
            ("バックアップ保管バケット (大阪)", "aws", "s3://kaizen-backup-osaka", "S3 bucket"),
            ("メールアーカイブ", "azure", "kaizenarchive01", "Storage account"),
            ("VPN 冗長ゲートウェイ", "aws", "vgw-0a12b34c", "Virtual private gateway"),
            ("監視ダッシュボード", "sakura", "mon-001", "Monitoring"),
        ]
    ]
    _relate(admin, rel, cloud[1], "backs-up", cloud[0])
    service_cis["backup"] += cloud[:2]
    service_cis["mail"].append(cloud[2])
    service_cis["vpn"].append(cloud[3])

    documents = []
    for code in SYSTEMS:
        for doc_type, title in (
            ("design", "基本設計書"),
            ("runbook", "運用手順書"),
            ("procedure", "障害対応手順書"),
        ):
            doc = _ci(
                admin,
                types,
                it,
                apps,
                "document",
                f"{code} {title}",
                {
                    "document_type": doc_type,
                    "version": "1.3",
                    "review_date": "2026-04-01",
                    "location_url": f"https://docs.kaizen.example/{code}/{doc_type}",
                },
                level=ControlLevel.AD_HOC,
            )
            _relate(admin, rel, doc, "documents", service_cis[code][0])
            documents.append(doc)

    # Spare and retired hardware, desktop software: what a real CMDB also holds.
    for i in range(1, 61):
        _ci(
            admin,
            types,
            it,
            infra,
            "server",
            f"予備サーバ {i:02d}",
            {
                "hostname": f"spare{i:02d}.tokyo.kaizen.example",
                "serial_number": f"JPS{7000 + i}",
                "environment": "test" if i % 3 else "development",
                "maintenance_until": "2027-09-30",
            },
            status=CIStatus.PLANNED if i % 4 == 0 else (CIStatus.RETIRED if i % 5 == 0 else CIStatus.IN_USE),
            location="東京DC 第1 倉庫",
            level=ControlLevel.AD_HOC,
        )
    for i, (product, version) in enumerate(
        [
            ("Microsoft 365 Apps", "2408"),
            ("Adobe Acrobat", "2024"),
            ("弥生会計", "25"),
            ("ウイルス対策ソフト", "12.1"),
            ("ZIP解凍ツール", "7.0"),
        ]
        * 12,
        1,
    ):
        _ci(
            admin,
            types,
            it,
            apps,
            "software",
            f"{product} (ライセンス {i:02d})",
            {"product": product, "version": version, "license_count": 50, "expires_on": "2027-03-31"},
            level=ControlLevel.AD_HOC,
        )

    for i in range(1, 31):
        ap = _ci(
            admin,
            types,
            it,
            infra,
            "network-device",
            f"無線アクセスポイント {i:02d}",
            {
                "hostname": f"ap{i:02d}.office.kaizen.example",
                "management_ip": f"10.90.0.{150 + i}",
                "device_role": "wireless",
                "vendor": "Aruba",
                "model": "AP-635",
            },
            location=f"本社 {i % 10 + 1}F",
        )
        _relate(admin, rel, ap, "depends-on", access_sw[9])
    _services(admin, orgs, teams, service_cis)


def _services(
    admin: User,
    orgs: dict[str, Organisation],
    teams: dict[str, Team],
    service_cis: dict[str, list[ConfigurationItem]],
) -> None:
    it = orgs["kaizen-it"]
    customers = [orgs["sakura"], orgs["minato"], orgs["aoba"]]
    specs = [
        ("accounting-a", "会計Aシステム", Lifecycle.LIVE, "平日 9:00〜18:00", [orgs["sakura"]], "アプリ保守"),
        ("accounting-b", "会計Bシステム", Lifecycle.LIVE, "平日 9:00〜18:00", [orgs["sakura"]], "アプリ保守"),
        (
            "accounting-helpdesk",
            "会計システム ヘルプデスク",
            Lifecycle.LIVE,
            "平日 9:00〜18:00",
            [orgs["sakura"]],
            "サービスデスク",
        ),
        ("mail", "メール", Lifecycle.LIVE, "24時間365日", [*customers, it], "基盤運用"),
        ("vpn", "リモートアクセスVPN", Lifecycle.LIVE, "24時間365日", customers, "基盤運用"),
        ("identity", "認証基盤 (AD/SSO)", Lifecycle.LIVE, "24時間365日", [it], "基盤運用"),
        ("backup", "バックアップ", Lifecycle.LIVE, "24時間365日", [it], "基盤運用"),
        (
            "expense-new",
            "新経費精算システム",
            Lifecycle.PIPELINE,
            "平日 9:00〜18:00",
            [orgs["sakura"]],
            "アプリ保守",
        ),
        ("accounting-legacy", "旧会計システム", Lifecycle.RETIRED, "", [], "アプリ保守"),
    ]
    created: dict[str, Service] = {}
    for code, name, lifecycle, hours, served, team in specs:
        data: dict[str, Any] = {
            "code": code,
            "name": name,
            "organisation": it,
            "lifecycle": lifecycle,
            "service_hours": hours,
            "owner_team": teams.get(team),
            "provider_kind": ProviderKind.INTERNAL,
            "description": f"{name}。SLA・連絡先は契約書を参照。",
        }
        if lifecycle == Lifecycle.RETIRED:
            data.update(live_since=dt.date(2015, 4, 1), retired_on=dt.date(2024, 3, 31))
        if lifecycle == Lifecycle.PIPELINE:
            data["planned_live_on"] = dt.date(2027, 4, 1)
        created[code] = services.create_service(actor=admin, data=data, customers=served)
    for code, cis in service_cis.items():
        for ci in cis:
            if ci.ci_type.code in ("application", "external-connection", "cloud-resource", "database"):
                services.add_dependency(actor=admin, data={"service": created[code], "depends_on_ci": ci})
    for dependent, needed in [
        ("accounting-helpdesk", "accounting-a"),
        ("accounting-helpdesk", "accounting-b"),
        ("mail", "identity"),
        ("vpn", "identity"),
        ("accounting-a", "identity"),
        ("accounting-b", "identity"),
        ("accounting-a", "backup"),
        ("mail", "backup"),
    ]:
        services.add_dependency(
            actor=admin, data={"service": created[dependent], "depends_on_service": created[needed]}
        )
    services.create_package(
        actor=admin,
        data={
            "code": "accounting-package",
            "name": "会計業務パッケージ",
            "organisation": it,
            "description": "会計A・Bと、それを支える認証・ネットワーク、ヘルプデスク。",
        },
        members={
            PackageRole.CORE: [created["accounting-a"], created["accounting-b"]],
            PackageRole.ENABLING: [created["identity"], created["backup"]],
            PackageRole.ENHANCING: [created["accounting-helpdesk"]],
        },
    )
