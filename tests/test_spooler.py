"""The print spooler on SQLite and PostgreSQL: nothing lost, nothing printed twice."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from kiosk import create_app
from kiosk.domain.printing import spooler
from kiosk.models import PrinterState, PrintJob
from printers.transports.policy import AddressPolicy

from .conftest import free_port
from .test_printers import FakePrinter, ticket_bytes

#: The spooler's own behaviour is tested here, on loopback printers at random ports and in
#: temporary folders; what addresses a site allows is tested in test_printers.py.
ANY_ADDRESS = AddressPolicy(Path("/"), tcp_ports=frozenset(range(1, 65536)))


def new_session(app: Flask) -> Session:
    return app.extensions["kiosk.sessionmaker"]()  # type: ignore[no-any-return]


def make_due(session: Session) -> None:
    """Let every backoff run out, as if time had passed."""
    session.execute(
        update(PrintJob).values(next_attempt_at=spooler.utcnow() - dt.timedelta(seconds=1))
    )
    session.commit()


def test_dead_printer_loses_nothing_and_prints_once_when_back(app: Flask) -> None:
    port = free_port()
    url = f"tcp://127.0.0.1:{port}?timeout=1"
    data = ticket_bytes()
    s = new_session(app)
    started = time.monotonic()
    job = spooler.enqueue(s, url, "TM-T20II", data, kind="ticket", title="A015")
    assert time.monotonic() - started < 0.5  # issuing never waits for a printer

    assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 0
    s.refresh(job)
    assert (job.state, job.attempts) == ("pending", 1)
    assert job.next_attempt_at > spooler.utcnow() and job.last_error
    assert s.get(PrinterState, url).status == "offline"  # type: ignore[union-attr]
    assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 0  # still backing off: no second try yet

    printer = FakePrinter(port)
    try:
        make_due(s)
        assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 1
        assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 0
        time.sleep(0.1)
        assert printer.jobs == [data]  # once, whole
        s.refresh(job)
        assert job.state == "done" and job.printed_at is not None
        assert s.get(PrinterState, url).status == "online"  # type: ignore[union-attr]
    finally:
        printer.close()
        s.close()


def test_pending_jobs_survive_a_restart(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = new_session(app)
    spooler.enqueue(s, "tcp://127.0.0.1:9?timeout=1", "TM-T20II", b"\x1b@x", kind="ticket")
    s.close()
    app.extensions["kiosk.engine"].dispose()
    again = create_app(
        {"INSTANCE_PATH": str(tmp_path / "i2"), "DATABASE_URL": app.config["DATABASE_URL"],
         "SECRET_KEY": "x"}
    )  # fmt: skip
    s2 = new_session(again)
    assert [j.payload for j in spooler.pending(s2)] == [b"\x1b@x"]
    s2.close()
    again.extensions["kiosk.engine"].dispose()


def test_a_job_whose_worker_died_is_sent_again_whole(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = new_session(app)
    job = spooler.enqueue(s, f"virtual://{tmp_path}/p", "TM-T20II", ticket_bytes(), kind="ticket")
    claimed = spooler.claim(s)
    assert claimed is not None and claimed.id == job.id and claimed.state == "sending"
    # The worker dies here. While its lease runs, nobody else takes the job...
    assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 0
    # ...and once it has run out, the job goes out again, whole.
    s.execute(update(PrintJob).values(claimed_until=spooler.utcnow() - dt.timedelta(seconds=1)))
    s.commit()
    assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 1
    assert [p.read_bytes() for p in (tmp_path / "p").glob("*.bin")] == [ticket_bytes()]
    s.close()


def test_concurrent_workers_never_share_a_job(app: Flask) -> None:
    s = new_session(app)
    for i in range(30):
        spooler.enqueue(s, "virtual:///nowhere", "TM-T20II", bytes([i]), kind="ticket")
    s.close()
    taken: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        session = new_session(app)
        while (job := spooler.claim(session)) is not None:
            with lock:
                taken.append(job.id)
        session.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(taken) == 30 and len(set(taken)) == 30


def test_order_is_kept_after_a_failure_and_reprint(app: Flask, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    url = f"tcp://127.0.0.1:{port}?timeout=1"
    s = new_session(app)
    first = spooler.enqueue(s, url, "TM-T20II", b"\x1b@1", kind="ticket")
    second = spooler.enqueue(s, url, "TM-T20II", b"\x1b@2", kind="ticket")
    other = spooler.enqueue(
        s, f"virtual://{tmp_path}/ok", "TM-T20II", ticket_bytes(), kind="ticket"
    )
    # One timeout for the dead printer, and the live printer's job still goes out.
    assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 1
    for j in (first, second, other):
        s.refresh(j)
    assert (first.attempts, second.attempts, other.state) == (1, 0, "done")
    assert second.next_attempt_at >= first.next_attempt_at
    printer = FakePrinter(port)
    try:
        make_due(s)
        assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 2
        time.sleep(0.1)
        assert printer.jobs == [b"\x1b@1", b"\x1b@2"]
        again = spooler.reprint(s, first.id)
        assert again is not None and again.id != first.id and again.payload == b"\x1b@1"
        assert spooler.deliver_due(s, policy=ANY_ADDRESS) == 1
        time.sleep(0.1)
        assert printer.jobs == [b"\x1b@1", b"\x1b@2", b"\x1b@1"]
        assert spooler.reprint(s, "no-such-job") is None
    finally:
        printer.close()
        s.close()
