"""What tests build with, in one place: the sample citizen and her dossier, real files to
upload, requests as a kiosk, an agent or an officer makes them, a real server, a loopback
printer, and the check of a response against openapi.json.

Fixtures are in `conftest.py`; a test module imports its helpers from here and never from
another test module.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from sqlalchemy import create_engine, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from kiosk.api import OPENAPI
from kiosk.domain import catalog, dossiers, money
from kiosk.domain.accounts import create_token, create_user
from kiosk.models import Counter
from printers.encode import to_escpos
from printers.samples import sample_job

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ARTIFACTS = Path(__file__).parent / "artifacts"


# --- the API's document ------------------------------------------------------------------

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


# --- the sample citizen and her dossier ---------------------------------------------------

#: The site's agency code (`KIOSK_SITE_CODE`'s default), which dossier codes begin with.
SITE = "000.00.01.H29"
#: The judicial record certificate (*Cấp phiếu lý lịch tư pháp*), the procedure tests file.
LLTP = "3.000333"
#: The sample citizen, as her CCCD's QR code reads.
NAME, CCCD, BIRTH, GENDER, PHONE = (
    "Nguyễn Thị Hồng Nhung", "064185001234", dt.date(1985, 3, 12), "Nữ", "0905123456"
)  # fmt: skip
#: Her, as the API takes an applicant.
APPLICANT = {
    "full_name": NAME,
    "cccd": CCCD,
    "birth_date": BIRTH.isoformat(),
    "gender": GENDER,
    "phone": PHONE,
    "address": {"commune_code": "21583", "detail": "12 Lê Lợi"},
}
#: Her, as the domain receives an applicant.
NHUNG = dossiers.Applicant(NAME, CCCD, BIRTH, GENDER, PHONE,
                           {"commune_code": "21553", "detail": "Tổ 3"})  # fmt: skip

#: Her CCCD's QR code as a scanner types it.
SCAN = f"{CCCD}|123456789|{NAME}|{BIRTH:%d%m%Y}|{GENDER}|Tổ 3, Phường Quy Nhơn, Gia Lai|01012022"
#: The LLTP's e-form filled in, as the API takes it.
FIELDS = {
    "noi_sinh": "Gia Lai",
    "dan_toc": "Kinh",
    "quoc_tich": "Việt Nam",
    "noi_thuong_tru": {"commune_code": "21583", "detail": "12 Lê Lợi"},
    "loai_phieu": "Phiếu số 1",
    "so_luong_phieu": 1,
    "xac_nhan_cam_dam_nhiem": "Không",
    "muc_dich": "Bổ sung hồ sơ xin việc",
}
#: The LLTP's two papers.
DOCS = (
    "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
    "Bản chụp giấy tờ tùy thân (thẻ căn cước, hộ chiếu)",
)


# --- real files ----------------------------------------------------------------------------


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


# --- requests as the surfaces make them ----------------------------------------------------


def text(r: Any) -> str:
    return str(r.get_data(as_text=True))


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


def token_for(app: Flask, name: str) -> str:
    s = app.extensions["kiosk.sessionmaker"]()
    try:
        return create_token(s, name)
    finally:
        s.close()


def signed(floor: Flask, name: str, password: str = "mat-khau-dai-9") -> FlaskClient:
    client = floor.test_client()
    r = sign_in(client, name, password)
    assert r.status_code == 302, text(r)
    return client


def with_second_factor(floor: Flask, name: str) -> FlaskClient:
    """Signed in as `name` (password mat-khau-dai-9), enrolling the TOTP second factor."""
    client = floor.test_client()
    sign_in(client, name, "mat-khau-dai-9")
    page = text(client.get("/office/login/totp"))
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)  # type: ignore[union-attr]
    r = client.post("/office/login/totp", data={"csrf_token": csrf(client, "/office/login"),
                                                "code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert r.status_code == 302
    return client


def supervisor(floor: Flask, session: Session, name: str = "ks-bidv",
               branch: str = "BIDV-GL") -> FlaskClient:  # fmt: skip
    """A supervisor signed in with their second factor, enrolled on the way."""
    create_user(session, name, "mat-khau-dai-9", "supervisor", "Kiểm soát viên " + branch,
                branch_code=branch)  # fmt: skip
    return with_second_factor(floor, name)


def admin(floor: Flask, session: Session) -> FlaskClient:
    """An admin signed in with their second factor."""
    create_user(session, "quantri", "mat-khau-dai-9", "admin", "Quản trị")
    return with_second_factor(floor, "quantri")


def counter_id(session: Session, number: int) -> int:
    """The id of the counter numbered `number` (0 when there is none)."""
    return int(session.scalar(select(Counter.id).where(Counter.number == number)) or 0)


def upload(api: FlaskClient, data: bytes, name: str = "to-khai.pdf", **kw: Any) -> Any:
    return api.post(
        "/api/v1/uploads",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kw,
    )


def file_lltp(api: FlaskClient, key: str | None = None, **over: Any) -> Any:
    ids = [upload(api, sample_pdf()).get_json()["id"], upload(api, sample_image()).get_json()["id"]]
    body = {
        "procedure": LLTP,
        "applicant": APPLICANT,
        "fields": FIELDS,
        "documents": [{"name": n, "upload_id": i} for n, i in zip(DOCS, ids, strict=True)],
        **over,
    }
    if key:
        body["idempotency_key"] = key
    return api.post("/api/v1/dossiers", json=body)


def upload_as(api: FlaskClient, headers: dict[str, str]) -> str:
    """A PDF uploaded through the API by whoever `headers` sign as; its id."""
    r = api.post("/api/v1/uploads", data={"file": (io.BytesIO(sample_pdf()), "a.pdf")},
                 content_type="multipart/form-data", headers=headers)  # fmt: skip
    assert r.status_code == 201
    return str(r.get_json()["id"])


def file_as(api: FlaskClient, headers: dict[str, str], consent: str | None) -> Any:
    ids = [upload_as(api, headers), upload_as(api, headers)]
    body: dict[str, Any] = {
        "procedure": LLTP, "applicant": APPLICANT, "fields": FIELDS,
        "documents": [{"name": n, "upload_id": i} for n, i in zip(DOCS, ids, strict=True)],
    }  # fmt: skip
    if consent is not None:
        body["consent_upload_id"] = consent
    return api.post("/api/v1/dossiers", json=body, headers=headers)


def kupload(client: FlaskClient, data: bytes, token: str) -> Any:
    return client.post(
        "/kiosk/uploads",
        data={"file": (io.BytesIO(data), "giay-to.pdf")},
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )


def form_data(token: str, ids: list[str], **over: str) -> dict[str, str]:
    """The kiosk's filing form for the LLTP, filled in for her with the uploads `ids`."""
    data = {
        "csrf_token": token,
        "idempotency_key": "kiosk-test-1",
        "a.full_name": NAME,
        "a.cccd": CCCD,
        "a.birth_date": BIRTH.isoformat(),
        "a.gender": GENDER,
        "a.phone": PHONE,
        "a.commune_code": "21583",
        "a.detail": "Tổ 3",
        "f.noi_sinh": "Gia Lai",
        "f.dan_toc": "Kinh",
        "f.quoc_tich": "Việt Nam",
        "f.noi_thuong_tru.commune_code": "21583",
        "f.noi_thuong_tru.detail": "Tổ 3",
        "f.loai_phieu": "Phiếu số 1",
        "f.so_luong_phieu": "1",
        "f.xac_nhan_cam_dam_nhiem": "Không",
        "f.muc_dich": "Xin việc",
        "doc.0": ids[0],
        "doc.1": ids[1],
    }
    data.update(over)
    return data


