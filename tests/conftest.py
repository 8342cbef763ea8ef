"""Fixtures: an app on a fresh database of each engine, its client and CLI runner.

Integration tests take the `app` fixture and run twice: on SQLite and on PostgreSQL
(`KIOSK_TEST_PG_URL`, by default the local server's `test` database, in which each test
session creates and drops its own database). Without a server the PostgreSQL runs are skipped,
except under CI=true, where they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from kiosk import create_app
from kiosk.api import OPENAPI
from kiosk.cli import DEMO_CATALOG
from kiosk.demo.floor import load_demo_floor
from kiosk.domain.accounts import create_token, create_user
from kiosk.domain.accounts.branches import create_branch
from kiosk.domain.catalog import import_catalog
from kiosk.domain.dossiers import workdays
from kiosk.storage import migrate

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ARTIFACTS = Path(__file__).parent / "artifacts"
#: The API's OpenAPI document, which real responses are validated against.
SPEC: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
REGISTRY = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(SPEC))


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def valid(body: Any, template: str, method: str, status: int) -> None:
    """`body` matches the OpenAPI document's schema for that response of `method template`."""
    response = SPEC["paths"][template][method]["responses"][str(status)]
    if "$ref" in response:
        ref = response["$ref"].removeprefix("#/").split("/")
        pointer = "#/" + _pointer(*ref, "content", "application/json", "schema")
    else:
        pointer = "#/" + _pointer(
            "paths", template, method, "responses", str(status),
            "content", "application/json", "schema",
        )  # fmt: skip
    validator = Draft202012Validator({"$ref": "urn:openapi" + pointer}, registry=REGISTRY)
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


KIOSK = str(Path(sys.executable).with_name("kiosk"))


@contextmanager
def running_server(
    instance: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`kiosk demo` then `kiosk serve` (gunicorn) on a free loopback port; yields its base URL.

    `env` may set DATABASE_URL; without it the server uses SQLite in `instance`.
    """
    full = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), **(env or {})}
    if not (env or {}).get("DATABASE_URL"):
        full.pop("DATABASE_URL", None)
    subprocess.run([KIOSK, "demo"], env=full, check=True, capture_output=True)
    port = free_port()
    log_path = instance / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [KIOSK, "serve", "--port", str(port), "--workers", str(workers)],
            env=full,
            stdout=log,
            stderr=log,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not start: " + log_path.read_text())
            yield base
        finally:
            # SIGINT: gunicorn's quick shutdown, without waiting out open event streams.
            proc.send_signal(signal.SIGINT)
            proc.wait(15)


def unavailable(reason: str) -> None:
    """Skip, or fail under CI where nothing may be skipped."""
    if CI:
        pytest.fail(f"{reason} (CI=true: this must run, not skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of its own for this test session, dropped at the end."""
    admin_url = make_url(PG_URL)
    name = f"kiosk_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure to reach the server means "no server"
        unavailable(f"PostgreSQL unreachable at {admin_url.render_as_string()}: {exc}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'kiosk.db'}"
        migrate(url)
        return url
    url: str = request.getfixturevalue("pg_database")
    _empty_pg(url)
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
    """The app with the demo catalog loaded."""
    with app.app_context():
        session = app.extensions["kiosk.sessionmaker"]()
        report = import_catalog(session, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name)
        session.close()
    assert report.ok, report.errors
    return app


@pytest.fixture
def client(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def session(demo_app: Flask):  # type: ignore[no-untyped-def]
    s = demo_app.extensions["kiosk.sessionmaker"]()
    yield s
    s.close()


# --- the demo floor with staff, for the queue's tests ------------------------------------


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
def api(floor: Flask) -> FlaskClient:
    return floor.test_client()


@pytest.fixture
def db_session(floor: Flask) -> Session:
    s: Session = floor.extensions["kiosk.sessionmaker"]()
    yield s  # type: ignore[misc]
    s.close()


@pytest.fixture
def branches(floor: Flask, db_session: Session) -> dict[str, dict[str, str]]:
    """A second branch (Agribank's), an agent of each branch, a processor of the center, and
    an API token of each."""
    workdays.seed_calendar(db_session, [2026, 2027])
    create_branch(db_session, "AGR-GL", bank="AGRIBANK", name="Agribank Gia Lai")
    create_user(db_session, "dl-bidv", "mat-khau-dai-9", "agent", "Đại lý BIDV",
                branch_code="BIDV-GL")  # fmt: skip
    create_user(db_session, "dl-agr", "mat-khau-dai-9", "agent", "Đại lý Agribank",
                branch_code="AGR-GL")  # fmt: skip
    create_user(db_session, "xuly", "mat-khau-dai-4", "processor", "Lê Thị Hà")
    return {
        name: {"Authorization": f"Bearer {token_for(floor, name)}"}
        for name in ("dl-bidv", "dl-agr", "xuly")
    }


def token_for(app: Flask, name: str) -> str:
    s = app.extensions["kiosk.sessionmaker"]()
    try:
        return create_token(s, name)
    finally:
        s.close()


def csrf(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found, "no CSRF token on " + url
    return found.group(1)


def page_text(response: Any) -> str:
    """A page's HTML with its CSRF tokens blanked: a token is signed with the second it was
    made, so the same page asked for twice a second apart differs there and nowhere else."""
    html = str(response.get_data(as_text=True))
    html = re.sub(r'(name="csrf-token" content=")[^"]+', r"\1", html)
    return re.sub(r'(name="csrf_token" value=")[^"]+', r"\1", html)


def sign_in(client: FlaskClient, name: str, password: str) -> Any:
    token = csrf(client, "/office/login")
    return client.post(
        "/office/login", data={"username": name, "password": password, "csrf_token": token}
    )


def change_password(client: FlaskClient, current: str, new: str) -> Any:
    """The signed-in account chooses its own password (`/office/password`), as one whose
    password someone else set must before any other page opens."""
    token = csrf(client, "/office/password")
    return client.post("/office/password", data={"current": current, "new": new,
                       "repeat": new, "csrf_token": token})  # fmt: skip


# --- real files for uploads ---------------------------------------------------------------


def sample_pdf(megabytes: float = 0.0, pages: int = 1) -> bytes:
    """A real PDF (Pillow writes each page as a JPEG of noise), of about `megabytes` when set."""
    import io as _io
    import os as _os

    from PIL import Image

    side = max(64, int((megabytes * 1_000_000 / pages / 1.2) ** 0.5)) if megabytes else 64
    frames = [
        Image.frombytes("RGB", (side, side), _os.urandom(side * side * 3)) for _ in range(pages)
    ]
    buf = _io.BytesIO()
    frames[0].save(buf, "PDF", quality=95, save_all=True, append_images=frames[1:])
    return buf.getvalue()


def sample_image(fmt: str = "JPEG", side: int = 120) -> bytes:
    import io as _io

    from PIL import Image

    buf = _io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def store_upload(
    session: Session, folder: Path, data: bytes, owner: str = "kiosk:test", name: str = "a.pdf"
) -> Any:
    import io as _io

    from kiosk.domain.dossiers import uploads

    return uploads.store(
        session, folder, _io.BytesIO(data), original_name=name, owner=owner,
        limits=uploads.Limits.from_mb(10, 40),
    )  # fmt: skip


# --- figures a test module reports at the end of the run -----------------------------------

#: title -> figures (JSON-able), printed in the run's summary (e.g. the API fuzzer's).
RUN_FIGURES: dict[str, Any] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for title, figures in RUN_FIGURES.items():
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(json.dumps(figures, ensure_ascii=False))
