"""Who waits and for how long: the call order, the people ahead, the waiting lists and the
wait estimate.

Wait estimate (the method, measured by `bench/queue_wait.py`):
    estimated wait = people ahead × rolling service time ÷ open counters
- people ahead: tickets of the service waiting before this one in call order (priority first,
  then first come first served);
- rolling service time: the mean of the last `ROLLING` service times (called or started to
  finished) of the service in the past week, each clipped to 1–60 minutes; the service's
  `default_minutes` until `MIN_SAMPLES` tickets have been served;
- open counters: counters serving the service that are staffed and not paused, or, when none
  is staffed yet (before opening), every active counter serving it;
- before the service opens, the minutes until it opens are added.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.orm import Session

from ...models import Counter, Service, Ticket
from ..clock import VIETNAM, local, utcnow
from .base import TicketInfo
from .states import TicketState

ROLLING = 20


MIN_SAMPLES = 3


def call_order() -> tuple[Any, ...]:
    return (Ticket.priority.desc(), Ticket.queued_at, Ticket.id)


def waiting_in(service_id: int, day: dt.date) -> Any:
    return and_(
        Ticket.state == TicketState.WAITING, Ticket.service_id == service_id, Ticket.day == day
    )


def people_ahead(session: Session, ticket: Ticket) -> int:
    """Tickets of the same queue that will be called before this one."""
    earlier = or_(
        Ticket.queued_at < ticket.queued_at,
        and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id),
    )
    if ticket.priority:
        before = and_(Ticket.priority.is_(True), earlier)
    else:
        before = or_(Ticket.priority.is_(True), earlier)
    return int(
        session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(waiting_in(ticket.service_id, ticket.day), before)
        )
        or 0
    )


@dataclass
class Waiting:
    count: int = 0
    priority: int = 0
    next: list[str] = field(default_factory=list)


def waiting_by_service(
    session: Session, service_ids: Sequence[int], day: dt.date, show: int = 5
) -> dict[int, Waiting]:
    """For each service: how many wait (how many with priority) and the next numbers."""
    out = {sid: Waiting() for sid in service_ids}
    if not service_ids:
        return out
    counts = session.execute(
        select(Ticket.service_id, Ticket.priority, func.count())
        .where(
            Ticket.state == TicketState.WAITING,
            Ticket.day == day,
            Ticket.service_id.in_(service_ids),
        )
        .group_by(Ticket.service_id, Ticket.priority)
    ).all()
    for sid, prio, n in counts:
        out[sid].count += n
        if prio:
            out[sid].priority += n
    for sid in service_ids:
        if out[sid].count:
            out[sid].next = list(
                session.scalars(
                    select(Ticket.number)
                    .where(waiting_in(sid, day))
                    .order_by(*call_order())
                    .limit(show)
                )
            )
    return out


def rolling_service_minutes(session: Session, svc: Service, now: dt.datetime) -> float:
    """Mean of the service's recent service times, or its default until there are enough."""
    rows = session.execute(
        select(Ticket.called_at, Ticket.started_at, Ticket.finished_at)
        .where(
            Ticket.service_id == svc.id,
            Ticket.state == TicketState.DONE,
            Ticket.finished_at > now - dt.timedelta(days=7),
            Ticket.called_at.is_not(None),
        )
        .order_by(Ticket.finished_at.desc())
        .limit(ROLLING)
    ).all()
    times = []
    for called, started, finished in rows:
        begin = started or called
        if begin is None or finished is None:
            continue
        minutes = (finished - begin).total_seconds() / 60
        times.append(min(60.0, max(1.0, minutes)))
    if len(times) < MIN_SAMPLES:
        return float(svc.default_minutes)
    return sum(times) / len(times)


def open_counters(session: Session, svc: Service) -> int:
    """Counters that will serve this service's queue: staffed and not paused, else all."""
    rows = session.execute(
        select(Counter.officer_id, Counter.paused).where(
            Counter.active.is_(True), Counter.services.any(Service.id == svc.id)
        )
    ).all()
    staffed = sum(1 for officer, paused in rows if officer is not None and not paused)
    return max(1, staffed or len(rows))


#: Minutes per person ahead, per database and service, kept RATE_TTL seconds: it moves
#: slowly, and reading it for every ticket would cost two queries. A counter action in this
#: process forgets it at once.
RATE_TTL = 10.0


_rates: weakref.WeakKeyDictionary[Engine, dict[int, tuple[float, float]]] = (
    weakref.WeakKeyDictionary()
)


def _engine(session: Session) -> Engine:
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def minutes_per_person(session: Session, svc: Service, now: dt.datetime) -> float:
    """Rolling service time ÷ open counters for the service."""
    cache = _rates.setdefault(_engine(session), {})
    hit = cache.get(svc.id)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    rate = rolling_service_minutes(session, svc, now) / open_counters(session, svc)
    cache[svc.id] = (time.monotonic() + RATE_TTL, rate)
    return rate


def forget_rates(session: Session) -> None:
    _rates.pop(_engine(session), None)


def estimate_minutes(
    session: Session, svc: Service, ahead: int, now: dt.datetime, tz: dt.tzinfo = VIETNAM
) -> int:
    """People ahead × rolling service time ÷ open counters, plus the time until opening."""
    return estimate(svc, ahead, minutes_per_person(session, svc, now), now, tz)


def estimate(
    svc: Service, ahead: int, minutes_per_person: float, now: dt.datetime, tz: dt.tzinfo
) -> int:
    return math.ceil(ahead * minutes_per_person + minutes_until_open(svc, now, tz))


def minutes_until_open(svc: Service, now: dt.datetime, tz: dt.tzinfo) -> float:
    here = local(now, tz)
    if svc.opens_at and here.time() < svc.opens_at:
        opening = here.replace(
            hour=svc.opens_at.hour, minute=svc.opens_at.minute, second=0, microsecond=0
        )
        return (opening - here).total_seconds() / 60
    return 0.0


def ticket_info(
    session: Session, ticket: Ticket, now: dt.datetime | None = None, tz: dt.tzinfo = VIETNAM
) -> TicketInfo:
    now = now or utcnow()
    if ticket.state != TicketState.WAITING:
        return TicketInfo(ticket, 0, 0, created=False)
    ahead = people_ahead(session, ticket)
    wait = estimate_minutes(session, ticket.service, ahead, now, tz)
    return TicketInfo(ticket, ahead, wait, created=False, opens_at=ticket.service.opens_at)
