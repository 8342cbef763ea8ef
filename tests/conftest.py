"""Fixtures: an app on a fresh database of each engine, its client and CLI runner.

Integration tests take the `app` fixture and run twice: on SQLite and on PostgreSQL
(`KIOSK_TEST_PG_URL`, by default the local server's `test` database, in which each test
session creates and drops its own database). Without a server the PostgreSQL runs are skipped,
except under CI=true, where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.routing.rules import Rule

from kiosk import create_app
from kiosk.cli import DEMO_CATALOG
from kiosk.demo.floor import load_demo_floor
from kiosk.domain import money
from kiosk.domain.accounts import create_user, sign_in
from kiosk.domain.accounts.branches import create_branch
from kiosk.domain.catalog import import_catalog
from kiosk.domain.dossiers import workdays
from kiosk.models import Dossier, Procedure, User
from kiosk.storage import make_engine, make_sessionmaker, migrate
from tests.builders import (
    PG_URL,
    RUN_FIGURES,
    SITE,
    empty_pg,
    file_as,
    snapshot_pg,
    token_for,
    unavailable,
    upload_as,
)

# Passwords are hashed with argon2's cheapest parameters in the tests' own process: the
# defaults' 64 MiB and three passes cost most of a second a hash on this machine, and the
# fixtures make seven accounts a test. Still argon2id, verified by the same code; hashes carry
# their parameters, so a server a test starts (at the defaults) checks them all the same.
sign_in._hasher = PasswordHasher.from_parameters(CHEAPEST)

# Every test builds an app, and Werkzeug compiles two URL builders (an AST, then compile()) for
# each of its rules: 80 ms of the 105 ms create_app took. A rule's builder is a function of its
# text, its parts and its defaults' names alone (it reads the rule's converters through the rule
# it is bound to), so the tests' process compiles each once and every app binds the same
# function; a rule whose default fills one of its parts (the builder holds the converted value)
# is compiled as before.
_compile_builder = getattr(Rule, "_compile_builder", None)
_builders: dict[Any, Any] = {}


def _cached_builder(rule: Rule, append_unknown: bool = True) -> Any:
    assert _compile_builder is not None
    defaults = rule.defaults or {}
    if any(dynamic and part in defaults for dynamic, part in rule._trace):
        return _compile_builder(rule, append_unknown)
    key = (rule.rule, tuple(rule._trace), tuple(defaults), append_unknown)
    if key not in _builders:
        _builders[key] = _compile_builder(rule, append_unknown)
    return _builders[key]


if _compile_builder is not None:
    Rule._compile_builder = _cached_builder  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of its own for this test session, dropped at the end."""
    admin_url = make_url(PG_URL)
    name = f"kiosk_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit does not wait for the WAL to reach the disk: nothing here survives the
            # server's own crash, and each commit of a test no longer waits for an fsync.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "no server"
        unavailable(f"PostgreSQL unreachable at {admin_url.render_as_string()}: {exc}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite database made once per test session; each test gets a copy,
    since migrating took most of a short test's time."""
    path = tmp_path_factory.mktemp("template") / "kiosk.db"
    migrate(f"sqlite:///{path}")
    with contextlib.closing(sqlite3.connect(path)) as conn:  # the WAL folded into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def sqlite_demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated SQLite database with the demo catalog, loaded once per test session."""
    path = tmp_path_factory.mktemp("demo") / "kiosk.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    session = make_sessionmaker(engine)()
    report = import_catalog(session, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name)
    session.close()
    engine.dispose()
    assert report.ok, report.errors
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(scope="session")
def pg_demo(pg_database: str) -> str:
    """The session's PostgreSQL database with the demo catalog loaded once and its rows kept
    (`snapshot_pg`), for each test that takes `demo_app` to get them back in milliseconds."""
    empty_pg(pg_database)
    engine = make_engine(pg_database)
    session = make_sessionmaker(engine)()
    report = import_catalog(session, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name)
    session.close()
    engine.dispose()
    assert report.ok, report.errors
    snapshot_pg(pg_database)
    return pg_database


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each engine."""
    # A test that will load the demo catalog gets a database that has it already (demo_app).
    demo = "demo_app" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "kiosk.db"
        shutil.copyfile(request.getfixturevalue("sqlite_demo" if demo else "sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_demo" if demo else "pg_database")
    empty_pg(url, snapshot=demo)
    return url


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "test-secret",
            "PUBLIC_URL": "http://kiosk.test",
        }
    )
    yield app
    hub = app.extensions.get("kiosk.hub")
    if hub is not None:  # its reader holds a connection: give it back before disposing
        hub.stop()
    app.extensions["kiosk.engine"].dispose()


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """The app with the demo catalog loaded (on SQLite, its database was copied with it)."""
    with app.app_context():
        session = app.extensions["kiosk.sessionmaker"]()
        if session.scalar(select(func.count()).select_from(Procedure)) == 0:
            report = import_catalog(session, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name)
            assert report.ok, report.errors
        session.close()
    return app


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    """A test client of the app; what its database holds is another fixture's: `demo_app` (the
    catalog) by itself, `floor` (the queue's floor and staff) when the test takes it too."""
    return demo_app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(demo_app: Flask) -> Iterator[Session]:
    """A database session on the app (with `floor`, on the floor it loads)."""
    s: Session = demo_app.extensions["kiosk.sessionmaker"]()
    yield s
    s.close()


# --- the demo floor with staff ----------------------------------------------------------


@pytest.fixture
def floor(demo_app: Flask) -> Flask:
    s = demo_app.extensions["kiosk.sessionmaker"]()
    load_demo_floor(s)
    create_user(s, "canbo", "mat-khau-dai-1", "officer", "Nguyễn Thị Hoa")
    create_user(s, "quanly", "mat-khau-dai-2", "manager", "Trần Văn Minh")
    create_branch(s, "BIDV-GL", bank="BIDV", name="BIDV Chi nhánh Gia Lai")
    create_user(s, "daily", "mat-khau-dai-3", "agent", "Đại lý", branch_code="BIDV-GL")
    s.close()
    return demo_app


@pytest.fixture
def branches(floor: Flask, session: Session) -> dict[str, dict[str, str]]:
    """A second branch (Agribank's), an agent of each branch, a processor of the center, and
    an API token of each."""
    workdays.seed_calendar(session, [2026, 2027])
    create_branch(session, "AGR-GL", bank="AGRIBANK", name="Agribank Gia Lai")
    create_user(session, "dl-bidv", "mat-khau-dai-9", "agent", "Đại lý BIDV",
                branch_code="BIDV-GL")  # fmt: skip
    create_user(session, "dl-agr", "mat-khau-dai-9", "agent", "Đại lý Agribank",
                branch_code="AGR-GL")  # fmt: skip
    create_user(session, "xuly", "mat-khau-dai-4", "processor", "Lê Thị Hà")
    return {
        name: {"Authorization": f"Bearer {token_for(floor, name)}"}
        for name in ("dl-bidv", "dl-agr", "xuly")
    }


@pytest.fixture
def filed(floor: Flask, client: FlaskClient, branches: dict[str, dict[str, str]],
          session: Session) -> dict[str, Any]:  # fmt: skip
    """A dossier the BIDV branch filed (owing its fee), and an account that collects it."""
    manager = session.scalar(select(User).where(User.username == "quanly"))
    assert manager is not None
    money.add_account(session, agency=SITE, bank_bin="970418", number="1234567890",
                         holder="Trung tam PVHCC", actor=manager)  # fmt: skip
    bidv = branches["dl-bidv"]
    r = file_as(client, bidv, upload_as(client, bidv))
    assert r.status_code == 201
    d = session.scalar(select(Dossier).where(Dossier.code == r.get_json()["code"]))
    assert d is not None and d.fee_vnd > 0
    return {"code": d.code, "fee": d.fee_vnd, "secret": money.rotate_secret(session, "BIDV")}


# --- real files for uploads ---------------------------------------------------------------


# --- figures a test module reports at the end of the run -----------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that drives Chromium (marked `browser`) is `slow` too: `make test-fast` leaves it
    out, `make test` runs it."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist (`make test-fast`), a worker hands its figures to the main process."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["run_figures"] = json.dumps(RUN_FIGURES, ensure_ascii=False)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    RUN_FIGURES.update(json.loads(getattr(node, "workeroutput", {}).get("run_figures", "{}")))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, figures in RUN_FIGURES.items():
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(json.dumps(figures, ensure_ascii=False))


@pytest.fixture
def staff(session: Session) -> dict[str, User]:
    """An officer and a processor, with the calendar of 2026-2027."""
    workdays.seed_calendar(session, [2026, 2027])
    return {
        "officer": create_user(session, "canbo", "mat-khau-dai-1", "officer", "Trần Văn Bình"),
        "processor": create_user(session, "xuly", "mat-khau-dai-2", "processor", "Lê Thị Hà"),
    }
