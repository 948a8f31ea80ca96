"""Unit tests of kaizen.conf: the settings schema, its sources and the generated secret key.

Plain tests without a database. Every test runs in an empty temporary working directory, so a
stray ./kaizen.toml or ./kaizen-data can never leak in, and passes its environment explicitly.
"""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from kaizen import conf
from kaizen.conf import ConfigError


@pytest.fixture(autouse=True)
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_toml(path: Path, text: str) -> dict[str, str]:
    path.write_text(text, encoding="utf-8")
    return {"KAIZEN_CONFIG": str(path)}


# --- schema and defaults ------------------------------------------------------------------------


def test_schema_names_are_unique_and_documented():
    names = [s.name for s in conf.SCHEMA]
    assert len(names) == len(set(names))
    for setting in conf.SCHEMA:
        assert setting.name == setting.name.upper()
        assert setting.env == f"KAIZEN_{setting.name}"
        assert setting.doc.strip() and setting.type in {"path", "url", "string", "list", "bool", "int"}


def test_defaults_apply_without_environment_or_toml(empty_cwd):
    config = conf.load(environ={})
    for setting in conf.SCHEMA:
        if setting.name not in {"DATA_DIR", "DATABASE_URL", "BROKER_URL"}:
            assert config[setting.name] == setting.default, setting.name
    assert config["LANGUAGE"] == "ja"
    assert config["TIME_ZONE"] == "Asia/Tokyo"
    assert config["DEBUG"] is False


def test_data_dir_defaults_to_kaizen_data_and_holds_sqlite_files(empty_cwd):
    config = conf.load(environ={})
    data_dir = (empty_cwd / "kaizen-data").resolve()
    assert config["DATA_DIR"] == data_dir
    assert config["DATABASE_URL"] == f"sqlite:///{data_dir / 'kaizen.sqlite3'}"
    assert config["BROKER_URL"] == f"sqlite:///{data_dir / 'jobs.sqlite3'}"


def test_loading_creates_no_files(empty_cwd):
    conf.load(environ={})
    assert list(empty_cwd.iterdir()) == []


def test_relative_data_dir_is_made_absolute(empty_cwd):
    config = conf.load(environ={"KAIZEN_DATA_DIR": "var/kaizen"})
    assert config["DATA_DIR"] == (empty_cwd / "var" / "kaizen").resolve()
    assert config["DATABASE_URL"].endswith("var/kaizen/kaizen.sqlite3")


def test_explicit_urls_are_kept():
    config = conf.load(
        environ={
            "KAIZEN_DATABASE_URL": "postgres://kaizen@db:5432/kaizen",
            "KAIZEN_BROKER_URL": "redis://redis:6379/0",
        }
    )
    assert config["DATABASE_URL"] == "postgres://kaizen@db:5432/kaizen"
    assert config["BROKER_URL"] == "redis://redis:6379/0"


# --- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        ("Yes", True),
        (" on ", True),
        ("false", False),
        ("0", False),
        ("no", False),
        ("OFF", False),
        ("", False),
    ],
)
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert conf.load(environ={"KAIZEN_DEBUG": raw})["DEBUG"] is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled", "ja"])
def test_bad_boolean_names_the_variable(raw):
    with pytest.raises(ConfigError, match="KAIZEN_SECURE") as info:
        conf.load(environ={"KAIZEN_SECURE": raw})
    assert repr(raw) in str(info.value)


@pytest.mark.parametrize("raw", ["two", "1.5", "1e6", "", "0x10"])
def test_bad_integer_names_the_variable(raw):
    with pytest.raises(ConfigError, match="KAIZEN_WEB_WORKERS"):
        conf.load(environ={"KAIZEN_WEB_WORKERS": raw})


def test_integers_are_parsed():
    assert conf.load(environ={"KAIZEN_MAX_REQUEST_BYTES": " 2048 "})["MAX_REQUEST_BYTES"] == 2048


