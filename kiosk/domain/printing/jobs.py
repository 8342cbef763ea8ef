"""Print-outs as domain operations: which printer a place uses (`printer_for`), whether an
address may be one (`check_printer`), what a ticket says, and the job that carries it to the
spooler.

A ticket's job is written in the ticket's own transaction (see `queue.issue_ticket`) as the
print-out's data (`printout_job`, one of `printers.printouts`' kinds), not as bytes: drawing
takes milliseconds that the number lock should not wait for, and the web workers then never
load the drawing code. The spooler draws the job (`render`) the first time it sends it and
keeps the bytes, so a reprint prints the same paper.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from printers import printouts
from printers.transports.policy import AddressPolicy, AddressRefused

from ...models import KioskStation, PrinterState, PrintJob, Ticket
from ..clock import utcnow, wall_clock

#: Printer states in which a kiosk tells the citizen to note the number rather than wait for
#: the paper.
TROUBLE = frozenset({"offline", "paper_out", "cover_open"})


@dataclass(frozen=True)
class Printer:
    """A printer's address (`tcp://`, `usb://`, ..., see `printers.transports`) and its
    python-escpos profile."""

    url: str
    profile: str


def printer_for(url: str | None, profile: str | None, default: Printer) -> Printer:
    """The printer a place has of its own (a kiosk station's, a counter's, a branch's: `url`,
    its profile defaulting to `default`'s), else `default`, the site's
    (`KIOSK_PRINTER_URL`)."""
    return Printer(url, profile or default.profile) if url else default


def station_printer(session: Session, station_code: str | None, default: Printer) -> Printer:
    """The printer of the kiosk station `station_code`, else `default`."""
    station = find_station(session, station_code) if station_code else None
    if station is None:
        return default
    return printer_for(station.printer_url, station.printer_profile, default)


def check_printer(url: str, errors: dict[str, str], policy: AddressPolicy) -> None:
    """A printer address the transports understand (tcp://, usb://, ...) and the site allows,
    or empty."""
    if not url:
        return
    from printers.transports import open_transport

    try:
        open_transport(url)
    except ValueError as exc:
        errors["printer_url"] = f"Địa chỉ máy in không hợp lệ: {exc}"
        return
    try:
        policy.check(url)
    except AddressRefused as exc:
        errors["printer_url"] = str(exc)


def find_station(session: Session, code: str) -> KioskStation | None:
    """A kiosk station by its code (*mã kiosk*), or None."""
    code = code.strip().upper()[:16]
    if not code:
        return None
    return session.scalar(select(KioskStation).where(KioskStation.code == code))


def in_trouble(session: Session, printer: Printer) -> bool:
    """Whether the spooler last found this printer offline, out of paper or open."""
    state = session.get(PrinterState, printer.url)
    return state is not None and state.status in TROUBLE


@dataclass(frozen=True)
class TicketPrint:
    """How a ticket is printed: on which printer, under which site's name, in which time
    zone, and the address its QR code opens (`link` makes it from the ticket's token)."""

    printer: Printer
    site_name: str
    link: Callable[[str], str]
    tz: dt.tzinfo


def ticket_job(ticket: Ticket, ahead: int, spec: TicketPrint) -> PrintJob:
    """The print job of a just-issued ticket, not yet added to the session."""
    data = printouts.TicketData(
        site_name=spec.site_name,
        service=ticket.service.name,
        number=ticket.number,
        people_ahead=ahead,
        issued_at=wall_clock(ticket.issued_at, spec.tz),
        url=spec.link(ticket.token),
        estimated_wait_minutes=ticket.estimated_wait_minutes,
        priority=ticket.priority,
    )
    return printout_job(spec.printer, f"Số {ticket.number}", data)


def printout_job(printer: Printer, title: str, data: printouts.Data) -> PrintJob:
    """A pending job carrying a print-out's data, of the kind `data` is (`printers.printouts`),
    for the spooler to draw (`render`); not yet added to the session."""
    kind = printouts.kind_of(data)
    layout = {"layout": kind, "data": printouts.to_json(data)}
    return new_job(printer, kind, title, layout=json.dumps(layout, ensure_ascii=False))


def new_job(
    printer: Printer, kind: str, title: str, *, payload: bytes = b"", layout: str = ""
) -> PrintJob:
    """A pending job with its bytes, or with a layout (`printout_job`) to draw later."""
    now = utcnow()
    return PrintJob(
        id=str(uuid.uuid4()),
        printer_url=printer.url,
        profile=printer.profile,
        kind=kind,
        title=title,
        payload=payload,
        layout=layout,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def render(job: PrintJob) -> bytes:
    """The job's ESC/POS bytes: stored ones, or drawn now from its layout (ValueError when
    the layout cannot be drawn; the spooler records it on the job)."""
    if job.payload or not job.layout:
        return job.payload
    from printers import to_escpos
    from printers.profiles import profile_width

    spec = json.loads(job.layout)
    data = printouts.from_json(spec.get("layout"), spec.get("data"))
    return to_escpos(printouts.draw(data, profile_width(job.profile)), job.profile)
