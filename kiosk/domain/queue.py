"""The queue (*xếp hàng lấy số*): issuing tickets, calling them at counters, and the event log.

Numbers never collide: a ticket's number comes from its service's row in `ticket_sequence`
for the site's day, incremented by an upsert inside the transaction that inserts the ticket,
so concurrent issues wait on that row's lock (PostgreSQL) or the database's write lock
(SQLite) and get consecutive numbers with no gap and no repeat.

A counter never takes a ticket another counter took: `call_next` moves a ticket from waiting
to called with an UPDATE conditioned on it still waiting, and looks again if it lost the race;
on PostgreSQL the candidate is also picked with FOR UPDATE SKIP LOCKED so racing counters pick
different tickets at once. The counter's own row is locked first, so a double tap on one
counter is served one at a time.

Every change appends to `queue_event` (see `_emit`) in the same transaction.

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
import functools
import json
import math
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, and_, func, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    Counter,
    Procedure,
    QueueEvent,
    Service,
    Ticket,
    TicketSequence,
    User,
)
from .clock import VIETNAM, local, local_day, utcnow
from .identity import require

ROLLING = 20
MIN_SAMPLES = 3
ACTIVE = ("called", "serving")
#: Issuing in this process, one at a time (see `issue_ticket`). Under gevent this lock is
#: gevent's, so waiting for it lets the worker's other requests run.
_ISSUING = threading.Lock()
#: Key of the PostgreSQL advisory lock that orders event ids by commit.
EVENT_LOCK = 7_270_001


class QueueError(ValueError):
    """A queue action that cannot be done now; `code` for the API, the message for people."""

    def __init__(self, code: str, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class TicketInfo:
    """A ticket with where it stands: people ahead and the estimated wait."""

    ticket: Ticket
    ahead: int
    estimated_wait_minutes: int
    created: bool = True
    opens_at: dt.time | None = None

    @property
    def position(self) -> int:
        return self.ahead + 1 if self.ticket.state == "waiting" else 0


# --- reading -----------------------------------------------------------------------------------


def services(session: Session, *, active_only: bool = True) -> list[Service]:
    stmt = select(Service).order_by(Service.position, Service.prefix)
    if active_only:
        stmt = stmt.where(Service.active.is_(True))
    return list(session.scalars(stmt))


def service_by_code(session: Session, code: str) -> Service:
    svc = session.scalar(select(Service).where(Service.code == code.strip().upper()))
    if svc is None or not svc.active:
        raise QueueError("unknown_service", f"Không có dịch vụ mã {code}.", 404)
    return svc


def counters(session: Session, *, active_only: bool = True) -> list[Counter]:
    stmt = select(Counter).order_by(Counter.number)
    if active_only:
        stmt = stmt.where(Counter.active.is_(True))
    return list(session.scalars(stmt))


def get_counter(session: Session, counter_id: int) -> Counter:
    counter = session.get(Counter, counter_id)
    if counter is None or not counter.active:
        raise QueueError("unknown_counter", f"Không có quầy số hiệu {counter_id}.", 404)
    return counter


def service_for_procedure(session: Session, procedure: Procedure) -> Service | None:
    """The service whose fields list the procedure's field, else the catch-all service."""
    fallback = None
    for svc in services(session):
        fields = svc.field_list()
        if procedure.field in fields:
            return svc
        if not fields and fallback is None:
            fallback = svc
    return fallback


def is_open(svc: Service, now: dt.datetime, tz: dt.tzinfo = VIETNAM) -> bool:
    t = local(now, tz).time()
    if svc.opens_at and t < svc.opens_at:
        return False
    return not (svc.closes_at and t >= svc.closes_at)


def _order() -> tuple[Any, ...]:
    return (Ticket.priority.desc(), Ticket.queued_at, Ticket.id)


def _waiting(service_id: int, day: dt.date) -> Any:
    return and_(Ticket.state == "waiting", Ticket.service_id == service_id, Ticket.day == day)


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
            .where(_waiting(ticket.service_id, ticket.day), before)
        )
        or 0
    )


