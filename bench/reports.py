"""The reports on a province-month: how long the period report, the service index and the
manager's dashboard page take, on SQLite and on PostgreSQL, and how that grows with the data.

For each engine it loads a synthetic month (`kiosk.demo.synthetic`, the generator behind
`kiosk demo-month`) at a tenth of the scale and at the full scale, Gia Lai's July 2025:
about 62,000 new dossiers plus a carried-over stock of about 26,000, some 90,000 in all, with
the month's queue tickets, payments, papers and ratings. Then it times, as the median of
several runs:
- the period report of the whole center (one grouped SQL query);
- the service index of the whole center (one SQL query and the ratings');
- the dashboard page as a manager's browser gets it (GET /office/reports: the report, the
  index of every unit and every counter, the queue statistics and seven SVG charts);
- the office worklist page (GET /office/dossiers: the 300 most urgent open dossiers, ranked
  and counted in SQL), against the baseline of loading the whole stock and sorting it in
  Python, which is what the page did before.

Goal (issue 12): each under 1 s on a province-month. The ratio between the two scales is the
growth at 10x the data.

    .venv/bin/python bench/reports.py                          # both engines, 9,000 and 90,000
    .venv/bin/python bench/reports.py --engines sqlite --dossiers 20000
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import create_app  # noqa: E402
from kiosk.cli import DEMO_CATALOG  # noqa: E402
from kiosk.demo import synthetic
from kiosk.demo.floor import load_demo_floor  # noqa: E402
from kiosk.domain.accounts import create_user  # noqa: E402
from kiosk.domain.catalog import import_catalog  # noqa: E402
from kiosk.domain.dossiers import (
    OPEN,  # noqa: E402
    workdays,  # noqa: E402
)
from kiosk.domain.dossiers import DossierState as S  # noqa: E402
from kiosk.domain.reports import Period  # noqa: E402
from kiosk.domain.reports.index import service_index  # noqa: E402
from kiosk.domain.reports.period import period_report  # noqa: E402
from kiosk.models import Dossier  # noqa: E402
from kiosk.storage import migrate  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SITE = "000.00.01.H29"
MONTH = dt.date(2026, 10, 1)
NOW = dt.datetime(2026, 11, 20, 3, 0)
PERIOD = Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm: the first run pays for compiling the statements and filling caches
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(url: str, dossiers: int, runs: int, workdir: Path) -> dict[str, float]:
    migrate(url)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "INSTANCE_PATH": str(workdir / "instance")})  # fmt: skip
    s = app.extensions["kiosk.sessionmaker"]()
    import_catalog(s, DEMO_CATALOG.read_bytes(), DEMO_CATALOG.name)
    load_demo_floor(s)
    workdays.seed_calendar(s, [2026, 2027])
    create_user(s, "quanly", "mat-khau-bench-1", "manager", "Quản lý")
    t = time.perf_counter()
    synthetic.generate(s, site_code=SITE, dossiers=dossiers, seed=1, month=MONTH, now=NOW)
    loaded = time.perf_counter() - t
    total = s.scalar(select(func.count(Dossier.id)))
    if url.startswith("postgresql"):
        with app.extensions["kiosk.engine"].begin() as c:
            c.execute(text("ANALYZE"))
    period = median_time(lambda: period_report(s, PERIOD, site_code=SITE, now=NOW), runs)
    index = median_time(lambda: service_index(s, PERIOD, site_code=SITE, now=NOW), runs)
    client = app.test_client()
    page = client.get("/office/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    client.post("/office/login", data={"username": "quanly", "password": "mat-khau-bench-1",
                                       "csrf_token": token})  # fmt: skip
    url_page = "/office/reports?from=2026-10-01&to=2026-10-31"
    assert client.get(url_page).status_code == 200

    def dashboard() -> None:
        assert client.get(url_page).status_code == 200

    page_time = median_time(dashboard, max(3, runs // 2))

    def worklist_page() -> None:
        assert client.get("/office/dossiers").status_code == 200

    worklist = median_time(worklist_page, max(3, runs // 2))
    # The baseline: the worklist as it was before it was ranked in SQL, every listed dossier
    # loaded and sorted in Python (what the page did until 2026-11-23).
    listed = [*OPEN, S.REGISTERED, S.RESOLVED]

    def whole_stock() -> None:
        s.expunge_all()
        rows = s.scalars(select(Dossier).where(Dossier.status.in_(listed))).all()
        sorted(rows, key=lambda d: (d.status == S.RESOLVED, d.promised_at or d.due_at
                                    or d.received_at))  # fmt: skip

    before = median_time(whole_stock, max(3, runs // 2))
    s.close()
    app.extensions["kiosk.engine"].dispose()
    return {"dossiers": float(total or 0), "load": loaded, "period": period, "index": index,
            "dashboard": page_time, "worklist": worklist, "stock": before}  # fmt: skip


def engine_url(engine: str, workdir: Path, tag: str) -> tuple[str, Callable[[], None]]:
    if engine == "sqlite":
        return f"sqlite:///{workdir / f'{tag}.db'}", lambda: None
    name = f"kiosk_bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(PG).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engines", default="sqlite,postgresql")
    ap.add_argument(
        "--dossiers",
        type=int,
        default=63_000,
        help="new dossiers in the month (the carried-over stock adds about 42%%)",
    )
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    print(f"Reports on a synthetic month: {args.dossiers:,} new dossiers (+ carried over), "
          f"medians of {args.runs} runs")  # fmt: skip
    header = (f"{'engine':<11}{'dossiers':>10}{'load s':>9}{'period ms':>11}{'index ms':>10}"
              f"{'dashboard ms':>14}{'worklist ms':>13}{'in Python ms':>14}")  # fmt: skip
    for engine in args.engines.split(","):
        results = []
        for scale in (args.dossiers // 10, args.dossiers):
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    url, drop = engine_url(engine, Path(tmp), f"r{scale}")
                except Exception as exc:  # noqa: BLE001 - no server: say so, go on
                    print(f"{engine}: not reachable ({exc.__class__.__name__}), skipped")
                    break
                try:
                    results.append(measure(url, scale, args.runs, Path(tmp)))
                finally:
                    drop()
        if not results:
            continue
        print()
        print(header)
        for r in results:
            print(f"{engine:<11}{int(r['dossiers']):>10,}{r['load']:>9.1f}"
                  f"{r['period'] * 1000:>11.1f}{r['index'] * 1000:>10.1f}"
                  f"{r['dashboard'] * 1000:>14.1f}{r['worklist'] * 1000:>13.1f}"
                  f"{r['stock'] * 1000:>14.1f}")  # fmt: skip
        if len(results) == 2:
            small, big = results
            print(f"{'10x data':<11}{'':>10}{'':>9}"
                  f"{big['period'] / small['period']:>10.1f}x"
                  f"{big['index'] / small['index']:>9.1f}x"
                  f"{big['dashboard'] / small['dashboard']:>13.1f}x"
                  f"{big['worklist'] / small['worklist']:>12.1f}x"
                  f"{big['stock'] / small['stock']:>13.1f}x")  # fmt: skip
            print(f"worklist: the page in {big['worklist'] * 1000:.0f} ms, where loading the "
                  f"stock into Python alone took {big['stock'] * 1000:.0f} ms before")  # fmt: skip
            worst = max(big["period"], big["index"], big["dashboard"])
            print(
                f"goal: each under 1 s on a province-month: "
                f"{'met' if worst < 1 else 'NOT met'} (slowest {worst * 1000:.0f} ms)"
            )


if __name__ == "__main__":
    main()
