"""The print spooler: jobs are committed to the database first and delivered by a worker.

Issuing a ticket or accepting a dossier only stores a job (`enqueue`, or a job written in the
same transaction, see `jobs.py`), which never touches a printer. A job stored as a layout
is drawn here, on its first delivery.
`deliver_due` (run by `kiosk spooler`, or any number of them) claims one due job at a time with
a conditional UPDATE, so two workers never send the same job; a claim is a lease, so a job whose
worker died mid-way is sent again, whole, once the lease runs out. A failed delivery waits
`backoff(attempts)` before the next try. Jobs never expire: a printer that is off for a day
prints its queue when it comes back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from printers.transports import PrinterUnavailable, Status, Transport, open_transport
from printers.transports.policy import AddressPolicy

from ...models import PrinterState, PrintJob
from ..clock import utcnow
from .jobs import Printer, new_job, render

LEASE = dt.timedelta(seconds=60)


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8 ... seconds after each failure, at most a minute."""
    return dt.timedelta(seconds=min(60, 2 ** max(1, attempts)))


def enqueue(
    session: Session,
    printer_url: str,
    profile: str,
    payload: bytes,
    *,
    kind: str,
    title: str = "",
    layout: str = "",
) -> PrintJob:
    """Store a job for the spooler and commit it. Never waits for a printer."""
    job = new_job(Printer(printer_url, profile), kind, title, payload=payload)
    job.layout = layout
    session.add(job)
    session.commit()
    return job


def reprint(session: Session, job_id: str) -> PrintJob | None:
    """A new job with the same bytes (an officer's reprint); None if there is no such job."""
    old = session.get(PrintJob, job_id)
    if old is None:
        return None
    return enqueue(
        session, old.printer_url, old.profile, old.payload, kind=old.kind, title=old.title,
        layout=old.layout,
    )  # fmt: skip


def _due(now: dt.datetime):  # type: ignore[no-untyped-def]
    return or_(
        (PrintJob.state == "pending") & (PrintJob.next_attempt_at <= now),
        (PrintJob.state == "sending") & (PrintJob.claimed_until < now),
    )


def claim(session: Session, now: dt.datetime | None = None) -> PrintJob | None:
    """Take the oldest due job for this worker, or None. Safe against concurrent workers."""
    now = now or utcnow()
    for _ in range(5):
        job_id = session.scalar(
            select(PrintJob.id).where(_due(now)).order_by(PrintJob.created_at).limit(1)
        )
        if job_id is None:
            session.rollback()
            return None
        took = session.execute(
            update(PrintJob)
            .where(PrintJob.id == job_id, _due(now))
            .values(state="sending", claimed_until=now + LEASE)
        )
        session.commit()
        if took.rowcount == 1:  # type: ignore[attr-defined]
            return session.get(PrintJob, job_id)
        # Another worker took it between our select and update: look again.
    return None


def _record_printer(session: Session, url: str, status: Status, error: str = "") -> None:
    state = session.get(PrinterState, url)
    if state is None:
        state = PrinterState(url=url)
        session.add(state)
    state.status = status.value
    state.checked_at = utcnow()
    state.last_error = error


def deliver(
    session: Session,
    job: PrintJob,
    transport_for: Callable[[str], Transport] = open_transport,
    *,
    policy: AddressPolicy,
) -> bool:
    """Send a claimed job; on failure put it back with a backoff. True if it printed.

    The address is checked against `policy` first, every time: one stored before the rules
    tightened, or written into the database by other means, is never opened."""
    try:
        policy.check(job.printer_url)
        if not job.payload:
            # Drawn once, on the first try; kept, so retries and reprints send the same bytes.
            job.payload = render(job)
        transport_for(job.printer_url).send(job.payload)
    except (PrinterUnavailable, ValueError) as exc:
        job.attempts += 1
        job.state = "pending"
        job.claimed_until = None
        job.next_attempt_at = utcnow() + backoff(job.attempts)
        job.last_error = str(exc)
        # The printer's other jobs wait as long, in their order, so a dead printer costs one
        # timeout per try, not one per job, and holds up no other printer's jobs.
        session.execute(
            update(PrintJob)
            .where(
                PrintJob.printer_url == job.printer_url,
                PrintJob.state == "pending",
                PrintJob.id != job.id,
                PrintJob.next_attempt_at < job.next_attempt_at,
            )
            .values(next_attempt_at=job.next_attempt_at)
        )
        _record_printer(session, job.printer_url, Status.OFFLINE, str(exc))
        session.commit()
        return False
    job.attempts += 1
    job.state = "done"
    job.claimed_until = None
    job.printed_at = utcnow()
    job.last_error = ""
    _record_printer(session, job.printer_url, Status.ONLINE)
    session.commit()
    return True


def deliver_due(
    session: Session,
    transport_for: Callable[[str], Transport] = open_transport,
    limit: int = 50,
    *,
    policy: AddressPolicy,
) -> int:
    """Deliver due jobs until none is due (or `limit`); returns how many printed."""
    printed = 0
    for _ in range(limit):
        job = claim(session)
        if job is None:
            break
        printed += deliver(session, job, transport_for, policy=policy)
    return printed


def pending(session: Session, printer_url: str | None = None) -> list[PrintJob]:
    """Jobs not printed yet, oldest first."""
    stmt = select(PrintJob).where(PrintJob.state != "done").order_by(PrintJob.created_at)
    if printer_url:
        stmt = stmt.where(PrintJob.printer_url == printer_url)
    return list(session.scalars(stmt))


def pending_counts(session: Session) -> dict[str, int]:
    """How many jobs wait for each printer (one query; the payloads stay in the database)."""
    rows = session.execute(
        select(PrintJob.printer_url, func.count())
        .where(PrintJob.state != "done")
        .group_by(PrintJob.printer_url)
    ).all()
    return {url: int(n) for url, n in rows}