def agent_upload(client: FlaskClient, token: str, data: bytes) -> str:
    r = client.post("/agent/uploads", data={"file": (io.BytesIO(data), "a.pdf")},
                    headers={"X-CSRFToken": token}, content_type="multipart/form-data")  # fmt: skip
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["id"])


def bank_pays(api: FlaskClient, secret: str, reference: str, amount: int, txn: str) -> Any:
    # The bank's own time of the transfer: now, so that it falls in today's reconciliation
    # whatever the hour the test runs (the site's day turns at 17:00 UTC).
    paid_at = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).isoformat(timespec="seconds")
    body = json.dumps({"reference": reference, "amount": amount, "bank_txn_id": txn,
                       "paid_at": paid_at}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    headers = {
        "X-Kiosk-Bank": "BIDV",
        "X-Kiosk-Timestamp": stamp,
        "X-Kiosk-Signature": money.signature(secret, stamp, body),
    }
    return api.post(
        "/api/v1/payments/callback", data=body, content_type="application/json", headers=headers
    )


#: A dossier code no dossier has.
MISSING = "000.00.01.H29-200101-9999"


# --- servers, databases, printers ----------------------------------------------------------


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
            # Up to a minute: on a loaded machine (load 8 on 2 cores) gunicorn's gevent worker
            # took 15 s to answer its first /healthz, past the 15 s this waited before.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
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


#: The schema beside `public` where a test session keeps the demo catalog's rows (`snapshot_pg`).
PG_SNAPSHOT = "kiosk_test_snapshot"


def _pg_tables(conn: Any) -> list[str]:
    """The tables of `public` but alembic's, each after the tables its foreign keys point at."""
    rows = conn.execute(
        sql(
            "SELECT c.relname, p.relname FROM pg_class c "
            "LEFT JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'f' "
            "LEFT JOIN pg_class p ON p.oid = k.confrelid "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' "
            "AND c.relname <> 'alembic_version'"
        )
    ).all()
    parents: dict[str, set[str]] = {}
    for table, parent in rows:
        parents.setdefault(table, set())
        if parent is not None and parent != table:
            parents[table].add(parent)
    return list(graphlib.TopologicalSorter(parents).static_order())


def empty_pg(url: str, *, snapshot: bool = False) -> None:
    """Empty every table of the PostgreSQL database at `url` and restart its sequences, as a
    fresh migration leaves it; with `snapshot`, then put back the rows `snapshot_pg` kept (the
    demo catalog). DELETE, children first, rather than TRUNCATE: TRUNCATE gives each of the
    sixty tables and their indexes new files, which took two seconds a test."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = _pg_tables(conn)
        conn.exec_driver_sql("".join(f'DELETE FROM public."{t}";' for t in reversed(tables)))
        conn.exec_driver_sql(
            "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass,"
            " start_value, false) FROM pg_sequences WHERE schemaname = 'public'"
        )
        if snapshot:
            kept = set(
                conn.execute(
                    sql("SELECT tablename FROM pg_tables WHERE schemaname = :s"),
                    {"s": PG_SNAPSHOT},
                ).scalars()
            )
            for t in tables:
                if t in kept:
                    conn.exec_driver_sql(
                        f'INSERT INTO public."{t}" SELECT * FROM {PG_SNAPSHOT}."{t}"'
                    )
            conn.exec_driver_sql(
                f"SELECT setval(('public.' || quote_ident(name))::regclass, last_value, is_called) "
                f"FROM {PG_SNAPSHOT}._sequences"
            )
    engine.dispose()


def snapshot_pg(url: str) -> None:
    """Keep the rows of every non-empty table of `public` (and where each sequence stands) in
    the schema PG_SNAPSHOT, for `empty_pg(url, snapshot=True)` to put back."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {PG_SNAPSHOT} CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA {PG_SNAPSHOT}")
        for t in _pg_tables(conn):
            if conn.scalar(sql(f'SELECT EXISTS (SELECT 1 FROM public."{t}")')):
                conn.exec_driver_sql(
                    f'CREATE TABLE {PG_SNAPSHOT}."{t}" AS SELECT * FROM public."{t}"'
                )
        conn.exec_driver_sql(
            f"CREATE TABLE {PG_SNAPSHOT}._sequences AS SELECT sequencename AS name, "
            "coalesce(last_value, start_value) AS last_value, last_value IS NOT NULL AS is_called "
            "FROM pg_sequences WHERE schemaname = 'public'"
        )
    engine.dispose()


