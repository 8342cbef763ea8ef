"""Figures of the province's sync, with real processes on loopback (SQLite at both ends):

1. events per second from a site's outbox to the hub's database (relay -> site's server ->
   leaf link -> hub's stream -> ingest), the link up;
2. after the hub was down while a busy commune worked (300 dossiers received, three moves
   each, 300 fees: 1,500 events), the seconds from the hub's return until it has everything;
3. the memory (RSS) of each nats-server, the relay and the ingest.

    .venv/bin/python bench/province_sync.py [--events 5000]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from kiosk.domain import outbox
from kiosk.models import OutboxEvent, ProvinceEvent
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


def wait(check, what: str, seconds: float = 120) -> float:  # type: ignore[no-untyped-def]
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    n = parser.parse_args().events
    root = Path(tempfile.mkdtemp(prefix="province-bench-"))
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("KIOSK_") and k != "DATABASE_URL"}  # fmt: skip
    hub_env = {**base, "KIOSK_INSTANCE_PATH": str(root / "hub-instance")}
    site_env = {**base, "KIOSK_INSTANCE_PATH": str(root / "site"), "KIOSK_SITE_CODE": SITE}
    port, leaf, site_port = free_port(), free_port(), free_port()
    hub_db, site_db = f"sqlite:///{root / 'province.db'}", f"sqlite:///{root / 'site.db'}"
    for url in (hub_db, site_db):
        migrate(url)
    hub_s = make_sessionmaker(make_engine(hub_db))
    site_s = make_sessionmaker(make_engine(site_db))
    creds = subprocess.run([KIOSK, "nats", "creds", SITE, "--store", str(root / "hub")],
                           env=hub_env, capture_output=True, check=True).stdout  # fmt: skip
    (root / "site.creds").write_bytes(creds)
    hub_args = [KIOSK, "nats", "hub", "--store", str(root / "hub"), "--port", str(port),
                "--leaf-port", str(leaf), "--leaf-host", "127.0.0.1"]  # fmt: skip
    procs: list[subprocess.Popen[bytes]] = []

    def ready(log: Path, times: int) -> bool:
        return log.exists() and log.read_text(errors="replace").count("Sẵn sàng") >= times

    def at_hub() -> int:
        with hub_s() as s:
            return int(s.scalar(select(func.count()).select_from(ProvinceEvent)) or 0)

    def backlog() -> int:
        with site_s() as s:
            return outbox.backlog(s)

    def record(count: int, kind: str = "dossier.received") -> None:
        with site_s() as s:
            for i in range(count):
                outbox.record(s, kind, {"dossier": {"code": f"{SITE}-{i}", "fee_vnd": 20000}})
            s.commit()

    try:
        hub = start(hub_args, hub_env, root / "hub.log")
        procs.append(hub)
        wait(lambda: ready(root / "hub.log", 1), "the hub")
        (root / "site").mkdir()
        site_args = [KIOSK, "nats", "site", "--store", str(root / "site" / "nats"),
                     "--port", str(site_port), "--hub", f"nats-leaf://127.0.0.1:{leaf}",
                     "--creds", str(root / "site.creds")]  # fmt: skip
        site = start(site_args, site_env, root / "site.log")
        procs.append(site)
        wait(lambda: ready(root / "site.log", 1), "the site's server")
        url = (root / "hub" / "local-url").read_text().strip()
        ingest = start([sys.executable, "-m", "kiosk.sync.ingest"],
                       {**hub_env, "KIOSK_NATS_URL": url, "DATABASE_URL": hub_db},
                       root / "ingest.log")  # fmt: skip
        procs.append(ingest)
        record(n)
        relay = start([sys.executable, "-m", "kiosk.sync.relay"],
                      {**site_env, "KIOSK_NATS_URL": f"nats://127.0.0.1:{site_port}",
                       "DATABASE_URL": site_db}, root / "relay.log")  # fmt: skip
        procs.append(relay)
        t = wait(lambda: at_hub() == n, f"{n} events at the hub")
        print(f"{n} events, outbox to the hub's database: {t:.1f} s, {n / t:.0f} events/s "
              "(relay start included)")  # fmt: skip

        mem = {
            "hub's nats-server": sum(rss_mb(p) for p in children(hub.pid)),
            "site's nats-server": sum(rss_mb(p) for p in children(site.pid)),
            "relay": rss_mb(relay.pid),
            "ingest": rss_mb(ingest.pid),
        }
        os.killpg(hub.pid, signal.SIGKILL)
        hub.wait()
        day = 300 + 3 * 300 + 300
        record(day, "dossier.moved")
        t_site = wait(lambda: backlog() == 0, "the site's server to ack the day")
        print(f"hub down: the site's server acked a commune's day ({day} events) in "
              f"{t_site:.1f} s")  # fmt: skip
        t0 = time.monotonic()
        hub = start(hub_args, hub_env, root / "hub.log")
        procs.append(hub)
        wait(lambda: ready(root / "hub.log", 2), "the hub again")
        t_ready = time.monotonic() - t0
        t_all = wait(lambda: at_hub() == n + day, "the day at the hub")
        print(f"hub back: ready in {t_ready:.1f} s (the command's start included), then all "
              f"{day} events in its database {t_all:.1f} s later")  # fmt: skip
        for name, mb in mem.items():
            print(f"memory, {name}: {mb:.0f} MB RSS")
        with site_s() as s:
            sent = int(s.scalar(select(func.count()).select_from(OutboxEvent)) or 0)
        assert at_hub() == sent, (at_hub(), sent)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                p.wait(10)


if __name__ == "__main__":
    main()
