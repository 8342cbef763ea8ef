"""Figures of the hub's side of the province's sync alone, with no servers: a synthetic
center's work (`bench/province_sync.py`'s `work`, the generator of `kiosk demo-month` written
into a site's outbox by the outbox's own functions) handed to `domain.province.receive_all` in
batches as the ingest fetches them (200), each committed; the events per second the hub's
database takes, and the same again (a redelivered stream: nothing new, nothing applied).

    .venv/bin/python bench/province_apply.py [--dossiers 1000] [--batch 200]
    [--hub-db postgresql+psycopg://...]   (an empty database; SQLite by default)
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from kiosk.domain import outbox, province
from kiosk.models import Dossier, OutboxEvent, Payment, ProvinceEvent
from kiosk.storage import make_engine, make_sessionmaker, migrate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from province_sync import KIOSK, SITE, work  # noqa: E402 - the sync bench's own records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200, help="events per batch (the ingest's)")
    parser.add_argument("--hub-db", default="", help="the hub's database (default SQLite)")
    parser.add_argument("--profile", action="store_true", help="print the top of a profile")
    options = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="province-apply-"))
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("KIOSK_") and k != "DATABASE_URL"}  # fmt: skip
    hub_db = options.hub_db or f"sqlite:///{root / 'province.db'}"
    site_db = f"sqlite:///{root / 'site.db'}"
    for url, code in ((hub_db, "000.00.01.H29"), (site_db, SITE)):
        env = {**base, "KIOSK_INSTANCE_PATH": str(root / code), "DATABASE_URL": url,
               "KIOSK_SITE_CODE": code}  # fmt: skip
        (root / code).mkdir()
        subprocess.run([KIOSK, "demo"], env=env, capture_output=True, check=True)
    migrate(hub_db)
    site = make_sessionmaker(make_engine(site_db))()
    today = dt.date.today()
    month = (today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
    dossiers, _tickets, n = work(site, options.dossiers, 1, month)
    domain = SITE.replace(".", "-")
    events = [
        province.Incoming(e.id, domain, e.kind, outbox.payload_of(site, e), e.created_at, e.seq)
        for e in site.scalars(select(OutboxEvent).order_by(OutboxEvent.seq))
    ]
    hub = make_sessionmaker(make_engine(hub_db))()

    def run() -> float:
        t0 = time.perf_counter()
        for i in range(0, len(events), options.batch):
            province.receive_all(hub, events[i : i + options.batch])
            hub.commit()
        return time.perf_counter() - t0

    profile = cProfile.Profile() if options.profile else None
    if profile:
        profile.enable()
    t = run()
    if profile:
        profile.disable()
    engine = hub_db.split(":")[0]
    print(f"{len(events)} events ({dossiers} dossiers, their moves, fees and ratings) applied "
          f"at the hub ({engine}) in batches of {options.batch}: {t:.1f} s, "
          f"{len(events) / t:.0f} events/s")  # fmt: skip
    again = run()
    print(f"the same again (all known): {again:.1f} s, {len(events) / again:.0f} events/s")
    counts = {
        "events": hub.scalar(select(func.count()).select_from(ProvinceEvent)),
        "dossiers": hub.scalar(
            select(func.count()).select_from(Dossier).where(Dossier.site_code == SITE)
        ),
        "payments": hub.scalar(select(func.count()).select_from(Payment)),
    }
    if hasattr(province, "failed_counts"):
        counts["failed"] = sum(province.failed_counts(hub).values())
    print("at the hub:", counts)
    if profile:
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    site.close()
    hub.close()


if __name__ == "__main__":
    main()
