"""Every Kaizen setting in one schema: name, type, default and documentation.

This is the only module that reads ``KAIZEN_*`` environment variables or ``kaizen.toml``.
``docs/reference/settings.md`` is generated from :data:`SCHEMA` (``kaizen manage settings_doc``)
and a test keeps it current.

Precedence: environment variable > ``kaizen.toml`` > default. The toml file is looked up at
``KAIZEN_CONFIG`` if set, else ``./kaizen.toml``; keys are the setting names in lower case without
the ``KAIZEN_`` prefix (``database_url = "postgres://..."``).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A setting has a value that cannot be used."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"expected a boolean (true/false), got {raw!r}")


def _parse_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _parse_int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"expected an integer, got {raw!r}") from exc


@dataclass(frozen=True)
class Setting:
    """One documented setting."""

    name: str
    type: str
    default: Any
    doc: str
    parse: Callable[[str], Any] = str
    default_doc: str | None = None
    secret: bool = False

    @property
    def env(self) -> str:
        return f"KAIZEN_{self.name}"


SCHEMA: tuple[Setting, ...] = (
    Setting(
        "DATA_DIR",
        "path",
        None,
        "Directory for the SQLite database, the generated secret key, job storage and attachments.",
        default_doc="`./kaizen-data`",
    ),
    Setting(
        "DATABASE_URL",
        "url",
        None,
        "Database connection URL. `sqlite:///path/to/file.sqlite3` or "
        "`postgres://user:password@host:5432/name` (PostgreSQL 15+ for production).",
        default_doc="`sqlite:///<DATA_DIR>/kaizen.sqlite3`",
    ),
    Setting(
        "SECRET_KEY",
        "string",
        None,
        "Django secret key used for sessions and CSRF tokens. When unset, a random key is generated "
        "once and kept in `<DATA_DIR>/secret_key` (mode 0600). Set it explicitly when several app "
        "servers share one database.",
        default_doc="generated and kept in the data directory",
        secret=True,
    ),
    Setting(
        "BROKER_URL",
        "url",
        None,
        "Job queue broker. `sqlite:///path` (one machine) or `redis://host:6379/0` for several "
        "machines. `memory://` runs jobs in-process immediately (tests only).",
        default_doc="`sqlite:///<DATA_DIR>/jobs.sqlite3`",
    ),
    Setting(
        "ALLOWED_HOSTS",
        "list",
        ["127.0.0.1", "localhost", "[::1]"],
        "Comma-separated host names this server answers to (Django `ALLOWED_HOSTS`).",
        parse=_parse_list,
    ),
    Setting(
        "CSRF_TRUSTED_ORIGINS",
        "list",
        [],
        "Comma-separated origins (`https://itsm.example.jp`) trusted for form posts behind a proxy.",
        parse=_parse_list,
    ),
    Setting(
        "TIME_ZONE",
        "string",
        "Asia/Tokyo",
        "Default time zone for display; users may choose their own. Times are stored in UTC.",
    ),
    Setting(
        "LANGUAGE",
        "string",
        "ja",
        "Default UI language (`ja` or `en`) when neither the user nor the browser chooses one.",
    ),
    Setting("DEBUG", "bool", False, "Django debug mode. Never enable in production.", parse=_parse_bool),
    Setting(
        "SECURE",
        "bool",
        False,
        "Serve over HTTPS only: secure cookies, HSTS and redirect to https. Enable behind a TLS proxy.",
        parse=_parse_bool,
    ),
    Setting(
        "MAX_REQUEST_BYTES",
        "int",
        1_048_576,
        "Largest request body accepted by the API and forms, in bytes (larger bodies get 413).",
        parse=_parse_int,
    ),
    Setting(
        "WEB_WORKERS",
        "int",
        0,
        "Worker processes of the web server (`kaizen serve`, `kaizen up`); 0 means 2 x CPU cores + 1 "
        "(see benchmarks/RESULTS.md).",
        parse=_parse_int,
    ),
    Setting(
        "WEB_THREADS",
        "int",
        1,
        "Threads per web worker process. 1 runs gunicorn's sync workers (measured fastest for Kaizen); "
        "more switches to its threaded workers.",
        parse=_parse_int,
    ),
    Setting(
        "MAX_IMPORT_BYTES",
        "int",
        52_428_800,
        "Largest file accepted by import endpoints such as `POST /api/v1/cmdb/import/`, in bytes "
        "(the command line `kaizen cmdb import` has no limit).",
        parse=_parse_int,
    ),
    Setting(
        "ATTACHMENT_MAX_BYTES",
        "int",
        20_971_520,
        "Largest ticket attachment accepted, in bytes (uploads of attachments may exceed "
        "`KAIZEN_MAX_REQUEST_BYTES` up to this size). Files are kept in `<DATA_DIR>/attachments`.",
        parse=_parse_int,
    ),
    Setting(
        "PUBLIC_URL",
        "url",
        "http://127.0.0.1:8000",
        "Address users reach Kaizen at, used for links in mail and webhooks (e.g. `https://itsm.example.jp`).",
    ),
    Setting(
        "FORWARDED_ALLOW_IPS",
        "list",
        ["127.0.0.1", "::1"],
        "Addresses of reverse proxies whose `X-Forwarded-*` headers the web server trusts (comma-separated).",
        parse=_parse_list,
    ),
    Setting(
        "JOB_WORKERS",
        "int",
        2,
        "Concurrent job workers started by `kaizen worker` and `kaizen up`.",
        parse=_parse_int,
    ),
    Setting(
        "OUTBOX_SWEEP_SECONDS",
        "int",
        60,
        "How old an undelivered outbox message must be before the periodic sweep re-delivers it.",
        parse=_parse_int,
    ),
    Setting(
        "WEBHOOK_TIMEOUT",
        "int",
        10,
        "Seconds an outbound webhook may take to connect and to answer each read before the attempt "
        "fails and is retried later (see `docs/admin/webhooks.md`).",
        parse=_parse_int,
    ),
    Setting(
        "PROBLEM_REMINDER_DAYS",
        "int",
        14,
        "Days an open problem may go without moving (a state change, an edit of the ticket or its "
        "problem details, a work note by a person) before its owner is reminded by mail and a work "
        "note; at most one reminder per period. `0` turns the reminders off (see `docs/user/problems.md`).",
        parse=_parse_int,
    ),
    Setting(
        "EMAIL_URL",
        "url",
        "console://",
        "Outgoing mail. `smtp://user:password@host:25`, `smtp+starttls://...:587`, `smtps://...:465`, "
        "`file:///path/to/dir` (one file per mail), `console://` (print) or `memory://` (tests).",
        secret=True,
    ),
    Setting("EMAIL_FROM", "string", "kaizen@localhost", "Sender address of mail Kaizen sends."),
    Setting(
        "LOG_LEVEL",
        "string",
        "INFO",
        "Log level for Kaizen's own loggers (DEBUG, INFO, WARNING, ERROR).",
    ),
)

_BY_NAME: dict[str, Setting] = {s.name: s for s in SCHEMA}


@dataclass
class Config:
    """Resolved settings values, keyed by setting name."""

    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def _load_toml(environ: Mapping[str, str]) -> dict[str, Any]:
    path = Path(environ.get("KAIZEN_CONFIG", "kaizen.toml"))
    if not path.is_file():
        if "KAIZEN_CONFIG" in environ:
            raise ConfigError(f"KAIZEN_CONFIG points to {path}, which does not exist")
        return {}
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    unknown = sorted(k for k in data if k.upper() not in _BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s) in {path}: {', '.join(unknown)}")
    return {k.upper(): v for k, v in data.items()}


_TOML_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "bool": (bool,),
    "list": (list,),
    "string": (str,),
    "url": (str,),
    "path": (str,),
}


def _coerce(setting: Setting, value: Any) -> Any:
    if isinstance(value, str):
        try:
            return setting.parse(value)
        except ConfigError as exc:
            raise ConfigError(f"{setting.env}: {exc}") from exc
    expected = _TOML_TYPES[setting.type]
    wrong_bool = isinstance(value, bool) and bool not in expected
    if not isinstance(value, expected) or wrong_bool:
        raise ConfigError(f"{setting.env}: expected {setting.type}, got {type(value).__name__} {value!r}")
    if setting.type == "list" and not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{setting.env}: expected a list of strings")
    return value


def load(environ: Mapping[str, str] | None = None) -> Config:
    """Resolve every setting from the environment, ``kaizen.toml`` and defaults."""
    env = os.environ if environ is None else environ
    from_toml = _load_toml(env)
    values: dict[str, Any] = {}
    for setting in SCHEMA:
        if setting.env in env:
            values[setting.name] = _coerce(setting, env[setting.env])
        elif setting.name in from_toml:
            values[setting.name] = _coerce(setting, from_toml[setting.name])
        else:
            values[setting.name] = setting.default
    data_dir = Path(values["DATA_DIR"] or "kaizen-data").resolve()
    values["DATA_DIR"] = data_dir
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{data_dir / 'kaizen.sqlite3'}"
    if not values["BROKER_URL"]:
        values["BROKER_URL"] = f"sqlite:///{data_dir / 'jobs.sqlite3'}"
    if values["LANGUAGE"] not in {"ja", "en"}:
        raise ConfigError("KAIZEN_LANGUAGE must be 'ja' or 'en'")
    return Config(values)


def secret_key(config: Config) -> str:
    """Return the configured secret key, or the one kept in the data directory (created once)."""
    if config["SECRET_KEY"]:
        return str(config["SECRET_KEY"])
    data_dir: Path = config["DATA_DIR"]
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Write a complete private file, then link it into place: link() fails if another process
    # won the race, and nobody can ever read a half-written key.
    tmp = data_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
    finally:
        tmp.unlink(missing_ok=True)
    return key


def settings_markdown() -> str:
    """Render the settings reference page from :data:`SCHEMA`."""
    lines = [
        "# Settings reference",
        "",
        "<!-- Generated by `kaizen manage settings_doc` from src/kaizen/conf.py. Do not edit. -->",
        "",
        "Kaizen reads its configuration only from `KAIZEN_*` environment variables and an optional",
        "`kaizen.toml` (path in `KAIZEN_CONFIG`, default `./kaizen.toml`). Environment variables win.",
        'In the toml file use the name without the prefix, in lower case: `database_url = "..."`.',
        "",
        "| Variable | Type | Default | Description |",
        "| --- | --- | --- | --- |",
    ]
    for s in SCHEMA:
        if s.default_doc is not None:
            default = s.default_doc
        elif isinstance(s.default, list):
            default = "`" + ",".join(s.default) + "`" if s.default else "(empty)"
        else:
            default = f"`{str(s.default).lower() if isinstance(s.default, bool) else s.default}`"
        lines.append(f"| `{s.env}` | {s.type} | {default} | {s.doc} |")
    lines.append("")
    return "\n".join(lines)
