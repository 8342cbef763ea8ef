"""Issuing tickets (*cấp số thứ tự*): numbers per service per day that never collide.

A ticket's number comes from its service's row in `ticket_sequence` for the site's day,
incremented by an upsert inside the transaction that inserts the ticket, so concurrent issues
wait on that row's lock (PostgreSQL) or the database's write lock (SQLite) and get consecutive
numbers with no gap and no repeat. When the ticket is to be printed, its print job is written
in the same transaction, so no ticket exists without its job.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Service, Ticket, TicketSequence
from ...storage import next_in_sequence
from .. import idempotency, outbox
from ..clock import VIETNAM, local_day, utcnow
from ..printing.jobs import TicketPrint, ticket_job
from .base import QueueError, TicketInfo, atomic
from .log import EVENT_LOCK, emit, event_values
from .lookup import is_open, service_by_code
from .states import TicketState
from .waiting import estimate, minutes_per_person, minutes_until_open, ticket_info, waiting_in

#: Issuing in this process, one at a time (see `issue_ticket`). Under gevent this lock is
#: gevent's, so waiting for it lets the worker's other requests run.
_ISSUING = threading.Lock()


def format_number(prefix: str, seq: int) -> str:
    """A015: the service's letter and three digits (four past 999)."""
    return f"{prefix}{seq:03d}"


@atomic
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
    print_on: TicketPrint | None = None,
    caller: str = "",
) -> TicketInfo:
    """Issue the next number of a service, or return the ticket already issued for the same
    idempotency key (a double tap or a retried request), with `created` False. The key is
    `caller`'s own (`domain.idempotency`); the same key for another service or priority is
    refused (409 `idempotency_conflict`).

    With `print_on`, the ticket's print job is written in the same transaction: a ticket is
    never committed without it, and a repeated key prints nothing more."""
    clock_given = now is not None
    now = now or utcnow()
    if len((idempotency_key or "").strip()) > idempotency.MAX_KEY:
        raise QueueError("bad_idempotency_key", "Khóa chống trùng quá dài (tối đa 64 ký tự).", 400)
    key = idempotency.scoped(caller, idempotency_key)
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
                now if clock_given else None, rate, tz, print_on,
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
        if existing.service_id != svc.id or existing.priority != bool(priority):
            raise QueueError("idempotency_conflict", str(idempotency.Conflict()), 409)
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
    print_on: TicketPrint | None,
) -> tuple[Ticket, int]:
    """Issue through the ORM (SQLite: the first write takes the database's write lock)."""
    seq = next_in_sequence(session, TicketSequence, service_id=svc.id, day=day)
    # Read the clock now that this service's number lock is held, so that the call order
    # (by time of issue) is the order of the numbers.
    at = now or utcnow()
    # Issued last, the new ticket comes after everyone waiting in its class (and, without
    # priority, after every priority ticket).
    waiting = select(func.count()).select_from(Ticket).where(waiting_in(svc.id, day))
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
        state=TicketState.WAITING,
        procedure_code=procedure_code,
        issued_at=at,
        queued_at=at,
        estimated_wait_minutes=estimate(svc, ahead, rate, at, tz),
    )
    session.add(ticket)
    session.flush()
    emit(session, "issued", at, ticket)
    if print_on is not None:
        session.add(ticket_job(ticket, ahead, print_on))
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
    print_on: TicketPrint | None,
) -> tuple[Ticket, int]:
    """Issue on PostgreSQL holding the service's number row for three round trips, not five:
    the number and the ticket in one statement (its time read once the row is locked), then
    the event with the people ahead and the estimate (as `estimate` computes it), then the
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
        seq=row.seq, leg=0, number=row.number, priority=priority, state=TicketState.WAITING,
        procedure_code=procedure_code, issued_at=row.issued_at, queued_at=row.issued_at,
        estimated_wait_minutes=0, recalls=0,
    )  # fmt: skip
    values = event_values("issued", row.issued_at, ticket)
    ahead, ticket.estimated_wait_minutes = session.execute(
        _PG_ISSUED_EVENT,
        {
            **values, "k": EVENT_LOCK, "day": day, "priority": priority, "rate": rate,
            "until_open": minutes_until_open(svc, row.issued_at, tz),
        },
    ).one()  # fmt: skip
    outbox.queue_day(session, day)  # under the event lock just taken, as `log.emit` does
    if print_on is not None:
        session.add(ticket_job(ticket, int(ahead), print_on))
    session.commit()
    return ticket, int(ahead)


def _hhmm(t: dt.time | None) -> str:
    return t.strftime("%H:%M") if t else "--:--"
