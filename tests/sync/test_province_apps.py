"""The province with its apps: `kiosk province demo` (what `make province` runs) and a
simulated working day through the sites' HTTP API with the hub down, on free loopback ports,
each part a real process (nats-servers, relays, ingest, gunicorn apps). The hub's database is
PostgreSQL, as a province's is."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.demo.province import ProvinceDemo
from kiosk.domain import clock, money
from kiosk.domain.clock import VIETNAM
from kiosk.domain.reports.queue import day_figures
from kiosk.models import OutboxEvent, ProvinceEvent, QueueDayFigures
from kiosk.storage import make_engine
from tests.builders import (
    APPLICANT,
    DOCS,
    FIELDS,
    KIOSK,
    LLTP,
    empty_pg,
    free_port,
    sample_image,
    sample_pdf,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

#: The period report's counts (its other fields name the unit and the period).
COUNTS = (
    "received_online", "received_direct", "carried_over", "resolved_early", "resolved_on_time",
    "resolved_late", "in_progress_on_time", "in_progress_overdue", "closed_other",
)  # fmt: skip


def kiosk(env: dict[str, str], *args: str) -> str:
    """A `kiosk` command's last line (a token, a secret)."""
    done = subprocess.run([KIOSK, *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def file_dossier(api: httpx.Client) -> str:
    ids = []
    for name, data in (("to-khai.pdf", sample_pdf()), ("cccd.jpg", sample_image())):
        r = api.post("/api/v1/uploads", files={"file": (name, io.BytesIO(data))})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    docs = [{"name": n, "upload_id": i} for n, i in zip(DOCS, ids, strict=True)]
    body = {"procedure": LLTP, "applicant": APPLICANT, "fields": FIELDS, "documents": docs}
    r = api.post("/api/v1/dossiers", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["code"])


def hub_codes(hub: httpx.Client, token: str) -> dict[str, str]:
    """The dossiers the hub lists: code -> owning site."""
    r = hub.get("/api/v1/dossiers?limit=1000", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return {item["code"]: item["site"] for item in r.json()["items"]}


def processes_under(root: Path) -> list[int]:
    """This user's processes started for `root` (in their command line or environment)."""
    mark = str(root).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if mark in (entry / "cmdline").read_bytes() or mark in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture
def province_db(pg_database: str) -> str:
    empty_pg(pg_database)
    return pg_database


def test_make_province_shows_a_dossier_filed_at_a_commune_at_the_hub(
    tmp_path: Path, province_db: str
) -> None:
    root = tmp_path / "province"
    apps = [free_port() for _ in range(3)]
    nats = [free_port() for _ in range(3)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["DATABASE_URL"] = province_db
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [KIOSK, "province", "demo", "--root", str(root),
             "--app-ports", ",".join(map(str, apps)), "--nats-ports", ",".join(map(str, nats)),
             "--leaf-port", str(free_port())],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    try:
        wait_for(lambda: "Ctrl-C" in log.read_text(errors="replace") or demo.poll() is not None,
                 "the province to be ready", 300)  # fmt: skip
        assert demo.poll() is None, log.read_text()
        text = log.read_text()
        assert f"http://127.0.0.1:{apps[1]}/" in text and f"http://127.0.0.1:{apps[0]}/" in text
        with httpx.Client(base_url=f"http://127.0.0.1:{apps[1]}", timeout=30) as site:
            code = file_dossier(site)
        hub_env = {**env, "KIOSK_INSTANCE_PATH": str(root / "hub-instance")}
        token = kiosk(hub_env, "tokens", "create", "quanly")
        with httpx.Client(base_url=f"http://127.0.0.1:{apps[0]}", timeout=30) as hub:
            wait_for(lambda: code in hub_codes(hub, token), "the dossier at the hub", 60)
            assert hub_codes(hub, token)[code] == "000.00.41.H29"
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            code_ = demo.wait(60)
        except subprocess.TimeoutExpired:
            demo.kill()  # reaped here, not left to fail a later test as a running Popen
            demo.wait()
            raise
    out = log.read_text()
    assert code_ == 0, out
    assert "Đã dừng tất cả." in out
    assert processes_under(root) == []


def test_make_province_says_what_it_needs_without_postgresql(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["DATABASE_URL"] = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"
    done = subprocess.run([KIOSK, "province", "demo", "--root", str(tmp_path / "p")], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1
    assert "Trạm tỉnh cần PostgreSQL: đặt DATABASE_URL=" in done.stderr
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"
    done = subprocess.run([KIOSK, "province", "demo", "--root", str(tmp_path / "p")], env=env,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1 and "cần PostgreSQL" in done.stderr
    assert not (tmp_path / "p").exists()


# ------------------------------------------------------------------ a simulated working day


def bank_pays(api: httpx.Client, secret: str, reference: str, amount: int, txn: str) -> None:
    paid_at = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).isoformat(timespec="seconds")
    body = json.dumps({"reference": reference, "amount": amount, "bank_txn_id": txn,
                       "paid_at": paid_at}).encode()  # fmt: skip
    stamp = str(int(time.time()))
    r = api.post("/api/v1/payments/callback", content=body, headers={
        "Content-Type": "application/json", "X-Kiosk-Bank": "BIDV", "X-Kiosk-Timestamp": stamp,
        "X-Kiosk-Signature": money.signature(secret, stamp, body)})  # fmt: skip
    assert r.status_code == 200, r.text


class Desk:
    """A site's app as its staff and citizens use it over HTTP for a day."""

    def __init__(self, demo: ProvinceDemo, index: int) -> None:
        self.site = demo.sites[index]
        env = demo.site_envs[self.site.domain]
        self.api = httpx.Client(base_url=self.site.url, timeout=30)
        self.processor = {"Authorization": f"Bearer {kiosk(env, 'tokens', 'create', 'xuly')}"}
        self.manager = {"Authorization": f"Bearer {kiosk(env, 'tokens', 'create', 'quanly')}"}
        self.secret = kiosk(env, "banks", "secret", "BIDV")
        self.engine = make_engine(f"sqlite:///{self.site.instance / 'kiosk.db'}")
        services = self.api.get("/api/v1/services").json()
        self.service = services[0]["code"] if isinstance(services, list) else \
            services["items"][0]["code"]  # fmt: skip
        self.codes: list[str] = []

    def work(self, dossiers: int, tickets: int, tag: str) -> None:
        """File `dossiers`, take `tickets`, the citizens pay every other fee, and the processor
        resolves every third dossier."""
        for _ in range(tickets):
            r = self.api.post("/api/v1/tickets", json={"service": self.service})
            assert r.status_code == 201, r.text
        for i in range(dossiers):
            code = file_dossier(self.api)
            self.codes.append(code)
            if i % 2 == 0:
                fee = self.api.get(f"/api/v1/dossiers/{code}/payment?verify=1234").json()
                assert fee["status"] == "pending", fee
                txn = f"FT{self.site.domain}{tag}{i}"  # a bank's own ids never repeat
                bank_pays(self.api, self.secret, fee["reference"], fee["amount"], txn)
            if i % 3 == 0:
                url = f"/api/v1/dossiers/{code}/transitions"
                for to in ("accepted", "processing"):
                    r = self.api.post(url, json={"to": to}, headers=self.processor)
                    assert r.status_code == 200, r.text
                result = {"file": ("ket-qua.pdf", io.BytesIO(sample_pdf()))}
                up = self.api.post("/api/v1/uploads", headers=self.processor, files=result)
                r = self.api.post(url, json={"to": "resolved", "result_upload_id": up.json()["id"]},
                                  headers=self.processor)  # fmt: skip
                assert r.status_code == 200, r.text

    def events(self) -> list[str]:
        """The ids of the site's events, but for a day's queue figures: an unsent one of those
        is replaced at the next ticket change, so the hub may hold one the outbox no longer
        does (the figures are compared as records, `figures`)."""
        with self.engine.connect() as conn:
            return list(conn.scalars(select(OutboxEvent.id)
                                     .where(OutboxEvent.kind != "queue.day")))  # fmt: skip

    def figures(self) -> dict[str, Any]:
        """Today's queue figures as the site itself counts them."""
        with Session(self.engine) as session:
            return dict(day_figures(session, clock.today(VIETNAM)))

    def backlog(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(OutboxEvent)
                                   .where(OutboxEvent.sent_at.is_(None))) or 0)  # fmt: skip

    def report(self) -> dict[str, Any]:
        r = self.api.get("/api/v1/reports/period", headers=self.manager)
        assert r.status_code == 200, r.text
        return dict(r.json())


@pytest.fixture
def demo(tmp_path: Path, province_db: str) -> Iterator[ProvinceDemo]:
    p = ProvinceDemo(
        tmp_path / "province", province_db,
        app_ports=(free_port(), free_port(), free_port()),
        nats_ports=(free_port(), free_port(), free_port()),
        leaf_port=free_port(), echo=lambda _line: None,
    )  # fmt: skip
    try:
        p.prepare()
        p.start_all()
        yield p
    finally:
        p.stop()
    assert processes_under(p.root) == []


def test_a_working_day_with_the_hub_down_loses_and_doubles_nothing(demo: ProvinceDemo) -> None:
    """Both sites work through their apps while the hub's server is down (killed -9) for the
    day; once it is back the hub has each record exactly once, and the province's period
    report is the sum of its sites'."""
    desks = [Desk(demo, 0), Desk(demo, 1)]
    hub = httpx.Client(base_url=demo.hub_url, timeout=30)
    hub_engine = make_engine(demo.database_url)
    try:
        day(demo, desks, hub, hub_engine)
    finally:
        hub.close()
        hub_engine.dispose()
        for desk in desks:
            desk.api.close()
            desk.engine.dispose()


def day(demo: ProvinceDemo, desks: list[Desk], hub: httpx.Client, hub_engine: Any) -> None:
    token = kiosk(demo.hub_env, "tokens", "create", "quanly")

    def at_hub() -> list[str]:
        ingest = demo.parts["hub-ingest"]
        assert ingest.running(), "the ingest stopped:\n" + ingest.tail(40)
        with hub_engine.connect() as conn:
            return list(conn.scalars(select(ProvinceEvent.id)
                                     .where(ProvinceEvent.kind != "queue.day")))  # fmt: skip

    def figures_at_hub(site: str) -> dict[str, Any] | None:
        with hub_engine.connect() as conn:
            today = QueueDayFigures.day == clock.today(VIETNAM)
            row = conn.scalar(select(QueueDayFigures.figures)
                              .where(QueueDayFigures.site == site, today))  # fmt: skip
        return json.loads(row) if row else None

    for desk in desks:  # the morning, the link up
        desk.work(dossiers=2, tickets=3, tag="am")
    wait_for(lambda: sorted(at_hub()) == sorted(i for d in desks for i in d.events()),
             "the morning at the hub", 60)  # fmt: skip
    demo.parts["hub-nats"].kill()  # the hub's machine loses power for the day
    for desk in desks:
        desk.work(dossiers=9, tickets=15, tag="day")
    for desk in desks:  # the sites never waited: their own servers acked everything
        wait_for(lambda desk=desk: desk.backlog() == 0, "the site's server to ack its day", 60)
    during = len(at_hub())
    assert during < sum(len(d.events()) for d in desks)

    demo.start("hub-nats")
    demo.wait_ready("hub-nats")
    expected = sorted(i for d in desks for i in d.events())
    wait_for(lambda: len(at_hub()) == len(expected), "the day at the hub", 120)
    got = at_hub()
    assert len(got) == len(set(got)) and sorted(got) == expected
    listed = hub_codes(hub, token)
    for desk in desks:
        assert {c: listed.get(c) for c in desk.codes} == {c: desk.site.code for c in desk.codes}
    r = hub.get("/api/v1/reports/period", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    province = r.json()
    sites = [d.report() for d in desks]
    assert {k: province[k] for k in COUNTS} == {k: sum(s[k] for s in sites) for k in COUNTS}
    assert province["received_online"] == 22  # 11 dossiers filed online at each site
    for desk in desks:  # each site's day in the queue, as it counts it: 18 tickets
        mine = json.loads(json.dumps(desk.figures()))  # as the site sends it
        assert mine["tickets"] == 18
        seen: list[Any] = []

        def arrived(desk: Desk = desk, mine: dict[str, Any] = mine, seen: list[Any] = seen) -> bool:
            seen[:] = [figures_at_hub(desk.site.domain)]
            return seen[0] == mine

        try:
            wait_for(arrived, "the site's queue figures at the hub", 60)
        except BaseException:
            raise AssertionError(f"the hub has {seen[0]!r}, the site counts {mine!r}") from None
