"""Finding things in the queue: services, counters, a ticket by its public token, a counter's
current ticket, and whether a service is open."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import MAX_ID, Counter, Procedure, Service, Ticket
from ..clock import VIETNAM, local
from .base import ACTIVE, QueueError


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
    # A number no row can have is no counter (the database would fail on it, not find none).
    counter = session.get(Counter, counter_id) if 1 <= counter_id <= MAX_ID else None
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
