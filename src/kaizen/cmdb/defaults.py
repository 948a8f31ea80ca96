"""Built-in CI types, relationship types and rules every installation starts with."""

from __future__ import annotations

from typing import Any

from kaizen.core import defaults
from kaizen.core.services import create_record

from .choices import Propagation
from .models import CIType, RelationshipRule, RelationshipType

ENVIRONMENTS = ["production", "staging", "development", "test"]


def _a(name: str, label: str, label_en: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "label": label, "label_en": label_en, "type": kind, "required": False, **extra}


HOST = [
    _a("hostname", "ホスト名", "Host name", "hostname", required=True),
    _a("ip_address", "IPアドレス", "IP address", "ip"),
    _a("os", "OS", "Operating system"),
    _a("os_version", "OSバージョン", "OS version"),
    _a("environment", "環境", "Environment", "enum", choices=ENVIRONMENTS),
]

CI_TYPES: list[dict[str, Any]] = [
    {
        "code": "server",
        "name": "サーバ",
        "name_en": "Server",
        "attribute_schema": [
            *HOST,
            _a("cpu_cores", "CPUコア数", "CPU cores", "integer"),
            _a("memory_gb", "メモリ (GB)", "Memory (GB)", "integer"),
            _a("serial_number", "シリアル番号", "Serial number"),
            _a("rack", "ラック位置", "Rack position"),
            _a("maintenance_until", "保守期限", "Maintenance until", "date"),
        ],
    },
    {
        "code": "virtual-machine",
        "name": "仮想マシン",
        "name_en": "Virtual machine",
        "attribute_schema": [
            *HOST,
            _a("vcpu", "vCPU数", "vCPUs", "integer"),
            _a("memory_gb", "メモリ (GB)", "Memory (GB)", "integer"),
            _a("hypervisor", "ハイパーバイザ", "Hypervisor"),
        ],
    },
    {
        "code": "network-device",
        "name": "ネットワーク機器",
        "name_en": "Network device",
        "attribute_schema": [
            _a("hostname", "ホスト名", "Host name", "hostname", required=True),
            _a("management_ip", "管理IPアドレス", "Management IP", "ip"),
            _a(
                "device_role",
                "役割",
                "Role",
                "enum",
                choices=["router", "switch", "firewall", "load_balancer", "wireless", "other"],
            ),
            _a("vendor", "ベンダー", "Vendor"),
            _a("model", "型番", "Model"),
            _a("firmware", "ファームウェア", "Firmware"),
        ],
    },
    {
        "code": "network-segment",
        "name": "ネットワークセグメント",
        "name_en": "Network segment",
        "attribute_schema": [
            _a("cidr", "ネットワークアドレス", "Network (CIDR)", "cidr", required=True),
            _a("vlan_id", "VLAN ID", "VLAN ID", "integer"),
            _a("gateway", "ゲートウェイ", "Gateway", "ip"),
            _a(
                "zone",
                "ゾーン",
                "Zone",
                "enum",
                choices=["internal", "dmz", "management", "external", "guest"],
            ),
            _a("purpose", "用途", "Purpose"),
        ],
    },
    {
        "code": "firewall-rule",
        "name": "ファイアウォールルール",
        "name_en": "Firewall rule",
        "attribute_schema": [
            _a("rule_id", "ルールID", "Rule id"),
            _a("source", "送信元", "Source", required=True),
            _a("destination", "宛先", "Destination", required=True),
            _a("port", "ポート", "Port", "port", required=True),
            _a(
                "protocol",
                "プロトコル",
                "Protocol",
                "enum",
                required=True,
                choices=["tcp", "udp", "icmp", "any"],
            ),
            _a("action", "動作", "Action", "enum", required=True, choices=["allow", "deny"]),
            _a("purpose", "目的", "Purpose", "text"),
            _a("expires_on", "有効期限", "Expires on", "date"),
        ],
    },
    {
        "code": "database",
        "name": "データベース",
        "name_en": "Database",
        "attribute_schema": [
            _a(
                "engine",
                "製品",
                "Engine",
                "enum",
                required=True,
                choices=["postgresql", "mysql", "mariadb", "oracle", "sqlserver", "db2", "other"],
            ),
            _a("version", "バージョン", "Version"),
            _a("port", "ポート", "Port", "port"),
            _a("instance_name", "インスタンス名", "Instance name"),
            _a("backup_schedule", "バックアップ予定", "Backup schedule"),
        ],
    },
    {
        "code": "application",
        "name": "アプリケーション",
        "name_en": "Application",
        "attribute_schema": [
            _a("vendor", "ベンダー", "Vendor"),
            _a("version", "バージョン", "Version"),
            _a("url", "URL", "URL", "url"),
            _a("business_owner", "業務主管", "Business owner"),
            _a("support_contact", "保守窓口", "Support contact"),
        ],
    },
    {
        "code": "cloud-resource",
        "name": "クラウドリソース",
        "name_en": "Cloud resource",
        "attribute_schema": [
            _a(
                "provider",
                "事業者",
                "Provider",
                "enum",
                required=True,
                choices=["aws", "azure", "gcp", "oci", "sakura", "other"],
            ),
            _a("account_id", "アカウントID", "Account id"),
            _a("region", "リージョン", "Region"),
            _a("resource_id", "リソースID", "Resource id", required=True),
            _a("resource_type", "リソース種別", "Resource type"),
        ],
    },
    {
        "code": "software",
        "name": "ソフトウェア",
        "name_en": "Software installation",
        "attribute_schema": [
            _a("product", "製品名", "Product", required=True),
            _a("version", "バージョン", "Version"),
            _a("license_count", "ライセンス数", "Licences", "integer"),
            _a("expires_on", "サポート期限", "Support ends", "date"),
        ],
    },
    {
        "code": "external-connection",
        "name": "外部接続",
        "name_en": "External connection",
        "attribute_schema": [
            _a("counterparty", "接続先", "Counterparty", required=True),
            _a(
                "connection_type",
                "接続方式",
                "Connection type",
                "enum",
                required=True,
                choices=["vpn", "leased_line", "internet", "api", "sftp", "other"],
            ),
            _a("endpoint", "接続先アドレス", "Endpoint"),
            _a("ip_address", "IPアドレス", "IP address", "ip"),
            _a("port", "ポート", "Port", "port"),
            _a("contract_ref", "契約番号", "Contract"),
            _a("emergency_contact", "緊急連絡先", "Emergency contact"),
        ],
    },
    {
        "code": "document",
        "name": "ドキュメント",
        "name_en": "Document",
        "attribute_schema": [
            _a(
                "document_type",
                "文書種別",
                "Document type",
                "enum",
                choices=["design", "runbook", "procedure", "contract", "other"],
            ),
            _a("location_url", "保管場所", "Location", "url"),
            _a("version", "版", "Version"),
            _a("review_date", "見直し日", "Review date", "date"),
        ],
    },
]

