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

from sqlalchemy import Float, Integer, and_, cast, func, literal, select
from sqlalchemy.orm import Session

from ...models import Counter, Service, Ticket
from ..clock import VIETNAM
from ..queue.states import TicketState
from . import Period


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
