"""Queue statistics for a period, from the tickets: how many per hour of the day and per day,
the wait (queued until called) and the service time (started until finished) per service and
per counter, average and 90th percentile (nearest rank), the no-shows, and how far the wait
estimate printed on the ticket was from the real wait (its mean error, positive when it said
longer than it was, and its mean absolute error).

Tickets per hour and day are counted by the database; the durations are read once, as plain
numbers, for the averages and percentiles.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Float, Integer, Numeric, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from ...models import Counter, Service, Ticket
from ..clock import VIETNAM
from ..queue.states import TicketState
from . import Period
from .period import count_if


def p90(values: list[float]) -> float:
    """The 90th percentile, nearest rank (0 for no value)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class Times:
    """One row of the table per service or per counter (minutes)."""

    key: str
    name: str
    tickets: int
    no_shows: int
    wait_avg: float
    wait_p90: float
    service_avg: float
    service_p90: float


@dataclass(frozen=True)
class QueueStats:
    tickets: int
    no_shows: int
    by_hour: list[tuple[int, int]]
    by_day: list[tuple[dt.date, int]]
    by_service: list[Times]
    by_counter: list[Times]
    estimate_bias: float
    estimate_abs_error: float
    estimated: int


class _Row(NamedTuple):
    """What the statistics read of a ticket, the durations already in minutes (computed in
    SQL: no datetime is built per ticket). A plain tuple: a province's month has ~28,000."""

    service_id: int
    counter_id: int | None
    leg: int
    state: str
    wait: float | None
    service: float | None
    estimated_wait_minutes: int