def test_lists_are_comma_separated_and_trimmed():
    config = conf.load(environ={"KAIZEN_ALLOWED_HOSTS": " itsm.example.jp, ,10.0.0.5,, "})
    assert config["ALLOWED_HOSTS"] == ["itsm.example.jp", "10.0.0.5"]


def test_empty_list_variable_means_no_entries():
    assert conf.load(environ={"KAIZEN_ALLOWED_HOSTS": ""})["ALLOWED_HOSTS"] == []


@pytest.mark.parametrize("language", ["ja", "en"])
def test_language_accepts_japanese_and_english(language):
    assert conf.load(environ={"KAIZEN_LANGUAGE": language})["LANGUAGE"] == language


@pytest.mark.parametrize("language", ["fr", "JA", "ja-JP", ""])
def test_language_must_be_ja_or_en(language):
    with pytest.raises(ConfigError, match="KAIZEN_LANGUAGE"):
        conf.load(environ={"KAIZEN_LANGUAGE": language})


# --- kaizen.toml --------------------------------------------------------------------------------


def test_toml_values_are_used(tmp_path):
    env = write_toml(
        tmp_path / "k.toml",
        'language = "en"\nmax_request_bytes = 4096\ndebug = true\nallowed_hosts = ["a.example.jp"]\n',
    )
    config = conf.load(environ=env)
    assert config["LANGUAGE"] == "en"
    assert config["MAX_REQUEST_BYTES"] == 4096
    assert config["DEBUG"] is True
    assert config["ALLOWED_HOSTS"] == ["a.example.jp"]


def test_toml_strings_are_parsed_like_environment_values(tmp_path):
    env = write_toml(tmp_path / "k.toml", 'allowed_hosts = "a.example.jp, b.example.jp"\nsecure = "yes"\n')
    config = conf.load(environ=env)
    assert config["ALLOWED_HOSTS"] == ["a.example.jp", "b.example.jp"]
    assert config["SECURE"] is True


def test_environment_wins_over_toml(tmp_path):
    env = write_toml(tmp_path / "k.toml", 'language = "en"\nweb_workers = 9\ntime_zone = "UTC"\n')
    env.update({"KAIZEN_LANGUAGE": "ja", "KAIZEN_WEB_WORKERS": "3"})
    config = conf.load(environ=env)
    assert config["LANGUAGE"] == "ja"
    assert config["WEB_WORKERS"] == 3
    assert config["TIME_ZONE"] == "UTC"  # not in the environment: the toml value stays


def test_kaizen_toml_in_the_working_directory_is_read_by_default(empty_cwd):
    (empty_cwd / "kaizen.toml").write_text('email_from = "itsm@example.jp"\n', encoding="utf-8")
    assert conf.load(environ={})["EMAIL_FROM"] == "itsm@example.jp"


def test_bad_toml_string_names_the_variable(tmp_path):
    env = write_toml(tmp_path / "k.toml", 'debug = "sometimes"\n')
    with pytest.raises(ConfigError, match="KAIZEN_DEBUG"):
        conf.load(environ=env)


def test_unknown_toml_keys_are_rejected(tmp_path):
    env = write_toml(tmp_path / "k.toml", 'language = "en"\ndatabse_url = "sqlite:///x"\nfoo = 1\n')
    with pytest.raises(ConfigError, match="unknown setting") as info:
        conf.load(environ=env)
    assert "databse_url" in str(info.value) and "foo" in str(info.value)


def test_prefixed_toml_keys_are_rejected(tmp_path):
    env = write_toml(tmp_path / "k.toml", "kaizen_debug = true\n")
    with pytest.raises(ConfigError, match="kaizen_debug"):
        conf.load(environ=env)


def test_toml_language_must_be_ja_or_en(tmp_path):
    env = write_toml(tmp_path / "k.toml", 'language = "de"\n')
    with pytest.raises(ConfigError, match="KAIZEN_LANGUAGE"):
        conf.load(environ=env)


