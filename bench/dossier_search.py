"""The officer's dossier search (`dossiers.search`: code, CCCD, a part of the name without case
or marks) on a synthetic month of dossiers, in-process.

Prints p50 and p95 per kind of query. A name the search does not find is the worst case: every
row's name is folded (on SQLite by `kiosk_fold`, a Python function registered on connect; on
PostgreSQL by `translate`).

    .venv/bin/python bench/dossier_search.py                      # SQLite, 20,000 dossiers
    .venv/bin/python bench/dossier_search.py -n 50000
    .venv/bin/python bench/dossier_search.py --url postgresql+psycopg://postgres@127.0.0.1:5432/db
      (an EMPTY database of your own: the bench creates its tables there)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.domain import dossiers  # noqa: E402
from kiosk.models import Dossier  # noqa: E402
from kiosk.storage import make_engine, make_sessionmaker  # noqa: E402

KIOSK = str(Path(sys.executable).with_name("kiosk"))

QUERIES = {
    "name, found (folded)": ["CÔNG DÂN 00", "cong dan 261", "Công dân 1"],
    "name, not found (every row)": ["ĐỖ THỊ ÁNH", "nguyen van", "Trần"],
    "code end": ["-0001", "0015"],
    "CCCD end": ["5678", "064112345678"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20_000, help="new dossiers in the month (20,000)")
    ap.add_argument("--url", help="database URL (default: a new SQLite file)")
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.sqlite"
        env = {**os.environ, "KIOSK_INSTANCE_PATH": tmp, "DATABASE_URL": url}
        t0 = time.perf_counter()
        for step in (["init-db"], ["demo"], ["demo-month", "--dossiers", str(args.n)]):
            subprocess.run([KIOSK, *step], env=env, check=True, stdout=subprocess.DEVNULL)
        engine = make_engine(url)
        session = make_sessionmaker(engine)()
        rows = session.scalar(select(func.count()).select_from(Dossier))
        print(f"{engine.dialect.name}: {rows} dossiers made in {time.perf_counter() - t0:.0f} s")
        for kind, queries in QUERIES.items():
            times, hits = [], 0
            for _ in range(args.rounds):
                for q in queries:
                    start = time.perf_counter()
                    hits += len(dossiers.search(session, q))
                    times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"  {kind:30} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms  "
                  f"({hits // args.rounds} rows found per round)")  # fmt: skip
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main()