RELATIONSHIP_TYPES: list[dict[str, Any]] = [
    {
        "code": "depends-on",
        "name": "依存する",
        "name_en": "depends on",
        "reverse_name": "依存される",
        "reverse_name_en": "is needed by",
        "propagation": Propagation.SOURCE_DEPENDS,
    },
    {
        "code": "runs-on",
        "name": "上で稼働する",
        "name_en": "runs on",
        "reverse_name": "を稼働させる",
        "reverse_name_en": "runs",
        "propagation": Propagation.SOURCE_DEPENDS,
    },
    {
        "code": "hosted-on",
        "name": "ホストされる",
        "name_en": "hosted on",
        "reverse_name": "をホストする",
        "reverse_name_en": "hosts",
        "propagation": Propagation.SOURCE_DEPENDS,
    },
    {
        "code": "uses",
        "name": "利用する",
        "name_en": "uses",
        "reverse_name": "に利用される",
        "reverse_name_en": "is used by",
        "propagation": Propagation.SOURCE_DEPENDS,
    },
    {
        "code": "connects-to",
        "name": "接続する",
        "name_en": "connects to",
        "reverse_name": "から接続される",
        "reverse_name_en": "is connected from",
        "propagation": Propagation.BOTH,
    },
    {
        "code": "part-of",
        "name": "の一部である",
        "name_en": "part of",
        "reverse_name": "を構成要素に持つ",
        "reverse_name_en": "has part",
        "propagation": Propagation.TARGET_DEPENDS,
    },
    {
        "code": "applies-to",
        "name": "に適用される",
        "name_en": "applies to",
        "reverse_name": "の適用を受ける",
        "reverse_name_en": "is governed by",
        "propagation": Propagation.TARGET_DEPENDS,
    },
    {
        "code": "backs-up",
        "name": "をバックアップする",
        "name_en": "backs up",
        "reverse_name": "にバックアップされる",
        "reverse_name_en": "is backed up by",
        "propagation": Propagation.NONE,
    },
    {
        "code": "documents",
        "name": "を記述する",
        "name_en": "documents",
        "reverse_name": "に記述される",
        "reverse_name_en": "is documented by",
        "propagation": Propagation.NONE,
    },
]

HOSTS = ["server", "virtual-machine", "cloud-resource"]
RULES: list[tuple[str, list[str | None], list[str | None]]] = [
    ("runs-on", ["application", "database", "software", "virtual-machine"], HOSTS),
    ("hosted-on", ["application", "database", "virtual-machine", "software"], HOSTS),
    ("applies-to", ["firewall-rule"], ["network-device", "network-segment", "external-connection"]),
    ("documents", ["document"], [None]),
]


@defaults.register("cmdb", order=20)
def load() -> None:
    """Create the built-in CI types, relationship types and rules that do not exist yet."""
    types = {t.code: t for t in CIType.objects.all()}
    for item in CI_TYPES:
        if item["code"] not in types:
            types[item["code"]] = create_record(
                CIType, actor=None, check=False, data={**item, "is_builtin": True}
            )
    rel_types = {t.code: t for t in RelationshipType.objects.all()}
    for item in RELATIONSHIP_TYPES:
        if item["code"] not in rel_types:
            rel_types[item["code"]] = create_record(
                RelationshipType, actor=None, check=False, data={**item, "is_builtin": True}
            )
    for code, sources, targets in RULES:
        if RelationshipRule.objects.filter(relationship_type=rel_types[code]).exists():
            continue
        for source in sources:
            for target in targets:
                create_record(
                    RelationshipRule,
                    actor=None,
                    check=False,
                    data={
                        "relationship_type": rel_types[code],
                        "source_type": types[source] if source else None,
                        "target_type": types[target] if target else None,
                    },
                )
