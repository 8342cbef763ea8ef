"""Figures of the province's sync, with real processes on loopback: a hub (`kiosk nats hub`,
its ingest), a site (`kiosk nats site`, its relay) and the line between them (a TCP forwarder
that can be cut, both servers staying up). The records are a synthetic center's work
(`kiosk.demo.synthetic`, the generator of `kiosk demo-month`) written into the site's outbox
by the outbox's own functions, so each event carries a real record and the hub applies it.

1. events per second from the site's outbox to the hub's database, the link up;
2. a busy commune's day (about 300 dossiers with their moves, 1,000 tickets, their fees and
   ratings) made while the link is cut: the seconds the site's own server takes to ack it,
   then, once the link is back, the seconds until the hub's database has every event;
3. the memory (RSS) of each nats-server, of the relay and of the ingest.

    .venv/bin/python bench/province_sync.py [--dossiers 1000] [--day 300]
    [--hub-db postgresql+psycopg://...]   (an empty, migrated database; SQLite by default)
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.demo import synthetic
from kiosk.domain import outbox
from kiosk.domain.money.states import PaymentState
from kiosk.models import Dossier, DossierEvent, OutboxEvent, Payment, ProvinceEvent, Rating
from kiosk.storage import make_engine, make_sessionmaker, migrate

KIOSK = str(Path(sys.executable).with_name("kiosk"))
SITE = "000.00.41.H29"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=out, start_new_session=True)


def wait(check, what: str, seconds: float = 300) -> float:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > seconds:
            raise SystemExit(f"waited {seconds} s for {what}")
        time.sleep(0.05)
    return time.monotonic() - t0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class Link:
    """The line between the site and the hub: a TCP forwarder; `cut()` drops every connection
    and refuses new ones, `restore()` lets them through again."""

    def __init__(self, target: int) -> None:
        self.target, self.port = target, free_port()
        self.conns: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cut(self) -> None:
        assert self.listener is not None
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.conns = []


def work(session: Session, dossiers: int, seed: int, month: dt.date) -> tuple[int, int, int]:
    """A synthetic center's `dossiers` (and its carried-over stock, tickets, fees, ratings)
    added, and their events written to the outbox in the order the work happened, with the
    outbox's own functions. Returns (dossiers, tickets, events)."""
    before = set(session.scalars(select(Dossier.id)))
    made = synthetic.generate(session, site_code=SITE, dossiers=dossiers, seed=seed, month=month)
    session.commit()
    new = [d for d in session.scalars(select(Dossier).order_by(Dossier.received_at))
           if d.id not in before]  # fmt: skip
    ids = [d.id for d in new]
    moves = list(session.scalars(select(DossierEvent).where(DossierEvent.dossier_id.in_(ids))
                                 .order_by(DossierEvent.at)))  # fmt: skip
    is_paid = Payment.status == PaymentState.PAID
    paid = list(session.scalars(select(Payment).where(Payment.dossier_id.in_(ids), is_paid)))
    rated = list(session.scalars(select(Rating).where(Rating.dossier_id.in_(ids))))
    n0 = session.scalar(select(func.count()).select_from(OutboxEvent)) or 0
    for d in new:
        outbox.dossier_received(session, d)
    by_id = {d.id: d for d in new}
    for m in moves:
        outbox.dossier_moved(session, by_id[m.dossier_id], m)
    for p in paid:
        outbox.payment(session, "payment.paid", p)
    for r in rated:
        outbox.rating(session, r)
    session.commit()
    events = int(session.scalar(select(func.count()).select_from(OutboxEvent)) or 0) - n0
    return len(new), made.tickets, events


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1000, help="the link-up run's dossiers")
    parser.add_argument("--day", type=int, default=300, help="the busy day's dossiers")
    parser.add_argument("--hub-db", default="", help="the hub's database (default SQLite)")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="province-bench-"))
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("KIOSK_") and k != "DATABASE_URL"}  # fmt: skip
    hub_db = options.hub_db or f"sqlite:///{root / 'province.db'}"
    site_db = f"sqlite:///{root / 'site.db'}"
    hub_env = {**base, "KIOSK_INSTANCE_PATH": str(root / "hub-instance"), "DATABASE_URL": hub_db}
    site_env = {**base, "KIOSK_INSTANCE_PATH": str(root / "site"), "KIOSK_SITE_CODE": SITE,
                "DATABASE_URL": site_db}  # fmt: skip
    (root / "site").mkdir()
    for env in (hub_env, site_env):  # the catalog and the floor, as each end has them
        subprocess.run([KIOSK, "demo"], env=env, capture_output=True, check=True)
    migrate(hub_db)
    hub_s = make_sessionmaker(make_engine(hub_db))
    site_s = make_sessionmaker(make_engine(site_db))
    port, leaf, site_port = free_port(), free_port(), free_port()
    creds = subprocess.run([KIOSK, "nats", "creds", SITE, "--store", str(root / "hub")],
                           env=hub_env, capture_output=True, check=True).stdout  # fmt: skip
    (root / "site.creds").write_bytes(creds)
    procs: list[subprocess.Popen[bytes]] = []

    def ready(log: Path) -> bool:
        return log.exists() and "Sẵn sàng" in log.read_text(errors="replace")

    def at_hub() -> int:
        with hub_s() as s:
            return int(s.scalar(select(func.count()).select_from(ProvinceEvent)) or 0)

    def at_site() -> int:
        with site_s() as s:
            return int(s.scalar(select(func.count()).select_from(OutboxEvent)) or 0)

    def backlog() -> int:
        with site_s() as s:
            return outbox.backlog(s)

    today = dt.date.today()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month_before = (last_month - dt.timedelta(days=1)).replace(day=1)
    try:
        hub = start([KIOSK, "nats", "hub", "--store", str(root / "hub"), "--port", str(port),
                     "--leaf-port", str(leaf), "--leaf-host", "127.0.0.1"],
                    hub_env, root / "hub.log")  # fmt: skip
        procs.append(hub)
        wait(lambda: ready(root / "hub.log"), "the hub")
        link = Link(leaf)
        site = start([KIOSK, "nats", "site", "--store", str(root / "site" / "nats"), "--port",
                      str(site_port), "--hub", f"nats-leaf://127.0.0.1:{link.port}",
                      "--creds", str(root / "site.creds")],
                     site_env, root / "site.log")  # fmt: skip
        procs.append(site)
        wait(lambda: ready(root / "site.log"), "the site's server")
        url = (root / "hub" / "local-url").read_text().strip()
        ingest = start([sys.executable, "-m", "kiosk.sync.ingest"],
                       {**hub_env, "KIOSK_NATS_URL": url}, root / "ingest.log")  # fmt: skip
        procs.append(ingest)
        relay = start([sys.executable, "-m", "kiosk.sync.relay"],
                      {**site_env, "KIOSK_NATS_URL": f"nats://127.0.0.1:{site_port}"},
                      root / "relay.log")  # fmt: skip
        procs.append(relay)

        with site_s() as s:
            dossiers, _tickets, n = work(s, options.dossiers, 1, month_before)
        t0 = time.monotonic()
        wait(lambda: at_hub() == n, f"{n} events at the hub")
        t = time.monotonic() - t0
        print(f"link up: {n} events ({dossiers} dossiers, their moves, fees and ratings) "
              f"from the site's outbox into the hub's database in {t:.1f} s: "
              f"{n / t:.0f} events/s")  # fmt: skip
        mem = {
            "hub's nats-server": sum(rss_mb(p) for p in children(hub.pid)),
            "site's nats-server": sum(rss_mb(p) for p in children(site.pid)),
            "relay": rss_mb(relay.pid),
            "ingest": rss_mb(ingest.pid),
        }

        link.cut()
        with site_s() as s:
            dossiers, _tickets, day = work(s, options.day, 2, last_month)
        t_site = wait(lambda: backlog() == 0, "the site's server to ack the day")
        time.sleep(2)
        assert at_hub() == n, "the link was cut: nothing of the day reaches the hub"
        print(f"link cut: a busy commune's day ({dossiers} dossiers with the stock carried "
              f"over, their moves, fees and ratings: {day} events; its tickets make no event "
              f"yet) acked by the site's own server in {t_site:.1f} s")  # fmt: skip
        t0 = time.monotonic()
        link.restore()
        wait(lambda: at_hub() == n + day, "the day at the hub")
        t_all = time.monotonic() - t0
        print(f"link back: the hub's database had all {day} events {t_all:.1f} s after the "
              f"link's return ({day / t_all:.0f} events/s, reconnection included)")  # fmt: skip
        for name, mb in mem.items():
            print(f"memory, {name}: {mb:.0f} MB RSS")
        assert at_hub() == at_site(), (at_hub(), at_site())
        with hub_s() as s:
            distinct = s.scalar(select(func.count(func.distinct(ProvinceEvent.id))))
        assert distinct == at_site()
        link.cut()
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)


if __name__ == "__main__":
    main()
