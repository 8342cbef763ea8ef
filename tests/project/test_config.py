"""Configuration: layers, secrets, database URLs, SQLite settings, documented settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk import create_app
from kiosk.config import SETTINGS, ConfigError, database_url

SETTINGS_DOC = Path(__file__).parent.parent.parent / "docs" / "settings.md"


def test_production_without_secret_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIOSK_ENV", "production")
    monkeypatch.delenv("KIOSK_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="KIOSK_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    a = create_app({"INSTANCE_PATH": str(tmp_path)})
    b = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert a.config["SECRET_KEY"] == b.config["SECRET_KEY"]
    assert len(a.config["SECRET_KEY"]) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_layers_env_over_instance_file_over_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config.py").write_text("IDLE_SECONDS = 30\nSITE_NAME = 'Bộ phận một cửa xã A'\n")
    monkeypatch.setenv("KIOSK_IDLE_SECONDS", "45")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["IDLE_SECONDS"] == 45
    assert app.config["SITE_NAME"] == "Bộ phận một cửa xã A"


def test_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert database_url({}, "/srv/inst") == "sqlite:////srv/inst/kiosk.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/kiosk")
    assert database_url({}, "/x") == "postgresql+psycopg://u:p@db/kiosk"
    assert database_url({"DATABASE_URL": "postgresql://h/k"}, "/x") == "postgresql+psycopg://h/k"


def test_sqlite_runs_in_wal_with_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.extensions["kiosk.engine"].connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/kiosk.db"


def _env(name: str) -> str:
    return "DATABASE_URL" if name == "DATABASE_URL" else f"KIOSK_{name}"


def _settings_table() -> list[str]:
    """The variables named by the rows of docs/settings.md's table, in order."""
    doc = SETTINGS_DOC.read_text(encoding="utf-8")
    return re.findall(r"^\| `([A-Z_]+)` \|", doc, flags=re.M)


def test_the_settings_page_documents_every_setting() -> None:
    listed = _settings_table()
    missing = [_env(name) for name in SETTINGS if _env(name) not in listed]
    assert missing == [], f"docs/settings.md has no row for {missing}"


def test_every_setting_the_settings_page_lists_exists() -> None:
    """The other way: each row of docs/settings.md's table names a setting of the registry,
    once."""
    listed = _settings_table()
    known = {_env(name) for name in SETTINGS}
    assert [name for name in listed if name not in known] == []
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize(
    ("raw", "ports"),
    [
        ("9100", {9100}),  # one port, read as JSON: the number 9100
        ("9100-9102,9200", {9100, 9101, 9102, 9200}),
        ("[9100, 9200]", {9100, 9200}),
        ('[9100, "9300-9301"]', {9100, 9300, 9301}),
    ],
)
def test_printer_tcp_ports_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str, ports: set[int]
) -> None:
    """KIOSK_* variables are read as JSON where they parse, so one port arrives as a number and
    a list as a list: each is a way the setting is written, and the app starts with it."""
    monkeypatch.setenv("KIOSK_PRINTER_TCP_PORTS", raw)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.extensions["kiosk.printer_policy"].tcp_ports == frozenset(ports)


@pytest.mark.parametrize("raw", ["0", "70000", "9109-9100", "true", "abc", "[9100, 0]"])
def test_printer_tcp_ports_that_are_no_ports_stop_the_app_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("KIOSK_PRINTER_TCP_PORTS", raw)
    with pytest.raises(ConfigError, match="KIOSK_PRINTER_TCP_PORTS"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
