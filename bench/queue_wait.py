"""How good is the wait estimate? A simulated morning at a center, through the real domain code
on a real database, comparing each ticket's estimate at issue with the wait that happened.

The day: 07:30-11:30 at the civil-status service, served by two counters. Citizens arrive at
random (Poisson), more around 09:00; each service takes a random time (log-normal, mean 6
minutes, slower later in the morning as harder cases come). The service's configured
`default_minutes` is 10: a manager's guess, as in real life.

The estimate (see kiosk/domain/queue/waiting.py): people ahead × rolling mean of the last 20 service
times ÷ open counters, the default until three tickets have been served. The baseline is the
constant the estimate replaces: people ahead × the configured minutes ÷ counters.

It prints, for both: mean absolute error, median absolute error, the share of tickets whose
estimate was within 5 minutes of the real wait, and the mean signed error (bias), and the ratio
of the two mean errors.

    .venv/bin/python bench/queue_wait.py [--seed 7] [--days 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import math
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402

from kiosk.demo.floor import load_demo_floor  # noqa: E402
from kiosk.domain import queue  # noqa: E402
from kiosk.domain.accounts import create_user  # noqa: E402
from kiosk.models import Counter, Service, Ticket  # noqa: E402
from kiosk.storage import make_engine, make_sessionmaker, migrate  # noqa: E402

OPEN = dt.datetime(2026, 11, 23, 0, 30)  # 07:30 in Hà Nội, as naive UTC
MINUTES = 240


def arrivals_per_minute(minute: float) -> float:
    """Quiet at opening, a peak around 09:00, quieter towards noon: about 0.33 a minute."""
    return 0.2 + 0.25 * math.exp(-(((minute - 90) / 50) ** 2))


def service_minutes(rng: random.Random, minute: float) -> float:
    mean = 5.0 + 2.0 * minute / MINUTES  # 5 min at opening, 7 by noon
    sigma = 0.5
    return rng.lognormvariate(math.log(mean) - sigma**2 / 2, sigma)


def simulate(day: int, seed: int) -> list[tuple[int, float, int]]:
    """One day; returns (estimate, real wait, baseline) per ticket served."""
    rng = random.Random(seed * 1000 + day)
    tmp = tempfile.mkdtemp(prefix="kiosk-wait-")
    url = f"sqlite:///{tmp}/wait.db"
    migrate(url)
    engine = make_engine(url)
    s = make_sessionmaker(engine)()
    load_demo_floor(s)
    s.execute(update(Service).values(default_minutes=10))
    s.commit()
    officer = create_user(s, "canbo", "mat-khau-dai", "officer")
    svc = s.scalar(select(Service).where(Service.code == "HOTICH"))
    assert svc is not None
    counters = list(s.scalars(select(Counter).where(Counter.number.in_([1, 2]))))
    for c in counters:
        queue.sign_in_counter(s, c.id, officer)
    start = OPEN + dt.timedelta(days=day)

    def at(minute: float) -> dt.datetime:
        return start + dt.timedelta(minutes=minute)

    # Events: (minute, order, kind, counter id).
    events: list[tuple[float, int, str, int]] = []
    order = 0
    minute = 0.0
    while True:
        minute += rng.expovariate(arrivals_per_minute(minute))
        if minute > MINUTES:
            break
        order += 1
        heapq.heappush(events, (minute, order, "arrive", 0))
    busy = {c.id: False for c in counters}
    baseline: dict[int, int] = {}
    while events:
        minute, _o, kind, cid = heapq.heappop(events)
        now = at(minute)
        if kind == "arrive":
            info = queue.issue_ticket(s, "HOTICH", now=now)
            baseline[info.ticket.id] = math.ceil(info.ahead * svc.default_minutes / len(counters))
        elif kind == "done":
            queue.finish(s, cid, officer, now=now)
            busy[cid] = False
        for c in counters:
            if not busy[c.id]:
                called = queue.call_next(s, c.id, officer, now=now)
                if called is not None:
                    busy[c.id] = True
                    order += 1
                    done_at = minute + service_minutes(rng, minute)
                    heapq.heappush(events, (done_at, order, "done", c.id))
    rows = []
    for t in s.scalars(select(Ticket).where(Ticket.called_at.is_not(None))):
        assert t.called_at is not None
        waited = (t.called_at - t.issued_at).total_seconds() / 60
        rows.append((t.estimated_wait_minutes, waited, baseline[t.id]))
    s.close()
    engine.dispose()
    return rows


def report(name: str, errors: list[float]) -> float:
    mae = statistics.fmean(abs(e) for e in errors)
    med = statistics.median(abs(e) for e in errors)
    within = sum(1 for e in errors if abs(e) <= 5) / len(errors)
    bias = statistics.fmean(errors)
    print(
        f"{name:<34} mean |error| {mae:5.1f} min   median {med:5.1f} min   "
        f"within 5 min {within:5.0%}   bias {bias:+5.1f} min"
    )
    return mae


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for day in range(args.days):
        rows += simulate(day, args.seed)
    waits = [w for _e, w, _b in rows]
    print(
        f"{args.days} simulated mornings, {len(rows)} tickets served; real wait mean "
        f"{statistics.fmean(waits):.1f} min, p90 {sorted(waits)[int(0.9 * len(waits))]:.1f} min"
    )
    ours = report("rolling estimate (the product)", [e - w for e, w, _b in rows])
    base = report("constant 10 min/person (baseline)", [b - w for _e, w, b in rows])
    print(f"error ratio, product / baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