def _minutes(session: Session, start: Any, end: Any) -> Any:
    """Minutes from `start` to `end` in SQL (NULL when either is)."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 1440.0
    return func.extract("epoch", end - start) / 60.0


def _local_hour(session: Session, at: Any, offset: dt.timedelta) -> Any:
    hours = int(offset.total_seconds() // 3600)
    if session.get_bind().dialect.name == "sqlite":
        return func.cast(func.strftime("%H", at, f"{hours:+d} hours"), Integer)
    return func.cast(func.extract("hour", at + literal(offset)), Integer)


def _times(key: str, name: str, rows: list[_Row]) -> Times:
    waits = [t.wait for t in rows if t.wait is not None]
    serve = [t.service for t in rows if t.service is not None]
    return Times(key, name, len(rows), sum(1 for t in rows if t.state == TicketState.NO_SHOW),
                 round(mean(waits), 1), round(p90(waits), 1), round(mean(serve), 1),
                 round(p90(serve), 1))  # fmt: skip


def queue_stats(session: Session, period: Period, tz: dt.tzinfo = VIETNAM) -> QueueStats:
    tk = Ticket
    offset = tz.utcoffset(dt.datetime.combine(period.start, dt.time())) or dt.timedelta()
    in_period = and_(tk.day >= period.start, tk.day <= period.end)
    tickets = [
        _Row._make(r) for r in session.execute(
            select(tk.service_id, tk.counter_id, tk.leg, tk.state,
                   cast(_minutes(session, tk.queued_at, tk.called_at), Float),
                   cast(_minutes(session, tk.started_at, tk.finished_at), Float),
                   tk.estimated_wait_minutes)
            .where(in_period).order_by(tk.id)
        )
    ]  # fmt: skip
    # Counted by the database: a ticket's day and hour are never turned into Python values.
    issued = and_(in_period, tk.leg == 0)
    hour = _local_hour(session, tk.issued_at, offset)
    hours = {int(h): int(n) for h, n in
             session.execute(select(hour, func.count()).where(issued).group_by(hour))}  # fmt: skip
    days: dict[dt.date, int] = {
        d: int(n) for d, n in
        session.execute(select(tk.day, func.count()).where(issued).group_by(tk.day))
    }  # fmt: skip
    services = {s.id: s for s in session.scalars(select(Service))}
    counters = {c.id: c for c in session.scalars(select(Counter))}
    per_service: dict[int, list[_Row]] = defaultdict(list)
    per_counter: dict[int, list[_Row]] = defaultdict(list)
    for t in tickets:
        per_service[t.service_id].append(t)
        if t.counter_id is not None:
            per_counter[t.counter_id].append(t)
    errors = [
        t.estimated_wait_minutes - t.wait for t in tickets if t.wait is not None and t.leg == 0
    ]
    first = min(hours, default=7)
    last = max(hours, default=17)
    return QueueStats(
        tickets=sum(days.values()),
        no_shows=sum(1 for t in tickets if t.state == TicketState.NO_SHOW),
        by_hour=[(h, hours.get(h, 0)) for h in range(min(first, 7), max(last, 17) + 1)],
        by_day=[(d, days.get(d, 0)) for d in period.days()],
        by_service=[
            _times(services[i].code, services[i].name, rows)
            for i, rows in sorted(per_service.items(), key=lambda kv: services[kv[0]].position)
        ],
        by_counter=[
            _times(str(counters[i].number), counters[i].name or f"Quầy {counters[i].number}", rows)
            for i, rows in sorted(per_counter.items(), key=lambda kv: counters[kv[0]].number)
        ],  # fmt: skip
        estimate_bias=round(mean(errors), 1),
        estimate_abs_error=round(mean([abs(e) for e in errors]), 1),
        estimated=len(errors),
    )


# ---------------------------------------------------------------- a day's figures, for the province

#: A day's figures (`day_figures`) as the outbox carries them (`queue.day`) and the hub keeps
#: them (`QueueDayFigures`): what the statistics above count, as sums that add up across days
#: and sites (`merge`): averages from sums and counts, percentiles from histograms of whole
#: minutes (each duration rounded up), so a province's P90 is read at the minute.


def _whole_minutes(session: Session, minutes: Any) -> Any:
    """A duration in minutes rounded up to the whole minute, in SQL (rounded to the microminute
    first, so that 10 minutes stored as 10.0000000009 count as 10)."""
    if session.get_bind().dialect.name == "sqlite":
        r = func.round(minutes, 6)
        return case((r > cast(r, Integer), cast(r, Integer) + 1), else_=cast(r, Integer))
    return cast(func.ceil(func.round(cast(minutes, Numeric), 6)), Integer)


def day_figures(session: Session, day: dt.date, tz: dt.tzinfo = VIETNAM) -> dict[str, Any]:
    """One local day's queue figures, by service and by counter (services by their code,
    counters by their number: ids mean nothing at the province), every sum, count and
    histogram counted by the database (it runs at every ticket change: `outbox.queue_day`)."""
    tk = Ticket
    on_day = tk.day == day
    wait = cast(_minutes(session, tk.queued_at, tk.called_at), Float)
    serve = cast(_minutes(session, tk.started_at, tk.finished_at), Float)
    sums = (func.count(), count_if(tk.state == TicketState.NO_SHOW),
            count_if(tk.state == TicketState.DONE), func.count(wait),
            func.coalesce(func.sum(wait), 0.0), func.count(serve),
            func.coalesce(func.sum(serve), 0.0))  # fmt: skip
    by_service = session.execute(select(tk.service_id, *sums).where(on_day)
                                 .group_by(tk.service_id)).all()  # fmt: skip
    at_counter = and_(on_day, tk.counter_id.is_not(None))
    by_counter = session.execute(select(tk.counter_id, *sums).where(at_counter)
                                 .group_by(tk.counter_id)).all()  # fmt: skip
    hists: dict[str, dict[tuple[str, Any], dict[str, int]]] = {"wait_hist": {}, "service_hist": {}}
    served = and_(tk.started_at.is_not(None), tk.finished_at.is_not(None))
    for name, minutes, known in (("wait_hist", wait, tk.called_at.is_not(None)),
                                 ("service_hist", serve, served)):  # fmt: skip
        m = _whole_minutes(session, minutes)
        rows = session.execute(
            select(tk.service_id, tk.counter_id, m, func.count())
            .where(on_day, known).group_by(tk.service_id, tk.counter_id, m)
        )  # fmt: skip
        for service_id, counter_id, minute, n in rows:
            for key in (("s", service_id), ("c", counter_id)):
                if key[1] is None:
                    continue
                bucket, at = hists[name].setdefault(key, {}), str(max(0, int(minute)))
                bucket[at] = bucket.get(at, 0) + int(n)
    estimate = session.execute(
        select(func.count(wait), func.coalesce(func.sum(tk.estimated_wait_minutes - wait), 0.0),
               func.coalesce(func.sum(func.abs(tk.estimated_wait_minutes - wait)), 0.0))
        .where(on_day, tk.leg == 0)
    ).one()  # fmt: skip
    offset = tz.utcoffset(dt.datetime.combine(day, dt.time())) or dt.timedelta()
    hour = _local_hour(session, tk.issued_at, offset)
    hours = {int(h): int(n) for h, n in session.execute(
        select(hour, func.count()).where(on_day, tk.leg == 0).group_by(hour))}  # fmt: skip
    services = {x.id: x for x in session.scalars(select(Service))}
    counters = {c.id: c for c in session.scalars(select(Counter))}

    def line(kind: str, ident: Any, key: str, name: str, row: Any) -> dict[str, Any]:
        return {
            "key": key, "name": name, "tickets": int(row[1]), "no_shows": int(row[2]),
            "served": int(row[3]), "wait_n": int(row[4]), "wait_sum": round(float(row[5]), 3),
            "wait_hist": hists["wait_hist"].get((kind, ident), {}),
            "service_n": int(row[6]), "service_sum": round(float(row[7]), 3),
            "service_hist": hists["service_hist"].get((kind, ident), {}),
        }  # fmt: skip

    return {
        "day": day.isoformat(),
        "tickets": sum(hours.values()),
        "no_shows": sum(int(r[2]) for r in by_service),
        "served": sum(int(r[3]) for r in by_service),
        "by_hour": {str(h): n for h, n in sorted(hours.items())},
        "services": [
            line("s", r[0], services[r[0]].code, services[r[0]].name, r)
            for r in sorted(by_service, key=lambda r: services[r[0]].position)
        ],
        "counters": [
            line(
                "c",
                r[0],
                str(counters[r[0]].number),
                counters[r[0]].name or f"Quầy {counters[r[0]].number}",
                r,
            )
            for r in sorted(by_counter, key=lambda r: counters[r[0]].number)
        ],  # fmt: skip
        "estimate": {
            "n": int(estimate[0]),
            "sum": round(float(estimate[1]), 3),
            "abs_sum": round(float(estimate[2]), 3),
        },  # fmt: skip
    }


def _p90_hist(hist: dict[str, int]) -> float:
    total = sum(hist.values())
    if not total:
        return 0.0
    rank, seen = max(1, math.ceil(0.9 * total)), 0
    for minute in sorted(hist, key=int):
        seen += hist[minute]
        if seen >= rank:
            return float(minute)
    return 0.0  # pragma: no cover


def _merge_rows(rows: list[dict[str, Any]]) -> list[Times]:
    merged: dict[str, dict[str, Any]] = {}
    for r in rows:
        m = merged.setdefault(r["key"], {"name": r["name"], "tickets": 0, "no_shows": 0,
                                         "wait_n": 0, "wait_sum": 0.0, "service_n": 0,
                                         "service_sum": 0.0, "wait_hist": defaultdict(int),
                                         "service_hist": defaultdict(int)})  # fmt: skip
        for k in ("tickets", "no_shows", "wait_n", "wait_sum", "service_n", "service_sum"):
            m[k] += r.get(k, 0)
        for k in ("wait_hist", "service_hist"):
            for minute, n in r.get(k, {}).items():
                m[k][minute] += int(n)
    return [
        Times(key, m["name"], m["tickets"], m["no_shows"],
              round(m["wait_sum"] / m["wait_n"], 1) if m["wait_n"] else 0.0,
              _p90_hist(m["wait_hist"]),
              round(m["service_sum"] / m["service_n"], 1) if m["service_n"] else 0.0,
              _p90_hist(m["service_hist"]))
        for key, m in merged.items()
    ]  # fmt: skip


def merge(figures: list[dict[str, Any]], period: Period) -> QueueStats:
    """The statistics of a period from days' figures (of one site or of many): every count a
    sum of theirs, every average their sums over their counts, each P90 read from their
    histograms (at the whole minute)."""
    hours: dict[int, int] = defaultdict(int)
    days: dict[dt.date, int] = defaultdict(int)
    services: list[dict[str, Any]] = []
    counters: list[dict[str, Any]] = []
    est_n, est_sum, est_abs = 0, 0.0, 0.0
    for f in figures:
        for h, n in f.get("by_hour", {}).items():
            hours[int(h)] += int(n)
        days[dt.date.fromisoformat(f["day"])] += int(f.get("tickets", 0))
        services += f.get("services", [])
        counters += f.get("counters", [])
        est = f.get("estimate", {})
        est_n, est_sum, est_abs = est_n + est.get("n", 0), est_sum + est.get("sum", 0), \
            est_abs + est.get("abs_sum", 0)  # fmt: skip
    first, last = min(hours, default=7), max(hours, default=17)
    return QueueStats(
        tickets=sum(int(f.get("tickets", 0)) for f in figures),
        no_shows=sum(int(f.get("no_shows", 0)) for f in figures),
        by_hour=[(h, hours.get(h, 0)) for h in range(min(first, 7), max(last, 17) + 1)],
        by_day=[(d, days.get(d, 0)) for d in period.days()],
        by_service=_merge_rows(services),
        by_counter=_merge_rows(counters),
        estimate_bias=round(est_sum / est_n, 1) if est_n else 0.0,
        estimate_abs_error=round(est_abs / est_n, 1) if est_n else 0.0,
        estimated=est_n,
    )


def own_figures(session: Session, period: Period, tz: dt.tzinfo = VIETNAM) -> list[dict[str, Any]]:
    """This site's own days' figures in a period (the days it issued tickets on)."""
    days = session.scalars(
        select(Ticket.day).where(Ticket.day >= period.start, Ticket.day <= period.end).distinct()
    )
    return [day_figures(session, d, tz) for d in sorted(days)]