def rolling_service_minutes(session: Session, svc: Service, now: dt.datetime) -> float:
    """Mean of the service's recent service times, or its default until there are enough."""
    rows = session.execute(
        select(Ticket.called_at, Ticket.started_at, Ticket.finished_at)
        .where(
            Ticket.service_id == svc.id,
            Ticket.state == "done",
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


def _forget_rates(session: Session) -> None:
    _rates.pop(_engine(session), None)


def estimate_minutes(
    session: Session, svc: Service, ahead: int, now: dt.datetime, tz: dt.tzinfo = VIETNAM
) -> int:
    """People ahead × rolling service time ÷ open counters, plus the time until opening."""
    return _estimate(svc, ahead, minutes_per_person(session, svc, now), now, tz)


def _estimate(
    svc: Service, ahead: int, minutes_per_person: float, now: dt.datetime, tz: dt.tzinfo
) -> int:
    return math.ceil(ahead * minutes_per_person + _minutes_until_open(svc, now, tz))


def _minutes_until_open(svc: Service, now: dt.datetime, tz: dt.tzinfo) -> float:
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
    if ticket.state != "waiting":
        return TicketInfo(ticket, 0, 0, created=False)
    ahead = people_ahead(session, ticket)
    wait = estimate_minutes(session, ticket.service, ahead, now, tz)
    return TicketInfo(ticket, ahead, wait, created=False, opens_at=ticket.service.opens_at)


def find_ticket(session: Session, token: str) -> Ticket | None:
    """The ticket behind a public token, following transfers to the citizen's current leg."""
    if not token or len(token) > 64:
        return None
    ticket = session.scalar(select(Ticket).where(Ticket.token == token))
    for _ in range(20):
        if ticket is None or ticket.transferred_to_id is None:
            break
        ticket = session.get(Ticket, ticket.transferred_to_id)
    return ticket


def current_ticket(session: Session, counter: Counter) -> Ticket | None:
    """The ticket the counter has called or is serving."""
    return session.scalar(
        select(Ticket)
        .where(Ticket.counter_id == counter.id, Ticket.state.in_(ACTIVE))
        .order_by(Ticket.called_at.desc())
        .limit(1)
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
        .where(Ticket.state == "waiting", Ticket.day == day, Ticket.service_id.in_(service_ids))
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
                    select(Ticket.number).where(_waiting(sid, day)).order_by(*_order()).limit(show)
                )
            )
    return out


# --- writing -----------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _atomic(fn: F) -> F:
    """Roll the session back when `fn` (whose first argument is the session) fails, so no
    lock outlives a refused action."""

    @functools.wraps(fn)
    def wrapper(session: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise

    return cast(F, wrapper)


def _emit(
    session: Session,
    kind: str,
    now: dt.datetime,
    ticket: Ticket | None = None,
    counter: Counter | None = None,
    **data: Any,
) -> None:
    """Append to the event log, last thing before the commit.

    On PostgreSQL a transaction-scoped advisory lock makes event-writing transactions commit
    one at a time from here on, so ids become visible in order and a reader that resumes after
    id N can never miss a smaller id committed later. SQLite has one writer at a time anyway.
    """
    values = _event_values(kind, now, ticket, counter, **data)
    if session.get_bind().dialect.name == "postgresql":
        # The lock and the insert in one statement: the id is drawn once the lock is held.
        session.execute(_PG_EMIT, {**values, "k": EVENT_LOCK})
    else:
        session.execute(insert(QueueEvent).values(**values))


def _event_values(
    kind: str,
    now: dt.datetime,
    ticket: Ticket | None = None,
    counter: Counter | None = None,
    **data: Any,
) -> dict[str, Any]:
    payload: dict[str, Any] = dict(data)
    if ticket is not None:
        payload.update(
            ticket_id=ticket.id,
            number=ticket.number,
            service=ticket.service.code,
            priority=ticket.priority,
            state=ticket.state,
        )
    if counter is not None:
        payload.update(
            counter_id=counter.id, counter_number=counter.number, counter_name=counter.label
        )
    values = {
        "at": now,
        "kind": kind,
        "service_id": ticket.service_id if ticket else None,
        "counter_id": counter.id if counter else None,
        "ticket_id": ticket.id if ticket else None,
        "data": json.dumps(payload, ensure_ascii=False),
    }
    return values


_PG_EMIT = text(
    "INSERT INTO queue_event (at, kind, service_id, counter_id, ticket_id, data) "
    "SELECT :at, :kind, :service_id, :counter_id, :ticket_id, :data "
    "FROM (SELECT pg_advisory_xact_lock(:k)) AS held"
)


def _next_number(session: Session, service_id: int, day: dt.date) -> int:
    """The next number of a service for the day, in one statement (an upsert, on both
    engines) that also locks the row until the transaction ends."""
    dialect = session.get_bind().dialect.name
    ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TicketSequence)
    number = session.scalar(
        ins.values(service_id=service_id, day=day, last_number=1)
        .on_conflict_do_update(
            index_elements=["service_id", "day"],
            set_={"last_number": TicketSequence.__table__.c.last_number + 1},
        )
        .returning(TicketSequence.last_number)
    )
    assert number is not None
    return int(number)


def format_number(prefix: str, seq: int) -> str:
    """A015: the service's letter and three digits (four past 999)."""
    return f"{prefix}{seq:03d}"


@_atomic
def issue_ticket(
    session: Session,
    service_code: str,
    *,
    priority: bool = False,
    idempotency_key: str | None = None,
    procedure_code: str = "",
    enforce_hours: bool = False,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
) -> TicketInfo:
    """Issue the next number of a service, or return the ticket already issued for the same
    idempotency key (a double tap or a retried request), with `created` False."""
    clock_given = now is not None
    now = now or utcnow()
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > 64:
        raise QueueError("bad_idempotency_key", "Khóa chống trùng quá dài (tối đa 64 ký tự).", 400)
    # A repeated key is caught by the unique index when the ticket is inserted (one query
    # fewer for every new ticket); the transaction, number included, is then rolled back.
    svc = service_by_code(session, service_code)
    if enforce_hours and not is_open(svc, now, tz):
        raise QueueError(
            "service_closed",
            f"{svc.name} cấp số từ {_hhmm(svc.opens_at)} đến {_hhmm(svc.closes_at)}. "
            "Vui lòng quay lại trong giờ làm việc.",
        )
    day = local_day(now, tz)
    # Read before the number lock is taken, to hold it as briefly as possible.
    rate = minutes_per_person(session, svc, now)
    # One issue at a time per process: the others wait here, holding no database connection
    # or row lock, rather than queueing on the row lock while its holder waits for its turn to
    # run again (a convoy that halved throughput under gevent workers).
    issue = _issue_pg if session.get_bind().dialect.name == "postgresql" else _issue_orm
    with _ISSUING:
        try:
            ticket, ahead = issue(
                session, svc, day, key, bool(priority), procedure_code[:32],
                now if clock_given else None, rate, tz,
            )  # fmt: skip
            duplicate = False
        except IntegrityError:
            session.rollback()
            duplicate = True
    if duplicate:
        # The same key was used before (a double tap, a retry): answer that ticket.
        existing = session.scalar(select(Ticket).where(Ticket.idempotency_key == key))
        if key is None or existing is None:
            raise QueueError("conflict", "Không cấp được số, vui lòng thử lại.", 409)
        return ticket_info(session, existing, now, tz)
    return TicketInfo(ticket, ahead, ticket.estimated_wait_minutes, True, svc.opens_at)


def _issue_orm(
    session: Session,
    svc: Service,
    day: dt.date,
    key: str | None,
    priority: bool,
    procedure_code: str,
    now: dt.datetime | None,
    rate: float,
    tz: dt.tzinfo,
) -> tuple[Ticket, int]:
    """Issue through the ORM (SQLite: the first write takes the database's write lock)."""
    seq = _next_number(session, svc.id, day)
    # Read the clock now that this service's number lock is held, so that the call order
    # (by time of issue) is the order of the numbers.
    at = now or utcnow()
    # Issued last, the new ticket comes after everyone waiting in its class (and, without
    # priority, after every priority ticket).
    waiting = select(func.count()).select_from(Ticket).where(_waiting(svc.id, day))
    if priority:
        waiting = waiting.where(Ticket.priority.is_(True))
    ahead = int(session.scalar(waiting) or 0)
    ticket = Ticket(
        token=secrets.token_urlsafe(24),
        idempotency_key=key,
        service_id=svc.id,
        service=svc,
        day=day,
        seq=seq,
        leg=0,
        number=format_number(svc.prefix, seq),
        priority=priority,
        state="waiting",
        procedure_code=procedure_code,
        issued_at=at,
        queued_at=at,
        estimated_wait_minutes=_estimate(svc, ahead, rate, at, tz),
    )
    session.add(ticket)
    session.flush()
    _emit(session, "issued", at, ticket)
    session.commit()
    return ticket, ahead


_PG_ISSUE = text(
    """
    WITH n AS (
        INSERT INTO ticket_sequence (service_id, day, last_number)
        VALUES (:service_id, :day, 1)
        ON CONFLICT (service_id, day)
        DO UPDATE SET last_number = ticket_sequence.last_number + 1
        RETURNING last_number
    )
    INSERT INTO queue_ticket (token, idempotency_key, service_id, day, seq, leg, number,
        priority, state, procedure_code, issued_at, queued_at, estimated_wait_minutes, recalls)
    SELECT :token, :key, :service_id, :day, n.last_number, 0,
        :prefix || lpad(n.last_number::text, greatest(3, length(n.last_number::text)), '0'),
        :priority, 'waiting', :procedure_code, t.at, t.at, 0, 0
    FROM n CROSS JOIN LATERAL (
        SELECT COALESCE(CAST(:now AS timestamp), clock_timestamp() AT TIME ZONE 'UTC') AS at,
               n.last_number AS after_the_lock
    ) AS t
    RETURNING id, seq, number, issued_at
    """
)
_PG_ISSUED_EVENT = text(
    """
    WITH ahead AS (
        SELECT count(*) AS n FROM queue_ticket
        WHERE state = 'waiting' AND service_id = :service_id AND day = :day
          AND id <> :ticket_id AND (priority OR NOT :priority)
    ), estimate AS (
        UPDATE queue_ticket
        SET estimated_wait_minutes =
            CAST(ceil((SELECT n FROM ahead) * CAST(:rate AS float8) + CAST(:until_open AS float8))
                 AS integer)
        WHERE id = :ticket_id
        RETURNING estimated_wait_minutes
    )
    INSERT INTO queue_event (at, kind, service_id, counter_id, ticket_id, data)
    SELECT :at, :kind, :service_id, :counter_id, :ticket_id, :data
    FROM (SELECT pg_advisory_xact_lock(:k)) AS held
    RETURNING (SELECT n FROM ahead), (SELECT estimated_wait_minutes FROM estimate)
    """
)


def _issue_pg(
    session: Session,
    svc: Service,
    day: dt.date,
    key: str | None,
    priority: bool,
    procedure_code: str,
    now: dt.datetime | None,
    rate: float,
    tz: dt.tzinfo,
) -> tuple[Ticket, int]:
    """Issue on PostgreSQL holding the service's number row for three round trips, not five:
    the number and the ticket in one statement (its time read once the row is locked), then
    the event with the people ahead and the estimate (as `_estimate` computes it), then the
    commit."""
    token = secrets.token_urlsafe(24)
    row = session.execute(
        _PG_ISSUE,
        {
            "service_id": svc.id, "day": day, "token": token, "key": key,
            "prefix": svc.prefix, "priority": priority, "procedure_code": procedure_code,
            "now": now,
        },
    ).one()  # fmt: skip
    ticket = Ticket(
        id=row.id, token=token, idempotency_key=key, service_id=svc.id, service=svc, day=day,
        seq=row.seq, leg=0, number=row.number, priority=priority, state="waiting",
        procedure_code=procedure_code, issued_at=row.issued_at, queued_at=row.issued_at,
        estimated_wait_minutes=0, recalls=0,
    )  # fmt: skip
    values = _event_values("issued", row.issued_at, ticket)
    ahead, ticket.estimated_wait_minutes = session.execute(
        _PG_ISSUED_EVENT,
        {
            **values, "k": EVENT_LOCK, "day": day, "priority": priority, "rate": rate,
            "until_open": _minutes_until_open(svc, row.issued_at, tz),
        },
    ).one()  # fmt: skip
    session.commit()
    return ticket, int(ahead)


def _hhmm(t: dt.time | None) -> str:
    return t.strftime("%H:%M") if t else "--:--"


def _lock_counter(session: Session, counter_id: int, user: User) -> Counter:
    """Lock the counter's row for this transaction: one action per counter at a time."""
    require(user, "counter.work")
    _forget_rates(session)
    took = session.execute(
        update(Counter)
        .where(Counter.id == counter_id, Counter.active.is_(True))
        .values(number=Counter.number)
    )
    if took.rowcount != 1:  # type: ignore[attr-defined]
        raise QueueError("unknown_counter", f"Không có quầy số hiệu {counter_id}.", 404)
    counter = session.get(Counter, counter_id)
    assert counter is not None
    session.refresh(counter)
    return counter


def _check_current(current: Ticket | None, if_current: int | None) -> None:
    """Optimistic check for screens: `if_current` is the ticket the officer's screen shows
    (0 for none); if the counter has moved on (a double tap, a second tab), refuse."""
    if if_current is None:
        return
    shown = current.id if current else 0
    if shown != if_current:
        raise QueueError(
            "stale", "Màn hình quầy chưa cập nhật: đã tải lại, vui lòng thao tác lại.", 409
        )


def _finish(session: Session, ticket: Ticket, now: dt.datetime, counter: Counter) -> None:
    ticket.state = "done"
    ticket.finished_at = now
    _emit(session, "finished", now, ticket, counter)


@_atomic
def call_next(
    session: Session,
    counter_id: int,
    user: User,
    *,
    if_current: int | None = None,
    now: dt.datetime | None = None,
    tz: dt.tzinfo = VIETNAM,
) -> Ticket | None:
    """Finish the counter's current ticket and call the next one: priority first, then first
    come first served. None when nobody is waiting (the current ticket is still finished)."""
    now = now or utcnow()
    counter = _lock_counter(session, counter_id, user)
    current = current_ticket(session, counter)
    _check_current(current, if_current)
    if current is not None:
        _finish(session, current, now, counter)
    if counter.paused:
        counter.paused = False
        _emit(session, "resumed", now, None, counter)
    counter.officer_id = user.id
    service_ids = [s.id for s in counter.services]
    day = local_day(now, tz)
    queue = and_(
        Ticket.state == "waiting",
        Ticket.day == day,
        or_(
            and_(Ticket.service_id.in_(service_ids), Ticket.target_counter_id.is_(None)),
            Ticket.target_counter_id == counter.id,
        ),
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    for _ in range(20):
        stmt = select(Ticket.id).where(queue).order_by(*_order()).limit(1)
        if postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        candidate = session.scalar(stmt)
        if candidate is None:
            session.commit()
            return None
        took = session.execute(
            update(Ticket)
            .where(Ticket.id == candidate, Ticket.state == "waiting")
            .values(state="called", counter_id=counter.id, officer_id=user.id, called_at=now)
        )
        if took.rowcount == 1:  # type: ignore[attr-defined]
            ticket = session.get(Ticket, candidate)
            assert ticket is not None
            session.refresh(ticket)
            _emit(session, "called", now, ticket, counter)
            session.commit()
            return ticket
    raise QueueError("busy", "Hệ thống đang bận, vui lòng bấm gọi lại.", 503)


def _act(
    session: Session,
    counter_id: int,
    user: User,
    states: tuple[str, ...],
    if_current: int | None,
) -> tuple[Counter, Ticket]:
    counter = _lock_counter(session, counter_id, user)
    current = current_ticket(session, counter)
    _check_current(current, if_current)
    if current is None or current.state not in states:
        raise QueueError("no_ticket", f"{counter.label} chưa gọi số nào.", 404)
    return counter, current


@_atomic
def recall(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """Announce the counter's called ticket again."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, ("called",), if_current)
    ticket.recalls += 1
    _emit(session, "recalled", now, ticket, counter, recalls=ticket.recalls)
    session.commit()
    return ticket


@_atomic
def no_show(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """The called citizen did not come (*vắng mặt*)."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, ("called",), if_current)
    ticket.state = "no_show"
    ticket.finished_at = now
    _emit(session, "no_show", now, ticket, counter)
    session.commit()
    return ticket


@_atomic
def start(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """The citizen has come to the counter: service starts."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, ("called",), if_current)
    ticket.state = "serving"
    ticket.started_at = now
    _emit(session, "started", now, ticket, counter)
    session.commit()
    return ticket


@_atomic
def finish(
    session: Session, counter_id: int, user: User, *, if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:  # fmt: skip
    """Service done."""
    now = now or utcnow()
    counter, ticket = _act(session, counter_id, user, ACTIVE, if_current)
    _finish(session, ticket, now, counter)
    session.commit()
    return ticket


@_atomic
def transfer(
    session: Session,
    counter_id: int,
    user: User,
    *,
    service_code: str | None = None,
    to_counter_id: int | None = None,
    if_current: int | None = None,
    now: dt.datetime | None = None,
) -> Ticket:
    """Send the counter's ticket to another service's queue or to one counter. The citizen
    keeps the number and the place earned by the time of issue; returns the new leg."""
    now = now or utcnow()
    if not service_code and not to_counter_id:
        raise QueueError("bad_request", "Chọn dịch vụ hoặc quầy để chuyển đến.", 400)
    counter, ticket = _act(session, counter_id, user, ACTIVE, if_current)
    target_counter = get_counter(session, to_counter_id) if to_counter_id else None
    if target_counter is not None and target_counter.id == counter.id:
        raise QueueError("bad_request", "Không thể chuyển về chính quầy này.", 400)
    if service_code:
        svc = service_by_code(session, service_code)
    elif target_counter is not None and target_counter.services:
        svc = next(
            (s for s in target_counter.services if s.id == ticket.service_id),
            target_counter.services[0],
        )
    else:
        svc = ticket.service
    new = Ticket(
        token=secrets.token_urlsafe(24),
        service_id=svc.id,
        service=svc,
        day=ticket.day,
        seq=ticket.seq,
        leg=ticket.leg + 1,
        number=ticket.number,
        priority=ticket.priority,
        state="waiting",
        procedure_code=ticket.procedure_code,
        target_counter_id=target_counter.id if target_counter else None,
        issued_at=ticket.issued_at,
        queued_at=ticket.queued_at,
    )
    session.add(new)
    session.flush()
    ticket.state = "transferred"
    ticket.finished_at = now
    ticket.transferred_to_id = new.id
    _emit(
        session, "transferred", now, ticket, counter,
        to_service=svc.code, to_counter_id=target_counter.id if target_counter else None,
    )  # fmt: skip
    _emit(session, "issued", now, new)
    session.commit()
    return new


@_atomic
def set_paused(session: Session, counter_id: int, user: User, paused: bool) -> Counter:
    """Pause the counter (*tạm dừng*): it calls nobody and leaves the wait estimate."""
    now = utcnow()
    counter = _lock_counter(session, counter_id, user)
    counter.paused = paused
    if paused:
        counter.officer_id = user.id
    _emit(session, "paused" if paused else "resumed", now, None, counter)
    session.commit()
    return counter


@_atomic
def sign_in_counter(session: Session, counter_id: int, user: User) -> Counter:
    """The officer takes the counter; it counts as open for the wait estimate."""
    counter = _lock_counter(session, counter_id, user)
    counter.officer_id = user.id
    counter.paused = False
    _emit(session, "staffed", utcnow(), None, counter, officer=user.full_name)
    session.commit()
    return counter


@_atomic
def sign_out_counter(session: Session, counter_id: int, user: User) -> Counter:
    counter = _lock_counter(session, counter_id, user)
    counter.officer_id = None
    _emit(session, "unstaffed", utcnow(), None, counter)
    session.commit()
    return counter


@_atomic
def set_priority(
    session: Session, user: User, number: str, priority: bool = True,
    now: dt.datetime | None = None, tz: dt.tzinfo = VIETNAM,
) -> Ticket:  # fmt: skip
    """An officer marks a waiting ticket as priority (elderly, disabled, pregnant, small
    children), or takes the mark off."""
    require(user, "counter.work")
    now = now or utcnow()
    ticket = session.scalar(
        select(Ticket)
        .where(
            Ticket.number == number.strip().upper(),
            Ticket.day == local_day(now, tz),
            Ticket.state == "waiting",
        )
        .limit(1)
    )
    if ticket is None:
        raise QueueError("no_ticket", f"Không có số {number} đang chờ hôm nay.", 404)
    ticket.priority = priority
    _emit(session, "priority", now, ticket)
    session.commit()
    return ticket


# --- the log -----------------------------------------------------------------------------------


def last_event_id(session: Session) -> int:
    return int(session.scalar(select(func.max(QueueEvent.id))) or 0)


def events_after(session: Session, after: int, limit: int = 500) -> list[QueueEvent]:
    return list(
        session.scalars(
            select(QueueEvent).where(QueueEvent.id > after).order_by(QueueEvent.id).limit(limit)
        )
    )


def recent_calls(
    session: Session, day: dt.date, counter_ids: Sequence[int] | None = None, limit: int = 6
) -> list[Ticket]:
    """The last tickets called today (at these counters), newest first."""
    stmt = (
        select(Ticket)
        .where(Ticket.day == day, Ticket.called_at.is_not(None), Ticket.counter_id.is_not(None))
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    if counter_ids:
        stmt = stmt.where(Ticket.counter_id.in_(counter_ids))
    return list(session.scalars(stmt))