class FakePrinter:
    """A loopback "printer" on port 9100's model: takes jobs, answers DLE EOT, misbehaves on cue."""

    def __init__(self, port: int = 0) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.jobs: list[bytes] = []
        self.mode = "ok"  # ok | stall | drop
        self.status_bytes = {1: 0x16, 2: 0x12, 4: 0x12}
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        if self.mode == "stall":
            time.sleep(3)
            return
        got = b""
        conn.settimeout(5)
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                break
            got += chunk
            if (
                got.startswith(b"\x10\x04")
                and len(got) % 3 == 0
                and all(got[i : i + 2] == b"\x10\x04" for i in range(0, len(got), 3))
            ):
                conn.sendall(bytes([self.status_bytes[got[-1]]]))
                continue
            if self.mode == "drop" and len(got) > 1000:
                # Pulled the plug mid-job: reset, as a printer losing power does.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
        if got and not got.startswith(b"\x10\x04"):
            self.jobs.append(got)

    def close(self) -> None:
        self.running = False
        self.sock.close()


def ticket_bytes() -> bytes:
    """The same bytes at every call (a fixed time: a minute turning between two calls must
    not change them)."""
    at = dt.datetime(2026, 11, 23, 9, 30)
    return to_escpos(sample_job("ticket", 576, "Trung tâm", at), "TM-T20II")


