"""The queue's event log (`queue_event`): a row appended in the same transaction as every
change, read by the displays' hub (`kiosk/events.py`) in id order."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from ...models import Counter, QueueEvent, Ticket

#: Key of the PostgreSQL advisory lock that orders event ids by commit.
EVENT_LOCK = 7_270_001
#: Set in `Session.info` by `emit`: this transaction adds events, so its commit wakes the
#: displays' hubs of every process (`kiosk/events.py`, the doorbell).
EMITTED = "kiosk.queue_events"


def emit(
    session: Session,
    kind: str,
    now: dt.datetime,
    ticket: Ticket | None = None,
    counter: Counter | None = None,
    **data: Any,
) -> None:
    """Append to the event log, last thing before the commit; a ticket's change also writes its
    day's queue figures to the outbox (`outbox.queue_day`).

    On PostgreSQL a transaction-scoped advisory lock makes event-writing transactions commit
    one at a time from here on, so ids become visible in order and a reader that resumes after
    id N can never miss a smaller id committed later. SQLite has one writer at a time anyway.
    """
    values = event_values(kind, now, ticket, counter, **data)
    session.info[EMITTED] = True
    if session.get_bind().dialect.name == "postgresql":
        # The lock and the insert in one statement: the id is drawn once the lock is held.
        session.execute(_PG_EMIT, {**values, "k": EVENT_LOCK})
    else:
        session.execute(insert(QueueEvent).values(**values))
    if ticket is not None:
        # The day's figures for the province, under the lock just taken (`outbox.queue_day`).
        from .. import outbox

        outbox.queue_day(session, ticket.day)


def event_values(
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