def test_kaizen_config_pointing_to_a_missing_file_is_rejected(tmp_path):
    missing = tmp_path / "nowhere" / "kaizen.toml"
    with pytest.raises(ConfigError, match="KAIZEN_CONFIG") as info:
        conf.load(environ={"KAIZEN_CONFIG": str(missing)})
    assert str(missing) in str(info.value)


def test_kaizen_config_pointing_to_a_directory_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="KAIZEN_CONFIG"):
        conf.load(environ={"KAIZEN_CONFIG": str(tmp_path)})


@pytest.mark.parametrize(
    ("line", "variable"),
    [
        ("debug = 5", "KAIZEN_DEBUG"),
        ("web_workers = true", "KAIZEN_WEB_WORKERS"),
        ("web_workers = 2.5", "KAIZEN_WEB_WORKERS"),
        ("allowed_hosts = 3", "KAIZEN_ALLOWED_HOSTS"),
        ("allowed_hosts = [1, 2]", "KAIZEN_ALLOWED_HOSTS"),
        ("time_zone = 9", "KAIZEN_TIME_ZONE"),
        ("database_url = {host = 'db'}", "KAIZEN_DATABASE_URL"),
    ],
)
def test_toml_value_of_the_wrong_type_names_the_variable(tmp_path, line, variable):
    env = write_toml(tmp_path / "k.toml", line + "\n")
    with pytest.raises(ConfigError, match=variable):
        conf.load(environ=env)


def test_malformed_toml_is_a_config_error(tmp_path):
    env = write_toml(tmp_path / "k.toml", "language = \n")
    with pytest.raises(ConfigError, match=str(tmp_path)):
        conf.load(environ=env)


# --- secret key ---------------------------------------------------------------------------------


def test_configured_secret_key_is_used_and_nothing_is_written(tmp_path):
    config = conf.load(environ={"KAIZEN_DATA_DIR": str(tmp_path / "data"), "KAIZEN_SECRET_KEY": "k" * 50})
    assert conf.secret_key(config) == "k" * 50
    assert not (tmp_path / "data").exists()


def test_secret_key_is_generated_once_with_mode_0600_and_reused(tmp_path):
    config = conf.load(environ={"KAIZEN_DATA_DIR": str(tmp_path / "data")})
    first = conf.secret_key(config)
    path = tmp_path / "data" / "secret_key"
    assert len(first) >= 50
    assert path.read_text(encoding="ascii") == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert conf.secret_key(config) == first
    assert conf.secret_key(conf.load(environ={"KAIZEN_DATA_DIR": str(tmp_path / "data")})) == first


def test_existing_secret_key_file_is_reused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret_key").write_text("restored-from-backup-key\n", encoding="ascii")
    assert conf.secret_key(conf.load(environ={"KAIZEN_DATA_DIR": str(data)})) == "restored-from-backup-key"


def test_each_data_directory_gets_its_own_key(tmp_path):
    one = conf.secret_key(conf.load(environ={"KAIZEN_DATA_DIR": str(tmp_path / "one")}))
    two = conf.secret_key(conf.load(environ={"KAIZEN_DATA_DIR": str(tmp_path / "two")}))
    assert one != two


def first_start_in_parallel(config: conf.Config, processes: int = 8) -> list[str]:
    """Call secret_key from several threads released at the same moment; return what each got."""
    barrier = threading.Barrier(processes)
    keys: list[str] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        key = conf.secret_key(config)
        with lock:
            keys.append(key)

    threads = [threading.Thread(target=start) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return keys


def test_concurrent_first_start_yields_one_key(tmp_path):
    for round_ in range(30):
        data = tmp_path / f"data-{round_}"
        keys = first_start_in_parallel(conf.load(environ={"KAIZEN_DATA_DIR": str(data)}))
        stored = (data / "secret_key").read_text(encoding="ascii")
        assert stored, f"round {round_}: empty key file"
        assert keys == [stored] * len(keys), f"round {round_}: processes saw different keys"
