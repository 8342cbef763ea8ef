"""Search latency on 5,000 procedures generated from the demo catalog's real ones.

For each engine it prints p50 and p95 of `catalog.search` in-process, and of
GET /api/v1/procedures?q= over HTTP through gunicorn (`kiosk serve`, gevent workers).
Goal (issue 2): p95 under 20 ms in-process and under 50 ms over HTTP on a 2-core machine.

    .venv/bin/python bench/search.py                 # SQLite, and PostgreSQL if reachable
    .venv/bin/python bench/search.py --engines sqlite
    .venv/bin/python bench/search.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.domain.catalog import import_catalog, search  # noqa: E402
from kiosk.storage import make_engine, make_sessionmaker, migrate  # noqa: E402

DEMO = ROOT / "kiosk" / "data" / "demo_catalog.json"
KIOSK = str(Path(sys.executable).with_name("kiosk"))
# What citizens type: no accents, partial words, codes, one word or five.
QUERIES = [
    "doi giay phep lai xe", "khai sinh", "dang ky thuong tru", "can cuoc", "1.004222",
    "ho chieu", "chung thuc ban sao", "xe", "giay", "gia han tam tru", "ly lich tu phap",
    "ket hon", "dang k", "cap lai the can cuoc", "xac nhan cu tru", "bien so xe may",
    "tro cap xa hoi", "ho kinh doanh", "giay phep xay dung", "trinh bao mat ho chieu",
]  # fmt: skip
PLACES = [
    "Gia Lai", "Bình Định", "Đắk Lắk", "Kon Tum", "Quảng Ngãi", "Khánh Hòa", "Lâm Đồng",
    "Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ", "An Giang", "Đồng Tháp", "Nghệ An", "Thanh Hóa",
]  # fmt: skip


def generate(n: int) -> bytes:
    """`n` procedures: the real ones repeated with distinct codes and place names."""
    real = json.loads(DEMO.read_text(encoding="utf-8"))["procedures"]
    out = []
    for i in range(n):
        p = dict(real[i % len(real)])
        place = PLACES[(i // len(real)) % len(PLACES)]
        p["code"] = f"{p['code']}-{i:05d}" if i >= len(real) else p["code"]
        if i >= len(real):
            p["name"] = f"{p['name']} ({place})"
            p["agency"] = f"{p['agency']} {place}"
        out.append(p)
    return json.dumps(out, ensure_ascii=False).encode()


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def bench_in_process(url: str, rounds: int) -> list[float]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    times = []
    with sessions() as session:
        for q in QUERIES:  # warm up
            search(session, q)
        for r in range(rounds):
            q = QUERIES[r % len(QUERIES)]
            t = time.perf_counter()
            search(session, q, limit=30)
            times.append((time.perf_counter() - t) * 1000)
    engine.dispose()
    return times


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_http(url: str, instance: Path, rounds: int) -> list[float]:
    port = free_port()
    env = {**os.environ, "KIOSK_INSTANCE_PATH": str(instance), "DATABASE_URL": url}
    log = (instance / "server.log").open("w")
    server = subprocess.Popen(
        [KIOSK, "serve", "--port", str(port), "--workers", "2"], env=env, stdout=log, stderr=log
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        times = []
        for r in range(rounds + len(QUERIES)):
            q = QUERIES[r % len(QUERIES)]
            t = time.perf_counter()
            conn.request("GET", "/api/v1/procedures?q=" + urllib.parse.quote(q))
            resp = conn.getresponse()
            body = resp.read()
            elapsed = (time.perf_counter() - t) * 1000
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}: {body[:200]!r}")
            if r >= len(QUERIES):  # the first round warms up both workers
                times.append(elapsed)
        conn.close()
        return times
    finally:
        server.terminate()
        server.wait(10)
        log.close()


def run(engine_name: str, url: str, n: int, rounds: int) -> None:
    migrate(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    t = time.perf_counter()
    with sessions() as session:
        report = import_catalog(session, generate(n), "bench.json")
    assert report.ok, report.errors[:3]
    load = time.perf_counter() - t
    engine.dispose()
    inproc = bench_in_process(url, rounds)
    with tempfile.TemporaryDirectory() as inst:
        over_http = bench_http(url, Path(inst), rounds)
    print(f"{engine_name:<11} {n} procedures (loaded in {load:.1f} s), {rounds} searches each")
    for label, samples, goal in (("in-process", inproc, 20.0), ("HTTP", over_http, 50.0)):
        p50, p95 = pct(samples, 0.50), pct(samples, 0.95)
        verdict = "meets" if p95 < goal else "MISSES"
        mean = statistics.mean(samples)
        print(
            f"  {label:<11} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   mean {mean:6.2f} ms"
            f"   goal p95 < {goal:.0f} ms: {verdict} ({p95 / goal:.2f} of the goal)"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument("--pg", default=os.environ.get(
        "KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))  # fmt: skip
    ap.add_argument("-n", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=400)
    args = ap.parse_args()
    engines = args.engines.split(",")
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as d:
            run("SQLite", f"sqlite:///{d}/bench.db", args.n, args.rounds)
    if "postgresql" in engines:
        admin_url = make_url(args.pg)
        name = f"kiosk_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL  skipped: {admin_url.render_as_string()} unreachable ({exc})")
            return
        try:
            run(
                "PostgreSQL",
                admin_url.set(database=name).render_as_string(False),
                args.n,
                args.rounds,
            )
        finally:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