# --- figures a test module reports at the end of the run -----------------------------------

#: title -> figures (JSON-able), printed in the run's summary (e.g. the API fuzzer's).
RUN_FIGURES: dict[str, Any] = {}


# Monday 16/11/2026, 9:00 in Vietnam.
MONDAY_9 = dt.datetime(2026, 11, 16, 2, 0)


def receive(session: Session, staff: dict[str, Any], **kw: Any) -> dossiers.Received:
    """A dossier received at the counter by `staff["officer"]` (fixture `staff`), Monday 9:00."""
    proc = catalog.get_procedure(session, kw.pop("code", "1.004222"))
    assert proc is not None
    kw.setdefault("channel", "direct")
    kw.setdefault("site_code", "000.00.01.H29")
    kw.setdefault("now", MONDAY_9)
    kw.setdefault("actor", staff["officer"])
    return dossiers.receive(session, proc, kw.pop("applicant", NHUNG), **kw)


def receive_at_counter(office: FlaskClient, session: Session) -> str:
    """Ticket A001 for the judicial record, called at counter 1, received as a dossier."""
    office.post("/api/v1/tickets", json={"service": "HOTICH"})
    sign_in(office, "canbo", "mat-khau-dai-1")
    cid = counter_id(session, 1)
    token = csrf(office, f"/office/counters/{cid}")
    office.post(f"/office/counters/{cid}/sign-in", data={"csrf_token": token})
    office.post(f"/office/counters/{cid}/call-next", data={"csrf_token": token, "if_current": "0"})
    panel = text(office.get(f"/office/counters/{cid}"))
    assert "Tiếp nhận hồ sơ cho số A00" in panel
    form = text(office.get(f"/office/counters/{cid}/receive/3.000333"))
    assert 'data-testid="ticket-number">A00' in form and "Đã nhận bản giấy" in form
    data = {
        "csrf_token": token,
        "idempotency_key": uuid.uuid4().hex,
        "a.full_name": "Trần Văn Bình",
        "a.cccd": "052090001234",
        "a.birth_date": "1990-05-01",
        "a.gender": "Nam",
        "a.phone": "0912345678",
        "f.loai_phieu": "Phiếu số 1",
        "paper.0": "on",
        "paper.1": "on",
    }
    bad = office.post(f"/office/counters/{cid}/receive/3.000333",
                      data={**data, "a.cccd": "12", "f.so_luong_phieu": "99"})  # fmt: skip
    assert bad.status_code == 422
    assert "Số căn cước gồm đúng 12 chữ số." in text(bad) and "lớn nhất là 10" in text(bad)
    r = office.post(f"/office/counters/{cid}/receive/3.000333", data=data)
    assert r.status_code == 303, text(r)
    page = text(office.get(r.headers["Location"]))
    code = re.search(r'data-testid="dossier-code">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    assert "Đã tiếp nhận hồ sơ" in page and "Phiếu số 1" in page
    return code


def give_result(app: Flask, code: str) -> None:
    """Dossier `code` resolved by a processor (accepted first when it is new), so that its
    citizen may rate it (`ratings.may_rate`)."""
    from kiosk.models import User

    s = app.extensions["kiosk.sessionmaker"]()
    try:
        processor = s.scalar(select(User).where(User.role == "processor")) or create_user(
            s, "ketqua", "mat-khau-dai-7", "processor", "Phạm Văn Kết"
        )
        found = dossiers.find(s, code)
        assert found is not None, code
        if found.status == "registered":
            dossiers.move(s, found, "accepted", processor)
        dossiers.move(s, found, "resolved", processor)
    finally:
        s.close()


def file_online_over_http(server: str) -> str:
    """A judicial record (fee 200,000 đ) for Lê Văn Cường (CCCD ...4321) filed through the
    API of a running server (`running_server`), with its two papers; its code."""
    import json

    def post(path: str, data: bytes, ctype: str) -> Any:
        req = urllib.request.Request(server + path, data=data, method="POST",
                                     headers={"Content-Type": ctype})  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    ids = []
    for name in ("to-khai.pdf", "cccd.pdf"):
        head = f'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="{name}"'
        body = f"{head}\r\n\r\n".encode() + sample_pdf() + b"\r\n--b0undary--\r\n"
        ids.append(post("/api/v1/uploads", body, "multipart/form-data; boundary=b0undary")["id"])
    docs = ["Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp",
            "Bản chụp giấy tờ tùy thân (thẻ căn cước, hộ chiếu)"]  # fmt: skip
    filed = post("/api/v1/dossiers", json.dumps({
        "procedure": "3.000333",
        "applicant": {"full_name": "Lê Văn Cường", "cccd": "052090004321",
                      "birth_date": "1990-01-02", "gender": "Nam", "phone": "0987654321"},
        "fields": {"noi_sinh": "Gia Lai", "dan_toc": "Kinh", "quoc_tich": "Việt Nam",
                   "noi_thuong_tru": {"commune_code": "21583", "detail": "Tổ 1"},
                   "loai_phieu": "Phiếu số 1", "so_luong_phieu": 1,
                   "xac_nhan_cam_dam_nhiem": "Không", "muc_dich": "Xin việc"},
        "documents": [{"name": n, "upload_id": i} for n, i in zip(docs, ids, strict=True)],
    }).encode(), "application/json")  # fmt: skip
    return str(filed["code"])


def make_ca(folder: Path, name: str) -> tuple[Path, Any, Any]:
    """A certificate authority made here (the `cryptography` package): its PEM file, its
    certificate and its key, to sign a server's certificate with `make_cert`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = folder / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, cert, key


def make_cert(folder: Path, ca: tuple[Path, Any, Any], name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost signed by `ca` (see `make_ca`): the PEM
    files of the certificate and of its key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    _, ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = folder / f"{name}.pem", folder / f"{name}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


# --- a province: sites' databases and their events delivered to a hub ----------------------


def site_db(template: Path, path: Path) -> Session:
    """A site's own SQLite database (a copy of the migrated `template`, e.g. the fixture
    `sqlite_demo`), with the work calendar and a counter officer (`canbo`) and a processor
    (`xuly`); closed (and its engine disposed) by the caller."""
    import shutil

    from kiosk.domain.dossiers import workdays
    from kiosk.storage import make_engine, make_sessionmaker

    shutil.copyfile(template, path)
    s = make_sessionmaker(make_engine(f"sqlite:///{path}"))()
    workdays.seed_calendar(s, [2026, 2027])
    create_user(s, "canbo", "mat-khau-dai-1", "officer", "Trần Văn Bình")
    create_user(s, "xuly", "mat-khau-dai-2", "processor", "Lê Thị Hà")
    return s


def deliver(
    hub: Session, site: Session, domain: str, order: list[int] | None = None, *,
    batch: bool = False,
) -> int:  # fmt: skip
    """The site's outbox into the hub's database as the relay sends it and the ingest writes
    it (`province.receive`, committed one by one; with `batch`, all in one `receive_all`, as
    the ingest takes a batch after an outage), in `order` (indexes into the outbox) or as
    written; returns how many were new."""
    from kiosk.domain import outbox, province
    from kiosk.models import OutboxEvent

    rows = list(site.scalars(select(OutboxEvent).order_by(OutboxEvent.seq)))
    incoming = [
        province.Incoming(e.id, domain, e.kind, outbox.payload_of(site, e),  # as the relay sends
                          e.created_at, e.seq)
        for e in (rows[i] for i in (order if order is not None else range(len(rows))))
    ]  # fmt: skip
    if batch:
        new = province.receive_all(hub, incoming)
        hub.commit()
        return new
    new = 0
    for one in incoming:
        new += province.receive_all(hub, [one])
        hub.commit()
    return new


def fee_paid(session: Session, code: str, username: str) -> None:
    """Dossier `code`'s fee, if it owes one, taken in cash by `username` (an agent of its
    branch, a counter officer): a result is handed back only once the fee is paid."""
    from kiosk.domain import money
    from kiosk.models import User

    found = dossiers.find(session, code)
    who = session.scalar(select(User).where(User.username == username))
    assert found is not None and who is not None
    owed = money.due_amount(session, found)
    if owed:
        money.record_cash(session, found, who, owed)


def wait_for(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    """`check()`'s first truthy answer, asked every 0.1 s; the test fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds} s for {what}")
        time.sleep(0.1)
